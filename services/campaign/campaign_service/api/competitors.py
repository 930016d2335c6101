"""/api/v1/competitors: competitor profiles for market research."""

from __future__ import annotations

from flask.views import MethodView

from campaign_service.adapters.repositories import CompetitorRepository
from campaign_service.api import schemas as s
from campaign_service.api.common import if_match_doc
from campaign_service.domain.errors import NotFound
from campaign_service.service import competitors as use
from campaign_service.service import queries
from servicekit.blueprint import Blueprint
from servicekit.etag import expected_version, with_etag
from servicekit.idempotency import idempotent
from servicekit.webctx import current_identity, require_scope, service

blp = Blueprint(
    "competitors",
    __name__,
    url_prefix="/api/v1/competitors",
    description="Competitor profiles: products with price points, strengths, weaknesses, "
    "notes. Scopes: research:read / research:write.",
)


def _competitor(session, competitor_id: str):
    competitor = CompetitorRepository(session).get(competitor_id)
    if competitor is None:
        raise NotFound(f"no competitor {competitor_id}")
    return competitor


@blp.route("")
class Competitors(MethodView):
    @blp.arguments(s.CompetitorListQuery, location="query")
    @blp.response(200, s.CompetitorPage)
    def get(self, query):
        """List competitors by name."""
        require_scope("research:read")
        with service().db.session() as session:
            page = queries.competitors_page(
                session, query, limit=query["limit"], cursor=query["cursor"]
            )
        return page.to_dict()

    @idempotent
    @blp.arguments(s.CompetitorCreate)
    @blp.response(201, s.CompetitorOut)
    def post(self, body):
        """Record a competitor."""
        require_scope("research:write")
        with service().uow() as uow:
            competitor = use.create_competitor(uow, current_identity(), body)
        return with_etag(
            competitor,
            competitor.version,
            201,
            {"Location": f"/api/v1/competitors/{competitor.id}"},
        )


@blp.route("/<uuid:competitor_id>")
class CompetitorItem(MethodView):
    @blp.response(200, s.CompetitorOut)
    def get(self, competitor_id):
        """One competitor."""
        require_scope("research:read")
        with service().db.session() as session:
            competitor = _competitor(session, str(competitor_id))
        return with_etag(competitor, competitor.version)

    @blp.arguments(s.CompetitorPatch)
    @blp.response(200, s.CompetitorOut)
    @blp.doc(parameters=[if_match_doc()])
    def patch(self, body, competitor_id):
        """Change a profile (If-Match required); lists are replaced as given."""
        require_scope("research:write")
        version = expected_version()
        with service().uow() as uow:
            competitor = use.update_competitor(uow, str(competitor_id), version, body)
        return with_etag(competitor, competitor.version)


@blp.route("/<uuid:competitor_id>/archive")
class Archive(MethodView):
    @idempotent
    @blp.response(200, s.CompetitorOut)
    def post(self, competitor_id):
        """Archive a competitor (kept for history, hidden from the default list)."""
        require_scope("research:write")
        with service().uow() as uow:
            competitor = use.archive_competitor(uow, str(competitor_id))
        return with_etag(competitor, competitor.version)


@blp.route("/<uuid:competitor_id>/restore")
class Restore(MethodView):
    @idempotent
    @blp.response(200, s.CompetitorOut)
    def post(self, competitor_id):
        """Bring an archived competitor back."""
        require_scope("research:write")
        with service().uow() as uow:
            competitor = use.restore_competitor(uow, str(competitor_id))
        return with_etag(competitor, competitor.version)
