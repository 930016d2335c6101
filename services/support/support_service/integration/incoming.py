"""Events from other services, kept as local replicas (support never reads their databases).

- ``customer.created/updated`` keep name, email, tier, tags and country (SLA conditions and the
  calendar choice use them); ``customer.merged`` re-keys tickets, surveys, returns and orders to
  the survivor; ``customer.erased`` forgets personal data held in tickets and surveys;
- ``sales.order.*`` keep orders with their lines and what came back, for return requests.

Handlers run inside the consumer's unit of work (which commits); they tolerate replays and events
arriving out of order (``revision``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import delete, update

from servicekit.consumer import HandlerRegistry
from servicekit.events import Envelope
from servicekit.types import utcnow
from support_service.adapters import tables as t
from support_service.domain.replicas import CustomerReplica, OrderLine, OrderReplica, customer_tier

registry = HandlerRegistry()


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


# -- customers ----------------------------------------------------------------------------------


@registry.on("customer.created")
@registry.on("customer.updated")
def on_customer(envelope: Envelope, uow) -> None:
    """Keep the customer replica current (newer revisions only)."""
    data = envelope.data
    existing = uow.customers.get(data["customer_id"])
    if existing is not None:
        if existing.revision >= data["revision"]:
            return
        if existing.status in ("merged", "erased") and data.get("status", "active") == "active":
            return  # merges and erasure are final; this is an older picture
    status = data.get("status", "active")
    uow.customers.put(
        CustomerReplica(
            id=data["customer_id"],
            name=data["name"] if status != "erased" else "Erased customer",
            email=(data.get("primary_email") or _first_email(data)) if status != "erased" else None,
            tier=customer_tier(data),
            tags=[str(tag).lower() for tag in data.get("tags") or ()],
            country=(data.get("country") or None),
            status=status,
            merged_into=existing.merged_into if existing else None,
            revision=data["revision"],
            updated_at=utcnow(),
        )
    )


def _first_email(data: dict) -> str | None:
    emails = data.get("emails") or []
    return emails[0]["address"] if emails else None


@registry.on("customer.merged")
def on_customer_merged(envelope: Envelope, uow) -> None:
    """Mark duplicates merged and move their tickets, surveys and returns."""
    data = envelope.data
    survivor = data["survivor_id"]
    now = utcnow()
    for merged_id in data["merged_ids"]:
        if merged_id == survivor:
            continue
        replica = uow.customers.get(merged_id) or CustomerReplica(
            id=merged_id, name="Merged customer", revision=0
        )
        replica.status = "merged"
        replica.merged_into = survivor
        replica.updated_at = now
        uow.customers.put(replica)
        for ticket in uow.tickets.get_many(uow.tickets.ids_of_customer(merged_id)):
            ticket.rekey_customer(survivor, now)
            uow.tickets.save(ticket)
        uow.session.execute(
            update(t.surveys)
            .where(t.surveys.c.customer_id == merged_id)
            .values(customer_id=survivor, version=t.surveys.c.version + 1)
        )
        uow.returns.rekey_customer(merged_id, survivor)
        uow.orders.rekey_customer(merged_id, survivor)


@registry.on("customer.erased")
def on_customer_erased(envelope: Envelope, uow) -> None:
    """Forget personal data held about the customer."""
    data = envelope.data
    customer_id = data["customer_id"]
    now = utcnow()
    replica = uow.customers.get(customer_id) or CustomerReplica(id=customer_id, name="", revision=0)
    replica.name = "Erased customer"
    replica.email = None
    replica.tags = []
    replica.status = "erased"
    replica.revision = max(replica.revision, data["revision"])
    replica.updated_at = now
    uow.customers.put(replica)
    ticket_ids = uow.tickets.ids_of_customer(customer_id)
    for ticket in uow.tickets.get_many(ticket_ids):
        ticket.erase_contact(now)
        uow.tickets.save(ticket)
    uow.comments.erase_customer_text(ticket_ids)
    for survey_id in uow.surveys.ids_of_customer(customer_id):
        survey = uow.surveys.get(survey_id)
        survey.cancel("the customer was erased")
        survey.erase_personal_data()
        uow.surveys.save(survey)
    if ticket_ids:
        uow.session.execute(
            delete(t.outbound_mail).where(
                t.outbound_mail.c.ticket_id.in_(ticket_ids), t.outbound_mail.c.status == "queued"
            )
        )
        uow.session.execute(
            update(t.outbound_mail)
            .where(t.outbound_mail.c.ticket_id.in_(ticket_ids))
            .values(to_address="erased", to_name=None, body="[erased]")
        )


# -- orders -------------------------------------------------------------------------------------


def _order(uow, data: dict) -> OrderReplica:
    existing = uow.orders.get(data["order_id"])
    if existing is not None:
        return existing
    return OrderReplica(id=data["order_id"], customer_id=data["customer_id"], revision=0)


def _status_event(status: str):
    def handler(envelope: Envelope, uow) -> None:
        data = envelope.data
        order = _order(uow, data)
        if order.revision >= data["revision"]:
            return
        order.status = status
        order.revision = data["revision"]
        order.number = data.get("number") or order.number
        order.placed_at = _time(data.get("placed_at")) or order.placed_at
        order.updated_at = utcnow()
        uow.orders.put(order)

    return handler


@registry.on("sales.order.placed")
def on_order_placed(envelope: Envelope, uow) -> None:
    """Keep the order with its lines (they only come with the placement)."""
    data = envelope.data
    order = _order(uow, data)
    if not order.lines:
        # Lines only come with the placement; take them even when a later status already
        # arrived (events may come out of order).
        order.lines = [
            OrderLine(li["product_id"], li.get("sku"), li.get("name"), Decimal(li["quantity"]))
            for li in data["lines"]
        ]
    if data["revision"] > order.revision:
        order.status = data.get("status") or "placed"
        order.revision = data["revision"]
    order.number = data["number"]
    order.placed_at = _time(data["placed_at"])
    order.customer_id = order.customer_id or data["customer_id"]
    order.updated_at = utcnow()
    uow.orders.put(order)


registry.add("sales.order.paid", 1, _status_event("paid"))
registry.add("sales.order.fulfilled", 1, _status_event("fulfilled"))
registry.add("sales.order.delivered", 1, _status_event("delivered"))
registry.add("sales.order.cancelled", 1, _status_event("cancelled"))


@registry.on("sales.order.returned")
def on_order_returned(envelope: Envelope, uow) -> None:
    """Count goods returned through sales, once per return."""
    data = envelope.data
    order = _order(uow, data)
    if data["return_id"] in order.seen_returns:
        return
    order.seen_returns.append(data["return_id"])
    ours = data.get("return_request_id") and uow.returns.get(data["return_request_id"])
    if not ours:
        # Returned through sales directly: those quantities are no longer returnable here.
        for line in data["lines"]:
            product = line["product_id"]
            order.returned_elsewhere[product] = order.returned_elsewhere.get(
                product, Decimal(0)
            ) + Decimal(line["quantity"])
    if data["revision"] > order.revision:
        order.revision = data["revision"]
        if data.get("full"):
            order.status = "returned"
    order.updated_at = utcnow()
    uow.orders.put(order)
