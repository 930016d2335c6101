"""Taking events in: archive each new envelope and project it, in one transaction.

:func:`ingest` is the one path for every live event (the consumer calls it with one envelope
inside its unit of work, after the inbox claim) and for bulk loads (the benchmark calls it with
thousands). An envelope already in the archive is skipped, so a duplicate has no second effect
even outside the consumer's inbox.

Erasure: a customer's personal data is also scrubbed from the archived payloads that carry it
(profiles, lead contacts, free-text notes), so a rebuild never brings it back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from analytics_service.adapters import tables as t
from analytics_service.adapters.sql import Tx
from analytics_service.projections.catalogue import CATALOGUE
from analytics_service.projections.framework import Catalogue, Event
from servicekit.events import Envelope
from servicekit.types import utcnow

ERASED = "(erased)"


def _scrub_profile(data: dict) -> dict:
    return {
        **data,
        "name": ERASED,
        "first_name": None,
        "last_name": None,
        "job_title": None,
        "emails": [],
        "phones": [],
        "primary_email": None,
        "primary_phone": None,
        "city": None,
        "attributes": {},
        "demographics": {},
        "psychographics": {},
    }


def _scrub_lead(data: dict) -> dict:
    contact = data.get("contact") or {}
    return {
        **data,
        "contact": {
            "name": ERASED,
            "country": contact.get("country"),
            "region": contact.get("region"),
        },
    }


def _scrub_notes(*fields: str) -> Callable[[dict], dict]:
    """Free text fields: text becomes "(erased)" (still a string where one is required)."""

    def scrub(data: dict) -> dict:
        return {**data, **{f: ERASED for f in fields if isinstance(data.get(f), str)}}

    return scrub


def _scrub_answers(data: dict) -> dict:
    answers = data.get("answers") or []
    return {**data, "answers": [{**a, "text": ERASED if a.get("text") else None} for a in answers]}


_TASKS = _scrub_notes("subject", "outcome")
_OPPORTUNITY = _scrub_notes("next_step")
_REASON = _scrub_notes("reason")

# event type -> what of its data is personal or free text about a person. Projections keep none
# of it; after an erasure the archive must not either.
SCRUBBERS: dict[str, Callable[[dict], dict]] = {
    "customer.created": _scrub_profile,
    "customer.updated": _scrub_profile,
    "sales.lead.captured": _scrub_lead,
    "customer.interaction.logged": _scrub_notes("outcome", "next_step"),
    "sales.task.created": _TASKS,
    "sales.task.updated": _TASKS,
    "sales.task.completed": _TASKS,
    "sales.task.cancelled": _TASKS,
    "sales.task.due": _TASKS,
    "sales.opportunity.created": _OPPORTUNITY,
    "sales.opportunity.updated": _OPPORTUNITY,
    "sales.opportunity.stage_changed": _OPPORTUNITY,
    "sales.opportunity.won": _OPPORTUNITY,
    "sales.opportunity.lost": _OPPORTUNITY,
    "sales.order.cancelled": _REASON,
    "sales.order.returned": _REASON,
    "support.return.requested": _REASON,
    "support.ticket.pending": _REASON,
    "support.ticket.on_hold": _REASON,
    "support.ticket.reopened": _REASON,
    "support.complaint.recorded": _scrub_notes("root_cause", "corrective_action"),
    "support.survey.answered": _scrub_notes("comment", "follow_up"),
    "campaign.survey.answered": _scrub_answers,
    "campaign.touchpoint.recorded": _scrub_notes("anonymous_id", "landing_url", "referrer"),
}
LEAD_EVENTS = ("sales.lead.captured",)


def archive_row(envelope: Envelope, occurred_at, now) -> dict[str, Any]:
    data = envelope.data
    # Only events with personal data are found again on erasure; the rest need no index entry.
    personal = envelope.event_type in SCRUBBERS
    customer_id = data.get("customer_id") if personal else None
    subject = data.get("lead_id") if envelope.event_type in LEAD_EVENTS else None
    return {
        "event_id": envelope.event_id,
        "event_type": envelope.event_type,
        "version": envelope.version,
        "occurred_at": occurred_at,
        "producer": envelope.producer,
        "aggregate_type": envelope.aggregate_type,
        "aggregate_id": envelope.aggregate_id,
        "aggregate_version": envelope.aggregate_version,
        "customer_id": customer_id,
        "subject_id": subject,
        "payload": envelope.to_json(),
        "archived_at": now,
    }


def ingest(
    session: Session, envelopes: Sequence[Envelope], catalogue: Catalogue = CATALOGUE
) -> int:
    """Archive and project the envelopes not seen before; return how many were new."""
    tx = Tx(session)
    unique: dict[str, Envelope] = {}
    for envelope in envelopes:
        if catalogue.handles(envelope.event_type, envelope.version):
            unique.setdefault(envelope.event_id, envelope)
    if not unique:
        return 0
    known = tx.existing(t.event_archive, "event_id", unique)
    fresh = [env for event_id, env in unique.items() if event_id not in known]
    if not fresh:
        return 0
    now = utcnow()
    events = [Event.from_envelope(env) for env in fresh]
    # In id order: two workers handed the same events (a redelivery) then wait for each other
    # on the archive's key in one order, never in a cycle.
    rows = [archive_row(env, ev.occurred_at, now) for env, ev in zip(fresh, events, strict=True)]
    tx.insert(t.event_archive, sorted(rows, key=lambda row: row["event_id"]))
    catalogue.apply(tx, events)
    _scrub_for_erasures(tx, fresh)
    return len(fresh)


def _scrub_for_erasures(tx: Tx, fresh: Sequence[Envelope]) -> None:
    """Scrub customers erased in this batch, and new personal data of customers erased before."""
    erased = {env.data["customer_id"] for env in fresh if env.event_type == "customer.erased"}
    personal = [env for env in fresh if env.event_type in SCRUBBERS]
    if personal:
        candidates = {env.data.get("customer_id") for env in personal} - {None}
        lead_ids = {env.data["lead_id"] for env in personal if env.event_type in LEAD_EVENTS}
        if lead_ids:
            for linked, matched in tx.session.execute(
                select(t.leads.c.customer_id, t.leads.c.matched_customer_id).where(
                    t.leads.c.lead_id.in_(sorted(lead_ids))
                )
            ):
                candidates |= {linked, matched} - {None}
        if candidates:
            erased |= set(
                tx.session.execute(
                    select(t.customers.c.customer_id).where(
                        t.customers.c.customer_id.in_(sorted(candidates)),
                        t.customers.c.erased_at.is_not(None),
                    )
                ).scalars()
            )
    for customer_id in sorted(erased):
        scrub_customer(tx.session, customer_id)


def scrub_customer(session: Session, customer_id: str) -> int:
    """Remove one customer's personal data from archived payloads; return rows changed."""
    a = t.event_archive.c
    lead_ids = select(t.leads.c.lead_id).where(
        (t.leads.c.customer_id == customer_id) | (t.leads.c.matched_customer_id == customer_id)
    )
    rows = session.execute(
        select(a.event_id, a.event_type, a.payload)
        .where(
            a.event_type.in_(sorted(SCRUBBERS)),
            (a.customer_id == customer_id)
            | (a.event_type.in_(LEAD_EVENTS) & a.subject_id.in_(lead_ids)),
        )
        # Rows are updated in this order: two workers scrubbing at once lock them alike.
        .order_by(a.event_id)
    ).all()
    changed = 0
    for row in rows:
        body = json.loads(row.payload)
        scrubbed = SCRUBBERS[row.event_type](body["data"])
        if scrubbed == body["data"]:
            continue
        body["data"] = scrubbed
        session.execute(
            update(t.event_archive)
            .where(a.event_id == row.event_id)
            .values(payload=json.dumps(body, separators=(",", ":"), ensure_ascii=False))
        )
        changed += 1
    return changed
