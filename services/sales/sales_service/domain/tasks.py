"""Tasks and activities (call, visit, meeting, follow-up) with a due date and an assignee."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sales_service.domain.base import Aggregate, clean, new_id, utcnow, uuid_or_none
from sales_service.domain.errors import InvalidValue

KINDS = ("call", "visit", "meeting", "follow_up", "email", "other")
PRIORITIES = ("low", "normal", "high")
STATUSES = ("open", "completed", "cancelled")
RELATED_TYPES = ("lead", "opportunity", "quote", "order", "contract", "customer")
EDITABLE = ("kind", "subject", "notes", "priority", "due_at")


@dataclass(eq=False)
class Task(Aggregate):
    id: str
    kind: str
    subject: str
    priority: str = "normal"
    status: str = "open"
    notes: str | None = None
    due_at: datetime | None = None
    assignee_id: str | None = None
    assignee_team: str | None = None
    related_type: str | None = None
    related_id: str | None = None
    customer_id: str | None = None
    outcome: str | None = None
    reminded_at: datetime | None = None
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None
    created_by: str | None = None
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    version: int = 1

    @classmethod
    def plan(
        cls,
        *,
        kind: str,
        subject: str,
        assignee_id: str | None,
        assignee_team: str | None,
        related_type: str | None = None,
        related_id: str | None = None,
        customer_id: str | None = None,
        created_by: str | None = None,
        now: datetime | None = None,
        **data,
    ) -> Task:
        if (related_type is None) != (related_id is None):
            raise InvalidValue("give related_type and related_id together")
        if related_type is not None and related_type not in RELATED_TYPES:
            raise InvalidValue(f"related_type must be one of {', '.join(RELATED_TYPES)}")
        now = now or utcnow()
        task = cls(
            id=new_id(),
            kind="other",
            subject="",
            assignee_id=uuid_or_none(assignee_id),
            assignee_team=clean(assignee_team),
            related_type=related_type,
            related_id=related_id,
            customer_id=customer_id,
            created_by=uuid_or_none(created_by),
            created_at=now,
            updated_at=now,
        )
        task._edit({"kind": kind, "subject": subject, **data})
        task.emit("task.created")
        return task

    @property
    def owner_id(self) -> str | None:
        return self.assignee_id

    @property
    def owner_team(self) -> str | None:
        return self.assignee_team

    def _edit(self, data: dict) -> list[str]:
        data = dict(data)
        for key in ("subject", "notes"):
            if key in data:
                data[key] = clean(data[key])
        if "subject" in data and not data["subject"]:
            raise InvalidValue("a task needs a subject")
        if "kind" in data and data["kind"] not in KINDS:
            raise InvalidValue(f"kind must be one of {', '.join(KINDS)}")
        if "priority" in data and data["priority"] not in PRIORITIES:
            raise InvalidValue(f"priority must be one of {', '.join(PRIORITIES)}")
        changed = self.apply_changes(data, EDITABLE)
        if "due_at" in changed:
            self.reminded_at = None  # a new due date earns a new reminder
        return changed

    def update(self, changes: dict, now: datetime | None = None) -> list[str]:
        self.require_status("open", action="change")
        changed = self._edit(changes)
        if changed:
            self.updated_at = now or utcnow()
            self.emit("task.updated", changed_fields=changed)
        return changed

    def reassign(self, assignee_id, assignee_team, now=None) -> bool:
        self.require_status("open", action="reassign")
        if (assignee_id, assignee_team) == (self.assignee_id, self.assignee_team):
            return False
        self.assignee_id, self.assignee_team = uuid_or_none(assignee_id), clean(assignee_team)
        self.updated_at = now or utcnow()
        self.emit("task.updated", changed_fields=["assignee_id", "assignee_team"])
        return True

    def is_due(self, now: datetime) -> bool:
        return (
            self.status == "open"
            and self.due_at is not None
            and self.due_at <= now
            and self.reminded_at is None
        )

    def remind(self, now: datetime | None = None) -> None:
        now = now or utcnow()
        self.reminded_at = now
        self.emit("task.due", reminded_at=now)

    def complete(self, outcome: str | None = None, now: datetime | None = None) -> None:
        self.require_status("open", action="complete")
        now = now or utcnow()
        self.status, self.completed_at, self.outcome, self.updated_at = (
            "completed",
            now,
            clean(outcome),
            now,
        )
        self.emit("task.completed")

    def cancel(self, now: datetime | None = None) -> None:
        self.require_status("open", action="cancel")
        now = now or utcnow()
        self.status, self.cancelled_at, self.updated_at = "cancelled", now, now
        self.emit("task.cancelled", cancelled_at=now)

    def reopen(self, now: datetime | None = None) -> None:
        self.require_status("completed", "cancelled", action="reopen")
        now = now or utcnow()
        self.status, self.completed_at, self.cancelled_at, self.updated_at = "open", None, None, now
        self.emit("task.updated", changed_fields=["status"])
