"""Opens, clicks and unsubscribes arriving through the public token links.

Each is classified human or machine (:mod:`campaign_service.domain.machine`), stored as a tracking
event, folded into the message's counters and published. A human's first click on a message is
also a touchpoint of its campaign (for attribution). Unsubscribing suppresses the address here at
once and publishes ``campaign.recipient.unsubscribed`` so the customer service withdraws consent.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, insert, select, update

from campaign_service.adapters import tables as t
from campaign_service.adapters.sql import upsert
from campaign_service.config import CampaignSettings
from campaign_service.domain import events
from campaign_service.domain.audience import address_hash
from campaign_service.domain.machine import Verdict, classify, classify_agent
from campaign_service.domain.tokens import TokenSigner
from campaign_service.service.touchpoints import email_click_touchpoint
from servicekit.types import utcnow

m = t.messages.c
te = t.tracking_events.c


def _message(session, message_id: str):
    return session.execute(select(t.messages).where(m.id == message_id)).first()


def _ref(row) -> events.MessageRef:
    return events.MessageRef(
        row.id, row.campaign_id, row.variant_id or row.campaign_id, row.customer_id, row.purpose
    )


def _store(uow, row, kind: str, at: datetime, verdict: Verdict, agent: str | None, link_id=None):
    uow.session.execute(
        insert(t.tracking_events).values(
            id=str(uuid.uuid4()),
            message_id=row.id,
            campaign_id=row.campaign_id,
            kind=kind,
            link_id=link_id,
            occurred_at=at,
            machine=verdict.machine,
            machine_reason=verdict.reason,
            user_agent=(agent or "")[:300] or None,
        )
    )


def _refold(uow, message_id: str, kind: str) -> None:
    """Recompute a message's counters of ``kind`` from its tracking events."""
    rows = uow.session.execute(
        select(te.machine, func.count(), func.min(te.occurred_at))
        .where(te.message_id == message_id, te.kind == kind)
        .group_by(te.machine)
    ).all()
    human = next(((n, first) for machine, n, first in rows if not machine), (0, None))
    robot = next(((n, first) for machine, n, first in rows if machine), (0, None))
    names = (
        ("opens", "first_open_at", "machine_opens", "first_machine_open_at")
        if kind == "open"
        else ("clicks", "first_click_at", "machine_clicks", "first_machine_click_at")
    )
    uow.session.execute(
        update(t.messages)
        .where(m.id == message_id)
        .values(
            **{
                names[0]: human[0],
                names[1]: human[1],
                names[2]: robot[0],
                names[3]: robot[1],
            }
        )
    )


def record_open(
    uow,
    signer: TokenSigner,
    cfg: CampaignSettings,
    token: str,
    *,
    user_agent: str | None,
    method: str,
    now: datetime | None = None,
) -> bool:
    """True when the token named a message (the pixel is served either way)."""
    now = now or utcnow()
    verified = signer.verify("open", token)
    if verified is None:
        return False
    row = _message(uow.session, verified[0])
    if row is None:
        return False
    verdict = classify(
        user_agent=user_agent,
        method=method,
        at=now,
        delivered_at=row.delivered_at,
        opening=True,
        min_seconds=cfg.machine_min_seconds,
    )
    first = (row.first_machine_open_at if verdict.machine else row.first_open_at) is None
    _store(uow, row, "open", now, verdict, user_agent)
    _refold(uow, row.id, "open")
    uow.add_event(events.MessageOpened(_ref(row), now, first, verdict.machine, verdict.reason))
    uow.commit()
    return True


def record_click(
    uow,
    signer: TokenSigner,
    cfg: CampaignSettings,
    token: str,
    *,
    user_agent: str | None,
    method: str,
    now: datetime | None = None,
) -> str | None:
    """The URL to redirect to, or None (unknown token or a link that was not in the message)."""
    now = now or utcnow()
    verified = signer.verify("click", token)
    if verified is None:
        return None
    message_id, link_id = verified
    row = _message(uow.session, message_id)
    if row is None or row.variant_id is None:
        return None
    url = uow.session.execute(
        select(t.message_links.c.url).where(
            t.message_links.c.variant_id == row.variant_id,
            t.message_links.c.link_id == link_id,
        )
    ).scalar()
    if url is None:
        return None
    window = timedelta(seconds=max(cfg.click_burst_seconds, 0))
    recent = uow.session.execute(
        select(te.id, te.occurred_at, te.link_id, te.machine).where(
            te.message_id == row.id,
            te.kind == "click",
            te.occurred_at >= now - window,
        )
    ).all()
    verdict = classify(
        user_agent=user_agent,
        method=method,
        at=now,
        delivered_at=row.delivered_at,
        opening=False,
        recent_clicks=[(r.occurred_at, r.link_id) for r in recent],
        link_id=link_id,
        min_seconds=cfg.machine_min_seconds,
        burst_seconds=cfg.click_burst_seconds,
    )
    if verdict.reason == "click_burst":
        # The earlier clicks of the burst were the same scanner: relabel them.
        uow.session.execute(
            update(t.tracking_events)
            .where(te.id.in_([r.id for r in recent if not r.machine]))
            .values(machine=True, machine_reason="click_burst")
        )
    first = (row.first_machine_click_at if verdict.machine else row.first_click_at) is None
    _store(uow, row, "click", now, verdict, user_agent, link_id)
    _refold(uow, row.id, "click")
    uow.add_event(
        events.MessageClicked(_ref(row), now, link_id, url, first, verdict.machine, verdict.reason)
    )
    if not verdict.machine and first and row.purpose == "campaign":
        email_click_touchpoint(uow, row, now)
    uow.commit()
    return url


@dataclass(frozen=True)
class UnsubscribeTarget:
    message_id: str
    customer_id: str
    campaign_id: str
    address: str | None
    already: bool


def unsubscribe_target(session, signer: TokenSigner, token: str) -> UnsubscribeTarget | None:
    verified = signer.verify("unsubscribe", token)
    if verified is None:
        return None
    row = _message(session, verified[0])
    if row is None:
        return None
    already = row.unsubscribed_at is not None or (
        session.execute(
            select(t.suppressions.c.id).where(
                t.suppressions.c.customer_id == row.customer_id,
                t.suppressions.c.reason == "unsubscribed",
            )
        ).first()
        is not None
    )
    return UnsubscribeTarget(row.id, row.customer_id, row.campaign_id, row.to_address, already)


def mask(address: str | None) -> str:
    """'mei.lin@example.com' -> 'm*****n@example.com' (enough to recognise, not to harvest)."""
    if not address or "@" not in address:
        return "your address"
    local, domain = address.split("@", 1)
    if len(local) <= 2:
        return f"{local[0]}*@{domain}"
    return f"{local[0]}{'*' * (len(local) - 2)}{local[-1]}@{domain}"


def unsubscribe(
    uow,
    signer: TokenSigner,
    token: str,
    *,
    method: str,
    user_agent: str | None,
    now: datetime | None = None,
) -> str:
    """``done``, ``already``, ``refused`` (a scanner, never honoured) or ``unknown``."""
    now = now or utcnow()
    if not classify_agent(user_agent, "POST", opening=False).may_unsubscribe:
        return "refused"
    target = unsubscribe_target(uow.session, signer, token)
    if target is None:
        return "unknown"
    if target.already:
        return "already"
    if target.address:
        upsert(
            uow.session,
            t.suppressions,
            {
                "id": str(uuid.uuid4()),
                "address_hash": address_hash(target.address),
                "address": target.address,
                "customer_id": target.customer_id,
                "reason": "unsubscribed",
                "campaign_id": target.campaign_id,
                "message_id": target.message_id,
                "note": f"{method} unsubscribe",
                "created_at": now,
                "created_by": "system:unsubscribe",
            },
            ["address_hash"],
            update=["customer_id", "reason", "campaign_id", "message_id", "note"],
        )
    else:
        uow.session.execute(
            insert(t.suppressions).values(
                id=str(uuid.uuid4()),
                address_hash=address_hash(f"customer:{target.customer_id}"),
                customer_id=target.customer_id,
                reason="unsubscribed",
                campaign_id=target.campaign_id,
                message_id=target.message_id,
                note=f"{method} unsubscribe",
                created_at=now,
                created_by="system:unsubscribe",
            )
        )
    uow.session.execute(
        update(t.messages).where(m.id == target.message_id).values(unsubscribed_at=now)
    )
    # The local consent replica follows at once; the customer service's own
    # consent.changed (a higher revision) confirms it later.
    cs = t.consents.c
    updated = uow.session.execute(
        update(t.consents)
        .where(and_(cs.customer_id == target.customer_id, cs.channel == "email"))
        .values(status="withdrawn", source=f"campaign:{method}", changed_at=now)
    ).rowcount
    if not updated:
        uow.session.execute(
            insert(t.consents).values(
                customer_id=target.customer_id,
                channel="email",
                status="withdrawn",
                source=f"campaign:{method}",
                revision=0,
                changed_at=now,
            )
        )
    uow.add_event(
        events.RecipientUnsubscribed(
            target.customer_id, target.campaign_id, target.message_id, method, now
        )
    )
    uow.commit()
    return "done"
