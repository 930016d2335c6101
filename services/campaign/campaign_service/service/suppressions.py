"""The suppression list: addresses never to email (unsubscribed, hard-bounced, or by hand)."""

from __future__ import annotations

import uuid

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, insert, select

from campaign_service.adapters import tables as t
from campaign_service.domain.audience import address_hash, normalise_address
from campaign_service.domain.errors import InvalidValue, NotFound, StateConflict
from servicekit.identity import Identity
from servicekit.types import utcnow

MANUAL_REASONS = ("manual", "complaint")


def normalise(address: str) -> str:
    try:
        return normalise_address(validate_email(address, check_deliverability=False).normalized)
    except EmailNotValidError as exc:
        raise InvalidValue(f"{address!r} is not an email address: {exc}") from None


def add_suppression(uow, actor: Identity, address: str, reason: str, note: str | None) -> dict:
    if reason not in MANUAL_REASONS:
        raise InvalidValue(f"reason must be one of {', '.join(MANUAL_REASONS)}")
    address = normalise(address)
    digest = address_hash(address)
    s = t.suppressions.c
    if uow.session.execute(select(s.id).where(s.address_hash == digest)).first():
        raise StateConflict(f"{address} is already suppressed")
    customer_id = uow.session.execute(
        select(t.customers.c.id).where(t.customers.c.email == address).limit(1)
    ).scalar()
    row = {
        "id": str(uuid.uuid4()),
        "address_hash": digest,
        "address": address,
        "customer_id": customer_id,
        "reason": reason,
        "campaign_id": None,
        "message_id": None,
        "note": (note or "").strip() or None,
        "created_at": utcnow(),
        "created_by": actor.subject,
    }
    uow.session.execute(insert(t.suppressions).values(**row))
    uow.commit()
    return row


def remove_suppression(uow, suppression_id: str) -> None:
    s = t.suppressions.c
    row = uow.session.execute(select(t.suppressions).where(s.id == suppression_id)).first()
    if row is None:
        raise NotFound(f"no suppression {suppression_id}")
    if row.reason == "unsubscribed":
        raise StateConflict(
            "an unsubscribe is the person's decision; they resubscribe by giving consent again "
            "(customer service), not by removing the suppression"
        )
    uow.session.execute(delete(t.suppressions).where(s.id == suppression_id))
    uow.commit()
