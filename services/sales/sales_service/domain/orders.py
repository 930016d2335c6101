"""Orders: placed → paid → fulfilled → delivered; cancelled before delivery; returned in part or
in full once the goods went out."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sales_service.domain.base import clean, new_id, utcnow, uuid_or_none
from sales_service.domain.errors import InvalidValue, StateConflict
from sales_service.domain.money import ZERO, quantize, to_base
from sales_service.domain.pricing import Line, allocate, refund_for
from sales_service.domain.quotes import Priced

STATUSES = ("placed", "paid", "fulfilled", "delivered", "returned", "cancelled")
CANCELLABLE = ("placed", "paid", "fulfilled")
RETURNABLE = ("fulfilled", "delivered")


@dataclass(frozen=True)
class ReturnLine:
    line_id: str
    product_id: str
    sku: str
    name: str
    category: str | None
    quantity: Decimal
    amount: Decimal
    base_amount: Decimal


@dataclass(frozen=True)
class Return:
    id: str
    order_id: str
    lines: tuple[ReturnLine, ...]
    amount: Decimal
    base_amount: Decimal
    full: bool
    returned_at: datetime
    reason: str | None = None
    ticket_id: str | None = None
    return_request_id: str | None = None
    created_by: str | None = None


@dataclass(eq=False)
class Order(Priced):
    id: str
    number: str
    customer_id: str
    currency: str
    base_currency: str
    channel: str = "direct"
    channel_id: str | None = None
    region: str | None = None
    owner_id: str | None = None
    owner_team: str | None = None
    lines: list[Line] = field(default_factory=list)
    subtotal: Decimal = ZERO
    discount_total: Decimal = ZERO
    tax_total: Decimal = ZERO
    total: Decimal = ZERO
    fx_rate: Decimal = Decimal(1)
    base_total: Decimal = ZERO
    coupon_code: str | None = None
    coupon_id: str | None = None
    coupon_discount: Decimal = ZERO
    campaign_id: str | None = None
    utm: dict[str, Any] | None = None
    quote_id: str | None = None
    opportunity_id: str | None = None
    price_list_id: str | None = None
    customer_tier: str | None = None
    status: str = "placed"
    was_paid: bool = False
    payment_reference: str | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    notes: str | None = None
    cancel_reason: str | None = None
    returned_amount: Decimal = ZERO
    base_returned_amount: Decimal = ZERO
    placed_at: datetime = field(default_factory=utcnow)
    paid_at: datetime | None = None
    fulfilled_at: datetime | None = None
    delivered_at: datetime | None = None
    cancelled_at: datetime | None = None
    created_by: str | None = None
    updated_at: datetime = field(default_factory=utcnow)
    version: int = 1
    returns: list[Return] = field(default_factory=list)
    new_returns: list[Return] = field(default_factory=list, repr=False)

    @classmethod
    def place(
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
        **data: Any,
    ) -> Order:
        now = now or utcnow()
        order = cls(
            id=new_id(),
            number=number,
            customer_id=customer_id,
            currency=currency,
            base_currency=base_currency,
            created_by=uuid_or_none(created_by),
            placed_at=now,
            updated_at=now,
        )
        for key, value in data.items():
            if not hasattr(order, key) or key in ("status", "version", "returns"):
                raise InvalidValue(f"an order has no field {key}")
            setattr(order, key, clean(value) if key in ("notes", "region") else value)
        order.set_lines(lines, fx_rate)
        order.emit("order.placed")
        return order

    @property
    def refundable(self) -> Decimal:
        return self.total - self.returned_amount

    def pay(self, *, reference: str | None = None, now: datetime | None = None) -> None:
        self.require_status("placed", action="pay")
        now = now or utcnow()
        self.status, self.was_paid, self.paid_at, self.updated_at = "paid", True, now, now
        self.payment_reference = clean(reference)
        self.emit("order.paid")

    def fulfil(self, *, carrier=None, tracking_number=None, now=None) -> None:
        self.require_status("paid", action="fulfil")
        now = now or utcnow()
        self.status, self.fulfilled_at, self.updated_at = "fulfilled", now, now
        self.carrier, self.tracking_number = clean(carrier), clean(tracking_number)
        self.emit("order.fulfilled")

    def deliver(self, now: datetime | None = None) -> None:
        self.require_status("fulfilled", action="deliver")
        now = now or utcnow()
        self.status, self.delivered_at, self.updated_at = "delivered", now, now
        self.emit("order.delivered")

    def cancel(self, reason: str | None = None, now: datetime | None = None) -> None:
        """Cancel before delivery; ``was_paid`` tells finance a refund is owed."""
        if self.status not in CANCELLABLE:
            raise StateConflict(
                f"an order that is {self.status} cannot be cancelled; record a return instead"
                if self.status == "delivered"
                else f"an order that is {self.status} cannot be cancelled"
            )
        now = now or utcnow()
        previous = self.status
        self.status, self.cancelled_at, self.cancel_reason, self.updated_at = (
            "cancelled",
            now,
            clean(reason),
            now,
        )
        self.emit("order.cancelled", previous_status=previous)

    def record_return(
        self,
        quantities: list[tuple[str, Decimal]],
        *,
        by_product: bool = False,
        reason: str | None = None,
        ticket_id: str | None = None,
        return_request_id: str | None = None,
        created_by: str | None = None,
        now: datetime | None = None,
    ) -> Return:
        """Take goods back: ``quantities`` are (line_id, qty), or (product_id, qty) with
        ``by_product`` (a product on several lines is taken from them in order)."""
        if self.status not in RETURNABLE:
            raise StateConflict(
                f"goods of an order that is {self.status} cannot be returned "
                "(only once fulfilled or delivered)"
            )
        if not quantities:
            raise InvalidValue("name the lines and quantities that come back")
        now = now or utcnow()
        wanted: dict[str, Decimal] = {}
        for key, quantity in quantities:
            quantity = Decimal(quantity)
            if quantity <= 0:
                raise InvalidValue(f"returned quantity for {key} must be greater than zero")
            wanted[key] = wanted.get(key, ZERO) + quantity
        picks = self._pick(wanted, by_product)
        lines_after = {line.line_id: line for line in self.lines}
        return_lines = []
        for line_id, quantity in picks:
            line = lines_after[line_id]
            refund = refund_for(line, quantity, self.currency)
            lines_after[line_id] = replace(
                line,
                returned_quantity=line.returned_quantity + quantity,
                refunded=line.refunded + refund,
            )
            return_lines.append((line, quantity, refund))
        amount = sum((r for _, _, r in return_lines), ZERO)
        full = all(line.returnable_quantity == 0 for line in lines_after.values())
        # At the order's own rate: a refund takes back exactly the base revenue it booked.
        base_amount = (
            self.base_total - self.base_returned_amount
            if full
            else min(
                to_base(amount, self.fx_rate, self.base_currency),
                self.base_total - self.base_returned_amount,
            )
        )
        base_shares = _split(base_amount, [r for _, _, r in return_lines], self.base_currency)
        item = Return(
            id=new_id(),
            order_id=self.id,
            lines=tuple(
                ReturnLine(
                    line.line_id,
                    line.product_id,
                    line.sku,
                    line.name,
                    line.category,
                    quantity,
                    refund,
                    base,
                )
                for (line, quantity, refund), base in zip(return_lines, base_shares, strict=True)
            ),
            amount=amount,
            base_amount=base_amount,
            full=full,
            returned_at=now,
            reason=clean(reason),
            ticket_id=ticket_id,
            return_request_id=return_request_id,
            created_by=uuid_or_none(created_by),
        )
        self.lines = [lines_after[line.line_id] for line in self.lines]
        self.returned_amount += amount
        self.base_returned_amount += base_amount
        if full:
            self.status = "returned"
        self.updated_at = now
        self.returns.append(item)
        self.new_returns.append(item)
        self.emit("order.returned", item=item)
        return item

    def _pick(self, wanted: dict[str, Decimal], by_product: bool) -> list[tuple[str, Decimal]]:
        picks = []
        for key, quantity in wanted.items():
            candidates = [
                line
                for line in self.lines
                if (line.product_id if by_product else line.line_id) == key
            ]
            if not candidates:
                what = "product" if by_product else "line"
                raise InvalidValue(
                    f"the order has no {what} {key}", details={"lines": [f"unknown {what} {key}"]}
                )
            left = quantity
            for line in candidates:
                take = min(left, line.returnable_quantity)
                if take > 0:
                    picks.append((line.line_id, take))
                    left -= take
            if left > 0:
                available = sum((line.returnable_quantity for line in candidates), ZERO)
                raise InvalidValue(
                    f"cannot return {quantity} of {candidates[0].sku}: only {available} left "
                    "to return",
                    details={"lines": [f"{candidates[0].sku}: at most {available}"]},
                )
        return picks

    def has_return_request(self, return_request_id: str) -> bool:
        return any(r.return_request_id == return_request_id for r in self.returns)


def _split(amount: Decimal, weights: list[Decimal], currency: str) -> list[Decimal]:
    if sum(weights, ZERO) == 0:
        shares = [ZERO] * len(weights)
        if shares:
            shares[0] = amount
        return shares
    return allocate(quantize(amount, currency), weights, currency)
