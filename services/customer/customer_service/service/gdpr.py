"""GDPR subject access: everything held about one customer, as one document."""

from __future__ import annotations

from sqlalchemy import select

from customer_service.adapters import tables as t
from customer_service.adapters.repositories import CustomerRepository
from customer_service.domain.errors import NotFound
from customer_service.integration.outgoing import customer_data
from customer_service.service.access import can_see
from servicekit.identity import Identity
from servicekit.jsonutil import to_jsonable


def subject_export(session, identity: Identity, customer_id: str) -> dict:
    customer = CustomerRepository(session).get(customer_id)
    if customer is None or not can_see(identity, customer):
        raise NotFound(f"no customer {customer_id}")
    interactions = session.execute(
        select(t.interactions)
        .where(t.interactions.c.customer_id == customer_id)
        .order_by(t.interactions.c.occurred_at)
    ).all()
    consents = session.execute(
        select(t.consent_history)
        .where(t.consent_history.c.customer_id == customer_id)
        .order_by(t.consent_history.c.id)
    ).all()
    segments = session.execute(
        select(t.segments.c.id, t.segments.c.name, t.segment_members.c.added_at)
        .join(t.segment_members, t.segment_members.c.segment_id == t.segments.c.id)
        .where(t.segment_members.c.customer_id == customer_id)
    ).all()
    orders = session.execute(
        select(t.customer_orders).where(t.customer_orders.c.customer_id == customer_id)
    ).all()
    return to_jsonable(
        {
            "subject": customer_id,
            "profile": {
                **customer_data(customer),
                "address": customer.address.as_dict(),
                "scores": customer.scores,
            },
            "behaviour": {
                "orders_count": customer.behaviour.orders_count,
                "total_spent": customer.behaviour.total_spent,
                "currency": customer.behaviour.currency,
                "first_order_at": customer.behaviour.first_order_at,
                "last_order_at": customer.behaviour.last_order_at,
            },
            "orders": [dict(r._mapping) for r in orders],
            "interactions": [dict(r._mapping) for r in interactions],
            "consent_history": [dict(r._mapping) for r in consents],
            "segments": [dict(r._mapping) for r in segments],
        }
    )
