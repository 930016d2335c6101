"""/api/v1/agent-groups: support teams, their members and round-robin assignment.

Reading needs ``tickets:read``; changing groups needs ``support:admin``.
"""

from __future__ import annotations

from flask.views import MethodView

from servicekit.blueprint import Blueprint
from servicekit.etag import expected_version, with_etag
from servicekit.idempotency import idempotent
from servicekit.webctx import require_scope, service
from support_service.api import schemas as s
from support_service.service import configuration as use
from support_service.service import queries
from support_service.service.context import SupportContext
from support_service.service.reading import reading

blp = Blueprint(
    "agent_groups",
    __name__,
    url_prefix="/api/v1/agent-groups",
    description="Agent groups (queues) with members; new tickets of a round-robin group go to "
    "its available members in turn. Agents see the tickets of their groups.",
)
IF_MATCH = {"in": "header", "name": "If-Match", "required": True, "schema": {"type": "string"}}


def ctx() -> SupportContext:
    return service().extras["support"]


@blp.route("")
class Groups(MethodView):
    @blp.arguments(s.GroupListQuery, location="query")
    @blp.response(200, s.GroupPage)
    def get(self, query):
        """Agent groups with their members, by name (cursor pagination)."""
        require_scope("tickets:read")
        limit, cursor = query.pop("limit"), query.pop("cursor")
        with service().db.session() as session:
            return queries.list_groups(session, query, limit=limit, cursor=cursor).to_dict()

    @idempotent
    @blp.arguments(s.GroupCreate)
    @blp.response(201, s.GroupSchema)
    def post(self, body):
        """Create a group (optionally with members; is_default takes unrouted tickets)."""
        require_scope("support:admin")
        with service().uow() as uow:
            group = use.create_group(uow, ctx(), body)
            uow.commit()
        return with_etag(
            group, group.version, 201, {"Location": f"/api/v1/agent-groups/{group.id}"}
        )


@blp.route("/<uuid:group_id>")
class GroupItem(MethodView):
    @blp.response(200, s.GroupSchema)
    def get(self, group_id):
        """One group."""
        require_scope("tickets:read")
        with reading(service().db) as uow:
            group = use.get_group(uow, str(group_id))
        return with_etag(group, group.version)

    @blp.arguments(s.GroupPatch)
    @blp.response(200, s.GroupSchema)
    @blp.doc(parameters=[IF_MATCH])
    def patch(self, body, group_id):
        """Rename, switch round-robin, make default, deactivate (send If-Match)."""
        require_scope("support:admin")
        version = expected_version()
        with service().uow() as uow:
            group = use.update_group(uow, ctx(), str(group_id), version, body)
            uow.commit()
        return with_etag(group, group.version)


@blp.route("/<uuid:group_id>/members")
class Members(MethodView):
    @blp.response(200, s.MemberOut(many=True))
    def get(self, group_id):
        """The group's members, in round-robin order."""
        require_scope("tickets:read")
        with reading(service().db) as uow:
            return use.get_group(uow, str(group_id)).members

    @idempotent
    @blp.arguments(s.MemberIn)
    @blp.response(201, s.GroupSchema)
    def post(self, body, group_id):
        """Add an agent (a user id from the gateway) to the group."""
        require_scope("support:admin")
        with service().uow() as uow:
            group = use.add_member(uow, ctx(), str(group_id), body)
            uow.commit()
        return with_etag(group, group.version, 201)


@blp.route("/<uuid:group_id>/members/<uuid:agent_id>")
class MemberItem(MethodView):
    @blp.arguments(s.MemberPatch)
    @blp.response(200, s.GroupSchema)
    @blp.doc(parameters=[IF_MATCH])
    def patch(self, body, group_id, agent_id):
        """Change a member's name, email or availability (unavailable: skipped by round-robin);
        send If-Match with the group's ETag."""
        require_scope("support:admin")
        version = expected_version()
        with service().uow() as uow:
            group = use.update_member(uow, ctx(), str(group_id), str(agent_id), version, body)
            uow.commit()
        return with_etag(group, group.version)

    @blp.response(200, s.GroupSchema)
    def delete(self, group_id, agent_id):
        """Remove an agent from the group (their tickets stay assigned)."""
        require_scope("support:admin")
        with service().uow() as uow:
            group = use.remove_member(uow, ctx(), str(group_id), str(agent_id))
            uow.commit()
        return with_etag(group, group.version)
