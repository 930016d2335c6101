"""The suite's event contracts: the envelope and every published event's schema.

Schemas are plain JSON Schema (draft-07) files, one per event type and version, under
``schemas/<producer>/<event_type>.v<version>.json``; golden sample envelopes live beside them under
``samples/``. A department's own tool can read the same files (``mms-contracts export``) and bind
its own queue with any AMQP client.

Rules (DESIGN.md §4): additive changes only within a version; a breaking change is a new version
published side by side; consumers ignore fields they do not know, so every object schema leaves
``additionalProperties`` open unless it has a reason not to.
"""

from event_contracts.registry import (
    Contract,
    ContractViolation,
    add_contract_directory,
    all_contracts,
    contract,
    export_json_schemas,
    golden_samples,
    remove_contract_directory,
    validate_envelope,
    validate_event,
)

__all__ = [
    "Contract",
    "ContractViolation",
    "add_contract_directory",
    "all_contracts",
    "contract",
    "export_json_schemas",
    "golden_samples",
    "remove_contract_directory",
    "validate_envelope",
    "validate_event",
]
