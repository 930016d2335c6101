"""/api/v1/opportunities: deals on a pipeline; stage moves, win, lose, reopen; history.

Scopes: ``opportunities:read`` / ``opportunities:write``.
"""

from __future__ import annotations

from flask.views import MethodView

from sales_service.adapters.repositories import OpportunityRepository
from sales_service.api.common import IF_MATCH, IF_MATCH_OPTIONAL, created, paging, with_version
from sales_service.api.schemas import deals as s
from sales_service.api.schemas.common import OwnerIn
from sales_service.domain.errors import NotFound
from sales_service.service import opportunities as use
from sales_service.service import queries
from sales_service.service.access import can_see
from servicekit.blueprint import Blueprint
from servicekit.etag import expected_version, with_etag
from servicekit.idempotency import idempotent
from servicekit.webctx import require_scope, service

blp = Blueprint(
    "opportunities",
    __name__,
    url_prefix="/api/v1/opportunities",
    description="Opportunities: customer, amount and currency, expected close, owner, stage "
    "history, competitors, next step, win/loss reason. Scopes opportunities:read / "
    "opportunities:write.",
)


def _visible(session, identity, deal_id):
    deal = OpportunityRepository(session).get(str(deal_id))
    if deal is None or not can_see(identity, "opportunities", deal):
        raise NotFound(f"no opportunity {deal_id}")
    return deal


@blp.route("")
class Opportunities(MethodView):
    @blp.arguments(s.OpportunityQuery, location="query")
    @blp.response(200, s.OpportunityPage)
    def get(self, query):
        """List the opportunities you may see (``customer_id`` and ``status=open`` for a
        customer's open deals)."""
        identity = require_scope("opportunities:read")
        limit, cursor, sort = paging(query)
        with service().db.session() as session:
            return queries.list_opportunities(
                session, identity, query, limit=limit, cursor=cursor, sort=sort
            ).to_dict()

    @idempotent
    @blp.arguments(s.OpportunityIn)
    @blp.response(201, s.OpportunityOut)
    def post(self, body):
        """Open an opportunity (default pipeline and its first stage unless told)."""
        identity = require_scope("opportunities:write")
        with service().uow() as uow:
            deal = use.open_opportunity(uow, identity, body)
        return created(deal, f"/api/v1/opportunities/{deal.id}")


@blp.route("/<uuid:deal_id>")
class OpportunityItem(MethodView):
    @blp.response(200, s.OpportunityOut)
    def get(self, deal_id):
        """One opportunity."""
        identity = require_scope("opportunities:read")
        with service().db.session() as session:
            deal = _visible(session, identity, deal_id)
        return with_etag(deal, deal.version)

    @blp.arguments(s.OpportunityPatch)
    @blp.response(200, s.OpportunityOut)
    @blp.doc(**IF_MATCH)
    def patch(self, body, deal_id):
        """Change amount, close date, probability, competitors, next step... (If-Match)."""
        identity = require_scope("opportunities:write")
        version = expected_version()
        with service().uow() as uow:
            deal = use.update_opportunity(uow, identity, str(deal_id), version, body)
        return with_etag(deal, deal.version)


@blp.route("/<uuid:deal_id>/history")
class History(MethodView):
    @blp.response(200, s.HistoryOut(many=True))
    def get(self, deal_id):
        """The stage history: every move with when and how long the deal sat before."""
        identity = require_scope("opportunities:read")
        with service().db.session() as session:
            _visible(session, identity, deal_id)
            return queries.stage_history(session, str(deal_id))


@blp.route("/<uuid:deal_id>/assign")
class Assign(MethodView):
    @idempotent
    @blp.arguments(OwnerIn)
    @blp.response(200, s.OpportunityOut)
    def post(self, body, deal_id):
        """Hand the opportunity to another owner."""
        identity = require_scope("opportunities:write")
        with service().uow() as uow:
            deal = use.reassign(
                uow, identity, str(deal_id), body["owner_id"], body.get("owner_team")
            )
        return with_etag(deal, deal.version)


def _action(name: str, schema, handler, doc: str):
    @idempotent
    @blp.arguments(schema)
    @blp.response(200, s.OpportunityOut)
    @blp.doc(**IF_MATCH_OPTIONAL)
    def post(self, body, deal_id):
        identity = require_scope("opportunities:write")
        with service().uow() as uow:
            deal = handler(uow, identity, str(deal_id), with_version(body))
        return with_etag(deal, deal.version)

    post.__doc__ = doc
    blp.route(f"/<uuid:deal_id>/{name}")(
        type(f"Opportunity{name.title()}", (MethodView,), {"post": post})
    )


_action("move", s.MoveIn, use.move, "Move the deal to another open stage.")
_action("win", s.WinIn, use.win, "Mark the deal won.")
_action("lose", s.LoseIn, use.lose, "Mark the deal lost, with the reason and competitor.")
_action("reopen", s.ReopenIn, use.reopen, "Reopen a won or lost deal into an open stage.")
