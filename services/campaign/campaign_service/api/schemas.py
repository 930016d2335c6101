"""Request and response schemas of the campaign API.

Requests reject unknown fields and bound every string and list; money is a decimal string with
an ISO currency; times are UTC ISO 8601.
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from campaign_service.domain import campaigns as cd
from campaign_service.domain import costs as costd
from campaign_service.domain import coupons as coupond
from campaign_service.domain import surveys as surveyd
from campaign_service.domain.money import round_money
from servicekit.schemas import (
    CURRENCY,
    DecimalString,
    MoneySchema,
    PageQuerySchema,
    StrictSchema,
    Text,
    UtcDateTime,
    page_schema,
)

ID = fields.UUID
_one_of = validate.OneOf


def _plain_ids(data: dict, *keys: str) -> dict:
    """UUIDs as strings: the domain speaks plain values."""
    for key in keys:
        value = data.get(key)
        if isinstance(value, list):
            data[key] = [str(v) for v in value]
        elif value is not None:
            data[key] = str(value)
    return data


class MoneyOut(ma.Schema):
    amount = fields.Method("dump_amount")
    currency = fields.String()

    def dump_amount(self, obj):
        amount = obj["amount"] if isinstance(obj, dict) else obj.amount
        return format(round_money(amount), "f")


class NonNegativeMoney(MoneySchema):
    amount = DecimalString(required=True, places=4)

    @ma.validates("amount")
    def not_negative(self, value, **kwargs):
        if value < 0:
            raise ma.ValidationError("Must not be negative.")


# -- campaigns ------------------------------------------------------------------------------


class VariantIn(StrictSchema):
    variant_id = ID(metadata={"description": "Keep an existing variant (its id) when editing."})
    name = Text(60, required=True)
    split_percent = fields.Integer(required=True, validate=validate.Range(1, 100))
    template_id = ID(allow_none=True)

    @ma.post_load
    def plain(self, data, **kwargs):
        return _plain_ids(data, "variant_id", "template_id")


class AbTestIn(StrictSchema):
    winner_metric = fields.String(required=True, validate=_one_of(cd.WINNER_METRICS))
    test_share_percent = fields.Integer(
        load_default=20,
        validate=validate.Range(1, 100),
        metadata={"description": "Share of the audience in the test; the rest gets the winner."},
    )
    test_duration_hours = fields.Integer(load_default=4, validate=validate.Range(0, 720))
    auto_select = fields.Boolean(load_default=True)


class CampaignFields(StrictSchema):
    name = Text(200)
    description = Text(5000, allow_none=True)
    objective = fields.String(validate=_one_of(cd.OBJECTIVES))
    budget = fields.Nested(NonNegativeMoney, allow_none=True)
    planned_start = UtcDateTime(allow_none=True)
    planned_end = UtcDateTime(allow_none=True)
    owner_id = ID(allow_none=True)
    owner_team = Text(60, allow_none=True)
    segment_ids = fields.List(ID(), validate=validate.Length(max=cd.MAX_SEGMENTS))
    exclude_segment_ids = fields.List(ID(), validate=validate.Length(max=cd.MAX_SEGMENTS))
    utm_campaign = Text(100)
    coupon_id = ID(allow_none=True)
    survey_id = ID(allow_none=True)
    variants = fields.List(fields.Nested(VariantIn), validate=validate.Length(1, cd.MAX_VARIANTS))
    ab_test = fields.Nested(AbTestIn, allow_none=True)
    respect_frequency_cap = fields.Boolean()

    @ma.post_load
    def plain(self, data, **kwargs):
        return _plain_ids(
            data, "owner_id", "segment_ids", "exclude_segment_ids", "coupon_id", "survey_id"
        )


class CampaignCreate(CampaignFields):
    name = Text(200, required=True)
    channel = fields.String(required=True, validate=_one_of(cd.CHANNELS))


class CampaignPatch(CampaignFields):
    channel = fields.String(validate=_one_of(cd.CHANNELS))

    @ma.validates_schema
    def not_empty(self, data, **kwargs):
        if not data:
            raise ma.ValidationError("send at least one field to change")


class VariantOut(ma.Schema):
    id = fields.String()
    name = fields.String()
    split_percent = fields.Integer()
    template_id = fields.String(allow_none=True)
    content_frozen = fields.Method("dump_frozen")

    def dump_frozen(self, obj):
        return obj.content is not None


class AbTestOut(ma.Schema):
    winner_metric = fields.String()
    test_share_percent = fields.Integer()
    test_duration_hours = fields.Integer()
    auto_select = fields.Boolean()


class CampaignSchema(ma.Schema):
    id = fields.String()
    name = fields.String()
    description = fields.String(allow_none=True)
    channel = fields.String()
    objective = fields.String()
    status = fields.String()
    budget = fields.Nested(MoneyOut, allow_none=True)
    spend = fields.Method("dump_spend")
    budget_burn = fields.Method("dump_burn", metadata={"description": "spend / budget"})
    budget_exceeded_at = fields.DateTime(allow_none=True)
    planned_start = fields.DateTime(allow_none=True)
    planned_end = fields.DateTime(allow_none=True)
    scheduled_at = fields.DateTime(allow_none=True)
    launched_at = fields.DateTime(allow_none=True)
    paused_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)
    owner_id = fields.String(allow_none=True)
    owner_team = fields.String(allow_none=True)
    segment_ids = fields.List(fields.String())
    exclude_segment_ids = fields.List(fields.String())
    utm_campaign = fields.String()
    coupon_id = fields.String(allow_none=True)
    survey_id = fields.String(allow_none=True)
    respect_frequency_cap = fields.Boolean()
    variants = fields.List(fields.Nested(VariantOut))
    ab_test = fields.Nested(AbTestOut, allow_none=True)
    winner_variant_id = fields.String(allow_none=True)
    winner_selected_at = fields.DateTime(allow_none=True)
    readiness = fields.Method(
        "dump_readiness", metadata={"description": "What keeps the campaign from sending."}
    )
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    created_by = fields.String(allow_none=True)
    version = fields.Integer()

    def dump_spend(self, obj):
        return MoneyOut().dump(obj.spend_money())

    def dump_burn(self, obj):
        burn = obj.budget_burn()
        return format(burn, "f") if burn is not None else None

    def dump_readiness(self, obj):
        return obj.readiness_problems()


CampaignPage = page_schema(CampaignSchema, "CampaignPage")


class CampaignListQuery(PageQuerySchema):
    status = fields.List(
        fields.String(validate=_one_of(cd.STATUSES)), validate=validate.Length(max=6)
    )
    channel = fields.List(
        fields.String(validate=_one_of(cd.CHANNELS)), validate=validate.Length(max=7)
    )
    objective = fields.String(validate=_one_of(cd.OBJECTIVES))
    owner_id = ID()
    owner_team = Text(60)
    coupon_id = ID()
    q = Text(200, metadata={"description": "Search in the name."})
    starts_after = UtcDateTime()
    starts_before = UtcDateTime()
    sort = fields.String(
        load_default="-created_at",
        validate=_one_of(("-created_at", "created_at", "name", "-name", "-updated_at")),
    )
    total = fields.Boolean(load_default=False)


class ScheduleIn(StrictSchema):
    send_at = UtcDateTime(required=True, metadata={"description": "When the send starts (UTC)."})


class WinnerIn(StrictSchema):
    variant_id = ID(
        allow_none=True,
        load_default=None,
        metadata={"description": "The winner; omit to choose by the campaign's metric now."},
    )


class ReportQuery(StrictSchema):
    model = fields.String(validate=_one_of(("last_touch", "first_touch", "linear")))


class RatesOut(ma.Schema):
    delivery = DecimalString(dump_only=True, allow_none=True)
    open = DecimalString(dump_only=True, allow_none=True)
    click = DecimalString(dump_only=True, allow_none=True)
    click_to_open = DecimalString(dump_only=True, allow_none=True)
    unsubscribe = DecimalString(dump_only=True, allow_none=True)
    conversion = DecimalString(dump_only=True, allow_none=True)


class FiguresOut(ma.Schema):
    recipients = fields.Integer()
    sent = fields.Integer()
    held = fields.Integer()
    pending = fields.Integer()
    sending = fields.Integer()
    deferred = fields.Integer()
    delivered = fields.Integer()
    bounced_hard = fields.Integer()
    bounced_soft = fields.Integer()
    skipped = fields.Integer()
    cancelled = fields.Integer()
    in_doubt = fields.Integer()
    opened_human = fields.Integer()
    opened_machine = fields.Integer()
    opens_human_total = fields.Integer()
    opens_machine_total = fields.Integer()
    clicked_human = fields.Integer()
    clicked_machine = fields.Integer()
    clicks_human_total = fields.Integer()
    clicks_machine_total = fields.Integer()
    unsubscribed = fields.Integer()
    conversions = fields.Integer()
    revenue = DecimalString(dump_only=True)
    cost = DecimalString(dump_only=True)
    roi = DecimalString(
        dump_only=True, allow_none=True, metadata={"description": "(revenue - cost) / cost"}
    )
    rates = fields.Nested(RatesOut)


class VariantFiguresOut(FiguresOut):
    variant_id = fields.String()
    name = fields.String()
    split_percent = fields.Integer()
    is_winner = fields.Boolean()


class AudienceOut(ma.Schema):
    recipients = fields.Integer()
    held_for_winner = fields.Integer()
    excluded = fields.Dict(keys=fields.String(), values=fields.Integer())
    phase = fields.String(allow_none=True)


class NotViaMessageOut(ma.Schema):
    conversions = fields.Integer()
    revenue = DecimalString(dump_only=True)


class ReportOut(ma.Schema):
    campaign_id = fields.String()
    name = fields.String()
    status = fields.String()
    channel = fields.String()
    model = fields.String()
    currency = fields.String()
    budget = fields.Nested(MoneyOut, allow_none=True)
    budget_burn = DecimalString(dump_only=True, allow_none=True)
    audience = fields.Nested(AudienceOut)
    totals = fields.Nested(FiguresOut)
    variants = fields.List(fields.Nested(VariantFiguresOut))
    not_via_message = fields.Nested(
        NotViaMessageOut,
        metadata={
            "description": "Attributed to the campaign by coupon or touchpoints, "
            "for customers who got no message of it."
        },
    )
    winner_variant_id = fields.String(allow_none=True)


class SendProgressOut(ma.Schema):
    campaign_id = fields.String()
    phase = fields.String()
    requested_at = fields.DateTime()
    resolved_at = fields.DateTime(allow_none=True)
    test_ends_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    recipients = fields.Integer()
    held_for_winner = fields.Integer()
    excluded = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_status = fields.Dict(keys=fields.String(), values=fields.Integer())
    done = fields.Integer()
    progress = fields.Float()


class MessageOut(ma.Schema):
    message_id = fields.String()
    campaign_id = fields.String()
    campaign_name = fields.String()
    channel = fields.String()
    variant_id = fields.String(allow_none=True)
    variant_name = fields.String(allow_none=True)
    customer_id = fields.String()
    to_address = fields.String(allow_none=True)
    purpose = fields.String()
    status = fields.String()
    skip_reason = fields.String(allow_none=True)
    attempts = fields.Integer()
    coupon_code = fields.String(allow_none=True)
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    bounced_at = fields.DateTime(allow_none=True)
    opened = fields.Boolean(metadata={"description": "Opened by a person (machine opens apart)."})
    first_open_at = fields.DateTime(allow_none=True)
    opens = fields.Integer()
    first_machine_open_at = fields.DateTime(allow_none=True)
    machine_opens = fields.Integer()
    clicked = fields.Boolean(metadata={"description": "Clicked by a person."})
    first_click_at = fields.DateTime(allow_none=True)
    clicks = fields.Integer()
    first_machine_click_at = fields.DateTime(allow_none=True)
    machine_clicks = fields.Integer()
    unsubscribed = fields.Boolean()
    unsubscribed_at = fields.DateTime(allow_none=True)


MessagePage = page_schema(MessageOut, "MessagePage")


class CustomerMessagesQuery(PageQuerySchema):
    customer_id = ID(required=True)
    campaign_id = ID()


class CampaignMessagesQuery(PageQuerySchema):
    status = fields.String(
        validate=_one_of(
            (
                "held",
                "pending",
                "sending",
                "deferred",
                "delivered",
                "bounced_hard",
                "bounced_soft",
                "skipped",
                "cancelled",
                "in_doubt",
            )
        )
    )
    variant_id = ID()


# -- costs ----------------------------------------------------------------------------------


class PositiveMoney(MoneySchema):
    amount = DecimalString(required=True, places=4)

    @ma.validates("amount")
    def positive(self, value, **kwargs):
        if value <= 0:
            raise ma.ValidationError("Must be more than zero.")


class CostIn(StrictSchema):
    category = fields.String(required=True, validate=_one_of(costd.CATEGORIES))
    description = Text(500, allow_none=True)
    amount = fields.Nested(PositiveMoney, required=True)
    fx_rate = DecimalString(
        allow_none=True,
        metadata={"description": "Base-currency units per unit of amount (up to 6 places)."},
    )
    incurred_on = fields.Date(metadata={"description": "Default: today (UTC)."})

    @ma.validates("fx_rate")
    def rate(self, value, **kwargs):
        if value is not None and (value <= 0 or value.as_tuple().exponent < -6):
            raise ma.ValidationError("A positive rate with at most six decimal places.")


class CostOut(ma.Schema):
    id = fields.String()
    campaign_id = fields.String()
    category = fields.String()
    description = fields.String(allow_none=True)
    amount = fields.Nested(MoneyOut)
    fx_rate = DecimalString(dump_only=True)
    base_amount = fields.Nested(MoneyOut)
    incurred_on = fields.Date()
    created_at = fields.DateTime()
    created_by = fields.String(allow_none=True)


CostPage = page_schema(CostOut, "CostPage")


# -- templates ------------------------------------------------------------------------------


class TemplateFields(StrictSchema):
    name = Text(200)
    description = Text(2000, allow_none=True)
    subject = Text(300)
    preheader = Text(300, allow_none=True)
    text = fields.String(allow_none=True, validate=validate.Length(max=100_000))
    html = fields.String(allow_none=True, validate=validate.Length(max=300_000))
    from_name = Text(100, allow_none=True)
    defaults = fields.Dict(
        keys=fields.String(validate=validate.Length(1, 50)),
        values=fields.String(allow_none=True, validate=validate.Length(max=500)),
        validate=validate.Length(max=50),
    )


class TemplateCreate(TemplateFields):
    name = Text(200, required=True)
    subject = Text(300, required=True)


class TemplatePatch(TemplateFields):
    @ma.validates_schema
    def not_empty(self, data, **kwargs):
        if not data:
            raise ma.ValidationError("send at least one field to change")


class TemplateOut(ma.Schema):
    id = fields.String()
    name = fields.String()
    description = fields.String(allow_none=True)
    subject = fields.String()
    preheader = fields.String(allow_none=True)
    text = fields.String()
    html = fields.String(allow_none=True)
    from_name = fields.String(allow_none=True)
    defaults = fields.Dict()
    status = fields.String()
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    created_by = fields.String(allow_none=True)


TemplatePage = page_schema(TemplateOut, "TemplatePage")


class TemplateListQuery(PageQuerySchema):
    status = fields.String(validate=_one_of(("active", "archived")))
    q = Text(200)


class PreviewIn(StrictSchema):
    customer_id = ID(
        allow_none=True, metadata={"description": "Render for this customer (else a sample)."}
    )
    variables = fields.Dict(
        keys=fields.String(validate=validate.Length(1, 50)),
        values=fields.String(validate=validate.Length(max=1000)),
        load_default=dict,
        validate=validate.Length(max=50),
    )


class PreviewOut(ma.Schema):
    subject = fields.String()
    preheader = fields.String(allow_none=True)
    text = fields.String()
    html = fields.String(allow_none=True)
    customer_id = fields.String(allow_none=True)
    adds_unsubscribe_footer = fields.Boolean()


class VariableOut(ma.Schema):
    name = fields.String()
    description = fields.String()


# -- coupons --------------------------------------------------------------------------------


class CouponFields(StrictSchema):
    name = Text(200)
    campaign_id = ID(allow_none=True)
    valid_from = UtcDateTime(allow_none=True)
    valid_until = UtcDateTime(allow_none=True)
    max_redemptions = fields.Integer(allow_none=True, validate=validate.Range(1, 10_000_000))
    max_per_customer = fields.Integer(allow_none=True, validate=validate.Range(1, 1000))
    min_order = fields.Nested(NonNegativeMoney, allow_none=True)
    active = fields.Boolean()

    @ma.post_load
    def plain(self, data, **kwargs):
        return _plain_ids(data, "campaign_id")


class CouponCreate(CouponFields):
    name = Text(200, required=True)
    mode = fields.String(required=True, validate=_one_of(coupond.MODES))
    code = Text(40, allow_none=True, metadata={"description": "Shared code (generated if empty)."})
    discount_kind = fields.String(required=True, validate=_one_of(coupond.KINDS))
    value = DecimalString(required=True, places=4)
    currency = fields.String(allow_none=True, validate=CURRENCY)


class CouponPatch(CouponFields):
    @ma.validates_schema
    def not_empty(self, data, **kwargs):
        if not data:
            raise ma.ValidationError("send at least one field to change")


class CouponOut(ma.Schema):
    id = fields.String()
    name = fields.String()
    campaign_id = fields.String(allow_none=True)
    mode = fields.String()
    code = fields.String(allow_none=True)
    discount_kind = fields.String()
    value = fields.Method("dump_value")
    currency = fields.String(allow_none=True)
    valid_from = fields.DateTime(allow_none=True)
    valid_until = fields.DateTime(allow_none=True)
    max_redemptions = fields.Integer(allow_none=True)
    max_per_customer = fields.Integer(allow_none=True)
    min_order = fields.Nested(MoneyOut, allow_none=True)
    active = fields.Boolean()
    codes_issued = fields.Integer()
    batches = fields.Integer()
    redemptions = fields.Integer()
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()

    def dump_value(self, obj):
        return format(obj.value, "f")


CouponPage = page_schema(CouponOut, "CouponPage")


class CouponListQuery(PageQuerySchema):
    campaign_id = ID()
    active = fields.Boolean()
    mode = fields.String(validate=_one_of(coupond.MODES))
    code = Text(60)


class CodesIn(StrictSchema):
    count = fields.Integer(required=True, validate=validate.Range(1, coupond.MAX_CODES_PER_REQUEST))
    prefix = Text(10, allow_none=True)


class CodesOut(ma.Schema):
    coupon_id = fields.String()
    issued = fields.Integer()
    batches = fields.List(fields.Integer())
    codes = fields.List(fields.String(), metadata={"description": "Only when at most 1000."})


class CodeOut(ma.Schema):
    code = fields.String()
    batch = fields.Integer()
    customer_id = fields.String(allow_none=True)
    message_id = fields.String(allow_none=True)
    created_at = fields.DateTime()
    assigned_at = fields.DateTime(allow_none=True)


CodePage = page_schema(CodeOut, "CodePage")


class CodeListQuery(PageQuerySchema):
    assigned = fields.Boolean()


# -- touchpoints ----------------------------------------------------------------------------


class TouchpointIn(StrictSchema):
    customer_id = ID(allow_none=True)
    anonymous_id = Text(100, allow_none=True)
    source = Text(100, allow_none=True, metadata={"description": "utm_source"})
    medium = Text(100, allow_none=True, metadata={"description": "utm_medium"})
    campaign = Text(100, allow_none=True, metadata={"description": "utm_campaign"})
    term = Text(200, allow_none=True, metadata={"description": "utm_term"})
    content = Text(200, allow_none=True, metadata={"description": "utm_content"})
    landing_url = Text(2000, allow_none=True)
    referrer = Text(2000, allow_none=True)
    occurred_at = UtcDateTime(metadata={"description": "Default: now."})

    @ma.post_load
    def plain(self, data, **kwargs):
        return _plain_ids(data, "customer_id")


class LinkVisitorIn(StrictSchema):
    anonymous_id = Text(100, required=True)
    customer_id = ID(required=True)


class LinkVisitorOut(ma.Schema):
    anonymous_id = fields.String()
    customer_id = fields.String()
    touchpoints = fields.Integer()


class TouchpointOut(ma.Schema):
    id = fields.String()
    kind = fields.String()
    customer_id = fields.String(allow_none=True)
    anonymous_id = fields.String(allow_none=True)
    campaign_id = fields.String(allow_none=True)
    source = fields.String(allow_none=True)
    medium = fields.String(allow_none=True)
    utm_campaign = fields.String(allow_none=True)
    term = fields.String(allow_none=True)
    content = fields.String(allow_none=True)
    landing_url = fields.String(allow_none=True)
    referrer = fields.String(allow_none=True)
    message_id = fields.String(allow_none=True)
    order_id = fields.String(allow_none=True)
    occurred_at = fields.DateTime()
    recorded_at = fields.DateTime()


TouchpointPage = page_schema(TouchpointOut, "TouchpointPage")


class TouchpointListQuery(PageQuerySchema):
    customer_id = ID()
    anonymous_id = Text(100)
    campaign_id = ID()
    kind = fields.String(validate=_one_of(("visit", "email_click", "order")))
    since = UtcDateTime()

    @ma.validates_schema
    def needs_a_filter(self, data, **kwargs):
        if not (data.get("customer_id") or data.get("anonymous_id") or data.get("campaign_id")):
            raise ma.ValidationError("filter by customer_id, anonymous_id or campaign_id")


# -- suppressions ---------------------------------------------------------------------------


class SuppressionIn(StrictSchema):
    address = Text(320, required=True)
    reason = fields.String(load_default="manual", validate=_one_of(("manual", "complaint")))
    note = Text(1000, allow_none=True)


class SuppressionOut(ma.Schema):
    id = fields.String()
    address = fields.String(allow_none=True)
    customer_id = fields.String(allow_none=True)
    reason = fields.String()
    campaign_id = fields.String(allow_none=True)
    message_id = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    created_at = fields.DateTime()
    created_by = fields.String(allow_none=True)


SuppressionPage = page_schema(SuppressionOut, "SuppressionPage")


class SuppressionListQuery(PageQuerySchema):
    reason = fields.String(validate=_one_of(("unsubscribed", "hard_bounce", "manual", "complaint")))
    address = Text(320)
    customer_id = ID()


# -- competitors ----------------------------------------------------------------------------


class PricePointIn(StrictSchema):
    label = Text(60, load_default="list")
    price = fields.Nested(NonNegativeMoney, required=True)


class ProductIn(StrictSchema):
    name = Text(200, required=True)
    category = Text(100, allow_none=True)
    price_points = fields.List(
        fields.Nested(PricePointIn), load_default=list, validate=validate.Length(max=20)
    )
    notes = Text(2000, allow_none=True)


class CompetitorFields(StrictSchema):
    name = Text(200)
    website = Text(300, allow_none=True)
    description = Text(5000, allow_none=True)
    products = fields.List(fields.Nested(ProductIn), validate=validate.Length(max=100))
    strengths = fields.List(Text(300), validate=validate.Length(max=50))
    weaknesses = fields.List(Text(300), validate=validate.Length(max=50))
    notes = Text(10_000, allow_none=True)


class CompetitorCreate(CompetitorFields):
    name = Text(200, required=True)


class CompetitorPatch(CompetitorFields):
    @ma.validates_schema
    def not_empty(self, data, **kwargs):
        if not data:
            raise ma.ValidationError("send at least one field to change")


class PricePointOut(ma.Schema):
    label = fields.String()
    price = fields.Nested(MoneyOut)


class ProductOut(ma.Schema):
    name = fields.String()
    category = fields.String(allow_none=True)
    price_points = fields.List(fields.Nested(PricePointOut))
    notes = fields.String(allow_none=True)


class CompetitorOut(ma.Schema):
    id = fields.String()
    name = fields.String()
    website = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    products = fields.List(fields.Nested(ProductOut))
    strengths = fields.List(fields.String())
    weaknesses = fields.List(fields.String())
    notes = fields.String(allow_none=True)
    status = fields.String()
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


CompetitorPage = page_schema(CompetitorOut, "CompetitorPage")


class CompetitorListQuery(PageQuerySchema):
    status = fields.String(load_default="active", validate=_one_of(("active", "archived")))
    q = Text(200)


# -- surveys --------------------------------------------------------------------------------


class OptionIn(StrictSchema):
    option_id = Text(40)
    label = Text(200, required=True)


class QuestionIn(StrictSchema):
    question_id = Text(40)
    type = fields.String(required=True, validate=_one_of(surveyd.QUESTION_TYPES))
    text = Text(500, required=True)
    help_text = Text(500, allow_none=True)
    required = fields.Boolean(load_default=False)
    options = fields.List(fields.Nested(OptionIn), validate=validate.Length(max=30))
    scale_min = fields.Integer(allow_none=True, validate=validate.Range(0, 1))
    scale_max = fields.Integer(allow_none=True, validate=validate.Range(2, 10))
    min_label = Text(60, allow_none=True)
    max_label = Text(60, allow_none=True)
    max_length = fields.Integer(allow_none=True, validate=validate.Range(1, 5000))


class SurveyFields(StrictSchema):
    name = Text(200)
    description = Text(2000, allow_none=True)
    intro = Text(5000, allow_none=True)
    thank_you = Text(2000, allow_none=True)
    language = Text(35)
    questions = fields.List(fields.Nested(QuestionIn), validate=validate.Length(1, 50))


class SurveyCreate(SurveyFields):
    name = Text(200, required=True)
    questions = fields.List(
        fields.Nested(QuestionIn), required=True, validate=validate.Length(1, 50)
    )


class SurveyPatch(SurveyFields):
    @ma.validates_schema
    def not_empty(self, data, **kwargs):
        if not data:
            raise ma.ValidationError("send at least one field to change")


class OptionOut(ma.Schema):
    option_id = fields.String(attribute="id")
    label = fields.String()


class QuestionOut(ma.Schema):
    question_id = fields.String(attribute="id")
    type = fields.String()
    text = fields.String()
    help_text = fields.String(allow_none=True)
    required = fields.Boolean()
    options = fields.List(fields.Nested(OptionOut))
    scale_min = fields.Integer(allow_none=True)
    scale_max = fields.Integer(allow_none=True)
    min_label = fields.String(allow_none=True)
    max_label = fields.String(allow_none=True)
    max_length = fields.Integer(allow_none=True)


class SurveyOut(ma.Schema):
    id = fields.String()
    name = fields.String()
    description = fields.String(allow_none=True)
    intro = fields.String(allow_none=True)
    thank_you = fields.String(allow_none=True)
    language = fields.String()
    status = fields.String()
    questions = fields.List(fields.Nested(QuestionOut))
    responses = fields.Integer()
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    opened_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)


SurveyPage = page_schema(SurveyOut, "SurveyPage")


class SurveyListQuery(PageQuerySchema):
    status = fields.String(validate=_one_of(surveyd.STATUSES))


class ResultsQuery(StrictSchema):
    text_limit = fields.Integer(load_default=200, validate=validate.Range(0, 1000))


class ResultsOut(ma.Schema):
    survey_id = fields.String()
    name = fields.String()
    status = fields.String()
    responses = fields.Integer()
    questions = fields.List(
        fields.Dict(),
        metadata={
            "description": "Per question: answered/skipped; choice questions: options with "
            "count and percent; scale and NPS: average and distribution (NPS also score, "
            "promoters, passives, detractors); text: text_answers and text_total."
        },
    )


class AnswerOut(ma.Schema):
    question_id = fields.String()
    type = fields.String()
    option_ids = fields.List(fields.String(), allow_none=True)
    number = fields.Integer(allow_none=True)
    text = fields.String(allow_none=True)


class ResponseOut(ma.Schema):
    id = fields.String()
    survey_id = fields.String()
    campaign_id = fields.String(allow_none=True)
    customer_id = fields.String(allow_none=True)
    answers = fields.List(fields.Nested(AnswerOut))
    answered_at = fields.DateTime()


ResponsePage = page_schema(ResponseOut, "ResponsePage")


class AttributionQuery(PageQuerySchema):
    model = fields.String(validate=_one_of(("last_touch", "first_touch", "linear")))


class AttributionOut(ma.Schema):
    order_id = fields.String()
    customer_id = fields.String()
    variant_id = fields.String(allow_none=True)
    model = fields.String()
    method = fields.String(metadata={"description": "coupon or touchpoint"})
    share = fields.String()
    revenue = fields.Method("dump_revenue")
    currency = fields.String()
    attributed_at = fields.DateTime()

    def dump_revenue(self, obj):
        return format(round_money(obj["revenue"]), "f")


AttributionPage = page_schema(AttributionOut, "AttributionPage")
