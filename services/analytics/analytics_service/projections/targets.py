"""Sales targets per rep or team and period, and reps' tasks (activities)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from analytics_service.adapters import tables as t
from analytics_service.domain.money import q4
from analytics_service.domain.text import clip
from analytics_service.projections.framework import (
    Event,
    FactProjection,
    blank_row,
    day_columns,
    parse_time,
)


class TargetsProjection(FactProjection):
    name = "targets"
    table = t.targets
    key = "target_id"
    handles = {"sales.target.set": (1,), "sales.target.removed": (1,)}
    tables = (t.targets,)

    def blank(self, key: str) -> dict[str, Any]:
        return blank_row(t.targets, target_id=key, removed=False, revision=0)

    def fold(self, row: dict[str, Any], event: Event, context: Any = None) -> bool:
        data = event.data
        if data["revision"] <= row["revision"]:
            return False
        if event.event_type == "sales.target.removed":
            row.update(removed=True, revision=data["revision"])
            return True
        row.update(
            subject=data["subject"],
            owner_id=data.get("owner_id"),
            team=clip(data.get("team"), 60),
            period_kind=data["period_kind"],
            period=clip(data["period"], 20),
            period_start=date.fromisoformat(data["period_start"]),
            period_end=date.fromisoformat(data["period_end"]),
            metric=data["metric"],
            value=q4(Decimal(data["value"])),
            currency=data.get("currency"),
            removed=False,
            revision=data["revision"],
        )
        return True


TASK_EVENTS = (
    "sales.task.created",
    "sales.task.updated",
    "sales.task.completed",
    "sales.task.cancelled",
    "sales.task.due",
)


class TasksProjection(FactProjection):
    name = "tasks"
    table = t.tasks
    key = "task_id"
    handles = dict.fromkeys(TASK_EVENTS, (1,))
    tables = (t.tasks,)

    def blank(self, key: str) -> dict[str, Any]:
        return blank_row(t.tasks, task_id=key, revision=0)

    def fold(self, row: dict[str, Any], event: Event, context: Any = None) -> bool:
        data = event.data
        if data["revision"] <= row["revision"]:
            return False
        completed = parse_time(data.get("completed_at")) if data["status"] == "completed" else None
        row.update(
            kind=data["kind"],
            status=data["status"],
            priority=data["priority"],
            assignee_id=data.get("assignee_id"),
            assignee_team=clip(data.get("assignee_team"), 60),
            related_type=data.get("related_type"),
            customer_id=data.get("customer_id"),
            created_at=parse_time(data["created_at"]),
            due_at=parse_time(data.get("due_at")),
            completed_at=completed,
            revision=data["revision"],
            **day_columns("completed", completed),
        )
        return True
