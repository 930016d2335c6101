"""Every contract is valid JSON Schema, has a golden sample, and the sample matches it."""

import json

import jsonschema
import pytest

from event_contracts import (
    ContractViolation,
    all_contracts,
    export_json_schemas,
    golden_samples,
    validate_envelope,
    validate_event,
)

pytestmark = pytest.mark.unit


def test_there_are_contracts_for_every_producer():
    producers = {c.producer for c in all_contracts()}
    assert {"customer", "sales", "campaign", "support", "analytics"} <= producers


@pytest.mark.parametrize("item", all_contracts(), ids=lambda c: f"{c.event_type}.v{c.version}")
def test_schema_is_valid_draft7_and_tolerant(item):
    jsonschema.Draft7Validator.check_schema(item.schema)
    # Consumers ignore unknown fields: a contract never closes its top-level object.
    assert item.schema.get("additionalProperties", True) is not False
    assert item.event_type.startswith(item.producer + ".")


@pytest.mark.parametrize(
    ("item", "sample"), golden_samples(), ids=lambda v: getattr(v, "event_type", "")
)
def test_golden_sample_matches_envelope_and_contract(item, sample):
    validate_envelope(sample)
    assert sample["event_type"] == item.event_type
    assert sample["version"] == item.version
    assert sample["producer"] == item.producer
    validate_event(item.event_type, item.version, sample["data"])
    # The same check with the reference validator, so fastjsonschema is not trusted alone.
    jsonschema.validate(sample["data"], item.schema, format_checker=None)


def test_unknown_fields_are_tolerated():
    item, sample = golden_samples("customer")[0]
    validate_event(item.event_type, item.version, {**sample["data"], "added_later": 1})


def test_violations_name_the_problem():
    with pytest.raises(ContractViolation, match="customer_id"):
        validate_event("customer.erased", 1, {"erased_at": "2026-01-01T00:00:00Z", "revision": 1})
    with pytest.raises(ContractViolation, match="no contract"):
        validate_event("customer.exploded", 1, {})
    with pytest.raises(ContractViolation, match="envelope"):
        validate_envelope({"event_type": "x.y"})


def test_money_is_never_a_float():
    item, sample = next(
        (c, s) for c, s in golden_samples("sales") if c.event_type == "sales.order.paid"
    )
    data = json.loads(json.dumps(sample["data"]))
    data["total"]["amount"] = 52.48
    with pytest.raises(ContractViolation):
        validate_event(item.event_type, item.version, data)


def test_export_writes_self_contained_schemas(tmp_path):
    written = export_json_schemas(tmp_path)
    assert (tmp_path / "envelope.v1.json") in written
    for path in written:
        text = path.read_text()
        assert "common.v1.json" not in text, f"{path} still references common definitions"
        jsonschema.Draft7Validator.check_schema(json.loads(text))
