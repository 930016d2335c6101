"""/api/v1/leads: capture (also with inline contact details, in one call), assignment,
qualification, conversion; /api/v1/leads/assignment-rules.

Scopes: ``leads:read`` / ``leads:write``; converting also needs ``opportunities:write``;
changing assignment rules needs ``sales:admin``.
"""

from __future__ import annotations

from flask.views import MethodView

from sales_service.adapters.repositories import AssignmentRuleRepository, LeadRepository
from sales_service.api.common import (
    IF_MATCH,
    IF_MATCH_OPTIONAL,
    created,
    optional_version,
    paging,
    require_scopes,
    with_version,
)
from sales_service.api.schemas import deals as d
from sales_service.api.schemas import leads as s
from sales_service.api.schemas.common import EmptyIn
from sales_service.domain.errors import NotFound
from sales_service.service import leads as use
from sales_service.service import queries
from sales_service.service.access import can_see
from servicekit.blueprint import Blueprint
from servicekit.etag import expected_version, with_etag
from servicekit.idempotency import idempotent
from servicekit.webctx import require_scope, service

blp = Blueprint(
    "leads",
    __name__,
    url_prefix="/api/v1/leads",
    description="Leads: capture, assignment (rules: round robin or by region), qualification, "
    "conversion into opportunities. Scopes leads:read / leads:write; assignment rules are "
    "changed with sales:admin.",
)


@blp.route("")
class Leads(MethodView):
    @blp.arguments(s.LeadQuery, location="query")
    @blp.response(200, s.LeadPage)
    def get(self, query):
        """List the leads you may see (filters, cursor pagination, newest first)."""
        identity = require_scope("leads:read")
        limit, cursor, sort = paging(query)
        with service().db.session() as session:
            return queries.list_leads(
                session, identity, query, limit=limit, cursor=cursor, sort=sort
            ).to_dict()

    @idempotent
    @blp.arguments(s.LeadIn)
    @blp.response(201, s.LeadOut)
    def post(self, body):
        """Record a lead. With inline ``contact`` details (a web form) the lead is linked to
        a deduplicated customer by the customer service moments later (``link.status``
        becomes ``linked``); with ``customer_id`` it is linked at once. Without an owner, the
        assignment rules choose one."""
        identity = require_scope("leads:write")
        with service().uow() as uow:
            lead = use.create_lead(uow, identity, body)
        return created(lead, f"/api/v1/leads/{lead.id}")


@blp.route("/<uuid:lead_id>")
class LeadItem(MethodView):
    @blp.response(200, s.LeadOut)
    def get(self, lead_id):
        """One lead."""
        identity = require_scope("leads:read")
        with service().db.session() as session:
            lead = LeadRepository(session).get(str(lead_id))
        if lead is None or not can_see(identity, "leads", lead):
            raise NotFound(f"no lead {lead_id}")
        return with_etag(lead, lead.version)

    @blp.arguments(s.LeadPatch)
    @blp.response(200, s.LeadOut)
    @blp.doc(**IF_MATCH)
    def patch(self, body, lead_id):
        """Change a lead's details (If-Match)."""
        identity = require_scope("leads:write")
        version = expected_version()
        with service().uow() as uow:
            lead = use.update_lead(uow, identity, str(lead_id), version, body)
        return with_etag(lead, lead.version)


@blp.route("/<uuid:lead_id>/assign")
class Assign(MethodView):
    @idempotent
    @blp.arguments(s.AssignIn)
    @blp.response(200, s.LeadOut)
    def post(self, body, lead_id):
        """Give the lead an owner, or let the assignment rules choose (``auto``)."""
        identity = require_scope("leads:write")
        with service().uow() as uow:
            lead = use.assign_lead(
                uow,
                identity,
                str(lead_id),
                body.get("owner_id"),
                body.get("owner_team"),
                body["auto"],
            )
        return with_etag(lead, lead.version)


def _action(name: str, schema, doc: str):
    @idempotent
    @blp.arguments(schema)
    @blp.response(200, s.LeadOut)
    @blp.doc(**IF_MATCH_OPTIONAL)
    def post(self, body, lead_id):
        identity = require_scope("leads:write")
        with service().uow() as uow:
            lead = use.transition(uow, identity, str(lead_id), name, with_version(body))
        return with_etag(lead, lead.version)

    post.__doc__ = doc
    return type(f"Lead{name.title()}", (MethodView,), {"post": post})


blp.route("/<uuid:lead_id>/work")(
    _action("work", EmptyIn, "Start working the lead (new → working).")
)
blp.route("/<uuid:lead_id>/qualify")(_action("qualify", EmptyIn, "Qualify the lead."))
blp.route("/<uuid:lead_id>/disqualify")(
    _action("disqualify", s.DisqualifyIn, "Disqualify the lead, with the reason.")
)
blp.route("/<uuid:lead_id>/reopen")(
    _action("reopen", EmptyIn, "Reopen a disqualified lead (→ working).")
)


@blp.route("/<uuid:lead_id>/convert")
class Convert(MethodView):
    @idempotent
    @blp.arguments(s.ConvertIn)
    @blp.response(201, d.ConvertOut)
    @blp.doc(**IF_MATCH_OPTIONAL)
    def post(self, body, lead_id):
        """Convert the lead into an opportunity on a pipeline (the lead must be linked to a
        customer; a 409 says when the customer service has not matched it yet)."""
        identity = require_scopes("leads:write", "opportunities:write")
        with service().uow() as uow:
            lead, deal = use.convert_lead(uow, identity, str(lead_id), with_version(body))
        return (
            {"lead": lead, "opportunity": deal},
            201,
            {"Location": f"/api/v1/opportunities/{deal.id}"},
        )


@blp.route("/assignment-rules")
class Rules(MethodView):
    @blp.response(200, s.RuleOut(many=True))
    def get(self):
        """Assignment rules in the order they are tried."""
        require_scope("leads:read")
        with service().db.session() as session:
            return queries.list_rules(session)

    @idempotent
    @blp.arguments(s.RuleIn)
    @blp.response(201, s.RuleOut)
    def post(self, body):
        """Define an assignment rule: round robin over reps, or a region map."""
        identity = require_scope("sales:admin")
        with service().uow() as uow:
            rule = use.create_rule(uow, identity, body)
        return created(rule, f"/api/v1/leads/assignment-rules/{rule.id}")


@blp.route("/assignment-rules/<uuid:rule_id>")
class RuleItem(MethodView):
    @blp.response(200, s.RuleOut)
    def get(self, rule_id):
        """One assignment rule."""
        require_scope("leads:read")
        with service().db.session() as session:
            rule = AssignmentRuleRepository(session).get(str(rule_id))
        if rule is None:
            raise NotFound(f"no assignment rule {rule_id}")
        return with_etag(rule, rule.version)

    @blp.arguments(s.RulePatch)
    @blp.response(200, s.RuleOut)
    @blp.doc(**IF_MATCH)
    def patch(self, body, rule_id):
        """Change an assignment rule (If-Match)."""
        identity = require_scope("sales:admin")
        version = expected_version()
        with service().uow() as uow:
            rule = use.update_rule(uow, identity, str(rule_id), version, body)
        return with_etag(rule, rule.version)

    @blp.response(204)
    @blp.doc(**IF_MATCH_OPTIONAL)
    def delete(self, rule_id):
        """Remove an assignment rule."""
        identity = require_scope("sales:admin")
        with service().uow() as uow:
            use.delete_rule(uow, identity, str(rule_id), optional_version())
        return None
