"""Schemas of leads and lead assignment rules."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import Schema, fields, validate

from sales_service.api.schemas.common import (
    Dec,
    Id,
    PatchSchema,
    StrictSchema,
    Text,
    UtcDateTime,
    currency_field,
    one_of,
)
from sales_service.domain.leads import STATUSES, STRATEGIES
from servicekit.schemas import PageQuerySchema, page_schema

SOURCE = Text(40)


class ContactIn(StrictSchema):
    name = Text(300)
    first_name = Text(120, allow_none=True)
    last_name = Text(120, allow_none=True)
    company = Text(200, allow_none=True)
    email = fields.Email(allow_none=True, validate=validate.Length(max=320))
    phone = Text(40, allow_none=True)
    country = fields.String(allow_none=True, validate=validate.Length(equal=2))
    region = Text(100, allow_none=True)
    city = Text(100, allow_none=True)
    job_title = Text(200, allow_none=True)


class UtmIn(StrictSchema):
    source = Text(200, allow_none=True)
    medium = Text(200, allow_none=True)
    campaign = Text(200, allow_none=True)
    term = Text(200, allow_none=True)
    content = Text(200, allow_none=True)


class LeadFields(StrictSchema):
    source = SOURCE
    campaign_id = Id(allow_none=True)
    region = Text(100, allow_none=True)
    company = Text(200, allow_none=True)
    score = fields.Integer(allow_none=True, validate=validate.Range(0, 100), strict=True)
    utm = fields.Nested(UtmIn, allow_none=True)
    notes = Text(10_000, allow_none=True)


class LeadIn(LeadFields):
    source = Text(40, required=True)
    contact = fields.Nested(ContactIn)
    customer_id = Id()
    owner_id = Id(allow_none=True)
    owner_team = Text(60, allow_none=True)

    @ma.validates_schema
    def who(self, data, **kwargs):
        if not data.get("contact") and not data.get("customer_id"):
            raise ma.ValidationError(
                "give inline contact details or a customer_id", field_name="contact"
            )


class LeadPatch(LeadFields, PatchSchema):
    customer_id = Id(metadata={"description": "Link the lead to this customer by hand."})


class ContactOut(Schema):
    name = fields.String()
    first_name = fields.String(allow_none=True)
    last_name = fields.String(allow_none=True)
    company = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    country = fields.String(allow_none=True)
    region = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    job_title = fields.String(allow_none=True)


class LeadOut(Schema):
    id = fields.String()
    status = fields.String()
    source = fields.String()
    contact = fields.Nested(ContactOut, allow_none=True)
    customer_id = fields.String(allow_none=True)
    link = fields.Method("dump_link")
    campaign_id = fields.String(allow_none=True)
    owner_id = fields.String(allow_none=True)
    owner_team = fields.String(allow_none=True)
    assignment_rule_id = fields.String(allow_none=True)
    region = fields.String(allow_none=True)
    country = fields.String(allow_none=True)
    company = fields.String(allow_none=True)
    score = fields.Integer(allow_none=True)
    utm = fields.Dict(allow_none=True)
    notes = fields.String(allow_none=True)
    disqualify_reason = fields.String(allow_none=True)
    opportunity_id = fields.String(allow_none=True)
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    assigned_at = fields.DateTime(allow_none=True)
    qualified_at = fields.DateTime(allow_none=True)
    converted_at = fields.DateTime(allow_none=True)
    disqualified_at = fields.DateTime(allow_none=True)

    def dump_link(self, lead):
        """``pending`` until the customer service has matched an inline-contact lead."""
        if lead.customer_id:
            return {
                "status": "linked",
                "matched_on": lead.matched_on,
                "customer_created": lead.customer_created,
                "linked_at": lead.linked_at.isoformat() if lead.linked_at else None,
            }
        return {"status": "pending"}


LeadPage = page_schema(LeadOut, "LeadPage")


class LeadQuery(PageQuerySchema):
    status = fields.String(validate=one_of(STATUSES))
    source = Text(40)
    owner_id = Id()
    owner_team = Text(60)
    campaign_id = Id()
    customer_id = Id()
    region = Text(100)
    unassigned = fields.Boolean()
    q = Text(100, metadata={"description": "Part of the company or contact email"})
    min_score = fields.Integer(validate=validate.Range(0, 100))
    created_after = UtcDateTime()
    created_before = UtcDateTime()
    sort = fields.String(
        load_default="-created_at",
        validate=one_of(["created_at", "-created_at", "updated_at", "-updated_at"]),
    )


class AssignIn(StrictSchema):
    owner_id = Id(allow_none=True)
    owner_team = Text(60, allow_none=True)
    auto = fields.Boolean(
        load_default=False, metadata={"description": "Let the assignment rules choose."}
    )

    @ma.validates_schema
    def one(self, data, **kwargs):
        if data.get("auto") and data.get("owner_id"):
            raise ma.ValidationError("give owner_id or auto, not both", field_name="auto")
        if not data.get("auto") and "owner_id" not in data:
            raise ma.ValidationError("give owner_id (null to unassign) or auto", "owner_id")


class DisqualifyIn(StrictSchema):
    reason = Text(500, required=True)


class ConvertIn(StrictSchema):
    name = Text(300)
    pipeline_id = Id()
    stage_id = Id()
    amount = Dec(ge=0, load_default=0)
    currency = currency_field()
    expected_close_date = fields.Date(allow_none=True)
    owner_id = Id(allow_none=True)
    owner_team = Text(60, allow_none=True)
    next_step = Text(500, allow_none=True)


class RepIn(StrictSchema):
    user_id = Id(required=True)
    team = Text(60, allow_none=True)


class RouteIn(StrictSchema):
    region = Text(100, required=True)
    user_id = Id(required=True)
    team = Text(60, allow_none=True)


class RuleFields(StrictSchema):
    name = Text(200)
    strategy = fields.String(validate=one_of(STRATEGIES))
    priority = fields.Integer(validate=validate.Range(0, 100_000), strict=True)
    active = fields.Boolean()
    team = Text(60, allow_none=True)
    sources = fields.List(Text(40), validate=validate.Length(max=50))
    reps = fields.List(fields.Nested(RepIn), validate=validate.Length(max=200))
    region_map = fields.List(fields.Nested(RouteIn), validate=validate.Length(max=500))

    @ma.post_load
    def plain(self, data, **kwargs):
        return data


class RuleIn(RuleFields):
    name = Text(200, required=True)
    strategy = fields.String(required=True, validate=one_of(STRATEGIES))


class RulePatch(RuleFields, PatchSchema):
    pass


class RepOut(Schema):
    user_id = fields.String()
    team = fields.String(allow_none=True)


class RouteOut(Schema):
    region = fields.String()
    user_id = fields.String()
    team = fields.String(allow_none=True)


class RuleOut(Schema):
    id = fields.String()
    name = fields.String()
    strategy = fields.String()
    priority = fields.Integer()
    active = fields.Boolean()
    team = fields.String(allow_none=True)
    sources = fields.List(fields.String())
    reps = fields.List(fields.Nested(RepOut))
    region_map = fields.List(fields.Nested(RouteOut))
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
