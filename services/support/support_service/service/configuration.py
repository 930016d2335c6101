"""Use cases for the support configuration: SLA policies, business calendars, agent groups.

Policy changes apply to tickets opened or reclassified afterwards; tickets keep the targets they
were measured against (an SLA is a promise made when the ticket came in).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from servicekit.etag import check_version
from support_service.adapters import tables as t
from support_service.domain.calendars import CalendarDefinition
from support_service.domain.errors import InvalidValue, NotFound, StateConflict
from support_service.domain.groups import AgentGroup
from support_service.domain.sla import SlaPolicy
from support_service.service.context import SupportContext

# -- SLA policies -----------------------------------------------------------------------------


def _check_policy_refs(uow, policy: SlaPolicy) -> None:
    if policy.calendar_id and uow.calendars.get(policy.calendar_id) is None:
        raise InvalidValue(
            f"no business calendar {policy.calendar_id}", details={"calendar_id": ["unknown"]}
        )
    if uow.policies.name_taken(policy.name, exclude=policy.id):
        raise StateConflict(f"an SLA policy named {policy.name!r} exists already")


def create_policy(uow, ctx: SupportContext, data: dict[str, Any]) -> SlaPolicy:
    """Create an SLA policy (placed after the last one unless given a position)."""
    data = dict(data)
    if data.get("position") is None:
        top = uow.session.execute(select(func.max(t.sla_policies.c.position))).scalar()
        data["position"] = (top or 0) + 10
    policy = SlaPolicy.create(data, now=ctx.now())
    _check_policy_refs(uow, policy)
    uow.policies.add(policy)
    return policy


def get_policy(uow, policy_id: str) -> SlaPolicy:
    """The policy, or NotFound."""
    policy = uow.policies.get(policy_id)
    if policy is None:
        raise NotFound(f"no SLA policy {policy_id}")
    return policy


def update_policy(
    uow, ctx: SupportContext, policy_id: str, expected: int | None, changes: dict[str, Any]
) -> SlaPolicy:
    """Change a policy after checking the version the caller read."""
    policy = get_policy(uow, policy_id)
    if expected is not None:
        check_version(policy.version, expected)
    if policy.apply(changes, now=ctx.now()):
        _check_policy_refs(uow, policy)
        uow.policies.save(policy)
    return policy


def delete_policy(uow, policy_id: str) -> None:
    """Delete a policy no ticket was measured against."""
    get_policy(uow, policy_id)
    used = uow.session.execute(
        select(func.count()).select_from(t.tickets).where(t.tickets.c.policy_id == policy_id)
    ).scalar_one()
    if used:
        raise StateConflict(
            f"{used} ticket(s) were measured against this policy; deactivate it (active=false) "
            "instead of deleting it"
        )
    uow.policies.delete(policy_id)


# -- business calendars -------------------------------------------------------------------------


def create_calendar(uow, ctx: SupportContext, data: dict[str, Any]) -> CalendarDefinition:
    """Create a business calendar (a new default replaces the old one)."""
    definition = CalendarDefinition.create(data, now=ctx.now())
    if uow.calendars.name_taken(definition.name):
        raise StateConflict(f"a calendar named {definition.name!r} exists already")
    uow.calendars.add(definition)
    if definition.is_default:
        uow.calendars.clear_default(definition.id)
    return definition


def get_calendar(uow, calendar_id: str) -> CalendarDefinition:
    """The calendar definition, or NotFound."""
    definition = uow.calendars.get(calendar_id)
    if definition is None:
        raise NotFound(f"no business calendar {calendar_id}")
    return definition


def update_calendar(
    uow, ctx: SupportContext, calendar_id: str, expected: int | None, changes: dict[str, Any]
) -> CalendarDefinition:
    """Change a calendar after checking the version the caller read."""
    definition = get_calendar(uow, calendar_id)
    if expected is not None:
        check_version(definition.version, expected)
    if definition.apply(changes, now=ctx.now()):
        if uow.calendars.name_taken(definition.name, exclude=definition.id):
            raise StateConflict(f"a calendar named {definition.name!r} exists already")
        uow.calendars.save(definition)
        if definition.is_default:
            uow.calendars.clear_default(definition.id)
    return definition


def delete_calendar(uow, calendar_id: str) -> None:
    """Delete a calendar no policy and no open ticket uses."""
    get_calendar(uow, calendar_id)
    names = uow.policies.using_calendar(calendar_id)
    if names:
        raise StateConflict(
            "the calendar is used by SLA policies: " + ", ".join(sorted(names)) + "; point them "
            "at another calendar first"
        )
    used = uow.session.execute(
        select(func.count())
        .select_from(t.tickets)
        .where(
            t.tickets.c.calendar_id == calendar_id,
            t.tickets.c.status.not_in(("resolved", "closed")),
        )
    ).scalar_one()
    if used:
        raise StateConflict(f"{used} open ticket(s) run their SLA clocks on this calendar")
    uow.calendars.delete(calendar_id)


# -- agent groups -------------------------------------------------------------------------------


def create_group(uow, ctx: SupportContext, data: dict[str, Any]) -> AgentGroup:
    """Create an agent group with its first members."""
    members = data.pop("members", None) or []
    group = AgentGroup.create(data, now=ctx.now())
    if uow.groups.name_taken(group.name):
        raise StateConflict(f"a group named {group.name!r} exists already")
    for member in members:
        group.add_member(
            member["agent_id"],
            name=member.get("name"),
            email=member.get("email"),
            available=member.get("available", True),
            now=ctx.now(),
        )
    uow.groups.add(group)
    if group.is_default:
        uow.groups.clear_default(group.id)
    return group


def get_group(uow, group_id: str, *, lock: bool = False) -> AgentGroup:
    """The group (locked for the transaction when asked), or NotFound."""
    group = uow.groups.get(group_id, lock=lock)
    if group is None:
        raise NotFound(f"no agent group {group_id}")
    return group


def update_group(
    uow, ctx: SupportContext, group_id: str, expected: int | None, changes: dict[str, Any]
) -> AgentGroup:
    """Change a group after checking the version the caller read."""
    group = get_group(uow, group_id, lock=True)
    if expected is not None:
        check_version(group.version, expected)
    if group.apply(changes, now=ctx.now()):
        if uow.groups.name_taken(group.name, exclude=group.id):
            raise StateConflict(f"a group named {group.name!r} exists already")
        uow.groups.save(group)
        if group.is_default:
            uow.groups.clear_default(group.id)
    return group


def add_member(uow, ctx: SupportContext, group_id: str, data: dict[str, Any]) -> AgentGroup:
    """Add an agent to a group."""
    group = get_group(uow, group_id, lock=True)
    group.add_member(
        data["agent_id"],
        name=data.get("name"),
        email=data.get("email"),
        available=data.get("available", True),
        now=ctx.now(),
    )
    uow.groups.save(group)
    return group


def update_member(
    uow,
    ctx: SupportContext,
    group_id: str,
    agent_id: str,
    expected: int | None,
    data: dict[str, Any],
) -> AgentGroup:
    """Change a member's name, email or availability."""
    group = get_group(uow, group_id, lock=True)
    if expected is not None:
        check_version(group.version, expected)
    member = group.member(agent_id)
    if member is None:
        raise NotFound(f"agent {agent_id} is not a member of {group.name}")
    for key in ("name", "email", "available"):
        if key in data:
            setattr(member, key, data[key])
    group.updated_at = ctx.now()
    uow.groups.save(group)
    return group


def remove_member(uow, ctx: SupportContext, group_id: str, agent_id: str) -> AgentGroup:
    """Remove an agent from a group."""
    group = get_group(uow, group_id, lock=True)
    if not group.has_member(agent_id):
        raise NotFound(f"agent {agent_id} is not a member of {group.name}")
    group.remove_member(agent_id, ctx.now())
    uow.groups.save(group)
    return group
