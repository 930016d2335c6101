"""Read side: listings with filters and cursor pagination. Reads never open a unit of work."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, or_, select, true

from campaign_service.adapters import tables as t
from campaign_service.adapters.repositories import (
    competitor_from_row,
    cost_from_row,
    coupon_from_row,
    load_campaigns,
    survey_from_row,
    template_from_row,
)
from campaign_service.domain.audience import address_hash
from campaign_service.service.access import reach_filter
from servicekit.identity import Identity
from servicekit.pagination import Page, SortKey, keyset_page

c = t.campaigns.c

CAMPAIGN_SORTS = {
    "-created_at": SortKey("-created_at", (c.created_at, c.id), descending=True),
    "created_at": SortKey("created_at", (c.created_at, c.id)),
    "name": SortKey("name", (c.name, c.id)),
    "-name": SortKey("-name", (c.name, c.id), descending=True),
    "-updated_at": SortKey("-updated_at", (c.updated_at, c.id), descending=True),
}
_SORT_ATTR = {"created_at": "created_at", "name": "name", "updated_at": "updated_at"}


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def campaigns_page(
    session,
    identity: Identity,
    filters: dict[str, Any],
    *,
    limit: int,
    cursor: str | None,
    sort: str,
) -> Page:
    conditions = []
    reach = reach_filter(identity)
    if reach is not None:
        conditions.append(reach)
    for name in ("status", "channel", "objective", "owner_team"):
        if filters.get(name):
            value = filters[name]
            column = getattr(c, name)
            conditions.append(column.in_(value) if isinstance(value, list) else column == value)
    if filters.get("owner_id"):
        conditions.append(c.owner_id == str(filters["owner_id"]))
    if filters.get("q"):
        conditions.append(
            func.lower(c.name).like(f"%{_escape(filters['q'].lower())}%", escape="\\")
        )
    if filters.get("starts_after"):
        conditions.append(c.planned_start >= filters["starts_after"])
    if filters.get("starts_before"):
        conditions.append(c.planned_start < filters["starts_before"])
    if filters.get("coupon_id"):
        conditions.append(c.coupon_id == str(filters["coupon_id"]))
    key = CAMPAIGN_SORTS[sort]
    attr = _SORT_ATTR[sort.lstrip("-")]
    page = keyset_page(
        session,
        select(t.campaigns).where(and_(*conditions)) if conditions else select(t.campaigns),
        key,
        limit=limit,
        cursor=cursor,
        row_key=lambda r: (getattr(r, attr), r.id),
        scalars=False,
    )
    page.items = load_campaigns(session, page.items)
    if filters.get("total"):
        page.total = session.execute(
            select(func.count()).select_from(t.campaigns).where(and_(true(), *conditions))
        ).scalar_one()
    return page


def costs_page(session, campaign_id: str, *, limit: int, cursor: str | None) -> Page:
    k = t.costs.c
    page = keyset_page(
        session,
        select(t.costs).where(k.campaign_id == campaign_id),
        SortKey("-created_at", (k.created_at, k.id), descending=True),
        limit=limit,
        cursor=cursor,
        row_key=lambda r: (r.created_at, r.id),
        scalars=False,
    )
    page.items = [cost_from_row(r) for r in page.items]
    return page


def templates_page(session, *, status: str | None, q: str | None, limit: int, cursor) -> Page:
    tt = t.templates.c
    query = select(t.templates)
    if status:
        query = query.where(tt.status == status)
    if q:
        query = query.where(func.lower(tt.name).like(f"%{_escape(q.lower())}%", escape="\\"))
    page = keyset_page(
        session,
        query,
        SortKey("name", (tt.name, tt.id)),
        limit=limit,
        cursor=cursor,
        row_key=lambda r: (r.name, r.id),
        scalars=False,
    )
    page.items = [template_from_row(r) for r in page.items]
    return page


def coupons_page(session, filters: dict[str, Any], *, limit: int, cursor) -> Page:
    k = t.coupons.c
    query = select(t.coupons)
    if filters.get("campaign_id"):
        query = query.where(k.campaign_id == str(filters["campaign_id"]))
    if filters.get("active") is not None:
        query = query.where(k.active.is_(filters["active"]))
    if filters.get("mode"):
        query = query.where(k.mode == filters["mode"])
    if filters.get("code"):
        code = filters["code"].strip().upper()
        query = query.where(
            or_(
                k.code == code,
                k.id.in_(select(t.coupon_codes.c.coupon_id).where(t.coupon_codes.c.code == code)),
            )
        )
    page = keyset_page(
        session,
        query,
        SortKey("-created_at", (k.created_at, k.id), descending=True),
        limit=limit,
        cursor=cursor,
        row_key=lambda r: (r.created_at, r.id),
        scalars=False,
    )
    page.items = [coupon_from_row(r) for r in page.items]
    return page


def codes_page(session, coupon_id: str, *, assigned: bool | None, limit: int, cursor) -> Page:
    k = t.coupon_codes.c
    query = select(t.coupon_codes).where(k.coupon_id == coupon_id)
    if assigned is True:
        query = query.where(k.customer_id.is_not(None))
    elif assigned is False:
        query = query.where(k.customer_id.is_(None))
    page = keyset_page(
        session,
        query,
        SortKey("code", (k.code,)),
        limit=limit,
        cursor=cursor,
        row_key=lambda r: (r.code,),
        scalars=False,
    )
    page.items = [dict(r._mapping) for r in page.items]
    return page


def touchpoints_page(session, filters: dict[str, Any], *, limit: int, cursor) -> Page:
    tp = t.touchpoints.c
    query = select(t.touchpoints)
    if filters.get("customer_id"):
        query = query.where(tp.customer_id == str(filters["customer_id"]))
    if filters.get("anonymous_id"):
        query = query.where(tp.anonymous_id == filters["anonymous_id"])
    if filters.get("campaign_id"):
        query = query.where(tp.campaign_id == str(filters["campaign_id"]))
    if filters.get("kind"):
        query = query.where(tp.kind == filters["kind"])
    if filters.get("since"):
        query = query.where(tp.occurred_at >= filters["since"])
    page = keyset_page(
        session,
        query,
        SortKey("-occurred_at", (tp.occurred_at, tp.id), descending=True),
        limit=limit,
        cursor=cursor,
        row_key=lambda r: (r.occurred_at, r.id),
        scalars=False,
    )
    page.items = [dict(r._mapping) for r in page.items]
    return page


def suppressions_page(session, filters: dict[str, Any], *, limit: int, cursor) -> Page:
    s = t.suppressions.c
    query = select(t.suppressions)
    if filters.get("reason"):
        query = query.where(s.reason == filters["reason"])
    if filters.get("address"):
        query = query.where(s.address_hash == address_hash(filters["address"]))
    if filters.get("customer_id"):
        query = query.where(s.customer_id == str(filters["customer_id"]))
    page = keyset_page(
        session,
        query,
        SortKey("-created_at", (s.created_at, s.id), descending=True),
        limit=limit,
        cursor=cursor,
        row_key=lambda r: (r.created_at, r.id),
        scalars=False,
    )
    page.items = [dict(r._mapping) for r in page.items]
    return page


def competitors_page(session, filters: dict[str, Any], *, limit: int, cursor) -> Page:
    k = t.competitors.c
    query = select(t.competitors).where(k.status == (filters.get("status") or "active"))
    if filters.get("q"):
        query = query.where(k.name_key.like(f"%{_escape(filters['q'].casefold())}%", escape="\\"))
    page = keyset_page(
        session,
        query,
        SortKey("name", (k.name_key, k.id)),
        limit=limit,
        cursor=cursor,
        row_key=lambda r: (r.name_key, r.id),
        scalars=False,
    )
    page.items = [competitor_from_row(r) for r in page.items]
    return page


def surveys_page(session, filters: dict[str, Any], *, limit: int, cursor) -> Page:
    k = t.surveys.c
    query = select(t.surveys)
    if filters.get("status"):
        query = query.where(k.status == filters["status"])
    page = keyset_page(
        session,
        query,
        SortKey("-created_at", (k.created_at, k.id), descending=True),
        limit=limit,
        cursor=cursor,
        row_key=lambda r: (r.created_at, r.id),
        scalars=False,
    )
    page.items = [survey_from_row(r) for r in page.items]
    return page


def responses_page(session, survey_id: str, *, limit: int, cursor) -> Page:
    r = t.survey_responses.c
    page = keyset_page(
        session,
        select(t.survey_responses).where(r.survey_id == survey_id),
        SortKey("-answered_at", (r.answered_at, r.id), descending=True),
        limit=limit,
        cursor=cursor,
        row_key=lambda row: (row.answered_at, row.id),
        scalars=False,
    )
    page.items = [dict(row._mapping) for row in page.items]
    return page


def _message_columns():
    m = t.messages.c
    return (
        m.id,
        m.campaign_id,
        c.name.label("campaign_name"),
        c.channel,
        m.variant_id,
        t.variants.c.name.label("variant_name"),
        m.customer_id,
        m.to_address,
        m.purpose,
        m.status,
        m.skip_reason,
        m.attempts,
        m.coupon_code,
        m.created_at,
        m.sent_at,
        m.delivered_at,
        m.bounced_at,
        m.first_open_at,
        m.first_machine_open_at,
        m.opens,
        m.machine_opens,
        m.first_click_at,
        m.first_machine_click_at,
        m.clicks,
        m.machine_clicks,
        m.unsubscribed_at,
    )


def _message_dict(row) -> dict[str, Any]:
    data = dict(row._mapping)
    data["message_id"] = data.pop("id")
    data["opened"] = data["first_open_at"] is not None
    data["clicked"] = data["first_click_at"] is not None
    data["unsubscribed"] = data["unsubscribed_at"] is not None
    return data


def messages_page(
    session,
    identity: Identity,
    filters: dict[str, Any],
    *,
    limit: int,
    cursor: str | None,
) -> Page:
    """Messages newest first, of campaigns the caller may see (customer 360, send progress)."""
    m = t.messages.c
    query = (
        select(*_message_columns())
        .join(t.campaigns, c.id == m.campaign_id)
        .outerjoin(t.variants, t.variants.c.id == m.variant_id)
    )
    reach = reach_filter(identity)
    if reach is not None:
        query = query.where(reach)
    if filters.get("customer_id"):
        query = query.where(m.customer_id == str(filters["customer_id"]))
    if filters.get("campaign_id"):
        query = query.where(m.campaign_id == str(filters["campaign_id"]))
    if filters.get("variant_id"):
        query = query.where(m.variant_id == str(filters["variant_id"]))
    if filters.get("status"):
        query = query.where(m.status == filters["status"])
    page = keyset_page(
        session,
        query,
        SortKey("-created_at", (m.created_at, m.id), descending=True),
        limit=limit,
        cursor=cursor,
        row_key=lambda r: (r.created_at, r.id),
        scalars=False,
    )
    page.items = [_message_dict(r) for r in page.items]
    return page


def send_progress(session, campaign_id: str) -> dict[str, Any] | None:
    send = session.execute(select(t.sends).where(t.sends.c.campaign_id == campaign_id)).first()
    if send is None:
        return None
    m = t.messages.c
    counts = dict(
        session.execute(
            select(m.status, func.count()).where(m.campaign_id == campaign_id).group_by(m.status)
        ).all()
    )
    total = sum(counts.values())
    done = sum(
        counts.get(s, 0)
        for s in ("delivered", "bounced_hard", "bounced_soft", "skipped", "cancelled", "in_doubt")
    )
    return {
        "campaign_id": campaign_id,
        "phase": send.phase,
        "requested_at": send.requested_at,
        "resolved_at": send.resolved_at,
        "test_ends_at": send.test_ends_at,
        "finished_at": send.finished_at,
        "recipients": send.recipients,
        "held_for_winner": send.held_for_winner,
        "excluded": dict(send.excluded or {}),
        "by_status": counts,
        "done": done,
        "progress": round(done / total, 4) if total else (1.0 if send.resolved_at else 0.0),
    }


def campaign_ids_for_coupon(session, coupon_id: str) -> list[str]:
    return list(session.execute(select(c.id).where(c.coupon_id == coupon_id)).scalars())


def attributions_page(session, campaign_id: str, model: str, *, limit: int, cursor) -> Page:
    a = t.attributions.c
    page = keyset_page(
        session,
        select(t.attributions).where(a.campaign_id == campaign_id, a.model == model),
        SortKey("-attributed_at", (a.attributed_at, a.order_id), descending=True),
        limit=limit,
        cursor=cursor,
        row_key=lambda r: (r.attributed_at, r.order_id),
        scalars=False,
    )
    page.items = [dict(r._mapping) for r in page.items]
    return page
