"""The current permissions of subscription owners (users and API keys), read in bulk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from gateway import tables as t
from gateway.scopes import has_scope, scopes_for_roles


@dataclass(frozen=True)
class Owner:
    kind: str
    id: str
    scopes: frozenset[str]
    problem: str | None = None  # why the owner may not receive anything any more


def load_owners(session, pairs, now: datetime) -> dict[tuple[str, str], Owner]:
    """``{(kind, id): Owner}`` for the given owners (missing ones carry a problem)."""
    pairs = set(pairs)
    found: dict[tuple[str, str], Owner] = {}
    user_ids = [i for k, i in pairs if k == "user"]
    key_ids = [i for k, i in pairs if k == "api_key"]
    if user_ids:
        for row in session.execute(
            select(t.users.c.id, t.users.c.roles, t.users.c.active).where(
                t.users.c.id.in_(user_ids)
            )
        ):
            scopes = scopes_for_roles(row.roles or ())
            problem = None if row.active else "its owner's user account was deactivated"
            found[("user", row.id)] = Owner("user", row.id, scopes, problem)
    if key_ids:
        for row in session.execute(
            select(
                t.api_keys.c.id,
                t.api_keys.c.scopes,
                t.api_keys.c.revoked_at,
                t.api_keys.c.expires_at,
            ).where(t.api_keys.c.id.in_(key_ids))
        ):
            problem = None
            if row.revoked_at is not None:
                problem = "its owner's API key was revoked"
            elif row.expires_at is not None and row.expires_at <= now:
                problem = "its owner's API key expired"
            found[("api_key", row.id)] = Owner(
                "api_key", row.id, frozenset(row.scopes or ()), problem
            )
    out = {}
    for kind, owner_id in pairs:
        owner = found.get((kind, owner_id)) or Owner(
            kind, owner_id, frozenset(), "its owner no longer exists"
        )
        if owner.problem is None and not has_scope(owner.scopes, "webhooks:read"):
            owner = Owner(kind, owner_id, owner.scopes, "its owner lost the webhooks permission")
        out[(kind, owner_id)] = owner
    return out
