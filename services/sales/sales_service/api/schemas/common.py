"""Fields and bits every sales schema uses: ids, money, decimals, page envelopes."""

from __future__ import annotations

from decimal import Decimal

import marshmallow as ma
from marshmallow import fields, validate

from sales_service.domain.money import money, text
from servicekit.schemas import CURRENCY, DecimalString, StrictSchema, Text, UtcDateTime

__all__ = [
    "CURRENCY",
    "DecimalOut",
    "DecimalString",
    "Id",
    "MoneyOut",
    "StrictSchema",
    "Text",
    "UtcDateTime",
    "currency_field",
    "one_of",
    "positive",
]

one_of = validate.OneOf


class Id(fields.UUID):
    """A UUID in, a plain string out (the domain speaks strings)."""

    def _deserialize(self, value, attr, data, **kwargs):
        return str(super()._deserialize(value, attr, data, **kwargs))


def currency_field(**kwargs):
    return fields.String(validate=CURRENCY, metadata={"description": "ISO 4217 code"}, **kwargs)


def positive(**kwargs):
    """A decimal greater than zero (quantities)."""
    return DecimalString(validate=[validate.Range(min=Decimal(0), min_inclusive=False)], **kwargs)


def _get(obj, name):
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


class MoneyOut(fields.Dict):
    """``{"amount": "12.50", "currency": "EUR"}`` from a Decimal attribute and a currency one
    (a Dict for the OpenAPI document: an object)."""

    def __init__(self, currency: str = "currency", **kwargs):
        kwargs.setdefault("dump_only", True)
        kwargs.setdefault(
            "metadata", {"description": "Exact decimal amount (string) and ISO currency"}
        )
        super().__init__(**kwargs)
        self.currency_attr = currency

    def _serialize(self, value, attr, obj, **kwargs):
        return money(value, _get(obj, self.currency_attr))


class DecimalOut(fields.String):
    """An exact decimal as text, without an exponent or meaningless zeros."""

    def __init__(self, **kwargs):
        kwargs.setdefault("dump_only", True)
        super().__init__(**kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else text(value)


class ReasonIn(StrictSchema):
    reason = Text(500, allow_none=True)


class EmptyIn(StrictSchema):
    """Actions without parameters accept an empty JSON object (or no body)."""


class OwnerIn(StrictSchema):
    owner_id = Id(required=True, allow_none=True)
    owner_team = Text(60, allow_none=True)


class PatchSchema(StrictSchema):
    """Base of PATCH bodies: they must change something."""

    @ma.validates_schema
    def _not_empty(self, data, **kwargs):
        if not data:
            raise ma.ValidationError("send at least one field to change")
