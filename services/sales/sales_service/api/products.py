"""/api/v1/products and /api/v1/price-lists: the catalogue and its prices.

Scopes: ``products:read`` / ``products:write`` for products and price lists.
"""

from __future__ import annotations

from flask.views import MethodView

from sales_service.adapters.repositories import PriceListRepository, ProductRepository
from sales_service.api.common import IF_MATCH, created, paging, reading
from sales_service.api.schemas import catalogue as s
from sales_service.domain.catalogue import resolve_price
from sales_service.domain.errors import InvalidValue, NotFound
from sales_service.service import catalogue as use
from sales_service.service import queries
from sales_service.service.common import customer_for
from servicekit.blueprint import Blueprint
from servicekit.etag import expected_version, with_etag
from servicekit.idempotency import idempotent
from servicekit.webctx import require_scope, service

products = Blueprint(
    "products",
    __name__,
    url_prefix="/api/v1/products",
    description="Products: SKU, name, category, unit, list price, tax rate, active flag. "
    "Scopes products:read / products:write.",
)
price_lists = Blueprint(
    "price_lists",
    __name__,
    url_prefix="/api/v1/price-lists",
    description="Price lists per channel and/or customer tier with validity dates and volume "
    "breaks. Scopes products:read / products:write.",
)


@products.route("")
class Products(MethodView):
    @products.arguments(s.ProductQuery, location="query")
    @products.response(200, s.ProductPage)
    def get(self, query):
        """List products (filters, cursor pagination)."""
        require_scope("products:read")
        limit, cursor, sort = paging(query)
        with service().db.session() as session:
            return queries.list_products(
                session, query, limit=limit, cursor=cursor, sort=sort
            ).to_dict()

    @idempotent
    @products.arguments(s.ProductIn)
    @products.response(201, s.ProductOut)
    def post(self, body):
        """Add a product (sku unique, case-insensitively)."""
        identity = require_scope("products:write")
        with service().uow() as uow:
            product = use.create_product(uow, identity, body)
        return created(product, f"/api/v1/products/{product.id}")


@products.route("/categories")
class Categories(MethodView):
    @products.response(200, s.CategoryOut(many=True))
    def get(self):
        """Product categories with how many products each has."""
        require_scope("products:read")
        with service().db.session() as session:
            return queries.product_categories(session)


@products.route("/<uuid:product_id>")
class ProductItem(MethodView):
    @products.response(200, s.ProductOut)
    def get(self, product_id):
        """One product."""
        require_scope("products:read")
        with service().db.session() as session:
            product = ProductRepository(session).get(str(product_id))
        if product is None:
            raise NotFound(f"no product {product_id}")
        return with_etag(product, product.version)

    @products.arguments(s.ProductPatch)
    @products.response(200, s.ProductOut)
    @products.doc(**IF_MATCH)
    def patch(self, body, product_id):
        """Change a product (If-Match); deactivate with active=false."""
        identity = require_scope("products:write")
        version = expected_version()
        with service().uow() as uow:
            product = use.update_product(uow, identity, str(product_id), version, body)
        return with_etag(product, product.version)


@price_lists.route("")
class PriceLists(MethodView):
    @price_lists.arguments(s.PriceListQuery, location="query")
    @price_lists.response(200, s.PriceListPage)
    def get(self, query):
        """List price lists (with their items)."""
        require_scope("products:read")
        limit, cursor, sort = paging(query)
        with service().db.session() as session:
            return queries.list_price_lists(
                session, query, limit=limit, cursor=cursor, sort=sort
            ).to_dict()

    @idempotent
    @price_lists.arguments(s.PriceListIn)
    @price_lists.response(201, s.PriceListOut)
    def post(self, body):
        """Create a price list."""
        identity = require_scope("products:write")
        with service().uow() as uow:
            price_list = use.create_price_list(uow, identity, body)
        return created(price_list, f"/api/v1/price-lists/{price_list.id}")


@price_lists.route("/price")
class Price(MethodView):
    @price_lists.arguments(s.PriceQuery, location="query")
    @price_lists.response(200, s.PriceOut)
    def get(self, query):
        """The unit price a line would get (price list, channel, customer tier, date)."""
        require_scope("products:read")
        config = service().extras["config"]
        with reading() as uow:
            product = uow.products.get(query["product_id"])
            if product is None:
                raise NotFound(f"no product {query['product_id']}")
            tier = (
                customer_for(uow, query["customer_id"]).tier if query.get("customer_id") else None
            )
            currency = query.get("currency") or config.base_currency
            lists = uow.price_lists.candidates(currency, [product.id])
            resolved = resolve_price(
                product,
                query["quantity"],
                currency,
                lists,
                channel_id=query.get("channel_id"),
                tier=tier,
                on=query.get("on") or config.now().date(),
                price_list_id=query.get("price_list_id"),
            )
        if resolved is None:
            raise InvalidValue(f"no {currency} price for {product.sku}")
        return {
            "product_id": product.id,
            "sku": product.sku,
            "quantity": query["quantity"],
            "unit_price": resolved.unit_price,
            "currency": currency,
            "source": resolved.source,
            "price_list_id": resolved.price_list_id,
        }


@price_lists.route("/<uuid:list_id>")
class PriceListItem(MethodView):
    @price_lists.response(200, s.PriceListOut)
    def get(self, list_id):
        """One price list with its items."""
        require_scope("products:read")
        with service().db.session() as session:
            price_list = PriceListRepository(session).get(str(list_id))
        if price_list is None:
            raise NotFound(f"no price list {list_id}")
        return with_etag(price_list, price_list.version)

    @price_lists.arguments(s.PriceListPatch)
    @price_lists.response(200, s.PriceListOut)
    @price_lists.doc(**IF_MATCH)
    def patch(self, body, list_id):
        """Change a price list (If-Match); ``items`` replaces all items."""
        identity = require_scope("products:write")
        version = expected_version()
        with service().uow() as uow:
            price_list = use.update_price_list(uow, identity, str(list_id), version, body)
        return with_etag(price_list, price_list.version)
