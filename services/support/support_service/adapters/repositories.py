"""Repositories: aggregates in and out of the database, mapped by hand with SQLAlchemy Core.

Aggregates handed out or taken in are kept in ``seen`` so the unit of work collects their events.
``save`` is an optimistic update: it succeeds only while the row is still at the version the
aggregate was read at (tickets count one version per change, so they remember the version they
were read at in ``persisted_version``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from support_service.adapters import tables as t
from support_service.domain.businesstime import CustomDay
from support_service.domain.calendars import CalendarDefinition
from support_service.domain.errors import ConcurrentModification
from support_service.domain.groups import AgentGroup, Member
from support_service.domain.replicas import CustomerReplica, OrderLine, OrderReplica
from support_service.domain.returns import ReturnLine, ReturnRequest
from support_service.domain.sla import Conditions, SlaPolicy, SlaState
from support_service.domain.surveys import Survey
from support_service.domain.tickets import Complaint, Contact, Satisfaction, Ticket


def _for_update(session: Session, statement):
    # Row locks where the database has them; SQLite serialises writers with BEGIN IMMEDIATE.
    if session.get_bind().dialect.name == "postgresql":
        return statement.with_for_update()
    return statement


# -- tickets ---------------------------------------------------------------------------------


def ticket_row(k: Ticket) -> dict[str, Any]:
    return {
        "id": k.id,
        "number": k.number,
        "customer_id": k.customer_id,
        "subject": k.subject,
        "category": k.category,
        "channel": k.channel,
        "priority": k.priority,
        "status": k.status,
        "tags": list(k.tags),
        "contact_name": k.contact.name,
        "contact_email": k.contact.email,
        "contact_phone": k.contact.phone,
        "order_id": k.order_id,
        "group_id": k.group_id,
        "agent_id": k.agent_id,
        "policy_id": k.sla.policy_id,
        "calendar_id": k.sla.calendar_id,
        "calendar_version": k.sla.calendar_version,
        "sla": k.sla.to_dict(),
        "sla_next_check_at": k.sla_next_check_at,
        "sla_breached": k.sla_breached,
        "complaint": k.complaint.as_dict() if k.complaint else None,
        "parent_ticket_id": k.parent_ticket_id,
        "merged_into": k.merged_into,
        "close_reason": k.close_reason,
        "origin": k.origin,
        "created_by": k.created_by,
        "created_at": k.created_at,
        "updated_at": k.updated_at,
        "status_changed_at": k.status_changed_at,
        "first_responded_at": k.first_responded_at,
        "first_response_business_seconds": k.first_response_business_seconds,
        "first_response_calendar_seconds": k.first_response_calendar_seconds,
        "resolved_at": k.resolved_at,
        "resolved_by": k.resolved_by,
        "resolution_business_seconds": k.resolution_business_seconds,
        "resolution_calendar_seconds": k.resolution_calendar_seconds,
        "closed_at": k.closed_at,
        "reopened_count": k.reopened_count,
        "last_customer_message_at": k.last_customer_message_at,
        "last_agent_reply_at": k.last_agent_reply_at,
        "satisfaction": (
            {
                "survey_id": k.satisfaction.survey_id,
                "kind": k.satisfaction.kind,
                "score": k.satisfaction.score,
                "answered_at": k.satisfaction.answered_at.isoformat(),
            }
            if k.satisfaction
            else None
        ),
        "version": k.version,
    }


def ticket_from_row(row: Any) -> Ticket:
    m = row._mapping if hasattr(row, "_mapping") else row
    sat = m["satisfaction"]
    ticket = Ticket(
        id=m["id"],
        number=m["number"],
        customer_id=m["customer_id"],
        subject=m["subject"],
        category=m["category"],
        channel=m["channel"],
        priority=m["priority"],
        sla=SlaState.from_dict(m["sla"]),
        status=m["status"],
        tags=list(m["tags"]),
        contact=Contact(m["contact_name"], m["contact_email"], m["contact_phone"]),
        order_id=m["order_id"],
        group_id=m["group_id"],
        agent_id=m["agent_id"],
        complaint=Complaint.from_dict(m["complaint"]),
        parent_ticket_id=m["parent_ticket_id"],
        merged_into=m["merged_into"],
        close_reason=m["close_reason"],
        origin=m["origin"],
        created_by=m["created_by"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        status_changed_at=m["status_changed_at"],
        first_responded_at=m["first_responded_at"],
        first_response_business_seconds=m["first_response_business_seconds"],
        first_response_calendar_seconds=m["first_response_calendar_seconds"],
        resolved_at=m["resolved_at"],
        resolved_by=m["resolved_by"],
        resolution_business_seconds=m["resolution_business_seconds"],
        resolution_calendar_seconds=m["resolution_calendar_seconds"],
        closed_at=m["closed_at"],
        reopened_count=m["reopened_count"],
        last_customer_message_at=m["last_customer_message_at"],
        last_agent_reply_at=m["last_agent_reply_at"],
        satisfaction=(
            Satisfaction(
                sat["survey_id"],
                sat["kind"],
                sat["score"],
                datetime.fromisoformat(sat["answered_at"]),
            )
            if sat
            else None
        ),
        version=m["version"],
        persisted_version=m["version"],
    )
    _remember_side_tables(ticket)
    return ticket


def _remember_side_tables(ticket: Ticket) -> None:
    # What the side tables hold, so a save rewrites only what changed.
    ticket.__dict__["_stored_tags"] = list(ticket.tags)
    ticket.__dict__["_stored_clocks"] = {c.target: c.to_dict() for c in ticket.sla.all_clocks()}


# Built once: a ticket save is the SLA scan's hot path, and statements with literal values are
# rebuilt and re-keyed for the statement cache on every call.
_TICKET_COLUMNS = [c.name for c in t.tickets.c if c.name != "id"]
_UPDATE_TICKET = (
    update(t.tickets)
    .where(t.tickets.c.id == bindparam("k_id"), t.tickets.c.version == bindparam("k_version"))
    .values({name: bindparam(f"v_{name}") for name in _TICKET_COLUMNS})
)
_DELETE_TAGS = delete(t.ticket_tags).where(t.ticket_tags.c.ticket_id == bindparam("k_id"))
_DELETE_CLOCK = delete(t.ticket_sla_records).where(
    t.ticket_sla_records.c.ticket_id == bindparam("k_id"),
    t.ticket_sla_records.c.target == bindparam("k_target"),
    t.ticket_sla_records.c.cycle == bindparam("k_cycle"),
)


class TicketRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.seen: dict[str, Ticket] = {}

    def get(self, ticket_id: str, *, lock: bool = False) -> Ticket | None:
        if ticket_id in self.seen:
            return self.seen[ticket_id]
        statement = select(t.tickets).where(t.tickets.c.id == ticket_id)
        if lock:
            statement = _for_update(self.session, statement)
        row = self.session.execute(statement).first()
        if row is None:
            return None
        ticket = ticket_from_row(row)
        self.seen[ticket.id] = ticket
        return ticket

    def get_many(self, ids: list[str]) -> list[Ticket]:
        missing = [i for i in ids if i not in self.seen]
        for start in range(0, len(missing), 500):
            chunk = missing[start : start + 500]
            for row in self.session.execute(select(t.tickets).where(t.tickets.c.id.in_(chunk))):
                ticket = ticket_from_row(row)
                self.seen[ticket.id] = ticket
        return [self.seen[i] for i in ids if i in self.seen]

    def add(self, ticket: Ticket) -> None:
        self.session.execute(insert(t.tickets).values(**ticket_row(ticket)))
        ticket.persisted_version = ticket.version
        self._write_side_tables(ticket, replace=False)
        self.seen[ticket.id] = ticket

    def save(self, ticket: Ticket) -> None:
        if ticket.version == ticket.persisted_version:
            return
        row = ticket_row(ticket)
        params = {f"v_{name}": row[name] for name in _TICKET_COLUMNS}
        params.update(k_id=ticket.id, k_version=ticket.persisted_version)
        result = self.session.execute(_UPDATE_TICKET, params)
        if result.rowcount != 1:
            raise ConcurrentModification(
                f"ticket {ticket.number} changed meanwhile; fetch it again and retry"
            )
        ticket.persisted_version = ticket.version
        self._write_side_tables(ticket, replace=True)
        self.seen[ticket.id] = ticket

    def _write_side_tables(self, ticket: Ticket, *, replace: bool) -> None:
        if not replace or ticket.__dict__.get("_stored_tags") != ticket.tags:
            if replace:
                self.session.execute(_DELETE_TAGS, {"k_id": ticket.id})
            if ticket.tags:
                self.session.execute(
                    insert(t.ticket_tags),
                    [{"ticket_id": ticket.id, "tag": tag} for tag in ticket.tags],
                )
        stored = (ticket.__dict__.get("_stored_clocks") or {}) if replace else {}
        clocks = [
            *ticket.sla.retired,
            *(c for c in ticket.sla.clocks.values() if stored.get(c.target) != c.to_dict()),
        ]
        ticket.sla.retired = []
        _remember_side_tables(ticket)
        if not clocks:
            return
        if replace:
            self.session.execute(
                _DELETE_CLOCK,
                [{"k_id": ticket.id, "k_target": c.target, "k_cycle": c.cycle} for c in clocks],
            )
        self.session.execute(
            insert(t.ticket_sla_records),
            [
                {
                    "ticket_id": ticket.id,
                    "target": c.target,
                    "cycle": c.cycle,
                    "policy_id": ticket.sla.policy_id,
                    "calendar_id": ticket.sla.calendar_id,
                    "target_minutes": c.target_minutes,
                    "started_at": c.started_at,
                    "due_at": c.due_at,
                    "completed_at": c.completed_at,
                    "elapsed_business_seconds": c.elapsed_us // 1_000_000,
                    "warned": c.warned,
                    "breached": c.breached,
                    "met": c.met,
                    "cancelled": c.cancelled,
                }
                for c in clocks
            ],
        )

    def next_number(self) -> str:
        value = self.session.execute(
            update(t.counters)
            .where(t.counters.c.name == "ticket")
            .values(value=t.counters.c.value + 1)
            .returning(t.counters.c.value)
        ).scalar_one()
        return f"T-{value:06d}"

    def sla_due(self, now: datetime, limit: int) -> list[str]:
        return list(
            self.session.execute(
                select(t.tickets.c.id)
                .where(t.tickets.c.sla_next_check_at.is_not(None))
                .where(t.tickets.c.sla_next_check_at <= now)
                .order_by(t.tickets.c.sla_next_check_at)
                .limit(limit)
            ).scalars()
        )

    def resolved_before(self, cutoff: datetime, limit: int) -> list[str]:
        return list(
            self.session.execute(
                select(t.tickets.c.id)
                .where(t.tickets.c.status == "resolved", t.tickets.c.resolved_at < cutoff)
                .order_by(t.tickets.c.resolved_at)
                .limit(limit)
            ).scalars()
        )

    def ids_of_customer(self, customer_id: str) -> list[str]:
        return list(
            self.session.execute(
                select(t.tickets.c.id).where(t.tickets.c.customer_id == customer_id)
            ).scalars()
        )

    def ids_in_groups(self, group_id: str, unresolved_only: bool = True) -> list[str]:
        statement = select(t.tickets.c.id).where(t.tickets.c.group_id == group_id)
        if unresolved_only:
            statement = statement.where(t.tickets.c.status.not_in(("resolved", "closed")))
        return list(self.session.execute(statement).scalars())

    def behind_calendar(self, calendar_id: str, version: int, limit: int) -> list[str]:
        """Open tickets whose deadlines were computed on an older version of the calendar."""
        return list(
            self.session.execute(
                select(t.tickets.c.id)
                .where(
                    t.tickets.c.calendar_id == calendar_id,
                    t.tickets.c.status.not_in(("resolved", "closed")),
                    or_(
                        t.tickets.c.calendar_version.is_(None),
                        t.tickets.c.calendar_version != version,
                    ),
                )
                .limit(limit)
            ).scalars()
        )

    def unresolved_with_policy(self, policy_id: str | None) -> list[str]:
        statement = select(t.tickets.c.id).where(t.tickets.c.status.not_in(("resolved", "closed")))
        if policy_id is not None:
            statement = statement.where(t.tickets.c.policy_id == policy_id)
        return list(self.session.execute(statement).scalars())


class CommentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        *,
        comment_id: str,
        ticket_id: str,
        public: bool,
        author_kind: str,
        author_id: str | None,
        author_name: str | None,
        body: str,
        at: datetime,
    ) -> dict[str, Any]:
        row = {
            "id": comment_id,
            "ticket_id": ticket_id,
            "public": public,
            "author_kind": author_kind,
            "author_id": author_id,
            "author_name": author_name,
            "body": body,
            "created_at": at,
            "moved_from_ticket_id": None,
        }
        self.session.execute(insert(t.ticket_comments).values(**row))
        return row

    def move(self, source_id: str, target_id: str) -> int:
        result = self.session.execute(
            update(t.ticket_comments)
            .where(t.ticket_comments.c.ticket_id == source_id)
            .values(ticket_id=target_id, moved_from_ticket_id=source_id)
        )
        return result.rowcount

    def erase_customer_text(self, ticket_ids: list[str]) -> None:
        if ticket_ids:
            self.session.execute(
                update(t.ticket_comments)
                .where(
                    t.ticket_comments.c.ticket_id.in_(ticket_ids),
                    t.ticket_comments.c.author_kind == "customer",
                )
                .values(body="[erased]", author_name=None)
            )


# -- configuration ----------------------------------------------------------------------------


def _policy_row(p: SlaPolicy) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "description": p.description,
        "position": p.position,
        "active": p.active,
        "conditions": p.conditions.as_dict(),
        "first_response_minutes": p.first_response_minutes,
        "next_response_minutes": p.next_response_minutes,
        "resolution_minutes": p.resolution_minutes,
        "warning_percent": p.warning_percent,
        "calendar_id": p.calendar_id,
        "survey_kind": p.survey_kind,
        "survey_delay_minutes": p.survey_delay_minutes,
        "low_score_action": p.low_score_action,
        "low_score_threshold": p.low_score_threshold,
        "version": p.version,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
    }


def policy_from_row(row: Any) -> SlaPolicy:
    m = row._mapping
    return SlaPolicy(
        id=m["id"],
        name=m["name"],
        description=m["description"],
        position=m["position"],
        active=m["active"],
        conditions=Conditions.from_dict(m["conditions"]),
        first_response_minutes=m["first_response_minutes"],
        next_response_minutes=m["next_response_minutes"],
        resolution_minutes=m["resolution_minutes"],
        warning_percent=m["warning_percent"],
        calendar_id=m["calendar_id"],
        survey_kind=m["survey_kind"],
        survey_delay_minutes=m["survey_delay_minutes"],
        low_score_action=m["low_score_action"],
        low_score_threshold=m["low_score_threshold"],
        version=m["version"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
    )


def calendar_row(c: CalendarDefinition) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "description": c.description,
        "timezone": c.timezone,
        "hours": {str(d): [list(span) for span in spans] for d, spans in c.week.items()},
        "holiday_country": c.holiday_country,
        "holiday_subdivision": c.holiday_subdivision,
        "observe_workdays": c.observe_workdays,
        "custom_days": c.custom_days_dicts(),
        "customer_countries": list(c.customer_countries),
        "is_default": c.is_default,
        "version": c.version,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    }


def calendar_from_row(row: Any) -> CalendarDefinition:
    from support_service.domain.businesstime import parse_clock

    m = row._mapping
    custom = []
    for item in m["custom_days"]:
        hours = item.get("hours")
        custom.append(
            CustomDay(
                date.fromisoformat(item["date"]),
                item["open"],
                tuple(
                    (parse_clock(h["start"]), parse_clock(h["end"], allow_24=True)) for h in hours
                )
                if hours is not None
                else None,
                item.get("name"),
            )
        )
    return CalendarDefinition(
        id=m["id"],
        name=m["name"],
        description=m["description"],
        timezone=m["timezone"],
        week={int(d): tuple(tuple(s) for s in spans) for d, spans in m["hours"].items()},
        holiday_country=m["holiday_country"],
        holiday_subdivision=m["holiday_subdivision"],
        observe_workdays=m["observe_workdays"],
        custom_days=custom,
        customer_countries=list(m["customer_countries"]),
        is_default=m["is_default"],
        version=m["version"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
    )


class _Versioned:
    """Insert/optimistic update for configuration records with a plain ``version``."""

    table = None

    def __init__(self, session: Session) -> None:
        self.session = session
        self.seen: dict[str, Any] = {}

    def _insert(self, row: dict[str, Any]) -> None:
        self.session.execute(insert(self.table).values(**row))

    def _update(self, obj, row: dict[str, Any], label: str) -> None:
        result = self.session.execute(
            update(self.table)
            .where(self.table.c.id == obj.id, self.table.c.version == obj.version)
            .values(
                **{k: v for k, v in row.items() if k not in ("id", "version")},
                version=obj.version + 1,
            )
        )
        if result.rowcount != 1:
            raise ConcurrentModification(f"{label} {obj.id} changed meanwhile; fetch it again")
        obj.version += 1


class PolicyRepository(_Versioned):
    table = t.sla_policies

    def get(self, policy_id: str) -> SlaPolicy | None:
        row = self.session.execute(
            select(t.sla_policies).where(t.sla_policies.c.id == policy_id)
        ).first()
        return policy_from_row(row) if row else None

    def all(self) -> list[SlaPolicy]:
        rows = self.session.execute(
            select(t.sla_policies).order_by(t.sla_policies.c.position, t.sla_policies.c.name)
        )
        return [policy_from_row(r) for r in rows]

    def add(self, policy: SlaPolicy) -> None:
        self._insert(_policy_row(policy))

    def save(self, policy: SlaPolicy) -> None:
        self._update(policy, _policy_row(policy), "SLA policy")

    def delete(self, policy_id: str) -> None:
        self.session.execute(delete(t.sla_policies).where(t.sla_policies.c.id == policy_id))

    def name_taken(self, name: str, exclude: str | None = None) -> bool:
        statement = select(t.sla_policies.c.id).where(
            func.lower(t.sla_policies.c.name) == name.lower()
        )
        if exclude:
            statement = statement.where(t.sla_policies.c.id != exclude)
        return self.session.execute(statement).first() is not None

    def using_calendar(self, calendar_id: str) -> list[str]:
        return list(
            self.session.execute(
                select(t.sla_policies.c.name).where(t.sla_policies.c.calendar_id == calendar_id)
            ).scalars()
        )


class CalendarRepository(_Versioned):
    table = t.business_calendars

    def get(self, calendar_id: str) -> CalendarDefinition | None:
        row = self.session.execute(
            select(t.business_calendars).where(t.business_calendars.c.id == calendar_id)
        ).first()
        return calendar_from_row(row) if row else None

    def all(self) -> list[CalendarDefinition]:
        rows = self.session.execute(
            select(t.business_calendars).order_by(t.business_calendars.c.name)
        )
        return [calendar_from_row(r) for r in rows]

    def add(self, definition: CalendarDefinition) -> None:
        self._insert(calendar_row(definition))

    def save(self, definition: CalendarDefinition) -> None:
        self._update(definition, calendar_row(definition), "calendar")

    def delete(self, calendar_id: str) -> None:
        self.session.execute(
            delete(t.business_calendars).where(t.business_calendars.c.id == calendar_id)
        )

    def clear_default(self, except_id: str) -> None:
        self.session.execute(
            update(t.business_calendars)
            .where(t.business_calendars.c.id != except_id, t.business_calendars.c.is_default)
            .values(is_default=False, version=t.business_calendars.c.version + 1)
        )

    def name_taken(self, name: str, exclude: str | None = None) -> bool:
        statement = select(t.business_calendars.c.id).where(
            func.lower(t.business_calendars.c.name) == name.lower()
        )
        if exclude:
            statement = statement.where(t.business_calendars.c.id != exclude)
        return self.session.execute(statement).first() is not None


def group_from_rows(row: Any, members: list[Any]) -> AgentGroup:
    m = row._mapping
    return AgentGroup(
        id=m["id"],
        name=m["name"],
        description=m["description"],
        round_robin=m["round_robin"],
        is_default=m["is_default"],
        active=m["active"],
        members=[
            Member(
                r.agent_id,
                r.name,
                r.email,
                r.available,
                r.joined_at,
                r.last_assigned_at,
                r.assigned_count,
                r.last_turn,
            )
            for r in sorted(members, key=lambda r: r.position)
        ],
        version=m["version"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
    )


class GroupRepository(_Versioned):
    table = t.agent_groups

    def get(self, group_id: str, *, lock: bool = False) -> AgentGroup | None:
        statement = select(t.agent_groups).where(t.agent_groups.c.id == group_id)
        if lock:
            statement = _for_update(self.session, statement)
        row = self.session.execute(statement).first()
        if row is None:
            return None
        members = self.session.execute(
            select(t.agent_group_members).where(t.agent_group_members.c.group_id == group_id)
        ).all()
        return group_from_rows(row, members)

    def all(self) -> list[AgentGroup]:
        rows = self.session.execute(select(t.agent_groups).order_by(t.agent_groups.c.name)).all()
        members = self.session.execute(select(t.agent_group_members)).all()
        by_group: dict[str, list] = {}
        for member in members:
            by_group.setdefault(member.group_id, []).append(member)
        return [group_from_rows(r, by_group.get(r.id, [])) for r in rows]

    def default(self) -> AgentGroup | None:
        row = self.session.execute(
            select(t.agent_groups.c.id).where(t.agent_groups.c.is_default, t.agent_groups.c.active)
        ).first()
        return self.get(row.id) if row else None

    def groups_of(self, agent_id: str) -> list[str]:
        return list(
            self.session.execute(
                select(t.agent_group_members.c.group_id)
                .join(t.agent_groups, t.agent_groups.c.id == t.agent_group_members.c.group_id)
                .where(t.agent_group_members.c.agent_id == agent_id)
                .order_by(t.agent_groups.c.name)
            ).scalars()
        )

    def add(self, group: AgentGroup) -> None:
        self._insert(self._row(group))
        self._write_members(group)

    def save(self, group: AgentGroup) -> None:
        self._update(group, self._row(group), "agent group")
        self._write_members(group)

    def save_members(self, group: AgentGroup) -> None:
        """Member bookkeeping only (round-robin turns): the group row was locked, not edited."""
        self._write_members(group)

    def clear_default(self, except_id: str) -> None:
        self.session.execute(
            update(t.agent_groups)
            .where(t.agent_groups.c.id != except_id, t.agent_groups.c.is_default)
            .values(is_default=False, version=t.agent_groups.c.version + 1)
        )

    def name_taken(self, name: str, exclude: str | None = None) -> bool:
        statement = select(t.agent_groups.c.id).where(
            func.lower(t.agent_groups.c.name) == name.lower()
        )
        if exclude:
            statement = statement.where(t.agent_groups.c.id != exclude)
        return self.session.execute(statement).first() is not None

    @staticmethod
    def _row(group: AgentGroup) -> dict[str, Any]:
        return {
            "id": group.id,
            "name": group.name,
            "description": group.description,
            "round_robin": group.round_robin,
            "is_default": group.is_default,
            "active": group.active,
            "version": group.version,
            "created_at": group.created_at,
            "updated_at": group.updated_at,
        }

    def _write_members(self, group: AgentGroup) -> None:
        self.session.execute(
            delete(t.agent_group_members).where(t.agent_group_members.c.group_id == group.id)
        )
        if group.members:
            self.session.execute(
                insert(t.agent_group_members),
                [
                    {
                        "group_id": group.id,
                        "agent_id": m.agent_id,
                        "name": m.name,
                        "email": m.email,
                        "available": m.available,
                        "position": i,
                        "joined_at": m.joined_at,
                        "last_assigned_at": m.last_assigned_at,
                        "assigned_count": m.assigned_count,
                        "last_turn": m.last_turn,
                    }
                    for i, m in enumerate(group.members)
                ],
            )


# -- replicas ---------------------------------------------------------------------------------


class CustomerReplicaRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, customer_id: str) -> CustomerReplica | None:
        row = self.session.execute(
            select(t.customers).where(t.customers.c.id == customer_id)
        ).first()
        if row is None:
            return None
        m = row._mapping
        return CustomerReplica(
            id=m["id"],
            name=m["name"],
            email=m["email"],
            tier=m["tier"],
            tags=list(m["tags"]),
            country=m["country"],
            status=m["status"],
            merged_into=m["merged_into"],
            revision=m["revision"],
            updated_at=m["updated_at"],
        )

    def resolve(self, customer_id: str) -> CustomerReplica | None:
        """The customer, following merges to the survivor."""
        customer = self.get(customer_id)
        hops = 0
        while customer is not None and customer.status == "merged" and customer.merged_into:
            customer = self.get(customer.merged_into)
            hops += 1
            if hops > 10:
                return None
        return customer

    def put(self, customer: CustomerReplica) -> None:
        row = {
            "name": customer.name,
            "email": customer.email,
            "tier": customer.tier,
            "tags": list(customer.tags),
            "country": customer.country,
            "status": customer.status,
            "merged_into": customer.merged_into,
            "revision": customer.revision,
            "updated_at": customer.updated_at,
        }
        result = self.session.execute(
            update(t.customers).where(t.customers.c.id == customer.id).values(**row)
        )
        if result.rowcount == 0:
            self.session.execute(insert(t.customers).values(id=customer.id, **row))


def _order_from_row(row: Any) -> OrderReplica:
    m = row._mapping
    return OrderReplica(
        id=m["id"],
        customer_id=m["customer_id"],
        number=m["number"],
        status=m["status"],
        lines=[
            OrderLine(li["product_id"], li.get("sku"), li.get("name"), Decimal(li["quantity"]))
            for li in m["lines"]
        ],
        returned_elsewhere={p: Decimal(q) for p, q in (m["returned_elsewhere"] or {}).items()},
        seen_returns=list(m["seen_returns"] or []),
        placed_at=m["placed_at"],
        revision=m["revision"],
        updated_at=m["updated_at"],
    )


class OrderReplicaRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, order_id: str) -> OrderReplica | None:
        row = self.session.execute(select(t.orders).where(t.orders.c.id == order_id)).first()
        return _order_from_row(row) if row else None

    def put(self, order: OrderReplica) -> None:
        row = {
            "customer_id": order.customer_id,
            "number": order.number,
            "status": order.status,
            "lines": [
                {
                    "product_id": li.product_id,
                    "sku": li.sku,
                    "name": li.name,
                    "quantity": format(li.quantity, "f"),
                }
                for li in order.lines
            ],
            "returned_elsewhere": {p: format(q, "f") for p, q in order.returned_elsewhere.items()},
            "seen_returns": list(order.seen_returns)[-500:],
            "placed_at": order.placed_at,
            "revision": order.revision,
            "updated_at": order.updated_at,
        }
        result = self.session.execute(
            update(t.orders).where(t.orders.c.id == order.id).values(**row)
        )
        if result.rowcount == 0:
            self.session.execute(insert(t.orders).values(id=order.id, **row))

    def rekey_customer(self, old: str, new: str) -> None:
        self.session.execute(
            update(t.orders).where(t.orders.c.customer_id == old).values(customer_id=new)
        )


# -- returns and surveys --------------------------------------------------------------------


def _return_row(r: ReturnRequest) -> dict[str, Any]:
    return {
        "id": r.id,
        "ticket_id": r.ticket_id,
        "order_id": r.order_id,
        "customer_id": r.customer_id,
        "lines": [
            {"product_id": li.product_id, "quantity": format(li.quantity, "f"), "sku": li.sku}
            for li in r.lines
        ],
        "full": r.full,
        "reason": r.reason,
        "status": r.status,
        "requested_by": r.requested_by,
        "requested_at": r.requested_at,
        "decided_by": r.decided_by,
        "decided_at": r.decided_at,
        "decision_reason": r.decision_reason,
        "version": r.version,
    }


def return_from_row(row: Any) -> ReturnRequest:
    m = row._mapping
    return ReturnRequest(
        id=m["id"],
        ticket_id=m["ticket_id"],
        order_id=m["order_id"],
        customer_id=m["customer_id"],
        lines=[
            ReturnLine(li["product_id"], Decimal(li["quantity"]), li.get("sku"))
            for li in m["lines"]
        ],
        full=m["full"],
        reason=m["reason"],
        status=m["status"],
        requested_by=m["requested_by"],
        requested_at=m["requested_at"],
        decided_by=m["decided_by"],
        decided_at=m["decided_at"],
        decision_reason=m["decision_reason"],
        version=m["version"],
        persisted_version=m["version"],
    )


class _VersionCounted:
    """Optimistic save for aggregates that count versions themselves (surveys, returns)."""

    table = None
    label = "record"

    def __init__(self, session: Session) -> None:
        self.session = session
        self.seen: dict[str, Any] = {}

    def _save(self, obj, row: dict[str, Any]) -> None:
        if obj.version == obj.persisted_version:
            return
        result = self.session.execute(
            update(self.table)
            .where(self.table.c.id == obj.id, self.table.c.version == obj.persisted_version)
            .values(**{k: v for k, v in row.items() if k != "id"})
        )
        if result.rowcount != 1:
            raise ConcurrentModification(f"{self.label} {obj.id} changed meanwhile; try again")
        obj.persisted_version = obj.version
        self.seen[obj.id] = obj

    def _add(self, obj, row: dict[str, Any]) -> None:
        self.session.execute(insert(self.table).values(**row))
        obj.persisted_version = obj.version
        self.seen[obj.id] = obj


class ReturnRepository(_VersionCounted):
    table = t.return_requests
    label = "return request"

    def get(self, request_id: str) -> ReturnRequest | None:
        row = self.session.execute(
            select(t.return_requests).where(t.return_requests.c.id == request_id)
        ).first()
        if row is None:
            return None
        request = return_from_row(row)
        self.seen[request.id] = request
        return request

    def of_ticket(self, ticket_id: str) -> list[ReturnRequest]:
        rows = self.session.execute(
            select(t.return_requests)
            .where(t.return_requests.c.ticket_id == ticket_id)
            .order_by(t.return_requests.c.requested_at, t.return_requests.c.id)
        )
        out = [return_from_row(r) for r in rows]
        for request in out:
            self.seen.setdefault(request.id, request)
        return [self.seen[r.id] for r in out]

    def reserved(self, order_id: str) -> dict[str, Decimal]:
        """Quantities per product in requests still open or approved for ``order_id``."""
        out: dict[str, Decimal] = {}
        rows = self.session.execute(
            select(t.return_requests.c.lines).where(
                t.return_requests.c.order_id == order_id,
                t.return_requests.c.status.in_(("requested", "approved")),
            )
        ).scalars()
        for lines in rows:
            for li in lines:
                out[li["product_id"]] = out.get(li["product_id"], Decimal(0)) + Decimal(
                    li["quantity"]
                )
        return out

    def add(self, request: ReturnRequest) -> None:
        self._add(request, _return_row(request))

    def save(self, request: ReturnRequest) -> None:
        self._save(request, _return_row(request))

    def rekey_customer(self, old: str, new: str) -> None:
        self.session.execute(
            update(t.return_requests)
            .where(t.return_requests.c.customer_id == old)
            .values(customer_id=new, version=t.return_requests.c.version + 1)
        )


def _survey_row(s: Survey) -> dict[str, Any]:
    return {
        "id": s.id,
        "ticket_id": s.ticket_id,
        "customer_id": s.customer_id,
        "agent_id": s.agent_id,
        "group_id": s.group_id,
        "policy_id": s.policy_id,
        "kind": s.kind,
        "status": s.status,
        "token_hash": s.token_hash,
        "recipient_email": s.recipient_email,
        "recipient_name": s.recipient_name,
        "send_at": s.send_at,
        "sent_at": s.sent_at,
        "expires_at": s.expires_at,
        "answered_at": s.answered_at,
        "score": s.score,
        "comment": s.comment,
        "attempts": s.attempts,
        "last_error": s.last_error,
        "follow_up": s.follow_up,
        "follow_up_ticket_id": s.follow_up_ticket_id,
        "low_score_threshold": s.low_score_threshold,
        "low_score_action": s.low_score_action,
        "created_at": s.created_at,
        "version": s.version,
    }


def survey_from_row(row: Any) -> Survey:
    m = row._mapping
    return Survey(
        id=m["id"],
        ticket_id=m["ticket_id"],
        customer_id=m["customer_id"],
        kind=m["kind"],
        send_at=m["send_at"],
        low_score_threshold=m["low_score_threshold"],
        low_score_action=m["low_score_action"],
        agent_id=m["agent_id"],
        group_id=m["group_id"],
        policy_id=m["policy_id"],
        recipient_email=m["recipient_email"],
        recipient_name=m["recipient_name"],
        status=m["status"],
        token_hash=m["token_hash"],
        sent_at=m["sent_at"],
        expires_at=m["expires_at"],
        answered_at=m["answered_at"],
        score=m["score"],
        comment=m["comment"],
        attempts=m["attempts"],
        last_error=m["last_error"],
        follow_up=m["follow_up"],
        follow_up_ticket_id=m["follow_up_ticket_id"],
        created_at=m["created_at"],
        version=m["version"],
        persisted_version=m["version"],
    )


class SurveyRepository(_VersionCounted):
    table = t.surveys
    label = "survey"

    def _one(self, condition, lock: bool = False) -> Survey | None:
        statement = select(t.surveys).where(condition)
        if lock:
            statement = _for_update(self.session, statement)
        row = self.session.execute(statement).first()
        if row is None:
            return None
        survey = survey_from_row(row)
        self.seen[survey.id] = survey
        return survey

    def get(self, survey_id: str, *, lock: bool = False) -> Survey | None:
        return self._one(t.surveys.c.id == survey_id, lock)

    def by_token_hash(self, token_hash: str, *, lock: bool = False) -> Survey | None:
        return self._one(t.surveys.c.token_hash == token_hash, lock)

    def of_ticket(self, ticket_id: str) -> list[Survey]:
        rows = self.session.execute(
            select(t.surveys)
            .where(t.surveys.c.ticket_id == ticket_id)
            .order_by(t.surveys.c.created_at)
        )
        out = [survey_from_row(r) for r in rows]
        for survey in out:
            self.seen.setdefault(survey.id, survey)
        return [self.seen[s.id] for s in out]

    def due(self, now: datetime, limit: int) -> list[str]:
        return list(
            self.session.execute(
                select(t.surveys.c.id)
                .where(t.surveys.c.status == "scheduled", t.surveys.c.send_at <= now)
                .order_by(t.surveys.c.send_at)
                .limit(limit)
            ).scalars()
        )

    def expired(self, now: datetime, limit: int) -> list[str]:
        return list(
            self.session.execute(
                select(t.surveys.c.id)
                .where(t.surveys.c.status == "sent", t.surveys.c.expires_at <= now)
                .limit(limit)
            ).scalars()
        )

    def ids_of_customer(self, customer_id: str) -> list[str]:
        return list(
            self.session.execute(
                select(t.surveys.c.id).where(t.surveys.c.customer_id == customer_id)
            ).scalars()
        )

    def add(self, survey: Survey) -> None:
        self._add(survey, _survey_row(survey))

    def save(self, survey: Survey) -> None:
        self._save(survey, _survey_row(survey))


class MailQueue:
    """Outbound email about tickets (public replies), sent by the worker."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def enqueue(self, **row) -> None:
        self.session.execute(insert(t.outbound_mail).values(**row))


REPOSITORIES = {
    "tickets": TicketRepository,
    "comments": CommentRepository,
    "policies": PolicyRepository,
    "calendars": CalendarRepository,
    "groups": GroupRepository,
    "customers": CustomerReplicaRepository,
    "orders": OrderReplicaRepository,
    "returns": ReturnRepository,
    "surveys": SurveyRepository,
    "mail": MailQueue,
}
