"""Events from other services, turned into commands on customers.

- ``campaign.recipient.unsubscribed`` withdraws consent for the channel;
- ``sales.order.*`` keeps the behavioural ledger and each customer's orders count, total spent
  and last order date current (for dynamic segments);
- ``sales.lead.captured`` links a web-form lead to a deduplicated customer, creating one when no
  customer matches, and answers with ``customer.lead.matched``;
- ``analytics.customer.scored`` stores RFM, CLV and churn risk for segmentation.

Handlers run inside the consumer's unit of work (which commits); they tolerate replays and events
arriving out of order.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from customer_service.domain import events
from customer_service.domain.contact_points import company_key
from customer_service.domain.errors import DomainError
from customer_service.domain.model import Customer
from customer_service.service.customers import normalise_lookup
from customer_service.service.segmenting import refresh_memberships
from servicekit.consumer import HandlerRegistry
from servicekit.events import Envelope
from servicekit.identity import SYSTEM

registry = HandlerRegistry()


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


@registry.on("campaign.recipient.unsubscribed")
def on_unsubscribed(envelope: Envelope, uow) -> None:
    data = envelope.data
    customer = uow.customers.get(data["customer_id"])
    if customer is not None and customer.status == "merged" and customer.merged_into:
        customer = uow.customers.get(customer.merged_into)
    if customer is None:
        return  # not one of ours (ids come only from this service); nothing to withdraw
    consent = customer.set_consent(
        data["channel"],
        "withdrawn",
        f"campaign:{data.get('method', 'link')}",
        _time(data["unsubscribed_at"]),
    )
    if consent is not None:
        uow.customers.save(customer)
        uow.customers.log_consent(
            customer.id,
            consent,
            envelope.producer,
            f"campaign {data.get('campaign_id')} message {data.get('message_id')}",
            _time(envelope.occurred_at),
        )
        refresh_memberships(uow, customer)


def _refold(uow, customer_id: str) -> None:
    customer = uow.customers.get(customer_id)
    if customer is None:
        return  # an id this service never issued; the ledger row waits harmlessly
    if customer.status == "merged" and customer.merged_into:
        uow.ledger.rekey([customer.id], customer.merged_into)
        customer = uow.customers.get(customer.merged_into)
        if customer is None:
            return
    if customer.apply_behaviour(uow.ledger.behaviour(customer.id)):
        uow.customers.save(customer)
        refresh_memberships(uow, customer)


def _stale(uow, order_id: str, revision: int) -> bool:
    row = uow.ledger.get(order_id)
    return row is not None and row.revision >= revision


def _amount(money: dict) -> Decimal:
    return Decimal(money["amount"])


@registry.on("sales.order.placed")
def on_order_placed(envelope: Envelope, uow) -> None:
    data = envelope.data
    if _stale(uow, data["order_id"], data["revision"]):
        return
    existing = uow.ledger.get(data["order_id"])
    uow.ledger.upsert(
        data["order_id"],
        customer_id=data["customer_id"],
        status=existing.status if existing else "placed",
        base_total=_amount(data["base_total"]),
        currency=data["base_total"]["currency"],
        placed_at=_time(data["placed_at"]),
        revision=data["revision"],
    )
    _refold(uow, data["customer_id"])


@registry.on("sales.order.paid")
def on_order_paid(envelope: Envelope, uow) -> None:
    data = envelope.data
    if _stale(uow, data["order_id"], data["revision"]):
        return
    existing = uow.ledger.get(data["order_id"])
    uow.ledger.upsert(
        data["order_id"],
        customer_id=data["customer_id"],
        status="cancelled" if existing and existing.status == "cancelled" else "paid",
        base_total=_amount(data["base_total"]),
        paid_amount=_amount(data["base_total"]),
        currency=data["base_total"]["currency"],
        placed_at=_time(data["placed_at"]),
        revision=data["revision"],
    )
    _refold(uow, data["customer_id"])


@registry.on("sales.order.cancelled")
def on_order_cancelled(envelope: Envelope, uow) -> None:
    data = envelope.data
    if _stale(uow, data["order_id"], data["revision"]):
        return
    # A cancelled order counts for nothing; money paid for it was refunded.
    uow.ledger.upsert(
        data["order_id"],
        customer_id=data["customer_id"],
        status="cancelled",
        paid_amount=Decimal(0),
        revision=data["revision"],
    )
    _refold(uow, data["customer_id"])


@registry.on("sales.order.returned")
def on_order_returned(envelope: Envelope, uow) -> None:
    data = envelope.data
    if _stale(uow, data["order_id"], data["revision"]):
        return
    row = uow.ledger.get(data["order_id"])
    already = row.returned_amount if row else Decimal(0)
    uow.ledger.upsert(
        data["order_id"],
        customer_id=data["customer_id"],
        returned_amount=already + _amount(data["base_amount"]),
        revision=data["revision"],
    )
    _refold(uow, data["customer_id"])


@registry.on("analytics.customer.scored")
def on_scored(envelope: Envelope, uow) -> None:
    data = envelope.data
    customer = uow.customers.get(data["customer_id"])
    if customer is None or not customer.is_active:
        return
    current = customer.scores.get("computed_at")
    if current and current >= data["computed_at"]:
        return
    scores = {
        "rfm_segment": data["rfm"]["segment"],
        "rfm_score": data["rfm"]["score"],
        "clv_historic": data["clv_historic"]["amount"],
        "clv_predicted": data["clv_predicted"]["amount"],
        "churn_risk": data["churn_risk"],
        "computed_at": data["computed_at"],
    }
    if customer.apply_scores(scores):
        uow.customers.save(customer)
        refresh_memberships(uow, customer)


@registry.on("sales.lead.captured")
def on_lead_captured(envelope: Envelope, uow) -> None:
    """Find the customer a web-form lead belongs to, or create one; tell sales which."""
    data = envelope.data
    contact = data["contact"]
    emails, phones = normalise_lookup(
        contact.get("email"), contact.get("phone"), contact.get("country")
    )
    by_email = uow.customers.contact_point_owners("email", emails)
    by_phone = uow.customers.contact_point_owners("phone", phones)
    match_id, matched_on = None, None
    if by_email:
        match_id, matched_on = next(iter(by_email.values())), "email"
    elif by_phone:
        match_id, matched_on = next(iter(by_phone.values())), "phone"
    customer = uow.customers.get(match_id) if match_id else None
    if customer is not None and customer.status == "merged" and customer.merged_into:
        customer = uow.customers.get(customer.merged_into)
    created = False
    if customer is None or not customer.is_active:
        company_id = _company_for(uow, contact, data)
        try:
            customer = Customer.create(
                kind="person",
                name=contact.get("name"),
                first_name=contact.get("first_name"),
                last_name=contact.get("last_name"),
                emails=[{"address": e} for e in emails],
                phones=[{"number": p} for p in phones],
                address={
                    k: contact.get(k) for k in ("country", "region", "city") if contact.get(k)
                },
                company_id=company_id,
                source=data.get("source"),
                lifecycle_stage="lead",
                owner_id=data.get("owner_id"),
                owner_team=data.get("owner_team"),
                created_by=SYSTEM.id,
            )
        except DomainError:
            # Contact details that cannot be a customer (e.g. a malformed country) still get a
            # customer with what can be kept: the lead must end linked.
            customer = Customer.create(
                kind="person",
                name=contact["name"],
                emails=[{"address": e} for e in emails],
                source=data.get("source"),
                lifecycle_stage="lead",
                owner_id=data.get("owner_id"),
                owner_team=data.get("owner_team"),
                created_by=SYSTEM.id,
            )
        uow.customers.add(customer)
        created, matched_on = True, None
        refresh_memberships(uow, customer)
    elif customer.owner_id is None and data.get("owner_id"):
        customer.assign(data["owner_id"], data.get("owner_team"))
        uow.customers.save(customer)
        refresh_memberships(uow, customer)
    uow.add_event(events.LeadMatched(data["lead_id"], customer.id, created, matched_on))


def _company_for(uow, contact: dict, data: dict) -> str | None:
    name = (contact.get("company") or "").strip()
    if not name:
        return None
    from sqlalchemy import select

    from customer_service.adapters import tables as t

    key = company_key(name)
    existing = uow.session.execute(
        select(t.customers.c.id)
        .where(
            t.customers.c.kind == "company",
            t.customers.c.status == "active",
            t.customers.c.name_key == key,
        )
        .limit(1)
    ).scalar()
    if existing:
        return existing
    company = Customer.create(
        kind="company",
        name=name,
        address={k: contact.get(k) for k in ("country", "region", "city") if contact.get(k)},
        source=data.get("source"),
        lifecycle_stage="lead",
        owner_id=data.get("owner_id"),
        owner_team=data.get("owner_team"),
        created_by=SYSTEM.id,
    )
    uow.customers.add(company)
    refresh_memberships(uow, company)
    return company.id
