"""Competitor profiles for market research: products with price points, strengths, weaknesses."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from campaign_service.domain import events
from campaign_service.domain.errors import InvalidValue, StateConflict
from campaign_service.domain.money import Money, round_money
from servicekit.domain import EventRecorder

FIELDS = ("name", "website", "description", "products", "strengths", "weaknesses", "notes")


def utcnow() -> datetime:
    return datetime.now(UTC)


def _products(items: list[dict]) -> list[dict]:
    out = []
    for n, item in enumerate(items or []):
        name = (item.get("name") or "").strip()
        if not name:
            raise InvalidValue(f"products.{n}.name is required")
        points = []
        for m, point in enumerate(item.get("price_points") or []):
            price = (
                point["price"] if isinstance(point["price"], Money) else Money.of(point["price"])
            )
            if price.amount < 0:
                raise InvalidValue(f"products.{n}.price_points.{m}.price cannot be negative")
            points.append(
                {
                    "label": (point.get("label") or "list").strip(),
                    "price": {
                        "amount": format(round_money(price.amount), "f"),
                        "currency": price.currency,
                    },
                }
            )
        out.append(
            {
                "name": name,
                "category": (item.get("category") or "").strip() or None,
                "price_points": points,
                "notes": (item.get("notes") or "").strip() or None,
            }
        )
    return out


def _items(values: list[str] | None) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in values or [] if v and v.strip()))


@dataclass(eq=False)
class Competitor(EventRecorder):
    id: str
    name: str
    website: str | None = None
    description: str | None = None
    products: list[dict] = field(default_factory=list)
    strengths: list[str] = field(default_factory=list)
    weaknesses: list[str] = field(default_factory=list)
    notes: str | None = None
    status: str = "active"
    version: int = 0
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    created_by: str | None = None

    @classmethod
    def create(cls, *, created_by: str | None = None, **data: Any) -> Competitor:
        now = utcnow()
        competitor = cls(
            id=str(uuid.uuid4()),
            name="",
            created_at=now,
            updated_at=now,
            created_by=created_by,
            version=1,
        )
        competitor._apply(data, creating=True)
        competitor.record(events.CompetitorChanged(competitor, created=True))
        return competitor

    def update(self, changes: dict[str, Any]) -> list[str]:
        if self.status == "archived":
            raise StateConflict("an archived competitor cannot change; restore it first")
        before = self._snapshot()
        self._apply(changes, creating=False)
        changed = [k for k, v in self._snapshot().items() if before[k] != v]
        if changed:
            self._touch()
        return changed

    def _apply(self, data: dict[str, Any], *, creating: bool) -> None:
        if "name" in data or creating:
            name = (data.get("name") or "").strip()
            if not name:
                raise InvalidValue("name is required")
            self.name = name[:200]
        for key in ("website", "description", "notes"):
            if key in data:
                setattr(self, key, (data[key] or "").strip() or None)
        if self.website and not self.website.lower().startswith(("http://", "https://")):
            raise InvalidValue("website must be an http(s) URL")
        if "products" in data:
            self.products = _products(data["products"])
        for key in ("strengths", "weaknesses"):
            if key in data:
                setattr(self, key, _items(data[key]))

    def _snapshot(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in FIELDS}

    def _touch(self) -> None:
        self.updated_at = utcnow()
        self.record(events.CompetitorChanged(self, created=False))

    def archive(self) -> None:
        if self.status == "archived":
            raise StateConflict("already archived")
        self.status = "archived"
        self._touch()

    def restore(self) -> None:
        if self.status == "active":
            raise StateConflict("not archived")
        self.status = "active"
        self._touch()
