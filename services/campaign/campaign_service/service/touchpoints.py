"""Touchpoints: UTM-tagged visits from frontends, human email clicks and order UTM tags.

A touchpoint belongs to a known customer or to an anonymous visitor id (a first-party cookie, a
device id); linking the anonymous id to a customer later moves its touchpoints to them so they
count for attribution. The campaign is found by ``utm_campaign`` (each campaign's UTM key).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update

from campaign_service.adapters import tables as t
from campaign_service.domain import events
from campaign_service.domain.errors import InvalidValue

# attribution imports this module too: names are looked up at call time.
from campaign_service.service import attribution
from servicekit.types import utcnow

UTM_KEYS = ("source", "medium", "campaign", "term", "content")
# A visit reported from the future is a clock problem at the frontend, within reason.
MAX_CLOCK_SKEW = timedelta(minutes=5)


@dataclass
class Touchpoint:
    id: str
    kind: str
    occurred_at: datetime
    recorded_at: datetime
    customer_id: str | None = None
    anonymous_id: str | None = None
    campaign_id: str | None = None
    source: str | None = None
    medium: str | None = None
    utm_campaign: str | None = None
    term: str | None = None
    content: str | None = None
    landing_url: str | None = None
    referrer: str | None = None
    message_id: str | None = None
    order_id: str | None = None
    recorded_by: str | None = None

    def row(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_row(cls, row) -> Touchpoint:
        return cls(**dict(row._mapping))


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _add(uow, touchpoint: Touchpoint) -> Touchpoint:
    uow.session.execute(insert(t.touchpoints).values(**touchpoint.row()))
    uow.add_event(events.TouchpointRecorded(touchpoint))
    return touchpoint


def record_visit(
    uow, actor_subject: str | None, data: dict[str, Any], *, lookback_days: int = 30
) -> Touchpoint:
    """A frontend reports a UTM-tagged visit (customer id or anonymous id, or both)."""
    now = utcnow()
    customer_id = data.get("customer_id")
    anonymous_id = _clean(data.get("anonymous_id"))
    if not customer_id and not anonymous_id:
        raise InvalidValue("give customer_id or anonymous_id (or both)")
    utm = {k: _clean(data.get(k)) for k in UTM_KEYS}
    if not utm["source"] and not utm["campaign"]:
        raise InvalidValue("a touchpoint needs at least utm source or campaign")
    occurred_at = data.get("occurred_at") or now
    if occurred_at > now + MAX_CLOCK_SKEW:
        raise InvalidValue("occurred_at is in the future")
    if customer_id is None and anonymous_id:
        # A visitor linked earlier is a known customer from then on.
        customer_id = uow.session.execute(
            select(t.touchpoints.c.customer_id)
            .where(
                t.touchpoints.c.anonymous_id == anonymous_id,
                t.touchpoints.c.customer_id.is_not(None),
            )
            .limit(1)
        ).scalar()
    utm_campaign = utm["campaign"].lower() if utm["campaign"] else None
    touchpoint = Touchpoint(
        id=str(uuid.uuid4()),
        kind="visit",
        occurred_at=occurred_at,
        recorded_at=now,
        customer_id=str(customer_id) if customer_id else None,
        anonymous_id=anonymous_id,
        campaign_id=uow.campaigns.id_for_utm(utm_campaign),
        source=utm["source"],
        medium=utm["medium"],
        utm_campaign=utm_campaign,
        term=utm["term"],
        content=utm["content"],
        landing_url=_clean(data.get("landing_url")),
        referrer=_clean(data.get("referrer")),
        recorded_by=actor_subject,
    )
    _add(uow, touchpoint)
    if touchpoint.campaign_id:
        attribution.touches_arrived(
            uow, touchpoint.customer_id, touchpoint.occurred_at, lookback_days
        )
    uow.commit()
    return touchpoint


def link_visitor(uow, anonymous_id: str, customer_id: str, *, lookback_days: int = 30) -> int:
    """Give an anonymous visitor's touchpoints to the customer they turned out to be."""
    anonymous_id = _clean(anonymous_id)
    if not anonymous_id:
        raise InvalidValue("anonymous_id is required")
    tp = t.touchpoints.c
    owner = uow.session.execute(
        select(tp.customer_id)
        .where(tp.anonymous_id == anonymous_id, tp.customer_id.is_not(None))
        .limit(1)
    ).scalar()
    if owner is not None and owner != customer_id:
        raise InvalidValue(f"anonymous_id {anonymous_id} is already linked to another customer")
    moved = uow.session.execute(
        update(t.touchpoints)
        .where(tp.anonymous_id == anonymous_id, tp.customer_id.is_(None))
        .values(customer_id=customer_id)
    ).rowcount
    uow.add_event(events.VisitorLinked(anonymous_id, customer_id, moved, utcnow()))
    earliest = uow.session.execute(
        select(func.min(tp.occurred_at)).where(
            tp.anonymous_id == anonymous_id, tp.campaign_id.is_not(None)
        )
    ).scalar()
    if moved and earliest is not None:
        attribution.touches_arrived(uow, customer_id, earliest, lookback_days)
    uow.commit()
    return moved


def email_click_touchpoint(uow, message_row, at: datetime) -> None:
    """A person's first click in a campaign email (called inside the click's unit of work)."""
    utm = uow.session.execute(
        select(t.campaigns.c.utm_campaign).where(t.campaigns.c.id == message_row.campaign_id)
    ).scalar()
    _add(
        uow,
        Touchpoint(
            id=str(uuid.uuid4()),
            kind="email_click",
            occurred_at=at,
            recorded_at=at,
            customer_id=message_row.customer_id,
            campaign_id=message_row.campaign_id,
            source="email",
            medium="email",
            utm_campaign=utm,
            message_id=message_row.id,
            recorded_by="system:tracking",
        ),
    )


def order_touchpoint(uow, order_id: str, customer_id: str, utm: dict | None, at: datetime):
    """The UTM tags a shop attached to a placed order (once per order)."""
    if not utm or not (utm.get("source") or utm.get("campaign")):
        return None
    tp = t.touchpoints.c
    if uow.session.execute(select(tp.id).where(tp.order_id == order_id)).first():
        return None
    utm_campaign = (utm.get("campaign") or "").strip().lower() or None
    return _add(
        uow,
        Touchpoint(
            id=str(uuid.uuid4()),
            kind="order",
            occurred_at=at,
            recorded_at=utcnow(),
            customer_id=customer_id,
            campaign_id=uow.campaigns.id_for_utm(utm_campaign),
            source=_clean(utm.get("source")),
            medium=_clean(utm.get("medium")),
            utm_campaign=utm_campaign,
            term=_clean(utm.get("term")),
            content=_clean(utm.get("content")),
            order_id=order_id,
            recorded_by="system:sales",
        ),
    )
