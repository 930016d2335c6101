"""Read side: ticket listings and views, comments, configuration lists. Reads never commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select

from servicekit.identity import Identity
from servicekit.pagination import Page, SortKey, keyset_page
from support_service.adapters import tables as t
from support_service.adapters.repositories import (
    CalendarRepository,
    calendar_from_row,
    group_from_rows,
    policy_from_row,
    return_from_row,
    survey_from_row,
    ticket_from_row,
)
from support_service.domain.tickets import UNRESOLVED, Ticket
from support_service.service.access import ticket_filter
from support_service.service.context import ALWAYS, SupportContext

k = t.tickets.c

TICKET_SORTS = {
    "created_at": SortKey("created_at", (k.created_at, k.id)),
    "-created_at": SortKey("-created_at", (k.created_at, k.id), descending=True),
    "updated_at": SortKey("updated_at", (k.updated_at, k.id)),
    "-updated_at": SortKey("-updated_at", (k.updated_at, k.id), descending=True),
}


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def ticket_conditions(session, identity: Identity, filters: dict[str, Any]) -> list:
    """SQL conditions for the ticket list filters and the caller's reach."""
    conditions = []
    visible = ticket_filter(session, identity)
    if visible is not None:
        conditions.append(visible)
    status = filters.get("status")
    if status == "open":
        conditions.append(k.status.in_(UNRESOLVED))
    elif status in ("resolved", "closed"):
        conditions.append(k.status == status)
    if filters.get("state"):
        conditions.append(k.status.in_(filters["state"]))
    for name in ("priority", "category", "channel"):
        if filters.get(name):
            conditions.append(getattr(k, name).in_(filters[name]))
    for name in ("customer_id", "group_id", "agent_id", "order_id", "parent_ticket_id"):
        if filters.get(name) is not None:
            conditions.append(getattr(k, name) == str(filters[name]))
    if filters.get("assigned_to_me"):
        conditions.append(k.agent_id == identity.id)
    if filters.get("unassigned") is True:
        conditions.append(k.agent_id.is_(None))
    elif filters.get("unassigned") is False:
        conditions.append(k.agent_id.is_not(None))
    if filters.get("tag"):
        conditions.append(
            k.id.in_(
                select(t.ticket_tags.c.ticket_id).where(
                    t.ticket_tags.c.tag == " ".join(filters["tag"].split()).lower()
                )
            )
        )
    if filters.get("sla_breached") is not None:
        conditions.append(k.sla_breached.is_(bool(filters["sla_breached"])))
    if filters.get("q"):
        q = filters["q"].strip()
        like = f"%{_escape(q.lower())}%"
        conditions.append(or_(func.lower(k.subject).like(like, escape="\\"), k.number == q.upper()))
    if filters.get("created_after"):
        conditions.append(k.created_at >= filters["created_after"])
    if filters.get("created_before"):
        conditions.append(k.created_at < filters["created_before"])
    if filters.get("updated_since"):
        conditions.append(k.updated_at >= filters["updated_since"])
    return conditions


def list_tickets(
    session,
    ctx: SupportContext,
    identity: Identity,
    filters: dict[str, Any],
    *,
    limit: int,
    cursor: str | None,
    sort: str,
    with_total: bool = False,
) -> Page:
    """One page of tickets the caller may see, as API views."""
    conditions = ticket_conditions(session, identity, filters)
    key = TICKET_SORTS[sort]
    attr = sort.lstrip("-")
    page = keyset_page(
        session,
        select(t.tickets).where(*conditions),
        key,
        limit=limit,
        cursor=cursor,
        row_key=lambda r: (getattr(r, attr), r.id),
        scalars=False,
    )
    tickets = [ticket_from_row(r) for r in page.items]
    page.items = ticket_views(session, ctx, tickets)
    if with_total:
        page.total = session.execute(
            select(func.count()).select_from(t.tickets).where(*conditions)
        ).scalar_one()
    return page


def _calendars(session, ctx: SupportContext, ids: set[str | None]):
    repo = CalendarRepository(session)
    out = {None: ALWAYS}
    for calendar_id in ids - {None}:
        definition = repo.get(calendar_id)
        out[calendar_id] = ctx.calendars.build(definition) if definition else ALWAYS
    return out


def ticket_views(session, ctx: SupportContext, tickets: list[Ticket]) -> list[dict[str, Any]]:
    """Tickets as the API shows them: with the customer's name and live SLA figures."""
    now = ctx.now()
    calendars = _calendars(session, ctx, {tk.sla.calendar_id for tk in tickets})
    names = {}
    ids = sorted({tk.customer_id for tk in tickets})
    if ids:
        names = dict(
            session.execute(
                select(t.customers.c.id, t.customers.c.name).where(t.customers.c.id.in_(ids))
            ).all()
        )
    return [
        ticket_view(tk, calendars[tk.sla.calendar_id], names.get(tk.customer_id), now)
        for tk in tickets
    ]


def ticket_view(ticket: Ticket, calendar, customer_name: str | None, now: datetime) -> dict:
    """One ticket as the API shows it, with live SLA figures at ``now``."""
    clocks = {}
    for target, clock in ticket.sla.clocks.items():
        elapsed = clock.elapsed(calendar, now)
        remaining = clock.remaining(calendar, now)
        clocks[target] = {
            "target": target,
            "cycle": clock.cycle,
            "target_minutes": clock.target_minutes,
            "started_at": clock.started_at,
            "due_at": clock.due_at,
            "warn_at": clock.warn_at,
            "running": clock.running,
            "paused": clock.paused,
            "elapsed_business_seconds": int(elapsed.total_seconds()),
            "remaining_business_seconds": (
                int(remaining.total_seconds()) if remaining is not None else None
            ),
            "warned": clock.warned,
            "breached": clock.breached,
            "met": clock.met,
            "cancelled": clock.cancelled,
            "completed_at": clock.completed_at,
        }
    return {
        "id": ticket.id,
        "number": ticket.number,
        "customer_id": ticket.customer_id,
        "customer_name": customer_name,
        "contact": ticket.contact.as_dict(),
        "order_id": ticket.order_id,
        "subject": ticket.subject,
        "category": ticket.category,
        "channel": ticket.channel,
        "priority": ticket.priority,
        "status": ticket.status,
        "tags": ticket.tags,
        "group_id": ticket.group_id,
        "agent_id": ticket.agent_id,
        "sla": {
            "policy_id": ticket.sla.policy_id,
            "policy_name": ticket.sla.policy_name,
            "calendar_id": ticket.sla.calendar_id,
            "warning_percent": ticket.sla.warning_percent,
            "breached": ticket.sla_breached,
            "next_check_at": ticket.sla_next_check_at,
            "targets": clocks,
        },
        "complaint": ticket.complaint.as_dict() if ticket.complaint else None,
        "parent_ticket_id": ticket.parent_ticket_id,
        "merged_into": ticket.merged_into,
        "close_reason": ticket.close_reason,
        "origin": ticket.origin,
        "first_responded_at": ticket.first_responded_at,
        "first_response_business_seconds": ticket.first_response_business_seconds,
        "first_response_calendar_seconds": ticket.first_response_calendar_seconds,
        "resolved_at": ticket.resolved_at,
        "resolution_business_seconds": ticket.resolution_business_seconds,
        "resolution_calendar_seconds": ticket.resolution_calendar_seconds,
        "closed_at": ticket.closed_at,
        "reopened_count": ticket.reopened_count,
        "last_customer_message_at": ticket.last_customer_message_at,
        "last_agent_reply_at": ticket.last_agent_reply_at,
        "satisfaction": (
            {
                "survey_id": ticket.satisfaction.survey_id,
                "kind": ticket.satisfaction.kind,
                "score": ticket.satisfaction.score,
                "answered_at": ticket.satisfaction.answered_at,
            }
            if ticket.satisfaction
            else None
        ),
        "created_by": ticket.created_by,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "version": ticket.version,
    }


def view_of(session, ctx: SupportContext, ticket: Ticket) -> dict[str, Any]:
    """The API view of one ticket."""
    return ticket_views(session, ctx, [ticket])[0]


COMMENT_SORT = SortKey("seq", (t.ticket_comments.c.seq,))


def list_comments(session, ticket_id: str, visibility: str, *, limit: int, cursor: str | None):
    """One page of a ticket's conversation in the order it was written."""
    c = t.ticket_comments.c
    statement = select(t.ticket_comments).where(c.ticket_id == ticket_id)
    if visibility == "public":
        statement = statement.where(c.public.is_(True))
    elif visibility == "internal":
        statement = statement.where(c.public.is_(False))
    page = keyset_page(
        session,
        statement,
        COMMENT_SORT,
        limit=limit,
        cursor=cursor,
        row_key=lambda r: (r.seq,),
        scalars=False,
    )
    page.items = [dict(r._mapping) for r in page.items]
    return page


def returns_of(session, ticket_id: str) -> list:
    """A ticket's return requests, oldest first."""
    rows = session.execute(
        select(t.return_requests)
        .where(t.return_requests.c.ticket_id == ticket_id)
        .order_by(t.return_requests.c.requested_at, t.return_requests.c.id)
    )
    return [return_from_row(r) for r in rows]


SURVEY_SORT = SortKey("-created_at", (t.surveys.c.created_at, t.surveys.c.id), descending=True)


def list_surveys(session, identity: Identity, filters: dict[str, Any], *, limit, cursor) -> Page:
    """One page of surveys about tickets the caller may see, newest first."""
    s = t.surveys.c
    statement = select(t.surveys)
    visible = ticket_filter(session, identity)
    if visible is not None:
        statement = statement.where(s.ticket_id.in_(select(k.id).where(visible)))
    for name in ("ticket_id", "customer_id", "agent_id", "group_id"):
        if filters.get(name) is not None:
            statement = statement.where(getattr(s, name) == str(filters[name]))
    for name in ("status", "kind"):
        if filters.get(name):
            statement = statement.where(getattr(s, name) == filters[name])
    if filters.get("answered_after"):
        statement = statement.where(s.answered_at >= filters["answered_after"])
    if filters.get("answered_before"):
        statement = statement.where(s.answered_at < filters["answered_before"])
    if filters.get("low_score") is not None:
        statement = statement.where(s.score.is_not(None)).where(
            (s.score <= s.low_score_threshold) == bool(filters["low_score"])
        )
    page = keyset_page(
        session,
        statement,
        SURVEY_SORT,
        limit=limit,
        cursor=cursor,
        row_key=lambda r: (r.created_at, r.id),
        scalars=False,
    )
    page.items = [survey_from_row(r) for r in page.items]
    return page


# -- configuration lists ---------------------------------------------------------------------------

POLICY_SORT = SortKey(
    "position", (t.sla_policies.c.position, t.sla_policies.c.name, t.sla_policies.c.id)
)
CALENDAR_SORT = SortKey("name", (t.business_calendars.c.name, t.business_calendars.c.id))
GROUP_SORT = SortKey("name", (t.agent_groups.c.name, t.agent_groups.c.id))


def list_policies(session, filters: dict[str, Any], *, limit: int, cursor: str | None) -> Page:
    """Policies in matching order (position, then name)."""
    statement = select(t.sla_policies)
    if filters.get("active") is not None:
        statement = statement.where(t.sla_policies.c.active.is_(filters["active"]))
    page = keyset_page(
        session,
        statement,
        POLICY_SORT,
        limit=limit,
        cursor=cursor,
        row_key=lambda r: (r.position, r.name, r.id),
        scalars=False,
    )
    page.items = [policy_from_row(r) for r in page.items]
    return page


def list_calendars(session, *, limit: int, cursor: str | None) -> Page:
    """One page of business calendars by name."""
    page = keyset_page(
        session,
        select(t.business_calendars),
        CALENDAR_SORT,
        limit=limit,
        cursor=cursor,
        row_key=lambda r: (r.name, r.id),
        scalars=False,
    )
    page.items = [calendar_from_row(r) for r in page.items]
    return page


def list_groups(session, filters: dict[str, Any], *, limit: int, cursor: str | None) -> Page:
    """One page of agent groups by name, with their members."""
    statement = select(t.agent_groups)
    if filters.get("active") is not None:
        statement = statement.where(t.agent_groups.c.active.is_(filters["active"]))
    if filters.get("agent_id") is not None:
        statement = statement.where(
            t.agent_groups.c.id.in_(
                select(t.agent_group_members.c.group_id).where(
                    t.agent_group_members.c.agent_id == str(filters["agent_id"])
                )
            )
        )
    page = keyset_page(
        session,
        statement,
        GROUP_SORT,
        limit=limit,
        cursor=cursor,
        row_key=lambda r: (r.name, r.id),
        scalars=False,
    )
    ids = [r.id for r in page.items]
    members: dict[str, list] = {i: [] for i in ids}
    if ids:
        for member in session.execute(
            select(t.agent_group_members).where(t.agent_group_members.c.group_id.in_(ids))
        ):
            members[member.group_id].append(member)
    page.items = [group_from_rows(r, members[r.id]) for r in page.items]
    return page
