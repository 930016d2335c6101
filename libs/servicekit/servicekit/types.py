"""Column types that behave the same on SQLite and PostgreSQL.

- :class:`UtcDateTime`: always an aware UTC ``datetime`` in Python; naive values are refused.
- :class:`Amount`: an exact ``Decimal`` with 4 decimal places; ``NUMERIC(19, 4)`` on PostgreSQL and
  an integer count of 1/10000 units on SQLite (SQLite has no exact decimal type, and a scaled
  integer keeps comparison and ``SUM`` exact there).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import BigInteger, DateTime, Numeric
from sqlalchemy.types import TypeDecorator

AMOUNT_SCALE = 4
_QUANT = Decimal(1).scaleb(-AMOUNT_SCALE)
_FACTOR = 10**AMOUNT_SCALE


def utcnow() -> datetime:
    """Now, as an aware UTC datetime."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Amount(TypeDecorator):
    impl = Numeric(19, AMOUNT_SCALE)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(19, AMOUNT_SCALE, asdecimal=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = Decimal(value).quantize(_QUANT, rounding=ROUND_HALF_EVEN)
        if dialect.name == "sqlite":
            return int(value * _FACTOR)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "sqlite":
            return (Decimal(int(value)) / _FACTOR).quantize(_QUANT)
        return Decimal(value).quantize(_QUANT)
