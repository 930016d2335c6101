"""Exact money: Decimal amounts with an ISO currency, explicit rounding, conversion to base."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from campaign_service.domain.errors import InvalidValue

CENT = Decimal("0.01")
SHARE_PLACES = Decimal("0.000001")


def round_money(value: Decimal) -> Decimal:
    """Money is kept to the cent, rounded half to even (banker's rounding)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self):
        if not isinstance(self.amount, Decimal):
            object.__setattr__(self, "amount", Decimal(str(self.amount)))
        if not self.amount.is_finite():
            raise InvalidValue("an amount must be a finite number")
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise InvalidValue(f"{self.currency!r} is not an ISO 4217 currency code")

    @classmethod
    def of(cls, data: dict | None) -> Money | None:
        if data is None:
            return None
        return cls(Decimal(str(data["amount"])), data["currency"])

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal("0.00"), currency)

    def as_dict(self) -> dict:
        return {"amount": format(round_money(self.amount), "f"), "currency": self.currency}

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise InvalidValue(f"cannot combine {self.currency} with {other.currency}")


def convert(amount: Money, rate: Decimal, base_currency: str) -> Money:
    """``amount`` in the base currency at ``rate`` (base units per unit), rounded to the cent."""
    if amount.currency == base_currency:
        return Money(round_money(amount.amount), base_currency)
    if rate <= 0:
        raise InvalidValue("an exchange rate must be positive")
    return Money(round_money(amount.amount * rate), base_currency)


def parse_rates(text: str | None) -> dict[str, Decimal]:
    """``"USD=0.92,CNY=0.1285"`` -> {"USD": Decimal("0.92"), ...} (the configured fallback)."""
    rates: dict[str, Decimal] = {}
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        code, _, value = item.partition("=")
        try:
            rate = Decimal(value.strip())
        except ArithmeticError as exc:
            raise InvalidValue(f"exchange rate {item!r} is not a number") from exc
        code = code.strip().upper()
        if len(code) != 3 or rate <= 0:
            raise InvalidValue(f"exchange rate {item!r} must look like USD=0.92")
        rates[code] = rate
    return rates
