"""/api/v1/customers/{id}/interactions: the follow-up record."""

from __future__ import annotations

from flask.views import MethodView

from customer_service.adapters.repositories import InteractionRepository
from customer_service.api import schemas as s
from customer_service.api.customers import _visible
from customer_service.domain.errors import NotFound
from customer_service.service import interactions as use
from customer_service.service import queries
from servicekit.blueprint import Blueprint
from servicekit.etag import expected_version, with_etag
from servicekit.idempotency import idempotent
from servicekit.webctx import require_scope, service

blp = Blueprint(
    "interactions",
    __name__,
    url_prefix="/api/v1/customers",
    description="Follow-up records: calls, visits, emails, meetings, notes.",
)


@blp.route("/<uuid:customer_id>/interactions")
class Interactions(MethodView):
    @blp.arguments(s.InteractionListQuery, location="query")
    @blp.response(200, s.InteractionPage)
    def get(self, query, customer_id):
        """The customer's interactions, newest first."""
        require_scope("customers:read")
        with service().db.session() as session:
            _visible(session, str(customer_id))
            page = queries.interactions_page(
                session,
                str(customer_id),
                limit=query["limit"],
                cursor=query["cursor"],
                kind=query.get("kind"),
            )
        return page.to_dict()

    @idempotent
    @blp.arguments(s.InteractionIn)
    @blp.response(201, s.InteractionSchema)
    def post(self, body, customer_id):
        """Log an interaction."""
        identity = require_scope("customers:write")
        with service().uow() as uow:
            item = use.log_interaction(uow, identity, str(customer_id), body)
        return with_etag(
            item,
            item.version,
            201,
            {"Location": f"/api/v1/customers/{customer_id}/interactions/{item.id}"},
        )


@blp.route("/<uuid:customer_id>/interactions/<uuid:interaction_id>")
class InteractionItem(MethodView):
    @blp.response(200, s.InteractionSchema)
    def get(self, customer_id, interaction_id):
        """One interaction."""
        require_scope("customers:read")
        with service().db.session() as session:
            _visible(session, str(customer_id))
            item = InteractionRepository(session).get(str(customer_id), str(interaction_id))
        if item is None:
            raise NotFound(f"no interaction {interaction_id}")
        return with_etag(item, item.version)

    @blp.arguments(s.InteractionPatch)
    @blp.response(200, s.InteractionSchema)
    def patch(self, body, customer_id, interaction_id):
        """Amend an interaction (If-Match required)."""
        identity = require_scope("customers:write")
        version = expected_version()
        with service().uow() as uow:
            item = use.amend_interaction(
                uow, identity, str(customer_id), str(interaction_id), version, body
            )
        return with_etag(item, item.version)
