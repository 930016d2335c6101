"""Fields and bits every sales schema uses: ids, money, decimals, page envelopes."""

from __future__ import annotations

from decimal import Decimal

import marshmallow as ma
from marshmallow import fields, validate

from sales_service.domain.money import money, text
from servicekit.schemas import CURRENCY, DecimalString, StrictSchema, Text, UtcDateTime

__all__ = [
    "CURRENCY",
    "Dec",
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


class Dec(DecimalString):
    """An exact decimal, sent as a string (or a JSON number) and documented as a string.

    Bounds are checked here rather than with ``validate.Range`` so that the OpenAPI document
    stays valid: apispec would print a Decimal bound as a string ``minimum``.
    """

    def __init__(self, *, gt=None, ge=None, le=None, **kwargs):
        metadata = {
            "type": "string",
            "format": "decimal",
            "pattern": r"^-?\d{1,15}(\.\d{1,6})?$",
            **kwargs.pop("metadata", {}),
        }
        bounds = [
            f"> {gt}" if gt is not None else None,
            f">= {ge}" if ge is not None else None,
            f"<= {le}" if le is not None else None,
        ]
        if any(bounds):
            described = ", ".join(b for b in bounds if b)
            metadata["description"] = (metadata.get("description", "") + f" ({described})").strip()
        super().__init__(metadata=metadata, **kwargs)
        self.gt = None if gt is None else Decimal(gt)
        self.ge = None if ge is None else Decimal(ge)
        self.le = None if le is None else Decimal(le)

    def _deserialize(self, value, attr, data, **kwargs):
        result = super()._deserialize(value, attr, data, **kwargs)
        if self.gt is not None and not result > self.gt:
            raise ma.ValidationError(f"Must be greater than {self.gt}.")
        if self.ge is not None and result < self.ge:
            raise ma.ValidationError(f"Must be at least {self.ge}.")
        if self.le is not None and result > self.le:
            raise ma.ValidationError(f"Must be at most {self.le}.")
        return result


def positive(**kwargs):
    """A decimal greater than zero (quantities)."""
    return Dec(gt=0, **kwargs)


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
