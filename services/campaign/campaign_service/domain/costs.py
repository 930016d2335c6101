"""Spend items of a campaign, converted to the base currency for budget burn and ROI.

The rate comes, in this order, from the item itself (``fx_rate``), from the latest sales exchange
rate effective on the day the cost was incurred (``sales.fx_rate.set`` replica), or from the
configured ``MMS_CAMPAIGN_FX_RATES``; without any, the item is refused with a 422 asking for one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from campaign_service.domain.errors import InvalidValue
from campaign_service.domain.money import Money, convert

CATEGORIES = ("media", "production", "agency", "tooling", "fees", "printing", "events", "other")


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Cost:
    id: str
    campaign_id: str
    category: str
    amount: Money
    fx_rate: Decimal
    base_amount: Money
    incurred_on: date
    description: str | None = None
    created_at: datetime = field(default_factory=utcnow)
    created_by: str | None = None

    @classmethod
    def create(
        cls,
        *,
        campaign_id: str,
        category: str,
        amount: Money,
        rate: Decimal,
        base_currency: str,
        incurred_on: date,
        description: str | None,
        created_by: str | None,
    ) -> Cost:
        if category not in CATEGORIES:
            raise InvalidValue(f"category must be one of {', '.join(CATEGORIES)}")
        if amount.amount <= 0:
            raise InvalidValue("a cost is a positive amount")
        if amount.currency == base_currency:
            rate = Decimal(1)
        return cls(
            id=str(uuid.uuid4()),
            campaign_id=campaign_id,
            category=category,
            amount=amount,
            fx_rate=rate,
            base_amount=convert(amount, rate, base_currency),
            incurred_on=incurred_on,
            description=(description or "").strip() or None,
            created_by=created_by,
        )
