"""marshmallow building blocks shared by every service's HTTP schemas.

Every schema rejects unknown fields (marshmallow's RAISE) and bounds its strings; money travels as
a decimal string plus an ISO currency code; time as UTC ISO 8601.
"""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal

import marshmallow as ma
from marshmallow import fields, validate

CURRENCY = validate.Regexp(r"^[A-Z]{3}$", error="Must be an ISO 4217 code such as EUR.")
MAX_TEXT = 5000
# The largest value of a 32-bit signed INTEGER column. A query filter compared with such a column
# is bounded by it: past 2**63 SQLite cannot even bind the number (OverflowError, a 500), and a
# bound in the OpenAPI document tells clients the range instead of leaving it to a 422.
MAX_INT32 = 2**31 - 1


class StrictSchema(ma.Schema):
    """Base for request schemas: unknown fields are an error, not silently dropped."""

    class Meta:
        unknown = ma.RAISE


class ErrorDetailSchema(ma.Schema):
    status = fields.Integer(required=True, metadata={"description": "HTTP status"})
    code = fields.String(required=True, metadata={"description": "Stable machine code"})
    message = fields.String(required=True, metadata={"description": "Human explanation"})
    details = fields.Raw(metadata={"description": "Per-field problems, when any"})
    request_id = fields.String(metadata={"description": "Quote this when reporting a problem"})


class ErrorSchema(ma.Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)


def Text(max_length: int = 200, *, required: bool = False, allow_none: bool = False, **kw):  # noqa: N802
    """A bounded, stripped string field."""
    return StrippedString(
        required=required,
        allow_none=allow_none,
        validate=validate.Length(min=0 if not required else 1, max=max_length),
        **kw,
    )


class StrippedString(fields.String):
    """A string read without its surrounding whitespace.

    A maximum length holds for the string as sent, which is what the OpenAPI document promises
    (``maxLength``): 200 characters of name and a tail of whitespace are too long, not a name
    once stripped. Minimum lengths hold for what is left, so a blank required text is refused.
    """

    def _deserialize(self, value, attr, data, **kwargs):
        result = super()._deserialize(value, attr, data, **kwargs)
        if not isinstance(result, str):
            return result
        for validator in self.validators:
            if isinstance(validator, validate.Length):
                validator(result)  # as sent; the field's validators then check what is left
        return result.strip()


class DecimalString(fields.Decimal):
    """A Decimal read from a string or JSON number and written as a string; no NaN/Infinity."""

    def __init__(self, *, places: int | None = None, minimum: Decimal | None = None, **kwargs):
        validators = list(kwargs.pop("validate", []) or [])
        if minimum is not None:
            validators.append(validate.Range(min=minimum))
        super().__init__(
            places=places, as_string=True, allow_nan=False, validate=validators, **kwargs
        )

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, str) and len(value) > 40:
            raise self.make_error("invalid")
        result = super()._deserialize(value, attr, data, **kwargs)
        if abs(result) >= Decimal("1e15"):
            raise ma.ValidationError("Too large.")
        return result


_BOUNDS = ("minimum", "maximum")


def _json_number(value):
    """A bound as a JSON number: apispec prints a Decimal bound as it serializes the field (text),
    and schema-driven clients and fuzzers refuse a document whose ``minimum`` is a string."""
    if isinstance(value, bool) or not isinstance(value, str | Decimal):
        return value
    number = Decimal(value)
    return int(number) if number == number.to_integral_value() else float(number)


def decimal2properties(self, field: fields.Field, ret: dict) -> dict:
    """apispec attribute function: document a decimal as what travels on the wire.

    A ``Decimal(as_string=True)`` field (``DecimalString`` among them) is written as text, so a
    response carries ``"12.50"``, never ``12.5``: a ``dump_only`` field is documented as
    ``{"type": "string", "format": "decimal"}``. A field that is also read takes the text or a JSON
    number, and is documented as exactly that (``anyOf`` string, number; bounds on the number).
    Bounds are always JSON numbers. A field whose metadata states its ``type`` keeps it.
    """
    if not isinstance(field, fields.Decimal):
        return {}
    for key in _BOUNDS:
        if key in ret:
            ret[key] = _json_number(ret[key])
    if not field.as_string or "type" in field.metadata:
        return {}
    bounds = {key: ret.pop(key) for key in _BOUNDS if key in ret}
    nullable = {"nullable": True} if ret.pop("nullable", False) else {}
    ret.pop("type", None)
    ret.pop("format", None)
    text = {"type": "string", "format": "decimal", **nullable}
    if field.dump_only:
        return text
    return {"anyOf": [text, {"type": "number", **bounds, **nullable}]}


def document_fields(converter) -> None:
    """Teach an apispec marshmallow converter how the suite's fields look on the wire."""
    converter.add_attribute_function(decimal2properties)


class MoneySchema(StrictSchema):
    amount = DecimalString(required=True)
    currency = fields.String(required=True, validate=CURRENCY)


class UtcAwareDateTime(fields.AwareDateTime):
    """An ISO 8601 date-time handed on in UTC.

    The conversion happens here, while the value is still a parameter: ``0001-01-01T00:00+14:00``
    or ``9999-12-31T23:59-14:00`` is a valid ISO 8601 text whose UTC instant falls outside what a
    ``datetime`` can hold. Converting later (binding it to a query, comparing it) raised
    ``OverflowError``, a 500; here it is a 422 that names the parameter.
    """

    default_error_messages = {
        "out_of_range": "Out of range: in UTC it falls before year 1 or after year 9999."
    }

    def _deserialize(self, value, attr, data, **kwargs):
        result = super()._deserialize(value, attr, data, **kwargs)
        try:
            return result.astimezone(UTC)
        except (OverflowError, ValueError):
            raise self.make_error("out_of_range") from None


def UtcDateTime(**kwargs):  # noqa: N802
    """ISO 8601 date-time; values without an offset are read as UTC, all are returned in UTC."""
    return UtcAwareDateTime(default_timezone=UTC, **kwargs)


class PageQuerySchema(StrictSchema):
    """``limit`` and ``cursor``; list schemas add their filters and ``sort``."""

    limit = fields.Integer(
        load_default=50,
        validate=validate.Range(min=1, max=200),
        metadata={"description": "Page size (1-200)."},
    )
    cursor = fields.String(
        load_default=None,
        validate=validate.Length(max=1000),
        metadata={"description": "Opaque cursor from the previous page's next_cursor."},
    )


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """A page envelope schema ``{items, next_cursor, total?}`` for ``item_schema``."""
    return type(
        name,
        (ma.Schema,),
        {
            "items": fields.List(fields.Nested(item_schema), required=True),
            "next_cursor": fields.String(allow_none=True, required=True),
            "total": fields.Integer(
                allow_none=True, metadata={"description": "Only when asked for with total=true."}
            ),
        },
    )


def utc(dt):
    return dt.astimezone(UTC) if dt is not None else None
