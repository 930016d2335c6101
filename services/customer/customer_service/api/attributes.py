"""/api/v1/customer-attributes: definitions of custom attributes (admins)."""

from __future__ import annotations

from flask.views import MethodView

from customer_service.adapters.repositories import AttributeRepository
from customer_service.api import schemas as s
from customer_service.domain.errors import NotFound
from customer_service.service import attributes as use
from servicekit.blueprint import Blueprint
from servicekit.etag import expected_version, with_etag
from servicekit.webctx import require_scope, service

blp = Blueprint(
    "customer-attributes",
    __name__,
    url_prefix="/api/v1/customer-attributes",
    description="Custom attribute definitions every customer's values must follow.",
)


@blp.route("")
class Attributes(MethodView):
    @blp.response(200, s.AttributeSchema(many=True))
    def get(self):
        """Every definition."""
        require_scope("customers:read")
        with service().db.session() as session:
            return sorted(AttributeRepository(session).all().values(), key=lambda d: d.key)

    @blp.arguments(s.AttributeIn)
    @blp.response(201, s.AttributeSchema)
    def post(self, body):
        """Define a custom attribute."""
        require_scope("customers:admin")
        with service().uow() as uow:
            item = use.define_attribute(uow, body)
        return with_etag(
            item, item.version, 201, {"Location": f"/api/v1/customer-attributes/{item.key}"}
        )


@blp.route("/<string(maxlength=50):key>")
class AttributeItem(MethodView):
    @blp.response(200, s.AttributeSchema)
    def get(self, key):
        """One definition."""
        require_scope("customers:read")
        with service().db.session() as session:
            item = AttributeRepository(session).get(key)
        if item is None:
            raise NotFound(f"no attribute {key}")
        return with_etag(item, item.version)

    @blp.arguments(s.AttributePatch)
    @blp.response(200, s.AttributeSchema)
    def patch(self, body, key):
        """Change label, options (add only), required flag or description."""
        require_scope("customers:admin")
        version = expected_version()
        with service().uow() as uow:
            item = use.change_attribute(uow, key, version, body)
        return with_etag(item, item.version)

    @blp.response(204)
    def delete(self, key):
        """Remove a definition no customer uses any more."""
        require_scope("customers:admin")
        with service().uow() as uow:
            use.remove_attribute(uow, key)
