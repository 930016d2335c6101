"""What support keeps of other services' records: customers and orders, fed by their events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any


@dataclass
class CustomerReplica:
    """A customer as support needs it: who to write to, and the facts SLA conditions use."""

    id: str
    name: str
    email: str | None = None
    tier: str | None = None
    tags: list[str] = field(default_factory=list)
    country: str | None = None
    status: str = "active"
    merged_into: str | None = None
    revision: int = 0
    updated_at: datetime | None = None

    @property
    def is_active(self) -> bool:
        return self.status == "active"


def customer_tier(data: dict[str, Any]) -> str | None:
    """The customer's service tier: a ``tier`` field when the profile has one, else the
    ``tier`` custom attribute (customer attributes are where tiers are defined today)."""
    tier = data.get("tier")
    if tier is None:
        tier = (data.get("attributes") or {}).get("tier")
    return str(tier).strip().lower() if tier not in (None, "") else None


@dataclass
class OrderLine:
    product_id: str
    sku: str | None
    name: str | None
    quantity: Decimal


@dataclass
class OrderReplica:
    """An order as return requests need it: lines, quantities and what came back already."""

    id: str
    customer_id: str
    number: str | None = None
    status: str = "placed"
    lines: list[OrderLine] = field(default_factory=list)
    # Quantities returned through sales outside support (sales.order.returned without one of
    # our return requests), per product.
    returned_elsewhere: dict[str, Decimal] = field(default_factory=dict)
    seen_returns: list[str] = field(default_factory=list)
    placed_at: datetime | None = None
    revision: int = 0
    updated_at: datetime | None = None

    def ordered(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for line in self.lines:
            out[line.product_id] = out.get(line.product_id, Decimal(0)) + line.quantity
        return out

    def sku_of(self, product_id: str) -> str | None:
        return next((li.sku for li in self.lines if li.product_id == product_id), None)
