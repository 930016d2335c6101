"""Filters on an event's fields: which of the events a subscription's patterns select it wants.

A filter is a JSON object; every entry must hold (AND). The key is a dotted path into the event
envelope (``data.channel``, ``data.total.currency``, ``producer``, ``aggregate_type``); the value
is the condition:

- a string, number, boolean or null: equal to it (``{"data.channel": "online_store"}``);
- a list of those: equal to one of them (``{"data.total.currency": ["EUR", "USD"]}``);
- an object of operators, all of which must hold: ``eq``, ``ne``, ``in``, ``not_in`` (lists),
  ``gt``, ``gte``, ``lt``, ``lte`` (numbers; decimal strings in the event such as
  ``"52.48"`` compare as exact decimals), ``prefix`` (string), ``exists`` (boolean).

A path that runs through a list looks at every element (``data.lines.sku`` holds for an order
when any line's sku matches). A missing field equals nothing: ``eq``/``in``/comparisons fail,
``ne``/``not_in`` hold, ``exists: false`` holds. Numbers in conditions are compared exactly and
may have at most 15 significant digits.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

MAX_CONDITIONS = 20
MAX_LIST = 100
MAX_STRING = 500
MAX_SEGMENTS = 10
ROOTS = frozenset(
    {"data", "event_type", "producer", "aggregate_type", "aggregate_id", "aggregate_version"}
)
SEGMENT = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
DECIMAL_TEXT = re.compile(r"^-?\d{1,18}(\.\d{1,18})?$")
OPERATORS = ("eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "prefix", "exists")
_MISSING = object()


class FilterError(ValueError):
    """The filter is not valid; ``details`` maps each bad key to its problems."""

    def __init__(self, details: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in details.items()))
        self.details = details


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, bool, int, float, Decimal))


def _number(value: Any) -> Decimal | None:
    """The exact decimal value of a JSON number or decimal string; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, str) and DECIMAL_TEXT.match(value):
        try:
            return Decimal(value)
        except InvalidOperation:
            return None
    return None


def _normalise(value: Any, where: str) -> Any:
    """A condition operand as stored: numbers as int, or float when that round-trips exactly."""
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            raise ValueError(f"{where}: strings have at most {MAX_STRING} characters.")
        return value
    if value is None or isinstance(value, bool):
        return value
    number = _number(value)
    if number is None:
        raise ValueError(f"{where}: not a usable number.")
    if number == number.to_integral_value() and abs(number) < 10**15:
        return int(number)
    digits = len(number.normalize().as_tuple().digits)
    as_float = float(number)
    if digits > 15 or Decimal(repr(as_float)) != number:
        raise ValueError(f"{where}: numbers have at most 15 significant digits.")
    return as_float


def _equal(value: Any, operand: Any) -> bool:
    if operand is None:
        return value is None
    if isinstance(operand, bool):
        return isinstance(value, bool) and value is operand
    if isinstance(operand, (int, float)):
        number = _number(value)
        return number is not None and number == _number(operand)
    return isinstance(value, str) and value == operand


def _compare(op: str) -> Callable[[Decimal, Decimal], bool]:
    return {
        "gt": lambda a, b: a > b,
        "gte": lambda a, b: a >= b,
        "lt": lambda a, b: a < b,
        "lte": lambda a, b: a <= b,
    }[op]


@dataclass(frozen=True)
class Condition:
    path: tuple[str, ...]
    tests: tuple[tuple[str, Any], ...]

    def values(self, envelope: dict) -> list[Any]:
        """Every value the path reaches (lists fan out); missing leaves none."""
        current = [envelope]
        for segment in self.path:
            found = []
            for node in current:
                for item in node if isinstance(node, list) else [node]:
                    if isinstance(item, dict):
                        value = item.get(segment, _MISSING)
                        if value is not _MISSING:
                            found.append(value)
            current = found
        flat = []
        for value in current:
            flat.extend(value if isinstance(value, list) else [value])
        return flat

    def holds(self, envelope: dict) -> bool:
        values = self.values(envelope)
        for op, operand in self.tests:
            if op == "exists":
                if bool(values) != operand:
                    return False
            elif op == "eq":
                if not any(_equal(v, operand) for v in values):
                    return False
            elif op == "ne":
                if any(_equal(v, operand) for v in values):
                    return False
            elif op == "in":
                if not any(_equal(v, o) for v in values for o in operand):
                    return False
            elif op == "not_in":
                if any(_equal(v, o) for v in values for o in operand):
                    return False
            elif op == "prefix":
                if not any(isinstance(v, str) and v.startswith(operand) for v in values):
                    return False
            else:
                limit = _number(operand)
                test = _compare(op)
                numbers = [n for n in (_number(v) for v in values) if n is not None]
                if not any(test(n, limit) for n in numbers):
                    return False
        return True


@dataclass(frozen=True)
class EventFilter:
    """A compiled filter; an empty one lets everything through."""

    conditions: tuple[Condition, ...] = ()

    def matches(self, envelope: dict) -> bool:
        return all(c.holds(envelope) for c in self.conditions)


def _path(key: Any) -> tuple[str, ...]:
    if not isinstance(key, str) or not key or len(key) > 200:
        raise ValueError("Use a dotted path such as 'data.channel' (at most 200 characters).")
    segments = tuple(key.split("."))
    if len(segments) > MAX_SEGMENTS or not all(SEGMENT.match(s) for s in segments):
        raise ValueError(
            f"Use up to {MAX_SEGMENTS} dot-separated names of letters, digits, '_' or '-'."
        )
    if segments[0] not in ROOTS:
        raise ValueError(f"Paths start with one of: {', '.join(sorted(ROOTS))}.")
    return segments


def _list_operand(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list) or not value or len(value) > MAX_LIST:
        raise ValueError(f"{where}: give a list of 1 to {MAX_LIST} values.")
    if not all(_scalar(v) for v in value):
        raise ValueError(f"{where}: list items must be strings, numbers, booleans or null.")
    return [_normalise(v, where) for v in value]


def _tests(condition: Any) -> list[tuple[str, Any]]:
    if isinstance(condition, list):
        return [("in", _list_operand(condition, "list"))]
    if _scalar(condition):
        return [("eq", _normalise(condition, "value"))]
    if not isinstance(condition, dict) or not condition:
        raise ValueError("Give a value, a list of values or an object of operators.")
    tests = []
    for op, operand in condition.items():
        if op not in OPERATORS:
            raise ValueError(f"Unknown operator {op!r}; use {', '.join(OPERATORS)}.")
        if op in ("eq", "ne"):
            if not _scalar(operand):
                raise ValueError(f"{op}: give a string, number, boolean or null.")
            tests.append((op, _normalise(operand, op)))
        elif op in ("in", "not_in"):
            tests.append((op, _list_operand(operand, op)))
        elif op in ("gt", "gte", "lt", "lte"):
            if _number(operand) is None or isinstance(operand, str):
                raise ValueError(f"{op}: give a number.")
            tests.append((op, _normalise(operand, op)))
        elif op == "prefix":
            if not isinstance(operand, str) or not operand or len(operand) > MAX_STRING:
                raise ValueError(f"prefix: give a string of 1 to {MAX_STRING} characters.")
            tests.append((op, operand))
        else:
            if not isinstance(operand, bool):
                raise ValueError("exists: give true or false.")
            tests.append((op, operand))
    return tests


def normalise(spec: Any) -> dict[str, Any]:
    """The filter as it is stored (validated, numbers normalised); FilterError otherwise."""
    if spec is None:
        return {}
    if not isinstance(spec, dict):
        raise FilterError({"_schema": ["Give an object mapping field paths to conditions."]})
    if len(spec) > MAX_CONDITIONS:
        raise FilterError({"_schema": [f"At most {MAX_CONDITIONS} conditions."]})
    problems: dict[str, list[str]] = {}
    stored: dict[str, Any] = {}
    for key, condition in spec.items():
        name = key if isinstance(key, str) else repr(key)
        try:
            _path(key)
            tests = _tests(condition)
        except ValueError as exc:
            problems.setdefault(name[:200], []).append(str(exc))
            continue
        if isinstance(condition, dict):
            stored[key] = dict(tests)
        else:
            stored[key] = tests[0][1]
    if problems:
        raise FilterError(problems)
    return stored


def compile_filter(stored: dict[str, Any] | None) -> EventFilter:
    """A matcher for a stored (already normalised) filter."""
    if not stored:
        return EventFilter()
    return EventFilter(tuple(Condition(_path(k), tuple(_tests(v))) for k, v in stored.items()))
