"""/api/v1/touchpoints: UTM visits reported by frontends; visitor linking; listings."""

from __future__ import annotations

from flask.views import MethodView

from campaign_service.api import schemas as s
from campaign_service.api.common import campaign_settings
from campaign_service.service import queries
from campaign_service.service import touchpoints as use
from servicekit.blueprint import Blueprint
from servicekit.idempotency import idempotent
from servicekit.webctx import require_scope, service

blp = Blueprint(
    "touchpoints",
    __name__,
    url_prefix="/api/v1/touchpoints",
    description="Marketing touchpoints: UTM-tagged visits (known customer or anonymous "
    "visitor id), human clicks in campaign emails and order UTM tags. They drive attribution. "
    "Scopes: touchpoints:read / touchpoints:write.",
)


@blp.route("")
class Touchpoints(MethodView):
    @blp.arguments(s.TouchpointListQuery, location="query")
    @blp.response(200, s.TouchpointPage)
    def get(self, query):
        """Touchpoints of a customer, a visitor or a campaign, newest first."""
        require_scope("touchpoints:read")
        with service().db.session() as session:
            page = queries.touchpoints_page(
                session, query, limit=query["limit"], cursor=query["cursor"]
            )
        return page.to_dict()

    @idempotent
    @blp.arguments(s.TouchpointIn)
    @blp.response(201, s.TouchpointOut)
    def post(self, body):
        """Record a visit with its UTM tags (utm_campaign finds the campaign)."""
        identity = require_scope("touchpoints:write")
        with service().uow() as uow:
            touchpoint = use.record_visit(
                uow, identity.subject, body, lookback_days=campaign_settings().lookback_days
            )
        return touchpoint, 201


@blp.route("/link")
class Link(MethodView):
    @idempotent
    @blp.arguments(s.LinkVisitorIn)
    @blp.response(200, s.LinkVisitorOut)
    def post(self, body):
        """Link an anonymous visitor id to the customer it turned out to be (e.g. at login);
        its touchpoints, past and future, count for that customer."""
        require_scope("touchpoints:write")
        customer_id = str(body["customer_id"])
        with service().uow() as uow:
            moved = use.link_visitor(
                uow,
                body["anonymous_id"],
                customer_id,
                lookback_days=campaign_settings().lookback_days,
            )
        return {
            "anonymous_id": body["anonymous_id"],
            "customer_id": customer_id,
            "touchpoints": moved,
        }
