"""An order as analytics sees it, folded from sales.order.* events in any order.

Field groups and who sets them (the higher revision wins inside a group):

- header (placed and paid both carry it): customer, channel, region, rep, totals, coupon,
  campaign, placed_at;
- details (placed only): number, team, UTM, quote/opportunity, lines;
- payment (paid), cancellation (cancelled), fulfilment (fulfilled, delivered), and returns (one
  entry per return id).

What an order contributes to revenue figures (all in the base currency, from ``base_total`` and
the returns' ``base_amount``), on the UTC day it was placed:

- ``orders``: 1 unless cancelled; ``cancelled``: 1 if cancelled; ``paid_orders``: 1 if paid and
  not cancelled;
- ``booked``: base total unless cancelled; ``gross``: base total if paid and not cancelled;
- ``returns``: refunded base amount of a paid order; ``net`` = gross - returns;
- ``units``: quantities of its lines unless cancelled.

Product and category figures split the order's base total over its lines in proportion to their
line totals (tax included, so every dimension adds up to the same revenue) and each return's base
amount over the products it names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from analytics_service.domain.money import ZERO, allocate, q4
from analytics_service.domain.periods import day_of
from analytics_service.domain.text import clip

MEASURES = (
    "orders",
    "cancelled",
    "paid_orders",
    "units",
    "booked",
    "gross",
    "returns",
    "net",
)
Measures = tuple  # (orders, cancelled, paid_orders, units, booked, gross, returns, net)
NO_MEASURES: Measures = (0, 0, 0, ZERO, ZERO, ZERO, ZERO, ZERO)


def add(a: Measures, b: Measures) -> Measures:
    return tuple(x + y for x, y in zip(a, b, strict=True))


def sub(a: Measures, b: Measures) -> Measures:
    return tuple(x - y for x, y in zip(a, b, strict=True))


def is_zero(m: Measures) -> bool:
    return not any(m)


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _money(value: dict | None) -> Decimal | None:
    return Decimal(value["amount"]) if value else None


@dataclass
class LineFact:
    """One order line with its share of the order, of its refunds, and its contribution."""

    line_no: int
    product_id: str
    sku: str | None
    category: str | None
    quantity: Decimal
    base_amount: Decimal
    returned: Decimal
    measures: Measures


@dataclass
class OrderState:
    order_id: str
    number: str | None = None
    customer_id: str | None = None
    channel: str | None = None
    channel_id: str | None = None
    region: str | None = None
    owner_id: str | None = None
    owner_team: str | None = None
    campaign_id: str | None = None
    coupon_id: str | None = None
    coupon_code: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    opportunity_id: str | None = None
    quote_id: str | None = None
    currency: str | None = None
    total: Decimal | None = None
    base_total: Decimal | None = None
    placed_at: datetime | None = None
    paid_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    was_paid: bool | None = None
    fulfilled_at: datetime | None = None
    delivered_at: datetime | None = None
    lines: list[dict[str, Any]] = field(default_factory=list)
    returns: dict[str, dict[str, Any]] = field(default_factory=dict)
    header_rev: int = 0
    lines_rev: int = 0
    paid_rev: int = 0
    cancel_rev: int = 0
    fulfil_rev: int = 0

    # -- folding events -----------------------------------------------------------------------

    def apply(self, event_type: str, data: dict[str, Any]) -> bool:
        """Fold one sales.order.* event in; True when anything changed."""
        revision = data["revision"]
        if event_type == "sales.order.placed":
            changed = self._header(data, revision)
            if revision > self.lines_rev:
                self._details(data)
                self.lines_rev = revision
                changed = True
            return changed
        if event_type == "sales.order.paid":
            changed = self._header(data, revision)
            if revision > self.paid_rev:
                self.paid_at = datetime.fromisoformat(data["paid_at"])
                self.paid_rev = revision
                changed = True
            return changed
        if event_type == "sales.order.cancelled":
            if revision <= self.cancel_rev:
                return False
            self.cancelled_at = datetime.fromisoformat(data["cancelled_at"])
            self.cancel_reason = clip(data.get("reason"), 300)
            self.was_paid = data.get("was_paid")
            self.cancel_rev = revision
            if self.customer_id is None:
                self.customer_id = data["customer_id"]
            return True
        if event_type == "sales.order.returned":
            return self._return(data, revision)
        if event_type in ("sales.order.fulfilled", "sales.order.delivered"):
            # Shipping does not change revenue; it only dates fulfilment and delivery.
            if revision <= self.fulfil_rev:
                return False
            self.fulfilled_at = _time(data.get("fulfilled_at")) or self.fulfilled_at
            self.delivered_at = _time(data.get("delivered_at")) or self.delivered_at
            self.fulfil_rev = revision
            if self.customer_id is None:
                self.customer_id = data["customer_id"]
            return True
        raise ValueError(f"not an order event: {event_type}")

    def _header(self, data: dict[str, Any], revision: int) -> bool:
        if revision <= self.header_rev:
            return False
        self.customer_id = data["customer_id"]
        self.channel = clip(data.get("channel"), 60)
        self.region = clip(data.get("region"), 100)
        self.owner_id = data.get("owner_id")
        self.campaign_id = data.get("campaign_id")
        self.coupon_id = data.get("coupon_id")
        self.coupon_code = clip(data.get("coupon_code"), 60)
        self.total = q4(_money(data["total"]))
        self.currency = data["total"]["currency"]
        self.base_total = q4(_money(data["base_total"]))
        self.placed_at = datetime.fromisoformat(data["placed_at"])
        self.header_rev = revision
        return True

    def _details(self, data: dict[str, Any]) -> None:
        utm = data.get("utm") or {}
        self.number = clip(data.get("number"), 60)
        self.channel_id = data.get("channel_id")
        self.owner_team = clip(data.get("owner_team"), 60)
        self.utm_source = clip(utm.get("source"), 100)
        self.utm_medium = clip(utm.get("medium"), 100)
        self.utm_campaign = clip(utm.get("campaign"), 200)
        self.quote_id = data.get("quote_id")
        self.opportunity_id = data.get("opportunity_id")
        self.lines = [
            {
                "product_id": line["product_id"],
                "sku": clip(line.get("sku"), 100),
                "name": clip(line.get("name"), 300),
                "category": clip(line.get("category"), 100),
                "quantity": line["quantity"],
                "line_total": line["line_total"]["amount"],
            }
            for line in data["lines"]
        ]

    def _return(self, data: dict[str, Any], revision: int) -> bool:
        return_id = data["return_id"]
        known = self.returns.get(return_id)
        if known is not None and known["revision"] >= revision:
            return False
        self.returns[return_id] = {
            "revision": revision,
            "base_amount": data["base_amount"]["amount"],
            "amount": data["amount"]["amount"],
            "currency": data["amount"]["currency"],
            "full": data["full"],
            "reason": clip(data.get("reason"), 300),
            "ticket_id": data.get("ticket_id"),
            "returned_at": data["returned_at"],
            "lines": [
                {"product_id": line["product_id"], "amount": line["amount"]["amount"]}
                for line in data["lines"]
            ],
        }
        if self.customer_id is None:
            self.customer_id = data["customer_id"]
        return True

    # -- derived state ------------------------------------------------------------------------

    @property
    def status(self) -> str:
        if self.cancelled_at is not None:
            return "cancelled"
        if self.paid_at is not None:
            return "paid"
        if self.header_rev:
            return "placed"
        return "unknown"

    @property
    def placed_day(self) -> date | None:
        return day_of(self.placed_at) if self.placed_at is not None else None

    @property
    def returned_base(self) -> Decimal:
        return sum((Decimal(r["base_amount"]) for r in self.returns.values()), ZERO)

    def measures(self) -> Measures:
        """The order's contribution to every revenue figure (zero before its header is known)."""
        status = self.status
        if status == "unknown":
            return NO_MEASURES
        counted = status != "cancelled"
        paid = status == "paid"
        base = self.base_total or ZERO
        returns = self.returned_base if paid else ZERO
        gross = base if paid else ZERO
        units = sum((Decimal(line["quantity"]) for line in self.lines), ZERO) if counted else ZERO
        return (
            int(counted),
            int(not counted),
            int(paid),
            units,
            base if counted else ZERO,
            gross,
            returns,
            gross - returns,
        )

    def line_facts(self) -> list[LineFact]:
        """Each line's share of the order and its contribution."""
        if not self.lines or self.status == "unknown":
            return []
        status = self.status
        counted, paid = status != "cancelled", status == "paid"
        weights = [Decimal(line["line_total"]) for line in self.lines]
        shares = allocate(self.base_total or ZERO, weights)
        returned = [ZERO] * len(self.lines)
        if self.returns:
            first_line = {}
            for index, line in enumerate(self.lines):
                first_line.setdefault(line["product_id"], index)
            for ret in self.returns.values():
                base = Decimal(ret["base_amount"])
                if ret["lines"]:
                    parts = allocate(base, [Decimal(x["amount"]) for x in ret["lines"]])
                    # A product the order does not list is charged to its first line.
                    targets = [first_line.get(x["product_id"], 0) for x in ret["lines"]]
                else:
                    parts, targets = [q4(base)], [0]
                for target, part in zip(targets, parts, strict=True):
                    returned[target] += part
        facts = []
        seen_products: set[str] = set()
        for index, line in enumerate(self.lines):
            first = line["product_id"] not in seen_products
            seen_products.add(line["product_id"])
            quantity = Decimal(line["quantity"])
            share = shares[index]
            gross = share if paid else ZERO
            ret = returned[index] if paid else ZERO
            facts.append(
                LineFact(
                    line_no=index,
                    product_id=line["product_id"],
                    sku=line.get("sku"),
                    category=line.get("category"),
                    quantity=quantity,
                    base_amount=share,
                    returned=returned[index],
                    measures=(
                        int(counted and first),
                        int(not counted and first),
                        int(paid and first),
                        quantity if counted else ZERO,
                        share if counted else ZERO,
                        gross,
                        ret,
                        gross - ret,
                    ),
                )
            )
        return facts

    def line_signature(self) -> tuple:
        """What the stored line rows depend on (they are rewritten only when it changes)."""
        returns = tuple(sorted((rid, r["revision"]) for rid, r in self.returns.items()))
        return (self.lines_rev, returns, self.placed_day, self.base_total, self.header_rev > 0)

    def dimension_keys(self) -> dict[str, str]:
        return {
            "total": "",
            "channel": self.channel or "",
            "region": self.region or "",
            "rep": self.owner_id or "",
            "team": self.owner_team or "",
            "campaign": self.campaign_id or "",
            "coupon": self.coupon_id or "",
        }

    def contributions(self) -> dict[tuple[date, str, str], Measures]:
        """What this order adds to the revenue rollup, per (day, dimension, key)."""
        day = self.placed_day
        measures = self.measures()
        if day is None or is_zero(measures):
            return {}
        found: dict[tuple[date, str, str], Measures] = {}
        for dim, key in self.dimension_keys().items():
            found[(day, dim, key)] = measures
        by_category: dict[str, Measures] = {}
        by_product: dict[str, Measures] = {}
        for fact in self.line_facts():
            product = by_product.get(fact.product_id, NO_MEASURES)
            by_product[fact.product_id] = add(product, fact.measures)
            category_key = fact.category or ""
            category = by_category.get(category_key)
            if category is None:
                by_category[category_key] = fact.measures
            else:
                # An order counts once per category however many lines it has there.
                merged = add(category, fact.measures)
                by_category[category_key] = (
                    min(merged[0], 1),
                    min(merged[1], 1),
                    min(merged[2], 1),
                    *merged[3:],
                )
        for key, value in by_product.items():
            found[(day, "product", key)] = value
        for key, value in by_category.items():
            found[(day, "category", key)] = value
        return found

    def customer_contribution(self) -> tuple[date, int, Decimal] | None:
        """(day, purchases, net revenue) this order adds to its customer's history.

        Only paid, uncancelled orders count; one returned in full adds no purchase.
        """
        if self.status != "paid" or self.placed_day is None:
            return None
        measures = self.measures()
        net = measures[7]
        return (self.placed_day, 1 if net > 0 else 0, net)
