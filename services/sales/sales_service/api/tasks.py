"""/api/v1/tasks: calls, visits, meetings and follow-ups with due dates and assignees, linked
to any sales record; reminders go out when they fall due.

Scopes: ``tasks:read`` / ``tasks:write``.
"""

from __future__ import annotations

from flask.views import MethodView

from sales_service.adapters.repositories import TaskRepository
from sales_service.api.common import IF_MATCH, IF_MATCH_OPTIONAL, created, paging, with_version
from sales_service.api.schemas import planning as s
from sales_service.api.schemas.common import EmptyIn
from sales_service.domain.errors import NotFound
from sales_service.service import queries
from sales_service.service import tasks as use
from sales_service.service.access import can_see
from servicekit.blueprint import Blueprint
from servicekit.etag import expected_version, with_etag
from servicekit.idempotency import idempotent
from servicekit.webctx import require_scope, service

blp = Blueprint(
    "tasks",
    __name__,
    url_prefix="/api/v1/tasks",
    description="Tasks and activities with due dates and assignees; sales.task.due is "
    "published when one falls due. Scopes tasks:read / tasks:write.",
)


@blp.route("")
class Tasks(MethodView):
    @blp.arguments(s.TaskQuery, location="query")
    @blp.response(200, s.TaskPage)
    def get(self, query):
        """List the tasks you may see (by due date unless told otherwise)."""
        identity = require_scope("tasks:read")
        limit, cursor, sort = paging(query)
        rt = service()
        with rt.db.session() as session:
            return queries.list_tasks(
                session,
                identity,
                query,
                limit=limit,
                cursor=cursor,
                sort=sort,
                now=rt.extras["config"].now(),
            ).to_dict()

    @idempotent
    @blp.arguments(s.TaskIn)
    @blp.response(201, s.TaskOut)
    def post(self, body):
        """Plan a task, optionally on a lead, opportunity, quote, order, contract or customer."""
        identity = require_scope("tasks:write")
        with service().uow() as uow:
            task = use.plan_task(uow, identity, body)
        return created(task, f"/api/v1/tasks/{task.id}")


@blp.route("/<uuid:task_id>")
class TaskItem(MethodView):
    @blp.response(200, s.TaskOut)
    def get(self, task_id):
        """One task."""
        identity = require_scope("tasks:read")
        with service().db.session() as session:
            task = TaskRepository(session).get(str(task_id))
        if task is None or not can_see(identity, "tasks", task):
            raise NotFound(f"no task {task_id}")
        return with_etag(task, task.version)

    @blp.arguments(s.TaskPatch)
    @blp.response(200, s.TaskOut)
    @blp.doc(**IF_MATCH)
    def patch(self, body, task_id):
        """Change an open task, its due date or assignee (If-Match)."""
        identity = require_scope("tasks:write")
        version = expected_version()
        with service().uow() as uow:
            task = use.change_task(uow, identity, str(task_id), version, body)
        return with_etag(task, task.version)


def _action(name: str, schema, doc: str):
    @idempotent
    @blp.arguments(schema)
    @blp.response(200, s.TaskOut)
    @blp.doc(**IF_MATCH_OPTIONAL)
    def post(self, body, task_id):
        identity = require_scope("tasks:write")
        with service().uow() as uow:
            task = use.act(uow, identity, str(task_id), name, with_version(body))
        return with_etag(task, task.version)

    post.__doc__ = doc
    blp.route(f"/<uuid:task_id>/{name}")(type(f"Task{name.title()}", (MethodView,), {"post": post}))


_action("complete", s.CompleteIn, "Mark the task done, with its outcome.")
_action("cancel", EmptyIn, "Call the task off.")
_action("reopen", EmptyIn, "Reopen a completed or cancelled task.")
