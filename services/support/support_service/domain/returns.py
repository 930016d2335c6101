"""Return requests: goods of an order a customer wants to send back, decided on a ticket."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from servicekit.domain import EventRecorder
from support_service.domain import events
from support_service.domain.errors import InvalidValue, StateConflict
from support_service.domain.replicas import OrderReplica

RETURNABLE_ORDER_STATUSES = ("placed", "paid", "fulfilled", "delivered", "returned")
MAX_LINES = 200


@dataclass(frozen=True)
class ReturnLine:
    product_id: str
    quantity: Decimal
    sku: str | None = None


@dataclass(eq=False)
class ReturnRequest(EventRecorder):
    id: str
    ticket_id: str
    order_id: str
    customer_id: str
    lines: list[ReturnLine]
    full: bool
    reason: str | None
    status: str = "requested"
    requested_by: str | None = None
    requested_at: datetime | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = None
    version: int = 1
    persisted_version: int = 0
    extra: dict = field(default_factory=dict)

    @classmethod
    def request(
        cls,
        *,
        ticket_id: str,
        order: OrderReplica,
        customer_id: str,
        lines: list[dict] | None,
        reason: str | None,
        reserved: dict[str, Decimal],
        requested_by: str | None,
        now: datetime,
    ) -> ReturnRequest:
        """Check the lines against the order (what was ordered, minus what came back or is
        already requested) and record the request. ``lines`` None asks for everything left."""
        if order.customer_id != customer_id:
            raise InvalidValue(f"order {order.id} belongs to another customer")
        if order.status not in RETURNABLE_ORDER_STATUSES:
            raise StateConflict(f"order {order.number or order.id} is {order.status}")
        if not order.lines:
            raise StateConflict(
                f"the lines of order {order.number or order.id} are not known yet; retry shortly"
            )
        available = order.ordered()
        for product_id, qty in order.returned_elsewhere.items():
            available[product_id] = available.get(product_id, Decimal(0)) - qty
        for product_id, qty in reserved.items():
            available[product_id] = available.get(product_id, Decimal(0)) - qty
        if lines is None:
            wanted = {p: q for p, q in available.items() if q > 0}
            if not wanted:
                raise StateConflict(f"nothing of order {order.number or order.id} is left")
        else:
            if not lines:
                raise InvalidValue("name at least one line, or ask for the full order")
            if len(lines) > MAX_LINES:
                raise InvalidValue(f"at most {MAX_LINES} lines")
            wanted = {}
            for line in lines:
                product_id, qty = str(line["product_id"]), Decimal(line["quantity"])
                if not qty.is_finite() or qty.as_tuple().exponent < -6 or qty >= Decimal("1e12"):
                    raise InvalidValue(
                        f"quantity of {product_id} must be a number with at most 6 decimals"
                    )
                if qty <= 0:
                    raise InvalidValue(f"quantity of {product_id} must be positive")
                if product_id not in available:
                    raise InvalidValue(f"product {product_id} is not on order {order.id}")
                wanted[product_id] = wanted.get(product_id, Decimal(0)) + qty
            for product_id, qty in wanted.items():
                if qty > available[product_id]:
                    raise InvalidValue(
                        f"only {max(available[product_id], Decimal(0))} of product {product_id} "
                        f"can still be returned (asked {qty})",
                        details={"product_id": product_id, "available": str(available[product_id])},
                    )
        full = all(wanted.get(p, Decimal(0)) >= q for p, q in available.items() if q > 0) and (
            not order.returned_elsewhere and not reserved
        )
        request = cls(
            id=str(uuid.uuid4()),
            ticket_id=ticket_id,
            order_id=order.id,
            customer_id=customer_id,
            lines=[ReturnLine(p, q, order.sku_of(p)) for p, q in sorted(wanted.items())],
            full=full,
            reason=reason,
            requested_by=requested_by,
            requested_at=now,
        )
        request.record(events.ReturnRequested(request))
        return request

    def approve(self, by: str | None, order: OrderReplica | None, now: datetime) -> None:
        """Approve, unless the order was cancelled meanwhile."""
        if order is not None and order.status == "cancelled":
            raise StateConflict(f"order {order.number or order.id} was cancelled meanwhile")
        self._decide("approved", by, None, now)
        self.record(events.ReturnApproved(self))

    def reject(self, by: str | None, reason: str, now: datetime) -> None:
        """Reject, saying why."""
        if not (reason or "").strip():
            raise InvalidValue("say why the return is rejected")
        self._decide("rejected", by, reason.strip(), now)
        self.record(events.ReturnRejected(self))

    def _decide(self, status: str, by: str | None, reason: str | None, now: datetime) -> None:
        if self.status != "requested":
            raise StateConflict(f"return request {self.id} was already {self.status}")
        self.status = status
        self.decided_by = by
        self.decided_at = now
        self.decision_reason = reason
        self.version += 1

    def rekey_customer(self, customer_id: str) -> None:
        """Point the request at the survivor of a customer merge."""
        self.customer_id = customer_id
        self.version += 1
