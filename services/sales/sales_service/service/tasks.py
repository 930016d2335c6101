"""Task use cases: plan, change, reassign, complete, cancel, reopen; due reminders."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sales_service.domain.errors import InvalidValue
from sales_service.domain.tasks import Task
from sales_service.service.access import settle_owner, visible
from sales_service.service.common import customer_for, now
from servicekit.etag import check_version
from servicekit.identity import Identity

_RELATED = {
    "lead": ("leads", "leads"),
    "opportunity": ("opportunities", "opportunities"),
    "quote": ("quotes", "quotes"),
    "order": ("orders", "orders"),
    "contract": ("contracts", "contracts"),
}


def _task(uow, actor: Identity, task_id: str, version: int | None = None) -> Task:
    task = visible(uow.tasks, actor, "tasks", task_id)
    if version is not None:
        check_version(task.version, version)
    return task


def _related(uow, actor: Identity, related_type: str | None, related_id: str | None):
    """Check the record a task hangs on exists and is visible; return its customer, if any."""
    if related_type is None:
        return None
    if related_type == "customer":
        return customer_for(uow, related_id).id
    repo_name, resource = _RELATED[related_type]
    record = visible(getattr(uow, repo_name), actor, resource, related_id)
    return getattr(record, "customer_id", None)


def plan_task(uow, actor: Identity, data: dict[str, Any]) -> Task:
    data = dict(data)
    related_type, related_id = data.pop("related_type", None), data.pop("related_id", None)
    if (related_type is None) != (related_id is None):
        raise InvalidValue("give related_type and related_id together")
    customer_id = _related(uow, actor, related_type, related_id)
    owner = settle_owner(actor, data.pop("assignee_id", None), data.pop("assignee_team", None))
    task = Task.plan(
        assignee_id=owner[0],
        assignee_team=owner[1],
        related_type=related_type,
        related_id=related_id,
        customer_id=customer_id,
        created_by=actor.id,
        now=now(uow),
        **data,
    )
    uow.tasks.add(task)
    uow.commit()
    return task


def change_task(uow, actor: Identity, task_id: str, version: int, changes: dict) -> Task:
    task = _task(uow, actor, task_id, version)
    changes = dict(changes)
    owner = None
    if "assignee_id" in changes or "assignee_team" in changes:
        owner = settle_owner(
            actor,
            changes.pop("assignee_id", None),
            changes.pop("assignee_team", None),
            explicit=True,
        )
    changed = bool(task.update(changes, now(uow))) if changes else False
    if owner is not None:
        changed = task.reassign(*owner, now=now(uow)) or changed
    if changed:
        uow.tasks.save(task)
    uow.commit()
    return task


def act(uow, actor: Identity, task_id: str, action: str, body: dict) -> Task:
    task = _task(uow, actor, task_id, body.get("expected_version"))
    at = now(uow)
    if action == "complete":
        task.complete(body.get("outcome"), at)
    elif action == "cancel":
        task.cancel(at)
    elif action == "reopen":
        task.reopen(at)
    else:  # pragma: no cover
        raise InvalidValue(f"unknown action {action}")
    uow.tasks.save(task)
    uow.commit()
    return task


def remind_due(uow_factory, at: datetime) -> int:
    """Publish sales.task.due once for every open task whose due time has come."""
    with uow_factory() as uow:
        ids = uow.tasks.due(at)
    done = 0
    for task_id in ids:
        with uow_factory() as uow:
            task = uow.tasks.get(task_id)
            if task is None or not task.is_due(at):
                continue
            task.remind(at)
            uow.tasks.save(task)  # optimistic: a concurrent run fails here instead of repeating
            uow.commit()
            done += 1
    return done
