"""What sales knows about customers: a replica fed by the customer service's events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

TIER_ATTRIBUTES = ("tier", "customer_tier", "loyalty_tier")


@dataclass
class CustomerCopy:
    id: str
    kind: str
    name: str
    revision: int
    status: str = "active"
    first_name: str | None = None
    last_name: str | None = None
    company_id: str | None = None
    country: str | None = None
    region: str | None = None
    city: str | None = None
    owner_id: str | None = None
    owner_team: str | None = None
    tier: str | None = None
    merged_into: str | None = None
    updated_at: datetime | None = None

    @classmethod
    def from_event(cls, data: dict[str, Any], at: datetime | None) -> CustomerCopy:
        attributes = data.get("attributes") or {}
        tier = next((str(attributes[k]) for k in TIER_ATTRIBUTES if attributes.get(k)), None)
        return cls(
            id=data["customer_id"],
            kind=data.get("kind") or "person",
            name=data.get("name") or "",
            revision=data["revision"],
            status=data.get("status") or "active",
            first_name=data.get("first_name"),
            last_name=data.get("last_name"),
            company_id=data.get("company_id"),
            country=data.get("country"),
            region=data.get("region"),
            city=data.get("city"),
            owner_id=data.get("owner_id"),
            owner_team=data.get("owner_team"),
            tier=tier,
            updated_at=at,
        )

    def erase(self) -> None:
        """Keep the id, kind and region (revenue by region must still add up); drop the rest."""
        self.name = f"Erased customer {self.id[:8]}"
        self.first_name = self.last_name = self.city = None
        self.status = "erased"

    @property
    def is_active(self) -> bool:
        return self.status == "active"
