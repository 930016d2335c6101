"""Segments: static lists and dynamic rule segments over profile and behavioural facts.

A rule tree nests ``{"all": [...]}`` and ``{"any": [...]}`` groups (and ``{"not": {...}}``) around
conditions ``{"field": "country", "op": "in", "value": ["DE", "AT"]}``. Rules are validated
against the field catalogue below, then compiled to a Python predicate over
``Customer.facts()``; the same predicate keeps membership current as customers change.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from customer_service.domain import events
from customer_service.domain.errors import InvalidValue, StateConflict
from servicekit.domain import EventRecorder

MAX_DEPTH = 6
MAX_CONDITIONS = 100

# field -> type. Types: string, number, datetime, boolean, list (of strings).
FIELDS: dict[str, str] = {
    "kind": "string",
    "name": "string",
    "country": "string",
    "region": "string",
    "city": "string",
    "industry": "string",
    "size": "string",
    "source": "string",
    "lifecycle_stage": "string",
    "owner_id": "string",
    "owner_team": "string",
    "tags": "list",
    "company_id": "string",
    "job_title": "string",
    "email_domain": "string",
    "has_email": "boolean",
    "has_phone": "boolean",
    "created_at": "datetime",
    "demographics.age": "number",
    "demographics.gender": "string",
    "demographics.income_band": "string",
    "demographics.education": "string",
    "demographics.occupation": "string",
    "demographics.marital_status": "string",
    "demographics.household_size": "number",
    "demographics.language": "string",
    "psychographics.lifestyle": "string",
    "psychographics.personality": "string",
    "psychographics.interests": "list",
    "psychographics.values": "list",
    "orders_count": "number",
    "total_spent": "number",
    "first_order_at": "datetime",
    "last_order_at": "datetime",
    "consent.email": "boolean",
    "consent.sms": "boolean",
    "consent.phone": "boolean",
    "scores.rfm_segment": "string",
    "scores.rfm_score": "string",
    "scores.clv_predicted": "number",
    "scores.clv_historic": "number",
    "scores.churn_risk": "number",
}
FIELD_GROUPS = {
    "geographic": ["country", "region", "city"],
    "demographic": [f for f in FIELDS if f.startswith("demographics.")]
    + ["kind", "industry", "size", "job_title"],
    "psychographic": [f for f in FIELDS if f.startswith("psychographics.")],
    "behavioural": [
        "orders_count",
        "total_spent",
        "first_order_at",
        "last_order_at",
        "lifecycle_stage",
        "source",
        "tags",
    ]
    + [f for f in FIELDS if f.startswith("scores.")],
    "contactability": [
        "has_email",
        "has_phone",
        "consent.email",
        "consent.sms",
        "consent.phone",
        "email_domain",
    ],
    "ownership": ["owner_id", "owner_team", "company_id", "created_at", "name"],
}
OPERATORS: dict[str, set[str]] = {
    "eq": {"string", "number", "boolean", "datetime"},
    "neq": {"string", "number", "boolean", "datetime"},
    "in": {"string", "number"},
    "contains": {"string", "list"},
    "gt": {"number", "datetime"},
    "gte": {"number", "datetime"},
    "lt": {"number", "datetime"},
    "lte": {"number", "datetime"},
    "between": {"number", "datetime"},
    "is_empty": {"string", "number", "boolean", "datetime", "list"},
    "within_last_days": {"datetime"},
}
_ATTRIBUTE = re.compile(r"^attributes\.[a-z][a-z0-9_]{0,49}$")

Predicate = Callable[[dict[str, Any]], bool]


def field_type(name: str, attribute_types: dict[str, str]) -> str | None:
    if name in FIELDS:
        return FIELDS[name]
    if _ATTRIBUTE.match(name):
        kind = attribute_types.get(name.split(".", 1)[1])
        return {
            "text": "string",
            "enum": "string",
            "number": "number",
            "boolean": "boolean",
            "date": "datetime",
            "multi_enum": "list",
        }.get(kind or "")
    return None


def validate_rules(rules: Any, attribute_types: dict[str, str] | None = None) -> dict:
    """Check a rule tree; raise InvalidValue naming the path of the first problem."""
    attribute_types = attribute_types or {}
    count = [0]

    def walk(node: Any, path: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise InvalidValue(f"{path}: rules nest deeper than {MAX_DEPTH} levels")
        if not isinstance(node, dict):
            raise InvalidValue(f"{path}: expected an object")
        groups = [k for k in ("all", "any", "not") if k in node]
        if groups:
            if len(node) != 1:
                raise InvalidValue(f"{path}: a group has exactly one key (all, any or not)")
            key = groups[0]
            if key == "not":
                walk(node["not"], f"{path}.not", depth + 1)
                return
            children = node[key]
            if not isinstance(children, list) or not children:
                raise InvalidValue(f"{path}.{key}: expected a non-empty list of rules")
            for i, child in enumerate(children):
                walk(child, f"{path}.{key}.{i}", depth + 1)
            return
        count[0] += 1
        if count[0] > MAX_CONDITIONS:
            raise InvalidValue(f"rules have more than {MAX_CONDITIONS} conditions")
        extra = set(node) - {"field", "op", "value"}
        if extra:
            raise InvalidValue(f"{path}: unknown keys {', '.join(sorted(extra))}")
        name, op = node.get("field"), node.get("op")
        kind = field_type(name, attribute_types) if isinstance(name, str) else None
        if kind is None:
            raise InvalidValue(f"{path}.field: unknown field {name!r}")
        if op not in OPERATORS:
            raise InvalidValue(f"{path}.op: unknown operator {op!r}")
        if kind not in OPERATORS[op]:
            raise InvalidValue(f"{path}.op: {op} does not apply to {name} ({kind})")
        _check_value(node.get("value"), op, kind, f"{path}.value", "value" in node)

    walk(rules, "rules", 0)
    return rules


def _check_value(value: Any, op: str, kind: str, path: str, present: bool) -> None:
    if op == "is_empty":
        if present and not isinstance(value, bool):
            raise InvalidValue(f"{path}: is_empty takes true or false (or no value)")
        return
    if not present:
        raise InvalidValue(f"{path}: a value is required for {op}")
    if op == "within_last_days":
        if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= 36500:
            raise InvalidValue(f"{path}: within_last_days takes a whole number of days (1-36500)")
        return
    if op == "in":
        if not isinstance(value, list) or not value or len(value) > 500:
            raise InvalidValue(f"{path}: in takes a list of 1-500 values")
        for item in value:
            _scalar(item, kind if kind != "list" else "string", path)
        return
    if op == "between":
        if not isinstance(value, list) or len(value) != 2:
            raise InvalidValue(f"{path}: between takes [low, high]")
        low, high = (_scalar(v, kind, path) for v in value)
        if low > high:
            raise InvalidValue(f"{path}: low is above high")
        return
    _scalar(value, "string" if kind == "list" else kind, path)


def _scalar(value: Any, kind: str, path: str) -> Any:
    try:
        if kind == "string":
            if not isinstance(value, str) or len(value) > 200:
                raise ValueError
            return value
        if kind == "number":
            if isinstance(value, bool):
                raise ValueError
            return Decimal(str(value))
        if kind == "boolean":
            if not isinstance(value, bool):
                raise ValueError
            return value
        if kind == "datetime":
            return _as_datetime(value)
    except (ValueError, InvalidOperation, TypeError):
        pass
    raise InvalidValue(f"{path}: {value!r} is not a valid {kind}")


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if not isinstance(value, str):
        raise ValueError
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def compile_rules(
    rules: dict,
    attribute_types: dict[str, str] | None = None,
    now: Callable[[], datetime] | None = None,
) -> Predicate:
    """A predicate over ``Customer.facts()`` for a validated rule tree."""
    attribute_types = attribute_types or {}
    clock = now or (lambda: datetime.now(UTC))

    def build(node: dict) -> Predicate:
        if "all" in node:
            parts = [build(c) for c in node["all"]]
            return lambda f: all(p(f) for p in parts)
        if "any" in node:
            parts = [build(c) for c in node["any"]]
            return lambda f: any(p(f) for p in parts)
        if "not" in node:
            inner = build(node["not"])
            return lambda f: not inner(f)
        return _condition(node, field_type(node["field"], attribute_types), clock)

    return build(rules)


def _norm(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "number":
        try:
            return Decimal(str(value))
        except (InvalidOperation, ValueError):
            return None
    if kind == "datetime":
        try:
            return _as_datetime(value)
        except (ValueError, TypeError):
            return None
    if kind == "string":
        return str(value).lower()
    return value


def _condition(node: dict, kind: str, clock: Callable[[], datetime]) -> Predicate:
    name, op, raw = node["field"], node["op"], node.get("value")
    if op == "is_empty":
        want = raw if isinstance(raw, bool) else True
        return lambda f: (f.get(name) in (None, "", [])) == want
    if op == "within_last_days":
        days = int(raw)

        def within(f):
            value = _norm(f.get(name), "datetime")
            return value is not None and value >= clock() - timedelta(days=days)

        return within
    if op == "contains":
        needle = str(raw).lower()
        if kind == "list":
            return lambda f: needle in [str(v).lower() for v in (f.get(name) or [])]
        return lambda f: f.get(name) is not None and needle in str(f.get(name)).lower()
    if op == "in":
        wanted = {_norm(v, kind) for v in raw}
        return lambda f: _norm(f.get(name), kind) in wanted
    if op == "between":
        low, high = (_norm(v, kind) for v in raw)

        def between(f):
            value = _norm(f.get(name), kind)
            return value is not None and low <= value <= high

        return between
    target = _norm(raw, kind)
    compare = {
        "eq": lambda v: v == target,
        "neq": lambda v: v != target,
        "gt": lambda v: v is not None and v > target,
        "gte": lambda v: v is not None and v >= target,
        "lt": lambda v: v is not None and v < target,
        "lte": lambda v: v is not None and v <= target,
    }[op]
    return lambda f: compare(_norm(f.get(name), kind))


def uses_relative_time(rules: dict) -> bool:
    """True when membership can change with the passing of time alone."""
    if "all" in rules or "any" in rules:
        return any(uses_relative_time(c) for c in rules.get("all") or rules.get("any"))
    if "not" in rules:
        return uses_relative_time(rules["not"])
    return rules.get("op") == "within_last_days" or rules.get("field") == "demographics.age"


@dataclass(eq=False)
class Segment(EventRecorder):
    id: str
    name: str
    kind: str  # static | dynamic
    description: str | None = None
    rules: dict | None = None
    status: str = "active"  # active | archived
    evaluation: str = "current"  # current | pending | running
    member_count: int = 0
    evaluated_at: datetime | None = None
    version: int = 1
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    updated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    created_by: str | None = None

    @classmethod
    def define(
        cls,
        *,
        name: str,
        kind: str,
        description: str | None,
        rules: dict | None,
        attribute_types: dict[str, str],
        created_by: str | None,
    ) -> Segment:
        if kind not in ("static", "dynamic"):
            raise InvalidValue("kind must be static or dynamic")
        if kind == "dynamic":
            if rules is None:
                raise InvalidValue("a dynamic segment needs rules")
            validate_rules(rules, attribute_types)
        elif rules is not None:
            raise InvalidValue("a static segment has members, not rules")
        segment = cls(
            id=str(uuid.uuid4()),
            name=name.strip(),
            kind=kind,
            description=description,
            rules=rules,
            created_by=created_by,
            evaluation="pending" if kind == "dynamic" else "current",
        )
        segment.record(events.SegmentDefined(segment, created=True))
        return segment

    @property
    def is_dynamic(self) -> bool:
        return self.kind == "dynamic"

    def redefine(
        self,
        *,
        name: str | None,
        description: str | None,
        rules: dict | None,
        attribute_types: dict[str, str],
    ) -> None:
        if self.status != "active":
            raise StateConflict("an archived segment cannot change")
        if rules is not None:
            if not self.is_dynamic:
                raise InvalidValue("a static segment has members, not rules")
            validate_rules(rules, attribute_types)
            if rules != self.rules:
                self.rules = rules
                self.evaluation = "pending"
        if name is not None:
            self.name = name.strip()
        if description is not None:
            self.description = description
        self.updated_at = datetime.now(UTC)
        self.record(events.SegmentDefined(self, created=False))

    def archive(self) -> None:
        if self.status == "archived":
            raise StateConflict("the segment is already archived")
        self.status = "archived"
        self.updated_at = datetime.now(UTC)
        self.record(events.SegmentArchived(self.id, self.version + 1))
