"""/api/v1/customers: profiles, search, ownership, tags, consent, merge, erasure, export."""

from __future__ import annotations

from flask import Response, stream_with_context
from flask.views import MethodView

from customer_service.adapters.repositories import CustomerRepository
from customer_service.api import schemas as s
from customer_service.domain.errors import NotFound
from customer_service.service import customers as use
from customer_service.service import gdpr, queries
from customer_service.service.access import can_see
from customer_service.service.customers import duplicate_candidates
from servicekit.blueprint import Blueprint
from servicekit.etag import expected_version, with_etag
from servicekit.idempotency import idempotent
from servicekit.webctx import current_identity, require_scope, service

blp = Blueprint(
    "customers",
    __name__,
    url_prefix="/api/v1/customers",
    description="Customers (companies and persons), their contact points, owners, "
    "tags, consent, duplicates, merges and GDPR rights.",
)


def _visible(session, customer_id: str):
    customer = CustomerRepository(session).get(customer_id)
    if customer is None or not can_see(current_identity(), customer):
        raise NotFound(f"no customer {customer_id}")
    return customer


@blp.route("")
class Customers(MethodView):
    @blp.arguments(s.CustomerListQuery, location="query")
    @blp.response(200, s.CustomerPage)
    def get(self, query):
        """Search and list customers (cursor pagination)."""
        identity = require_scope("customers:read")
        limit, cursor, sort = query.pop("limit"), query.pop("cursor"), query.pop("sort")
        with_total = query.pop("total")
        with service().db.session() as session:
            page = queries.list_customers(
                session,
                identity,
                query,
                limit=limit,
                cursor=cursor,
                sort=sort,
                with_total=with_total,
            )
        return page.to_dict()

    @idempotent
    @blp.arguments(s.CreateQuerySchema, location="query")
    @blp.arguments(s.CustomerCreateSchema)
    @blp.response(201, s.CustomerSchema)
    @blp.alt_response(
        409, description="Looks like an existing customer (details.candidates), unless force=true"
    )
    def post(self, query, body):
        """Create a customer; a likely duplicate is a 409 naming the candidates."""
        identity = require_scope("customers:write")
        with service().uow() as uow:
            customer = use.create_customer(uow, identity, body, force=query["force"])
        return with_etag(
            customer, customer.version, 201, {"Location": f"/api/v1/customers/{customer.id}"}
        )


@blp.route("/<uuid:customer_id>")
class CustomerItem(MethodView):
    @blp.response(200, s.CustomerSchema)
    def get(self, customer_id):
        """One customer."""
        require_scope("customers:read")
        with service().db.session() as session:
            customer = _visible(session, str(customer_id))
        return with_etag(customer, customer.version)

    @blp.arguments(s.CustomerPatchSchema)
    @blp.response(200, s.CustomerSchema)
    @blp.doc(
        parameters=[
            {"in": "header", "name": "If-Match", "required": True, "schema": {"type": "string"}}
        ]
    )
    def patch(self, body, customer_id):
        """Change profile fields (send If-Match with the ETag you read)."""
        identity = require_scope("customers:write")
        version = expected_version()
        with service().uow() as uow:
            customer = use.update_customer(uow, identity, str(customer_id), version, body)
        return with_etag(customer, customer.version)


@blp.route("/<uuid:customer_id>/assign")
class Assign(MethodView):
    @blp.arguments(s.AssignSchema)
    @blp.response(200, s.CustomerSchema)
    def post(self, body, customer_id):
        """Give the customer an owner (and team)."""
        identity = require_scope("customers:write")
        owner = str(body["owner_id"]) if body["owner_id"] else None
        with service().uow() as uow:
            customer = use.assign_owner(
                uow, identity, str(customer_id), owner, body.get("owner_team")
            )
        return with_etag(customer, customer.version)


@blp.route("/<uuid:customer_id>/tags")
class Tags(MethodView):
    @blp.arguments(s.TagsSchema)
    @blp.response(200, s.CustomerSchema)
    def post(self, body, customer_id):
        """Add and remove tags."""
        identity = require_scope("customers:write")
        with service().uow() as uow:
            customer = use.retag(uow, identity, str(customer_id), body["add"], body["remove"])
        return with_etag(customer, customer.version)


@blp.route("/<uuid:customer_id>/consents")
class Consents(MethodView):
    @blp.response(200, s.ConsentsOut)
    def get(self, customer_id):
        """Current consent per channel and its full history (evidence for audits)."""
        require_scope("customers:read")
        with service().db.session() as session:
            customer = _visible(session, str(customer_id))
            history = queries.consent_history(session, customer.id)
        return {"current": customer.consents, "history": [dict(r._mapping) for r in history]}

    @blp.arguments(s.ConsentIn)
    @blp.response(200, s.CustomerSchema)
    def post(self, body, customer_id):
        """Record a consent decision for one channel."""
        identity = require_scope("customers:write")
        with service().uow() as uow:
            customer = use.set_consent(
                uow,
                identity,
                str(customer_id),
                body["channel"],
                body["status"],
                body["source"],
                evidence=body.get("evidence"),
                at=body.get("at"),
            )
        return with_etag(customer, customer.version)


@blp.route("/<uuid:customer_id>/contacts")
class Contacts(MethodView):
    @blp.response(200, s.CustomerSchema(many=True))
    def get(self, customer_id):
        """The persons who belong to this company."""
        identity = require_scope("customers:read")
        with service().db.session() as session:
            _visible(session, str(customer_id))
            return queries.contacts_of(session, identity, str(customer_id))


@blp.route("/<uuid:customer_id>/duplicates")
class CustomerDuplicates(MethodView):
    @blp.response(200, s.CandidateSchema(many=True))
    def get(self, customer_id):
        """Customers that are probably this one (same email/phone, or a close name)."""
        identity = require_scope("customers:read")
        with service().uow() as uow:
            customer = _visible(uow.session, str(customer_id))
            found = duplicate_candidates(uow, customer)
            return [
                c.as_dict() for c in found if can_see(identity, uow.customers.get(c.customer_id))
            ]


@blp.route("/duplicates")
class Duplicates(MethodView):
    @blp.arguments(s.DuplicatesQuery, location="query")
    @blp.response(200, s.DuplicateGroupSchema(many=True))
    def get(self, query):
        """Groups of likely duplicates across all customers you can see."""
        identity = require_scope("customers:read")
        with service().db.session() as session:
            return queries.duplicate_groups(session, identity, query["limit"])


@blp.route("/<uuid:customer_id>/merge")
class Merge(MethodView):
    @blp.arguments(s.MergeIn)
    @blp.response(200, s.MergeOut)
    def post(self, body, customer_id):
        """Merge duplicates into this customer (dry_run shows the result without writing)."""
        identity = require_scope("customers:write")
        with service().uow() as uow:
            survivor, changed = use.merge_customers(
                uow, identity, str(customer_id), body["duplicate_ids"], dry_run=body["dry_run"]
            )
        return {
            "dry_run": body["dry_run"],
            "survivor": survivor,
            "merged_ids": body["duplicate_ids"],
            "changed_fields": changed,
        }


@blp.route("/<uuid:customer_id>/erase")
class Erase(MethodView):
    @blp.arguments(s.EraseIn)
    @blp.response(200, s.CustomerSchema)
    def post(self, body, customer_id):
        """GDPR erasure: pseudonymise the customer everywhere (cannot be undone)."""
        identity = require_scope("customers:erase")
        with service().uow() as uow:
            customer = use.erase_customer(uow, identity, str(customer_id))
        return customer


@blp.route("/<uuid:customer_id>/export")
class SubjectExport(MethodView):
    @blp.response(200, description="Everything held about the customer (GDPR access).")
    def get(self, customer_id):
        """GDPR subject access export (JSON)."""
        identity = require_scope("customers:read")
        with service().db.session() as session:
            document = gdpr.subject_export(session, identity, str(customer_id))
        return document


@blp.route("/export")
class CsvExport(MethodView):
    @blp.arguments(s.ExportQuery, location="query")
    @blp.response(200, description="CSV, streamed", content_type="text/csv")
    def get(self, query):
        """Export the customers matching the filters as CSV (streamed)."""
        identity = require_scope("customers:export")
        db = service().db
        body = stream_with_context(queries.export_rows(db, identity, query))
        return Response(
            body,
            mimetype="text/csv",
            headers={"Content-Disposition": 'attachment; filename="customers.csv"'},
        )
