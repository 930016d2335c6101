"""Loading, compiling and checking the contract files."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema

ROOT = Path(__file__).parent
SCHEMAS = ROOT / "schemas"
SAMPLES = ROOT / "samples"
_FILE = re.compile(r"^(?P<type>[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+)\.v(?P<version>\d+)\.json$")
_COMMON_REF = "common.v1.json#/definitions/"

_FORMATS = {
    "uuid": r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
    "decimal": r"^-?\d{1,15}(\.\d{1,6})?$",
    "currency": r"^[A-Z]{3}$",
}


class ContractViolation(ValueError):
    """An envelope or its data does not match the contract."""

    def __init__(self, message: str, *, event_type: str | None = None, version: int | None = None):
        super().__init__(message)
        self.event_type = event_type
        self.version = version


@dataclass(frozen=True)
class Contract:
    producer: str
    event_type: str
    version: int
    schema: dict
    path: Path

    @property
    def key(self) -> tuple[str, int]:
        return (self.event_type, self.version)


def _inline_common(node: Any, common: dict) -> Any:
    """Replace references into ``common.v1.json`` by the definitions themselves."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_COMMON_REF):
            name = ref[len(_COMMON_REF) :]
            merged = copy.deepcopy(common["definitions"][name])
            merged.update({k: v for k, v in node.items() if k != "$ref"})
            return _inline_common(merged, common)
        return {key: _inline_common(value, common) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline_common(item, common) for item in node]
    return node


_extra_dirs: list[Path] = []


def add_contract_directory(path: Path) -> None:
    """Also load contracts from ``path`` (``schemas/<producer>/...`` and ``samples/...``).

    For tests of the infrastructure itself and for tools that define their own events; the
    suite's contracts live in this package.
    """
    path = Path(path)
    if path not in _extra_dirs:
        _extra_dirs.append(path)
        _registry.cache_clear()
        _compiled.cache_clear()


def remove_contract_directory(path: Path) -> None:
    """Forget contracts loaded from ``path`` by :func:`add_contract_directory`.

    Tests that add their own contracts call this when done, so that later tests in the same
    process see only the suite's contracts.
    """
    path = Path(path)
    if path in _extra_dirs:
        _extra_dirs.remove(path)
        _registry.cache_clear()
        _compiled.cache_clear()


@cache
def _common() -> dict:
    return json.loads((SCHEMAS / "common.v1.json").read_text())


@cache
def _registry() -> dict[tuple[str, int], Contract]:
    contracts: dict[tuple[str, int], Contract] = {}
    paths = sorted(SCHEMAS.glob("*/*.json"))
    for extra in _extra_dirs:
        paths += sorted((extra / "schemas").glob("*/*.json"))
    for path in paths:
        match = _FILE.match(path.name)
        if not match:
            raise ContractViolation(f"contract file name not understood: {path}")
        schema = _inline_common(json.loads(path.read_text()), _common())
        item = Contract(
            producer=path.parent.name,
            event_type=match["type"],
            version=int(match["version"]),
            schema=schema,
            path=path,
        )
        if item.key in contracts:
            raise ContractViolation(f"duplicate contract {item.key}")
        contracts[item.key] = item
    return contracts


@cache
def _compiled(event_type: str, version: int):
    return fastjsonschema.compile(contract(event_type, version).schema, formats=_FORMATS)


@cache
def _envelope_validator():
    schema = _inline_common(json.loads((SCHEMAS / "envelope.v1.json").read_text()), _common())
    return fastjsonschema.compile(schema, formats=_FORMATS)


def all_contracts() -> list[Contract]:
    """Every known contract, ordered by producer, type and version."""
    return sorted(_registry().values(), key=lambda c: (c.producer, c.event_type, c.version))


def contract(event_type: str, version: int) -> Contract:
    try:
        return _registry()[(event_type, version)]
    except KeyError:
        raise ContractViolation(
            f"no contract for {event_type} v{version}", event_type=event_type, version=version
        ) from None


def has_contract(event_type: str, version: int) -> bool:
    return (event_type, version) in _registry()


def validate_envelope(envelope: Any) -> dict:
    """Check the envelope's own fields (not its data); return it."""
    try:
        _envelope_validator()(envelope)
    except fastjsonschema.JsonSchemaValueException as exc:
        raise ContractViolation(f"envelope: {exc.message}") from None
    return envelope


def validate_event(event_type: str, version: int, data: Any) -> Any:
    """Check ``data`` against the contract of ``event_type`` version ``version``; return it."""
    try:
        _compiled(event_type, version)(data)
    except fastjsonschema.JsonSchemaValueException as exc:
        raise ContractViolation(
            f"{event_type} v{version}: {exc.message}", event_type=event_type, version=version
        ) from None
    return data


def golden_samples(producer: str | None = None) -> list[tuple[Contract, dict]]:
    """Each golden sample envelope with its contract (every contract must have one)."""
    found = []
    for item in all_contracts():
        if producer and item.producer != producer:
            continue
        path = item.path.parent.parent.parent / "samples" / item.producer / item.path.name
        if not path.exists():
            raise ContractViolation(f"missing golden sample {path}")
        found.append((item, json.loads(path.read_text())))
    return found


def export_json_schemas(target: Path) -> list[Path]:
    """Write self-contained JSON Schema files (envelope and every event) under ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    written = []
    envelope = _inline_common(json.loads((SCHEMAS / "envelope.v1.json").read_text()), _common())
    path = target / "envelope.v1.json"
    path.write_text(json.dumps(envelope, indent=2, sort_keys=True) + "\n")
    written.append(path)
    for item in all_contracts():
        out = target / item.producer / item.path.name
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(item.schema, indent=2, sort_keys=True) + "\n")
        written.append(out)
    return written
