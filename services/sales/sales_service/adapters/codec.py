"""Value objects in JSON columns: dataclasses to plain dicts (decimals and times as text) and
back, guided by the dataclass's type hints."""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any


def encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in _fields(type(value))}
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    return value


@cache
def _fields(cls: type) -> tuple:
    return tuple(f for f in dataclasses.fields(cls) if f.init and f.repr)


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _plain_type(hint: Any) -> Any:
    """``Decimal | None`` -> Decimal; leaves other hints alone."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return args[0] if len(args) == 1 else hint
    return hint


def decode(cls: type, data: dict[str, Any]) -> Any:
    hints = _hints(cls)
    kwargs = {}
    for f in _fields(cls):
        if f.name not in data:
            continue
        value = data[f.name]
        hint = _plain_type(hints.get(f.name))
        if value is not None:
            if hint is Decimal:
                value = Decimal(value)
            elif hint is datetime:
                value = datetime.fromisoformat(value)
            elif hint is date:
                value = date.fromisoformat(value)
        kwargs[f.name] = value
    return cls(**kwargs)


def decode_list(cls: type, items: list[dict] | None) -> list:
    return [decode(cls, item) for item in items or []]
