"""Schemas of pipelines and opportunities."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from sales_service.api.schemas.common import (
    Dec,
    Id,
    MoneyOut,
    PatchSchema,
    StrictSchema,
    Text,
    UtcDateTime,
    currency_field,
    one_of,
)
from sales_service.api.schemas.leads import LeadOut
from sales_service.domain.opportunities import STATUSES
from sales_service.domain.pipelines import FORECAST_CATEGORIES
from servicekit.schemas import PageQuerySchema, page_schema


class StageIn(StrictSchema):
    id = Id(metadata={"description": "Keep an existing stage (its deals stay in it)."})
    name = Text(100, required=True)
    probability = fields.Integer(validate=validate.Range(0, 100), strict=True)
    forecast_category = fields.String(validate=one_of(FORECAST_CATEGORIES))
    is_won = fields.Boolean(load_default=False)
    is_lost = fields.Boolean(load_default=False)


class PipelineIn(StrictSchema):
    name = Text(200, required=True)
    is_default = fields.Boolean(load_default=False)
    stages = fields.List(fields.Nested(StageIn), required=True, validate=validate.Length(2, 30))


class PipelinePatch(PatchSchema):
    name = Text(200)
    is_default = fields.Boolean()
    active = fields.Boolean()
    stages = fields.List(fields.Nested(StageIn), validate=validate.Length(2, 30))


class StageOut(Schema):
    id = fields.String()
    name = fields.String()
    position = fields.Integer()
    probability = fields.Integer()
    forecast_category = fields.String()
    is_won = fields.Boolean()
    is_lost = fields.Boolean()


class PipelineOut(Schema):
    id = fields.String()
    name = fields.String()
    is_default = fields.Boolean()
    active = fields.Boolean()
    stages = fields.List(fields.Nested(StageOut))
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class PipelineQuery(StrictSchema):
    active = fields.Boolean()


class StageSummaryOut(Schema):
    stage_id = fields.String()
    name = fields.String()
    probability = fields.Integer()
    forecast_category = fields.String()
    count = fields.Integer()
    amount = MoneyOut("currency")
    weighted_amount = MoneyOut("currency")
    currency = fields.String()


class PipelineSummaryOut(Schema):
    pipeline_id = fields.String()
    name = fields.String()
    currency = fields.String()
    count = fields.Integer()
    amount = MoneyOut("currency")
    weighted_amount = MoneyOut("currency")
    stages = fields.List(fields.Nested(StageSummaryOut))


class CompetitorIn(StrictSchema):
    name = Text(200, required=True)
    competitor_id = Id(allow_none=True)
    strengths = Text(2000, allow_none=True)
    weaknesses = Text(2000, allow_none=True)
    notes = Text(2000, allow_none=True)


class OpportunityFields(StrictSchema):
    name = Text(300)
    amount = Dec(ge=0)
    currency = currency_field()
    expected_close_date = fields.Date(allow_none=True)
    probability = fields.Integer(validate=validate.Range(0, 100), strict=True)
    competitors = fields.List(fields.Nested(CompetitorIn), validate=validate.Length(max=20))
    next_step = Text(500, allow_none=True)
    next_step_due = UtcDateTime(allow_none=True)
    region = Text(100, allow_none=True)
    campaign_id = Id(allow_none=True)
    source = Text(40, allow_none=True)
    description = Text(10_000, allow_none=True)


class OpportunityIn(OpportunityFields):
    name = Text(300, required=True)
    customer_id = Id(required=True)
    pipeline_id = Id()
    stage_id = Id()
    amount = Dec(ge=0, load_default=0)
    lead_id = Id(allow_none=True)
    owner_id = Id(allow_none=True)
    owner_team = Text(60, allow_none=True)


class OpportunityPatch(OpportunityFields, PatchSchema):
    pass


class CompetitorOut(Schema):
    name = fields.String()
    competitor_id = fields.String(allow_none=True)
    strengths = fields.String(allow_none=True)
    weaknesses = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)


class OpportunityOut(Schema):
    id = fields.String()
    name = fields.String()
    customer_id = fields.String()
    lead_id = fields.String(allow_none=True)
    pipeline_id = fields.String()
    stage_id = fields.String()
    stage_name = fields.String()
    status = fields.String()
    probability = fields.Integer()
    forecast_category = fields.String()
    amount = MoneyOut()
    base_amount = MoneyOut("base_currency")
    weighted_amount = MoneyOut("base_currency", attribute="weighted_base_amount")
    fx_rate = fields.Method("dump_rate")
    expected_close_date = fields.Date(allow_none=True)
    owner_id = fields.String(allow_none=True)
    owner_team = fields.String(allow_none=True)
    region = fields.String(allow_none=True)
    campaign_id = fields.String(allow_none=True)
    source = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    competitors = fields.List(fields.Nested(CompetitorOut))
    next_step = fields.String(allow_none=True)
    next_step_due = fields.DateTime(allow_none=True)
    win_reason = fields.String(allow_none=True)
    loss_reason = fields.String(allow_none=True)
    lost_to = fields.String(allow_none=True)
    lost_to_id = fields.String(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    stage_entered_at = fields.DateTime()
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()

    def dump_rate(self, obj):
        from sales_service.domain.money import text

        return text(obj.fx_rate)


OpportunityPage = page_schema(OpportunityOut, "OpportunityPage")


class OpportunityQuery(PageQuerySchema):
    customer_id = Id()
    status = fields.String(validate=one_of(STATUSES))
    pipeline_id = Id()
    stage_id = Id()
    owner_id = Id()
    owner_team = Text(60)
    lead_id = Id()
    campaign_id = Id()
    forecast_category = fields.String(validate=one_of(FORECAST_CATEGORIES))
    q = Text(100)
    close_after = fields.Date()
    close_before = fields.Date()
    sort = fields.String(
        load_default="-created_at",
        validate=one_of(
            [
                "created_at",
                "-created_at",
                "updated_at",
                "-updated_at",
                "expected_close_date",
                "-expected_close_date",
                "amount",
                "-amount",
            ]
        ),
    )


class MoveIn(StrictSchema):
    stage_id = Id(required=True)
    probability = fields.Integer(validate=validate.Range(0, 100), strict=True)


class WinIn(StrictSchema):
    reason = Text(500, allow_none=True)


class LoseIn(StrictSchema):
    reason = Text(500, required=True)
    competitor = Text(200, allow_none=True)
    competitor_id = Id(allow_none=True)
    stage_id = Id()


class ReopenIn(StrictSchema):
    stage_id = Id()


class HistoryOut(Schema):
    from_stage_id = fields.String(allow_none=True)
    from_stage_name = fields.String(allow_none=True)
    to_stage_id = fields.String()
    to_stage_name = fields.String()
    at = fields.DateTime()
    seconds_in_previous = fields.Integer()
    probability = fields.Integer()
    amount = MoneyOut()
    currency = fields.String()
    by = fields.String(allow_none=True)


class ConvertOut(Schema):
    lead = fields.Nested(LeadOut)
    opportunity = fields.Nested(OpportunityOut)
