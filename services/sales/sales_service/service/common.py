"""Lookups several use cases share: customers from the replica, exchange rates, the clock."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sales_service.domain.customers import CustomerCopy
from sales_service.domain.errors import InvalidValue, MissingFxRate
from sales_service.domain.money import is_currency


def customer_for(uow, customer_id: str) -> CustomerCopy:
    """The active customer (a merged id leads to its survivor); 422 for unknown or erased ones.

    Sales knows customers only from the customer service's events, so a customer created a
    moment ago may not have arrived yet.
    """
    copy = uow.customers.resolve(str(customer_id))
    if copy is None:
        raise InvalidValue(
            f"unknown customer {customer_id} (create it in the customer service; it reaches "
            "sales within moments)",
            details={"customer_id": ["unknown customer"]},
        )
    if copy.status == "erased":
        raise InvalidValue(
            f"customer {customer_id} was erased", details={"customer_id": ["erased customer"]}
        )
    return copy


def fx_rate(uow, currency: str, at: datetime) -> Decimal:
    """Base-currency units per unit of ``currency`` at ``at``; 422 naming the missing rate."""
    if not is_currency(currency):
        raise InvalidValue(f"{currency!r} is not an ISO 4217 currency code")
    base = uow.config.base_currency
    rate = uow.fx.rate_at(currency, base, at)
    if rate is None:
        raise MissingFxRate(currency, base, at)
    return rate


def now(uow) -> datetime:
    return uow.config.now()
