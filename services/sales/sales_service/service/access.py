"""Who may see and own which sales record (object level).

Reps see their own records, managers their team's (and their own); admins, API keys and the
system see everything. A record the caller may not see does not exist for them (404).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import and_, or_

from sales_service.domain.errors import NotAllowed, NotFound
from servicekit.identity import Identity

_DEALS = {"sales_rep": "own", "sales_manager": "team"}
REACH: dict[str, dict[str, str]] = {
    "leads": {**_DEALS, "marketer": "all"},
    "opportunities": _DEALS,
    "quotes": _DEALS,
    "orders": {**_DEALS, "support_agent": "all", "marketer": "all"},
    "contracts": _DEALS,
    "tasks": _DEALS,
    "targets": _DEALS,
}


def can_see(actor: Identity, resource: str, obj: Any) -> bool:
    if resource == "targets":
        return _target_visible(actor, obj)
    return actor.can_see(REACH[resource], obj.owner_id, obj.owner_team)


def _target_visible(actor: Identity, target: Any) -> bool:
    """A rep sees their own targets and their team's; a manager every target of the team."""
    reach = actor.reach(REACH["targets"])
    if reach == "all":
        return True
    in_team = actor.team is not None and target.team == actor.team
    if target.subject == "team":
        return reach != "none" and in_team
    return target.owner_id == actor.id or (reach == "team" and in_team)


def target_condition(actor: Identity, table):
    c = table.c
    reach = actor.reach(REACH["targets"])
    if reach == "all":
        return None
    own = and_(c.subject == "rep", c.owner_id == actor.id)
    if reach == "none":
        return c.id.is_(None)
    if not actor.team:
        return own
    if reach == "team":
        return or_(own, c.team == actor.team)
    return or_(own, and_(c.subject == "team", c.team == actor.team))


def visible(repo, actor: Identity, resource: str, key: str, *, lock: bool = False):
    """The record, or NotFound when it does not exist or the caller may not see it."""
    obj = repo.get(key, lock=lock)
    if obj is None or not can_see(actor, resource, obj):
        raise NotFound(f"no {repo.label} {key}")
    return obj


def reach_condition(actor: Identity, resource: str, owner_column, team_column):
    """SQL condition limiting a listing to what the caller may see (None: everything)."""
    reach = actor.reach(REACH[resource])
    if reach == "all":
        return None
    if reach == "team":
        conditions = [owner_column == actor.id]
        if actor.team:
            conditions.append(team_column == actor.team)
        return or_(*conditions)
    if reach == "own":
        return owner_column == actor.id
    return owner_column.is_(None) & owner_column.is_not(None)  # nothing


def is_rep_only(actor: Identity) -> bool:
    return (
        actor.kind == "user"
        and actor.has_role("sales_rep")
        and not actor.has_role("sales_manager", "admin")
    )


def is_manager_only(actor: Identity) -> bool:
    return actor.kind == "user" and actor.has_role("sales_manager") and not actor.is_admin


def settle_owner(
    actor: Identity,
    owner_id: str | None,
    owner_team: str | None,
    *,
    fallback: tuple[str | None, str | None] = (None, None),
    explicit: bool = False,
) -> tuple[str | None, str | None]:
    """The owner a new or reassigned record gets.

    Reps own what they create and cannot hand records to others; managers assign within their
    team; admins and API keys assign freely. Without a requested owner: ``fallback`` (e.g. the
    customer's owner or an assignment rule), else the calling user.
    """
    if is_rep_only(actor):
        if owner_id not in (None, actor.id) or (owner_team not in (None, actor.team)):
            raise NotAllowed("sales reps can only assign records to themselves")
        return actor.id, actor.team
    if owner_id is None and not explicit:
        # A manager takes over another team's default owner rather than hand work outside.
        outside = is_manager_only(actor) and fallback[1] != actor.team and fallback[0] != actor.id
        if fallback != (None, None) and not outside:
            owner_id, owner_team = fallback
        elif actor.kind == "user" and _is_uuid(actor.id):
            owner_id, owner_team = actor.id, owner_team or actor.team
    if is_manager_only(actor):
        # A manager's records stay in the team, assigned or not, so the manager keeps them.
        owner_team = owner_team or actor.team
        if owner_id != actor.id and owner_team != actor.team:
            raise NotAllowed(f"managers assign records within their team ({actor.team})")
    return owner_id, owner_team


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
        return True
    except ValueError:
        return False
