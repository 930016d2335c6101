"""/api/v1/suppressions: addresses never to email."""

from __future__ import annotations

from flask.views import MethodView

from campaign_service.api import schemas as s
from campaign_service.service import queries
from campaign_service.service import suppressions as use
from servicekit.blueprint import Blueprint
from servicekit.idempotency import idempotent
from servicekit.webctx import require_scope, service

blp = Blueprint(
    "suppressions",
    __name__,
    url_prefix="/api/v1/suppressions",
    description="The suppression list: unsubscribed and hard-bounced addresses (added "
    "automatically) and addresses suppressed by hand or after a complaint. No campaign email "
    "reaches a suppressed address. Scopes: campaigns:read / campaigns:write.",
)


@blp.route("")
class Suppressions(MethodView):
    @blp.arguments(s.SuppressionListQuery, location="query")
    @blp.response(200, s.SuppressionPage)
    def get(self, query):
        """List suppressions, newest first (filter by reason, address or customer)."""
        require_scope("campaigns:read")
        with service().db.session() as session:
            page = queries.suppressions_page(
                session, query, limit=query["limit"], cursor=query["cursor"]
            )
        return page.to_dict()

    @idempotent
    @blp.arguments(s.SuppressionIn)
    @blp.response(201, s.SuppressionOut)
    def post(self, body):
        """Suppress an address by hand (or after a complaint)."""
        identity = require_scope("campaigns:write")
        with service().uow() as uow:
            row = use.add_suppression(
                uow, identity, body["address"], body["reason"], body.get("note")
            )
        return row, 201, {"Location": f"/api/v1/suppressions/{row['id']}"}


@blp.route("/<uuid:suppression_id>")
class SuppressionItem(MethodView):
    @blp.response(204)
    def delete(self, suppression_id):
        """Lift a manual, complaint or bounce suppression (an unsubscribe cannot be lifted here:
        the person gives consent again instead)."""
        require_scope("campaigns:write")
        with service().uow() as uow:
            use.remove_suppression(uow, str(suppression_id))
        return None
