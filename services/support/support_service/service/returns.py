"""Return requests on tickets: request (checked against the order replica), approve, reject.

Approval publishes ``support.return.approved``; sales consumes it and records the return on the
order (and answers with ``sales.order.returned`` naming our request).
"""

from __future__ import annotations

from typing import Any

from support_service.domain.errors import InvalidValue, NotFound, StateConflict
from support_service.domain.returns import ReturnRequest
from support_service.service.access import visible_ticket
from support_service.service.context import SupportContext
from support_service.service.tickets import actor_id


def request_return(uow, ctx: SupportContext, actor, ticket_id: str, data: dict[str, Any]):
    """Request a return on a ticket, checked against the order replica."""
    ticket = visible_ticket(uow, actor, ticket_id, lock=True)
    if ticket.status == "closed":
        raise StateConflict(f"ticket {ticket.number} is closed; closed is final")
    order_id = data.get("order_id") or ticket.order_id
    if order_id is None:
        raise InvalidValue(
            "name the order (order_id), or link the ticket to one",
            details={"order_id": ["required"]},
        )
    order = uow.orders.get(order_id)
    if order is None:
        raise InvalidValue(
            f"order {order_id} is not known to support yet; retry shortly",
            details={"order_id": ["unknown order"]},
        )
    ticket_customer = uow.customers.resolve(ticket.customer_id)
    order_customer = uow.customers.resolve(order.customer_id)
    if (order_customer.id if order_customer else order.customer_id) != (
        ticket_customer.id if ticket_customer else ticket.customer_id
    ):
        raise InvalidValue(
            f"order {order_id} belongs to another customer than the ticket's",
            details={"order_id": ["belongs to another customer"]},
        )
    # Compare against the order's own customer id (it may be a merged duplicate's id).
    request = ReturnRequest.request(
        ticket_id=ticket.id,
        order=order,
        customer_id=order.customer_id,
        lines=None if data.get("full") else data.get("lines"),
        reason=data.get("reason"),
        reserved=uow.returns.reserved(order.id),
        requested_by=actor_id(actor),
        now=ctx.now(),
    )
    request.customer_id = ticket.customer_id
    uow.returns.add(request)
    return request


def _visible_request(uow, actor, ticket_id: str, request_id: str) -> ReturnRequest:
    ticket = visible_ticket(uow, actor, ticket_id)
    request = uow.returns.get(request_id)
    if request is None or request.ticket_id != ticket.id:
        raise NotFound(f"no return request {request_id} on ticket {ticket.number}")
    return request


def approve_return(uow, ctx: SupportContext, actor, ticket_id: str, request_id: str):
    """Approve a return request (sales records the return)."""
    request = _visible_request(uow, actor, ticket_id, request_id)
    request.approve(actor_id(actor), uow.orders.get(request.order_id), ctx.now())
    uow.returns.save(request)
    return request


def reject_return(uow, ctx: SupportContext, actor, ticket_id: str, request_id: str, reason: str):
    """Reject a return request, saying why."""
    request = _visible_request(uow, actor, ticket_id, request_id)
    request.reject(actor_id(actor), reason, ctx.now())
    uow.returns.save(request)
    return request
