"""Money: exact decimals, each currency rounded to its minor unit (ROUND_HALF_EVEN).

Amounts are plain ``Decimal`` values beside an ISO 4217 code; this module knows how many decimal
places each currency has and turns amounts into their published form.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from sales_service.domain.errors import InvalidValue

# ISO 4217 currencies whose minor unit is not 2 decimal places; every other code has 2.
_MINOR_UNITS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
    "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}  # fmt: skip
# The database keeps 4 decimal places (servicekit.types.Amount): the finest unit price allowed.
PRICE_PLACES = 4
RATE_PLACES = 6
ZERO = Decimal(0)
# Bounds that keep every stored amount exact in the database (the scaled 64-bit integers of
# servicekit.types.Amount on SQLite end near 9.2e14) with room for sums of many lines.
MAX_AMOUNT = Decimal(10) ** 12
MAX_QUANTITY = Decimal(10) ** 9
MAX_RATE = Decimal(10) ** 9


def minor_units(currency: str) -> int:
    return _MINOR_UNITS.get(currency, 2)


def exponent(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def quantize(amount: Decimal, currency: str) -> Decimal:
    """``amount`` rounded half-to-even to the currency's minor unit."""
    return Decimal(amount).quantize(exponent(currency), rounding=ROUND_HALF_EVEN)


def is_currency(code: str) -> bool:
    return isinstance(code, str) and len(code) == 3 and code.isascii() and code.isupper()


def check_amount(value: Decimal, what: str) -> Decimal:
    """Any amount the service stores or computes: within ``MAX_AMOUNT`` either way."""
    value = Decimal(value)
    if abs(value) > MAX_AMOUNT:
        raise InvalidValue(f"{what} is too large (at most {MAX_AMOUNT:,})")
    return value


def check_price(value: Decimal, what: str) -> Decimal:
    """A unit price: not negative, at most 4 decimal places."""
    value = check_amount(value, what)
    if value < 0:
        raise InvalidValue(f"{what} must not be negative")
    if value != value.quantize(Decimal(1).scaleb(-PRICE_PLACES), rounding=ROUND_HALF_EVEN):
        raise InvalidValue(f"{what} has more than {PRICE_PLACES} decimal places")
    return value


def check_quantity(value: Decimal, what: str = "quantity") -> Decimal:
    value = Decimal(value)
    if value <= 0:
        raise InvalidValue(f"{what} must be greater than zero")
    if value > MAX_QUANTITY:
        raise InvalidValue(f"{what} is too large (at most {MAX_QUANTITY:,})")
    if value != value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN):
        raise InvalidValue(f"{what} has more than 4 decimal places")
    return value


def check_rate(value: Decimal) -> Decimal:
    """An exchange rate: positive, at most 6 decimal places (the contracts' decimal format)."""
    try:
        value = Decimal(value)
    except (InvalidOperation, TypeError):
        raise InvalidValue("rate must be a decimal number") from None
    if value <= 0:
        raise InvalidValue("rate must be greater than zero")
    if value > MAX_RATE:
        raise InvalidValue(f"rate is too large (at most {MAX_RATE:,})")
    quantized = value.quantize(Decimal(1).scaleb(-RATE_PLACES), rounding=ROUND_HALF_EVEN)
    if quantized != value:
        raise InvalidValue(f"rate has more than {RATE_PLACES} decimal places")
    return value


def to_base(amount: Decimal, rate: Decimal, base_currency: str) -> Decimal:
    """``amount`` in the base currency at ``rate`` (base units per unit), rounded."""
    return check_amount(
        quantize(Decimal(amount) * Decimal(rate), base_currency), f"the {base_currency} amount"
    )


def text(value: Decimal) -> str:
    """A decimal as plain text, without exponent and without meaningless trailing zeros."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return format(value.quantize(Decimal(1)), "f")
    return format(value.normalize(), "f")


def amount_text(amount: Decimal, currency: str) -> str:
    """An amount as published: at least the minor-unit places, more only when they matter."""
    amount = Decimal(amount)
    rounded = quantize(amount, currency)
    if rounded == amount:
        return format(rounded, "f")
    return format(amount.normalize(), "f")


def money(amount: Decimal | None, currency: str | None) -> dict | None:
    """The ``{"amount": "...", "currency": "..."}`` form of the contracts and the API."""
    if amount is None or currency is None:
        return None
    return {"amount": amount_text(amount, currency), "currency": currency}
