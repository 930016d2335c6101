"""The customer-service replica: customers, email consent, segments and their members.

Campaign never reads the customer database; it keeps what it needs from events. Profile and
consent carry the customer's ``revision`` (consent separately per channel, so a consent change and
a profile change arriving in either order both apply); membership changes carry their time and
a removal keeps a tombstone, so a late "added" cannot resurrect a removed member.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select, update

from campaign_service.adapters import tables as t
from campaign_service.adapters.sql import upsert
from servicekit.types import utcnow

c = t.customers.c


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _primary_email(data: dict) -> str | None:
    if data.get("primary_email"):
        return data["primary_email"].strip().lower()
    emails = data.get("emails") or []
    return emails[0]["address"].strip().lower() if emails else None


def upsert_customer(uow, data: dict) -> None:
    demographics = data.get("demographics") or {}
    upsert(
        uow.session,
        t.customers,
        {
            "id": data["customer_id"],
            "kind": data.get("kind"),
            "name": data.get("name"),
            "first_name": data.get("first_name"),
            "last_name": data.get("last_name"),
            "company_id": data.get("company_id"),
            "job_title": data.get("job_title"),
            "email": _primary_email(data),
            "country": data.get("country"),
            "city": data.get("city"),
            "language": demographics.get("language"),
            "attributes": data.get("attributes") or {},
            "status": data.get("status") or "active",
            "merged_into": None,
            "revision": data["revision"],
            "updated_at": utcnow(),
        },
        ["id"],
        where=lambda new: t.customers.c.revision < new.revision,
    )


def change_consent(uow, data: dict) -> None:
    upsert(
        uow.session,
        t.consents,
        {
            "customer_id": data["customer_id"],
            "channel": data["channel"],
            "status": data["status"],
            "source": data.get("source"),
            "revision": data["revision"],
            "changed_at": _time(data["changed_at"]),
        },
        ["customer_id", "channel"],
        where=lambda new: t.consents.c.revision < new.revision,
    )


def _placeholder(uow, customer_id: str, status: str, revision: int, **extra) -> None:
    """A replica row for a customer we never saw (its created event may still be on its way)."""
    upsert(
        uow.session,
        t.customers,
        {
            "id": customer_id,
            "attributes": {},
            "status": status,
            "revision": revision,
            "updated_at": utcnow(),
            **extra,
        },
        ["id"],
        update=["status", "revision", "updated_at", *extra],
        where=lambda new: t.customers.c.revision <= new.revision,
    )


def merge(uow, data: dict) -> None:
    survivor = data["survivor_id"]
    merged = [i for i in data["merged_ids"] if i != survivor]
    for customer_id in merged:
        _placeholder(uow, customer_id, "merged", data["revision"], merged_into=survivor)
    if not merged:
        return
    tp = t.touchpoints.c
    # Attribution follows the person: the duplicates' touchpoints are the survivor's now.
    uow.session.execute(
        update(t.touchpoints).where(tp.customer_id.in_(merged)).values(customer_id=survivor)
    )
    uow.session.execute(
        delete(t.segment_members).where(t.segment_members.c.customer_id.in_(merged))
    )


def erase(uow, data: dict) -> None:
    """GDPR erasure: forget the person, keep only anonymous counts and the address hash."""
    customer_id = data["customer_id"]
    known = uow.session.execute(select(c.id).where(c.id == customer_id)).first()
    values = {
        "kind": None,
        "name": None,
        "first_name": None,
        "last_name": None,
        "company_id": None,
        "job_title": None,
        "email": None,
        "country": None,
        "city": None,
        "language": None,
        "attributes": {},
        "status": "erased",
        "revision": data["revision"],
        "updated_at": utcnow(),
    }
    if known:
        uow.session.execute(update(t.customers).where(c.id == customer_id).values(**values))
    else:
        uow.session.execute(insert(t.customers).values(id=customer_id, **values))
    uow.session.execute(
        update(t.messages).where(t.messages.c.customer_id == customer_id).values(to_address=None)
    )
    uow.session.execute(
        update(t.touchpoints)
        .where(t.touchpoints.c.customer_id == customer_id)
        .values(customer_id=None, anonymous_id=None, landing_url=None, referrer=None)
    )
    uow.session.execute(
        update(t.survey_responses)
        .where(t.survey_responses.c.customer_id == customer_id)
        .values(customer_id=None)
    )
    # The suppression keeps its hash (never email this address again) but not the address.
    uow.session.execute(
        update(t.suppressions)
        .where(t.suppressions.c.customer_id == customer_id)
        .values(address=None, customer_id=None)
    )
    uow.session.execute(
        delete(t.segment_members).where(t.segment_members.c.customer_id == customer_id)
    )
    uow.session.execute(delete(t.consents).where(t.consents.c.customer_id == customer_id))


def upsert_segment(uow, data: dict) -> None:
    upsert(
        uow.session,
        t.segments,
        {
            "id": data["segment_id"],
            "name": data.get("name"),
            "kind": data.get("kind"),
            "status": data.get("status") or "active",
            "revision": data["revision"],
        },
        ["id"],
        where=lambda new: t.segments.c.revision < new.revision,
    )


def archive_segment(uow, data: dict) -> None:
    upsert(
        uow.session,
        t.segments,
        {"id": data["segment_id"], "status": "archived", "revision": data["revision"]},
        ["id"],
        where=lambda new: t.segments.c.revision < new.revision,
    )
    uow.session.execute(
        delete(t.segment_members).where(t.segment_members.c.segment_id == data["segment_id"])
    )


def membership(uow, data: dict, *, member: bool) -> None:
    upsert(
        uow.session,
        t.segment_members,
        {
            "segment_id": data["segment_id"],
            "customer_id": data["customer_id"],
            "member": member,
            "changed_at": _time(data["at"]),
        },
        ["segment_id", "customer_id"],
        where=lambda new: t.segment_members.c.changed_at <= new.changed_at,
    )
