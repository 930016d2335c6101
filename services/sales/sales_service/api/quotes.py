"""/api/v1/quotes: priced offers; send, accept (which places the order), reject.

Scopes: ``quotes:read`` / ``quotes:write``; accepting also needs ``orders:write``.
"""

from __future__ import annotations

from flask.views import MethodView

from sales_service.adapters.repositories import QuoteRepository
from sales_service.api.common import (
    IF_MATCH,
    IF_MATCH_OPTIONAL,
    created,
    paging,
    require_scopes,
    with_version,
)
from sales_service.api.schemas import documents as s
from sales_service.api.schemas.common import EmptyIn, ReasonIn
from sales_service.domain.errors import NotFound
from sales_service.service import queries
from sales_service.service import quotes as use
from sales_service.service.access import can_see
from servicekit.blueprint import Blueprint
from servicekit.etag import expected_version, with_etag
from servicekit.idempotency import idempotent
from servicekit.webctx import require_scope, service

blp = Blueprint(
    "quotes",
    __name__,
    url_prefix="/api/v1/quotes",
    description="Quotes: lines priced from the right price list, discounts, tax, totals with "
    "explicit rounding, validity; accepting one places the order. Scopes quotes:read / "
    "quotes:write (+ orders:write to accept).",
)


@blp.route("")
class Quotes(MethodView):
    @blp.arguments(s.QuoteQuery, location="query")
    @blp.response(200, s.QuotePage)
    def get(self, query):
        """List the quotes you may see."""
        identity = require_scope("quotes:read")
        limit, cursor, sort = paging(query)
        with service().db.session() as session:
            return queries.list_quotes(
                session, identity, query, limit=limit, cursor=cursor, sort=sort
            ).to_dict()

    @idempotent
    @blp.arguments(s.QuoteIn)
    @blp.response(201, s.QuoteOut)
    def post(self, body):
        """Draft a quote."""
        identity = require_scope("quotes:write")
        with service().uow() as uow:
            quote = use.draft_quote(uow, identity, body)
        return created(quote, f"/api/v1/quotes/{quote.id}")


@blp.route("/<uuid:quote_id>")
class QuoteItem(MethodView):
    @blp.response(200, s.QuoteOut)
    def get(self, quote_id):
        """One quote."""
        identity = require_scope("quotes:read")
        with service().db.session() as session:
            quote = QuoteRepository(session).get(str(quote_id))
        if quote is None or not can_see(identity, "quotes", quote):
            raise NotFound(f"no quote {quote_id}")
        return with_etag(quote, quote.version)

    @blp.arguments(s.QuotePatch)
    @blp.response(200, s.QuoteOut)
    @blp.doc(**IF_MATCH)
    def patch(self, body, quote_id):
        """Change a draft (If-Match); new ``lines`` are priced at today's lists."""
        identity = require_scope("quotes:write")
        version = expected_version()
        with service().uow() as uow:
            quote = use.revise_quote(uow, identity, str(quote_id), version, body)
        return with_etag(quote, quote.version)


@blp.route("/<uuid:quote_id>/send")
class Send(MethodView):
    @idempotent
    @blp.arguments(EmptyIn)
    @blp.response(200, s.QuoteOut)
    @blp.doc(**IF_MATCH_OPTIONAL)
    def post(self, body, quote_id):
        """Send the quote to the customer (draft → sent)."""
        identity = require_scope("quotes:write")
        with service().uow() as uow:
            quote = use.send_quote(uow, identity, str(quote_id), with_version(body))
        return with_etag(quote, quote.version)


@blp.route("/<uuid:quote_id>/reject")
class Reject(MethodView):
    @idempotent
    @blp.arguments(ReasonIn)
    @blp.response(200, s.QuoteOut)
    @blp.doc(**IF_MATCH_OPTIONAL)
    def post(self, body, quote_id):
        """The customer said no."""
        identity = require_scope("quotes:write")
        with service().uow() as uow:
            quote = use.reject_quote(uow, identity, str(quote_id), with_version(body))
        return with_etag(quote, quote.version)


@blp.route("/<uuid:quote_id>/accept")
class Accept(MethodView):
    @idempotent
    @blp.arguments(s.AcceptIn)
    @blp.response(201, s.OrderOut)
    @blp.doc(**IF_MATCH_OPTIONAL)
    def post(self, body, quote_id):
        """The customer said yes: places the order at the quoted prices (returns the order)."""
        identity = require_scopes("quotes:write", "orders:write")
        with service().uow() as uow:
            _quote, order = use.accept_quote(uow, identity, str(quote_id), with_version(body))
        return created(order, f"/api/v1/orders/{order.id}")
