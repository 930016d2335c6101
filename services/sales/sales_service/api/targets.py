"""/api/v1/targets: sales targets per rep or team and period, with attainment.

Scopes: ``targets:read`` / ``targets:write`` (reps read their own; managers set their team's).
"""

from __future__ import annotations

from flask.views import MethodView

from sales_service.adapters.repositories import TargetRepository
from sales_service.api.common import IF_MATCH, IF_MATCH_OPTIONAL, created, optional_version, paging
from sales_service.api.schemas import planning as s
from sales_service.domain.errors import NotFound
from sales_service.service import queries
from sales_service.service import targets as use
from sales_service.service.access import can_see
from servicekit.blueprint import Blueprint
from servicekit.etag import expected_version, with_etag
from servicekit.idempotency import idempotent
from servicekit.webctx import require_scope, service

blp = Blueprint(
    "targets",
    __name__,
    url_prefix="/api/v1/targets",
    description="Targets for revenue (paid orders, base currency), order count, won deals or "
    "won value per rep or team and month or quarter, with attainment. Scopes targets:read / "
    "targets:write.",
)


def _with_attainment(session, target):
    target.attainment = use.attainment(session, target)
    return target


@blp.route("")
class Targets(MethodView):
    @blp.arguments(s.TargetQuery, location="query")
    @blp.response(200, s.TargetPage)
    def get(self, query):
        """List the targets you may see, each with its attainment."""
        identity = require_scope("targets:read")
        limit, cursor, sort = paging(query)
        with service().db.session() as session:
            page = queries.list_targets(
                session, identity, query, limit=limit, cursor=cursor, sort=sort
            )
            for target in page.items:
                _with_attainment(session, target)
        return page.to_dict()

    @idempotent
    @blp.arguments(s.TargetIn)
    @blp.response(201, s.TargetOut)
    def post(self, body):
        """Set a target (one per subject, period and metric)."""
        identity = require_scope("targets:write")
        with service().uow() as uow:
            target = use.set_target(uow, identity, body)
            _with_attainment(uow.session, target)
        return created(target, f"/api/v1/targets/{target.id}")


@blp.route("/<uuid:target_id>")
class TargetItem(MethodView):
    @blp.response(200, s.TargetOut)
    def get(self, target_id):
        """One target with its attainment."""
        identity = require_scope("targets:read")
        with service().db.session() as session:
            target = TargetRepository(session).get(str(target_id))
            if target is None or not can_see(identity, "targets", target):
                raise NotFound(f"no target {target_id}")
            _with_attainment(session, target)
        return with_etag(target, target.version)

    @blp.arguments(s.TargetPatch)
    @blp.response(200, s.TargetOut)
    @blp.doc(**IF_MATCH)
    def patch(self, body, target_id):
        """Change a target's value or notes (If-Match)."""
        identity = require_scope("targets:write")
        version = expected_version()
        with service().uow() as uow:
            target = use.change_target(uow, identity, str(target_id), version, body)
            _with_attainment(uow.session, target)
        return with_etag(target, target.version)

    @blp.response(204)
    @blp.doc(**IF_MATCH_OPTIONAL)
    def delete(self, target_id):
        """Withdraw a target."""
        identity = require_scope("targets:write")
        with service().uow() as uow:
            use.remove_target(uow, identity, str(target_id), optional_version())
        return None
