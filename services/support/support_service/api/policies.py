"""/api/v1/sla-policies: SLA targets matched by conditions; ordered, first match wins.

Reading needs ``sla:read``, changing ``sla:write``.
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
from support_service.service.tickets import policy_for

blp = Blueprint(
    "sla_policies",
    __name__,
    url_prefix="/api/v1/sla-policies",
    description="SLA policies: conditions (priority, category, channel, customer tier and tags) "
    "and targets in business minutes for first response, next response and resolution, on a "
    "business calendar. Policies are tried by position; the first match wins.",
)
IF_MATCH = {"in": "header", "name": "If-Match", "required": True, "schema": {"type": "string"}}


def ctx() -> SupportContext:
    return service().extras["support"]


@blp.route("")
class Policies(MethodView):
    @blp.arguments(s.PolicyListQuery, location="query")
    @blp.response(200, s.PolicyPage)
    def get(self, query):
        """Policies in matching order (position, then name; cursor pagination)."""
        require_scope("sla:read")
        limit, cursor = query.pop("limit"), query.pop("cursor")
        with service().db.session() as session:
            return queries.list_policies(session, query, limit=limit, cursor=cursor).to_dict()

    @idempotent
    @blp.arguments(s.PolicyCreate)
    @blp.response(201, s.PolicySchema)
    def post(self, body):
        """Create a policy (position defaults to after the last one)."""
        require_scope("sla:write")
        with service().uow() as uow:
            policy = use.create_policy(uow, ctx(), body)
            uow.commit()
        return with_etag(
            policy, policy.version, 201, {"Location": f"/api/v1/sla-policies/{policy.id}"}
        )


@blp.route("/match")
class Match(MethodView):
    @blp.arguments(s.PolicyMatchQuery, location="query")
    @blp.response(200, s.PolicyMatchOut)
    def get(self, query):
        """Which policy and calendar a ticket with these facts would get."""
        require_scope("sla:read")
        with reading(service().db) as uow:
            customer = None
            if query.get("customer_id"):
                customer = uow.customers.resolve(query["customer_id"])
            policy = policy_for(uow, query, customer)
            calendar_id, _ = ctx().choose_calendar(uow, policy, customer)
        return {
            "policy": policy,
            "calendar_id": calendar_id,
            "customer_tier": customer.tier if customer else None,
            "customer_country": customer.country if customer else None,
        }


@blp.route("/<uuid:policy_id>")
class PolicyItem(MethodView):
    @blp.response(200, s.PolicySchema)
    def get(self, policy_id):
        """One policy."""
        require_scope("sla:read")
        with reading(service().db) as uow:
            policy = use.get_policy(uow, str(policy_id))
        return with_etag(policy, policy.version)

    @blp.arguments(s.PolicyPatch)
    @blp.response(200, s.PolicySchema)
    @blp.doc(parameters=[IF_MATCH])
    def patch(self, body, policy_id):
        """Change a policy (send If-Match); applies to tickets opened or reclassified later."""
        require_scope("sla:write")
        version = expected_version()
        with service().uow() as uow:
            policy = use.update_policy(uow, ctx(), str(policy_id), version, body)
            uow.commit()
        return with_etag(policy, policy.version)

    @blp.response(204)
    def delete(self, policy_id):
        """Delete a policy no ticket was measured against (else deactivate it)."""
        require_scope("sla:write")
        with service().uow() as uow:
            use.delete_policy(uow, str(policy_id))
            uow.commit()
        return None
