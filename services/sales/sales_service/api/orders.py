"""/api/v1/orders: place (lines, channel, coupon, attribution), preview, pay, fulfil, deliver,
cancel, return.

Scopes: ``orders:read`` / ``orders:write``.
"""

from __future__ import annotations

from flask.views import MethodView

from sales_service.adapters.repositories import OrderRepository
from sales_service.api.common import IF_MATCH_OPTIONAL, created, paging, reading, with_version
from sales_service.api.schemas import documents as s
from sales_service.domain.errors import NotFound
from sales_service.service import orders as use
from sales_service.service import queries
from sales_service.service.access import can_see
from servicekit.blueprint import Blueprint
from servicekit.etag import with_etag
from servicekit.idempotency import idempotent
from servicekit.webctx import require_scope, service

blp = Blueprint(
    "orders",
    __name__,
    url_prefix="/api/v1/orders",
    description="Orders: placed → paid → fulfilled → delivered; cancelled before delivery; "
    "returned in part or in full. Coupons are checked and their limits held at placing. "
    "Scopes orders:read / orders:write.",
)


def _visible(session, identity, order_id):
    order = OrderRepository(session).get(str(order_id))
    if order is None or not can_see(identity, "orders", order):
        raise NotFound(f"no order {order_id}")
    return order


@blp.route("")
class Orders(MethodView):
    @blp.arguments(s.OrderQuery, location="query")
    @blp.response(200, s.OrderPage)
    def get(self, query):
        """List the orders you may see, newest first (``customer_id`` for one customer's)."""
        identity = require_scope("orders:read")
        limit, cursor, sort = paging(query)
        with service().db.session() as session:
            return queries.list_orders(
                session, identity, query, limit=limit, cursor=cursor, sort=sort
            ).to_dict()

    @idempotent
    @blp.arguments(s.OrderIn)
    @blp.response(201, s.OrderOut)
    def post(self, body):
        """Place an order. Prices come from the right price list unless a line gives one; a
        coupon is checked (validity, minimum order, limits in total and per customer); an
        order in a currency without an exchange rate is refused (422)."""
        identity = require_scope("orders:write")
        with service().uow() as uow:
            order = use.place_order(uow, identity, body)
        return created(order, f"/api/v1/orders/{order.id}")


@blp.route("/preview")
class Preview(MethodView):
    @blp.arguments(s.OrderIn)
    @blp.response(200, s.PreviewOut)
    def post(self, body):
        """Price an order without placing it, with the coupon's verdict (nothing is saved)."""
        identity = require_scope("orders:read")
        with reading() as reader:
            return use.preview(reader, identity, body)


@blp.route("/<uuid:order_id>")
class OrderItem(MethodView):
    @blp.response(200, s.OrderOut)
    def get(self, order_id):
        """One order with its returns."""
        identity = require_scope("orders:read")
        with service().db.session() as session:
            order = _visible(session, identity, order_id)
        return with_etag(order, order.version)


def _action(name: str, schema, doc: str):
    @idempotent
    @blp.arguments(schema)
    @blp.response(200, s.OrderOut)
    @blp.doc(**IF_MATCH_OPTIONAL)
    def post(self, body, order_id):
        identity = require_scope("orders:write")
        with service().uow() as uow:
            order = use.act(uow, identity, str(order_id), name, with_version(body))
        return with_etag(order, order.version)

    post.__doc__ = doc
    blp.route(f"/<uuid:order_id>/{name}")(
        type(f"Order{name.title()}", (MethodView,), {"post": post})
    )


_action("pay", s.PayIn, "Record payment in full (placed → paid).")
_action("fulfil", s.FulfilIn, "Ship the order (paid → fulfilled).")
_action("deliver", s.DeliverIn, "The goods arrived (fulfilled → delivered).")
_action(
    "cancel",
    s.CancelIn,
    "Cancel before delivery; a paid order is flagged was_paid (refund owed) and its coupon "
    "redemption is given back.",
)


@blp.route("/<uuid:order_id>/returns")
class Returns(MethodView):
    @blp.response(200, s.OrderOut)
    def get(self, order_id):
        """The order with its returns."""
        identity = require_scope("orders:read")
        with service().db.session() as session:
            order = _visible(session, identity, order_id)
        return with_etag(order, order.version)

    @idempotent
    @blp.arguments(s.ReturnIn)
    @blp.response(201, s.ReturnResultOut)
    @blp.doc(**IF_MATCH_OPTIONAL)
    def post(self, body, order_id):
        """Take goods back: some lines and quantities, or everything left (``full``). The
        refund is the share of what was paid for those units, tax included."""
        identity = require_scope("orders:write")
        with service().uow() as uow:
            order, item = use.record_return(uow, identity, str(order_id), with_version(body))
        return {"order": order, "return": item}, 201, {"ETag": f'"{order.version}"'}
