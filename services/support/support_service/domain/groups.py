"""Agent groups: who works a queue, and round-robin assignment among them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from support_service.domain.errors import InvalidValue, StateConflict

MAX_MEMBERS = 500


@dataclass
class Member:
    agent_id: str
    name: str | None = None
    email: str | None = None
    available: bool = True
    joined_at: datetime | None = None
    last_assigned_at: datetime | None = None
    assigned_count: int = 0
    last_turn: int | None = None  # the group's round-robin turn this member last got


@dataclass(eq=False)
class AgentGroup:
    id: str
    name: str
    description: str | None = None
    round_robin: bool = True
    is_default: bool = False
    active: bool = True
    members: list[Member] = field(default_factory=list)
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def create(cls, data: dict[str, Any], *, now: datetime) -> AgentGroup:
        """A group from API data."""
        group = cls(id=str(uuid.uuid4()), name="", created_at=now, updated_at=now)
        group.apply(data, now=now)
        return group

    def apply(self, data: dict[str, Any], *, now: datetime) -> list[str]:
        """Change group fields; return the names that changed."""
        changed = []
        for key in ("name", "description", "round_robin", "is_default", "active"):
            if key in data and getattr(self, key) != data[key]:
                setattr(self, key, data[key])
                changed.append(key)
        unknown = set(data) - {"name", "description", "round_robin", "is_default", "active"}
        if unknown:
            raise InvalidValue(f"cannot set {', '.join(sorted(unknown))} on a group")
        if not (self.name or "").strip():
            raise InvalidValue("a group needs a name")
        if changed:
            self.updated_at = now
        return changed

    def member(self, agent_id: str) -> Member | None:
        return next((m for m in self.members if m.agent_id == agent_id), None)

    def has_member(self, agent_id: str) -> bool:
        return self.member(agent_id) is not None

    def add_member(
        self,
        agent_id: str,
        *,
        name: str | None,
        email: str | None,
        available: bool,
        now: datetime,
    ) -> Member:
        """Add an agent (once)."""
        if self.has_member(agent_id):
            raise StateConflict(f"agent {agent_id} is already a member of {self.name}")
        if len(self.members) >= MAX_MEMBERS:
            raise InvalidValue(f"a group has at most {MAX_MEMBERS} members")
        member = Member(agent_id, name, email, available, joined_at=now)
        self.members.append(member)
        self.updated_at = now
        return member

    def remove_member(self, agent_id: str, now: datetime) -> None:
        """Remove an agent."""
        member = self.member(agent_id)
        if member is None:
            raise InvalidValue(f"agent {agent_id} is not a member of {self.name}")
        self.members.remove(member)
        self.updated_at = now

    def next_agent(self, now: datetime) -> Member | None:
        """Round-robin: the available member whose last turn is the oldest (members who never
        had one first, then by joining order). Turns are a counter, not clock readings, so two
        assignments in the same instant still alternate; the caller holds the group's lock, so
        two assignments at once cannot take the same turn."""
        candidates = [m for m in self.members if m.available]
        if not candidates:
            return None
        order = {id(m): i for i, m in enumerate(self.members)}
        chosen = min(
            candidates,
            key=lambda m: (m.last_turn is not None, m.last_turn or 0, order[id(m)]),
        )
        chosen.last_turn = max((m.last_turn or 0) for m in self.members) + 1
        chosen.last_assigned_at = now
        chosen.assigned_count += 1
        return chosen
