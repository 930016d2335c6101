"""Quotes: priced lines offered to a customer until a date; accepting one makes the order.

draft → sent → accepted | rejected | expired
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sales_service.domain.base import Aggregate, clean, new_id, utcnow, uuid_or_none
from sales_service.domain.errors import InvalidValue, StateConflict
from sales_service.domain.money import ZERO, to_base
from sales_service.domain.pricing import Line, totals

STATUSES = ("draft", "sent", "accepted", "rejected", "expired")


@dataclass(eq=False)
class Priced(Aggregate):
    """Lines and their totals in one currency, with the base-currency total at ``fx_rate``."""

    def set_lines(self, lines: list[Line], fx_rate: Decimal) -> None:
        summary = totals(lines)
        self.lines = lines
        self.subtotal = summary.subtotal
        self.discount_total = summary.discount_total
        self.tax_total = summary.tax_total
        self.total = summary.total
        self.fx_rate = fx_rate
        self.base_total = to_base(summary.total, fx_rate, self.base_currency)


@dataclass(eq=False)
class Quote(Priced):
    id: str
    number: str
    customer_id: str
    currency: str
    base_currency: str
    lines: list[Line] = field(default_factory=list)
    subtotal: Decimal = ZERO
    discount_total: Decimal = ZERO
    tax_total: Decimal = ZERO
    total: Decimal = ZERO
    fx_rate: Decimal = Decimal(1)
    base_total: Decimal = ZERO
    status: str = "draft"
    opportunity_id: str | None = None
    price_list_id: str | None = None
    channel_id: str | None = None
    channel: str | None = None
    customer_tier: str | None = None
    valid_until: date | None = None
    owner_id: str | None = None
    owner_team: str | None = None
    region: str | None = None
    notes: str | None = None
    terms: str | None = None
    sent_at: datetime | None = None
    accepted_at: datetime | None = None
    rejected_at: datetime | None = None
    expired_at: datetime | None = None
    reject_reason: str | None = None
    order_id: str | None = None
    created_by: str | None = None
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    version: int = 1

    @classmethod
    def draft(
        cls,
        *,
        number: str,
        customer_id: str,
        currency: str,
        base_currency: str,
        lines: list[Line],
        fx_rate: Decimal,
        created_by: str | None = None,
        now: datetime | None = None,
        **data,
    ) -> Quote:
        now = now or utcnow()
        quote = cls(
            id=new_id(),
            number=number,
            customer_id=customer_id,
            currency=currency,
            base_currency=base_currency,
            created_by=uuid_or_none(created_by),
            created_at=now,
            updated_at=now,
        )
        quote._edit(data, now)
        quote.set_lines(lines, fx_rate)
        quote.emit("quote.created")
        return quote

    def _edit(self, data: dict, now: datetime) -> list[str]:
        data = dict(data)
        for key in ("notes", "terms", "region"):
            if key in data:
                data[key] = clean(data[key])
        if data.get("valid_until") is not None and data["valid_until"] < now.date():
            raise InvalidValue("valid_until is in the past")
        return self.apply_changes(
            data,
            (
                "valid_until",
                "notes",
                "terms",
                "region",
                "opportunity_id",
                "price_list_id",
                "channel_id",
                "channel",
                "customer_tier",
            ),
        )

    def revise(
        self, changes: dict, lines: list[Line] | None, fx_rate: Decimal, now: datetime | None = None
    ) -> list[str]:
        """Change a draft; new ``lines`` replace the old ones (prices at today's lists)."""
        self.require_status("draft", action="change")
        now = now or utcnow()
        changed = self._edit(changes, now)
        if lines is not None:
            before = (self.total, [line.spec() for line in self.lines])
            self.set_lines(lines, fx_rate)
            if (self.total, [line.spec() for line in self.lines]) != before:
                changed.append("lines")
        if changed:
            self.updated_at = now
            self.emit("quote.updated", changed_fields=changed)
        return changed

    def send(self, now: datetime | None = None) -> None:
        self.require_status("draft", action="send")
        now = now or utcnow()
        if self.valid_until is not None and self.valid_until < now.date():
            raise StateConflict("the quote's validity ended; change valid_until first")
        self.status, self.sent_at, self.updated_at = "sent", now, now
        self.emit("quote.sent", sent_at=now)

    def accept(self, order_id: str, now: datetime | None = None) -> None:
        self.require_status("sent", action="accept")
        now = now or utcnow()
        if self.valid_until is not None and self.valid_until < now.date():
            raise StateConflict(f"the quote expired on {self.valid_until.isoformat()}")
        self.status, self.accepted_at, self.order_id, self.updated_at = (
            "accepted",
            now,
            order_id,
            now,
        )
        self.emit("quote.accepted", accepted_at=now, order_id=order_id)

    def reject(self, reason: str | None, now: datetime | None = None) -> None:
        self.require_status("sent", action="reject")
        now = now or utcnow()
        self.status, self.rejected_at, self.reject_reason, self.updated_at = (
            "rejected",
            now,
            clean(reason),
            now,
        )
        self.emit("quote.rejected", rejected_at=now, reason=self.reject_reason)

    def expire(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        if self.status != "sent" or self.valid_until is None or self.valid_until >= now.date():
            return False
        self.status, self.expired_at, self.updated_at = "expired", now, now
        self.emit("quote.expired", expired_at=now)
        return True
