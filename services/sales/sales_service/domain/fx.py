"""Exchange rates to the company's base currency, each effective from a moment on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sales_service.domain.base import Aggregate, new_id, utcnow, uuid_or_none
from sales_service.domain.errors import InvalidValue
from sales_service.domain.money import check_rate, is_currency


@dataclass(eq=False)
class FxRate(Aggregate):
    """``rate`` base-currency units buy one unit of ``currency`` from ``effective_from`` on."""

    id: str
    currency: str
    base_currency: str
    rate: Decimal
    effective_from: datetime
    set_by: str | None = None
    created_at: datetime = field(default_factory=utcnow)
    version: int = 1

    @classmethod
    def new(
        cls, currency: str, base_currency: str, rate: Decimal, effective_from, set_by=None
    ) -> FxRate:
        if not is_currency(currency):
            raise InvalidValue("currency must be an ISO 4217 code such as USD")
        if currency == base_currency:
            raise InvalidValue(f"{base_currency} is the base currency; its rate is always 1")
        item = cls(
            id=new_id(),
            currency=currency,
            base_currency=base_currency,
            rate=check_rate(rate),
            effective_from=effective_from,
            set_by=uuid_or_none(set_by),
        )
        item.emit("fx_rate.set")
        return item
