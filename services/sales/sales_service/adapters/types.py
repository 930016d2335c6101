"""Column types of the sales schema beyond servicekit's Amount and UtcDateTime."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import BigInteger, Numeric
from sqlalchemy.types import TypeDecorator

RATE_SCALE = 6
_QUANT = Decimal(1).scaleb(-RATE_SCALE)
_FACTOR = 10**RATE_SCALE


class Rate(TypeDecorator):
    """An exact exchange rate with 6 decimal places: NUMERIC(18, 6) on PostgreSQL, a scaled
    integer on SQLite (which has no exact decimal type)."""

    impl = Numeric(18, RATE_SCALE)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(18, RATE_SCALE, asdecimal=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = Decimal(value).quantize(_QUANT, rounding=ROUND_HALF_EVEN)
        return int(value * _FACTOR) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "sqlite":
            return (Decimal(int(value)) / _FACTOR).quantize(_QUANT)
        return Decimal(value).quantize(_QUANT)
