"""Request and response schemas of the support API."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import marshmallow as ma
from marshmallow import fields, validate

from servicekit.schemas import (
    DecimalString,
    PageQuerySchema,
    StrictSchema,
    Text,
    UtcDateTime,
    page_schema,
)
from support_service.domain.businesstime import WEEKDAYS
from support_service.domain.sla import (
    CATEGORIES,
    CHANNELS,
    LOW_SCORE_ACTIONS,
    MAX_TARGET_MINUTES,
    PRIORITIES,
    SURVEY_CHOICES,
    SURVEY_KINDS,
)
from support_service.domain.surveys import STATUSES as SURVEY_STATUSES
from support_service.domain.tickets import ROOT_CAUSE_CATEGORIES, STATUSES

ID = fields.UUID
_one_of = validate.OneOf
CLOCK = validate.Regexp(r"^\d{2}:\d{2}$", error="Use HH:MM, e.g. 09:00 (24:00 ends a day).")
MAX_DELAY_MINUTES = 60 * 24 * 30


def _plain(data: dict) -> dict:
    """UUIDs as strings: the domain speaks plain values."""
    for key, value in list(data.items()):
        if hasattr(value, "hex") and hasattr(value, "version"):
            data[key] = str(value)
        elif isinstance(value, list) and value and hasattr(value[0], "hex"):
            data[key] = [str(v) for v in value]
    return data


class _Plain(StrictSchema):
    @ma.post_load
    def plain(self, data, **kwargs):
        return _plain(data)


class _NotEmpty(_Plain):
    @ma.validates_schema
    def not_empty(self, data, **kwargs):
        if not data:
            raise ma.ValidationError("send at least one field to change")


# -- tickets ------------------------------------------------------------------------------------


class ContactIn(StrictSchema):
    name = Text(200, allow_none=True)
    email = fields.Email(allow_none=True, validate=validate.Length(max=320))
    phone = Text(40, allow_none=True)


class TicketCreate(_Plain):
    customer_id = ID(required=True)
    subject = Text(300, required=True)
    description = Text(20_000, allow_none=True, metadata={"description": "The customer's request"})
    category = fields.String(required=True, validate=_one_of(CATEGORIES))
    channel = fields.String(required=True, validate=_one_of(CHANNELS))
    priority = fields.String(load_default="normal", validate=_one_of(PRIORITIES))
    tags = fields.List(Text(50), validate=validate.Length(max=30))
    order_id = ID(allow_none=True)
    contact = fields.Nested(ContactIn)
    group_id = ID(allow_none=True, metadata={"description": "Default: your group or the default"})
    agent_id = ID(allow_none=True, metadata={"description": "A member of the group"})
    parent_ticket_id = ID(allow_none=True)
    auto_assign = fields.Boolean(
        load_default=True,
        metadata={"description": "Without agent_id: round-robin within the group"},
    )


class TicketPatch(_NotEmpty):
    subject = Text(300)
    category = fields.String(validate=_one_of(CATEGORIES))
    channel = fields.String(validate=_one_of(CHANNELS))
    priority = fields.String(validate=_one_of(PRIORITIES))
    tags = fields.List(Text(50), validate=validate.Length(max=30))
    order_id = ID(allow_none=True)
    contact = fields.Nested(ContactIn)


class AssignIn(_Plain):
    group_id = ID(allow_none=True, metadata={"description": "Omit to keep the ticket's group"})
    agent_id = ID(allow_none=True, metadata={"description": "null unassigns; omit for auto"})
    auto = fields.Boolean(
        metadata={
            "description": "Without agent_id, pick the group's next agent (round-robin; default)"
        },
    )

    @ma.validates_schema
    def something(self, data, **kwargs):
        if not data:
            raise ma.ValidationError("send group_id, agent_id or auto")


class ReplyIn(StrictSchema):
    body = Text(20_000, required=True)
    author = fields.String(
        load_default="agent",
        validate=_one_of(("agent", "customer")),
        metadata={"description": "customer: record a message the customer sent (phone, chat)"},
    )


class NoteIn(StrictSchema):
    body = Text(20_000, required=True)


class EmptyIn(StrictSchema):
    """Actions without parameters still refuse a body with fields."""


class ReasonIn(StrictSchema):
    reason = Text(1000, allow_none=True)


class ResolveIn(StrictSchema):
    resolution = Text(5000, allow_none=True, metadata={"description": "Kept as an internal note"})
    root_cause_category = fields.String(validate=_one_of(ROOT_CAUSE_CATEGORIES))
    root_cause = Text(2000)
    corrective_action = Text(2000)
    send_survey = fields.Boolean(load_default=True)


class ComplaintIn(StrictSchema):
    root_cause_category = fields.String(required=True, validate=_one_of(ROOT_CAUSE_CATEGORIES))
    root_cause = Text(2000, required=True)
    corrective_action = Text(2000, required=True)


class MergeIn(_Plain):
    duplicate_ids = fields.List(ID(), required=True, validate=validate.Length(min=1, max=20))


class ReturnLineIn(_Plain):
    product_id = ID(required=True)
    quantity = DecimalString(required=True, minimum=Decimal("0.000001"))


class ReturnIn(_Plain):
    order_id = ID(allow_none=True, metadata={"description": "Default: the ticket's order"})
    full = fields.Boolean(load_default=False, metadata={"description": "Everything left"})
    lines = fields.List(fields.Nested(ReturnLineIn), validate=validate.Length(min=1, max=200))
    reason = Text(1000, allow_none=True)

    @ma.validates_schema
    def lines_or_full(self, data, **kwargs):
        if data.get("full") and data.get("lines"):
            raise ma.ValidationError("send lines or full=true, not both")
        if not data.get("full") and not data.get("lines"):
            raise ma.ValidationError("send the lines to return, or full=true")


class RejectIn(StrictSchema):
    reason = Text(1000, required=True)


class TicketListQuery(PageQuerySchema):
    customer_id = ID()
    status = fields.String(
        validate=_one_of(("open", "resolved", "closed")),
        metadata={"description": "open = not resolved or closed (new, open, pending, on_hold)"},
    )
    state = fields.List(
        fields.String(validate=_one_of(STATUSES)),
        validate=validate.Length(max=6),
        metadata={"description": "Exact statuses (repeat the parameter)"},
    )
    priority = fields.List(
        fields.String(validate=_one_of(PRIORITIES)), validate=validate.Length(max=4)
    )
    category = fields.List(
        fields.String(validate=_one_of(CATEGORIES)), validate=validate.Length(max=5)
    )
    channel = fields.List(
        fields.String(validate=_one_of(CHANNELS)), validate=validate.Length(max=4)
    )
    group_id = ID()
    agent_id = ID()
    assigned_to_me = fields.Boolean()
    unassigned = fields.Boolean()
    order_id = ID()
    parent_ticket_id = ID()
    tag = Text(50)
    sla_breached = fields.Boolean()
    q = Text(200, metadata={"description": "Ticket number or words of the subject"})
    created_after = UtcDateTime()
    created_before = UtcDateTime()
    updated_since = UtcDateTime()
    sort = fields.String(
        load_default="-created_at",
        validate=_one_of(("created_at", "-created_at", "updated_at", "-updated_at")),
    )
    total = fields.Boolean(load_default=False)


class CommentQuery(PageQuerySchema):
    visibility = fields.String(load_default="all", validate=_one_of(("all", "public", "internal")))


class ContactOut(ma.Schema):
    name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)


class ClockOut(ma.Schema):
    target = fields.String()
    cycle = fields.Integer()
    target_minutes = fields.Integer(allow_none=True)
    started_at = fields.DateTime()
    due_at = fields.DateTime(allow_none=True)
    warn_at = fields.DateTime(allow_none=True)
    running = fields.Boolean()
    paused = fields.Boolean()
    elapsed_business_seconds = fields.Integer()
    remaining_business_seconds = fields.Integer(allow_none=True)
    warned = fields.Boolean()
    breached = fields.Boolean()
    met = fields.Boolean(allow_none=True)
    cancelled = fields.Boolean()
    completed_at = fields.DateTime(allow_none=True)


class SlaOut(ma.Schema):
    policy_id = fields.String(allow_none=True)
    policy_name = fields.String(allow_none=True)
    calendar_id = fields.String(allow_none=True)
    warning_percent = fields.Integer()
    breached = fields.Boolean()
    next_check_at = fields.DateTime(allow_none=True)
    targets = fields.Dict(keys=fields.String(), values=fields.Nested(ClockOut))


class ComplaintOut(ma.Schema):
    root_cause_category = fields.String()
    root_cause = fields.String()
    corrective_action = fields.String()
    recorded_by = fields.String(allow_none=True)
    recorded_at = fields.String()


class TicketSatisfactionOut(ma.Schema):
    survey_id = fields.String()
    kind = fields.String()
    score = fields.Integer()
    answered_at = fields.DateTime()


class TicketSchema(ma.Schema):
    id = fields.String()
    number = fields.String()
    customer_id = fields.String()
    customer_name = fields.String(allow_none=True)
    contact = fields.Nested(ContactOut)
    order_id = fields.String(allow_none=True)
    subject = fields.String()
    category = fields.String()
    channel = fields.String()
    priority = fields.String()
    status = fields.String()
    tags = fields.List(fields.String())
    group_id = fields.String(allow_none=True)
    agent_id = fields.String(allow_none=True)
    sla = fields.Nested(SlaOut)
    complaint = fields.Nested(ComplaintOut, allow_none=True)
    parent_ticket_id = fields.String(allow_none=True)
    merged_into = fields.String(allow_none=True)
    close_reason = fields.String(allow_none=True)
    origin = fields.String()
    first_responded_at = fields.DateTime(allow_none=True)
    first_response_business_seconds = fields.Integer(allow_none=True)
    first_response_calendar_seconds = fields.Integer(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    resolution_business_seconds = fields.Integer(allow_none=True)
    resolution_calendar_seconds = fields.Integer(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    reopened_count = fields.Integer()
    last_customer_message_at = fields.DateTime(allow_none=True)
    last_agent_reply_at = fields.DateTime(allow_none=True)
    satisfaction = fields.Nested(TicketSatisfactionOut, allow_none=True)
    created_by = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()


TicketPage = page_schema(TicketSchema, "TicketPage")


class CommentSchema(ma.Schema):
    id = fields.String()
    ticket_id = fields.String()
    public = fields.Boolean()
    author_kind = fields.String()
    author_id = fields.String(allow_none=True)
    author_name = fields.String(allow_none=True)
    body = fields.String()
    created_at = fields.DateTime()
    moved_from_ticket_id = fields.String(allow_none=True)


CommentPage = page_schema(CommentSchema, "CommentPage")


class MergeOut(ma.Schema):
    target = fields.Nested(TicketSchema)
    merged = fields.List(fields.Nested(TicketSchema))


class ReturnLineOut(ma.Schema):
    product_id = fields.String()
    sku = fields.String(allow_none=True)
    quantity = fields.Decimal(as_string=True, dump_only=True)


class ReturnSchema(ma.Schema):
    id = fields.String()
    ticket_id = fields.String()
    order_id = fields.String()
    customer_id = fields.String()
    lines = fields.List(fields.Nested(ReturnLineOut))
    full = fields.Boolean()
    reason = fields.String(allow_none=True)
    status = fields.String()
    requested_by = fields.String(allow_none=True)
    requested_at = fields.DateTime()
    decided_by = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decision_reason = fields.String(allow_none=True)
    version = fields.Integer()


# -- SLA policies -------------------------------------------------------------------------------


class ConditionsIn(StrictSchema):
    priorities = fields.List(
        fields.String(validate=_one_of(PRIORITIES)), validate=validate.Length(max=4)
    )
    categories = fields.List(
        fields.String(validate=_one_of(CATEGORIES)), validate=validate.Length(max=5)
    )
    channels = fields.List(
        fields.String(validate=_one_of(CHANNELS)), validate=validate.Length(max=4)
    )
    customer_tiers = fields.List(Text(50), validate=validate.Length(max=50))
    customer_tags = fields.List(Text(50), validate=validate.Length(max=50))


_MINUTES = validate.Range(1, MAX_TARGET_MINUTES)


class PolicyFields(_Plain):
    name = Text(200)
    description = Text(2000, allow_none=True)
    position = fields.Integer(validate=validate.Range(0, 1_000_000))
    active = fields.Boolean()
    conditions = fields.Nested(ConditionsIn)
    first_response_minutes = fields.Integer(allow_none=True, validate=_MINUTES)
    next_response_minutes = fields.Integer(allow_none=True, validate=_MINUTES)
    resolution_minutes = fields.Integer(allow_none=True, validate=_MINUTES)
    warning_percent = fields.Integer(allow_none=True, validate=validate.Range(1, 99))
    calendar_id = ID(allow_none=True)
    survey_kind = fields.String(allow_none=True, validate=_one_of(SURVEY_CHOICES))
    survey_delay_minutes = fields.Integer(
        allow_none=True, validate=validate.Range(0, MAX_DELAY_MINUTES)
    )
    low_score_action = fields.String(allow_none=True, validate=_one_of(LOW_SCORE_ACTIONS))
    low_score_threshold = fields.Integer(allow_none=True, validate=validate.Range(0, 10))


class PolicyCreate(PolicyFields):
    name = Text(200, required=True)

    @ma.validates_schema
    def some_target(self, data, **kwargs):
        if not any(
            data.get(f"{t}_minutes") for t in ("first_response", "next_response", "resolution")
        ):
            raise ma.ValidationError("set at least one target (first_response_minutes, ...)")


class PolicyPatch(PolicyFields):
    @ma.validates_schema
    def not_empty(self, data, **kwargs):
        if not data:
            raise ma.ValidationError("send at least one field to change")


class PolicyListQuery(PageQuerySchema):
    active = fields.Boolean()


class ConditionsOut(ma.Schema):
    priorities = fields.List(fields.String())
    categories = fields.List(fields.String())
    channels = fields.List(fields.String())
    customer_tiers = fields.List(fields.String())
    customer_tags = fields.List(fields.String())


class PolicySchema(ma.Schema):
    id = fields.String()
    name = fields.String()
    description = fields.String(allow_none=True)
    position = fields.Integer()
    active = fields.Boolean()
    conditions = fields.Method("dump_conditions")
    first_response_minutes = fields.Integer(allow_none=True)
    next_response_minutes = fields.Integer(allow_none=True)
    resolution_minutes = fields.Integer(allow_none=True)
    warning_percent = fields.Integer(allow_none=True)
    calendar_id = fields.String(allow_none=True)
    survey_kind = fields.String(allow_none=True)
    survey_delay_minutes = fields.Integer(allow_none=True)
    low_score_action = fields.String(allow_none=True)
    low_score_threshold = fields.Integer(allow_none=True)
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()

    def dump_conditions(self, obj):
        return obj.conditions.as_dict()


PolicyPage = page_schema(PolicySchema, "PolicyPage")


class PolicyMatchQuery(_Plain):
    priority = fields.String(required=True, validate=_one_of(PRIORITIES))
    category = fields.String(required=True, validate=_one_of(CATEGORIES))
    channel = fields.String(required=True, validate=_one_of(CHANNELS))
    customer_id = ID()


class PolicyMatchOut(ma.Schema):
    policy = fields.Nested(PolicySchema, allow_none=True)
    calendar_id = fields.String(allow_none=True)
    customer_tier = fields.String(allow_none=True)
    customer_country = fields.String(allow_none=True)


# -- business calendars ---------------------------------------------------------------------------


class SpanIn(StrictSchema):
    start = fields.String(required=True, validate=CLOCK)
    end = fields.String(required=True, validate=CLOCK)


class CustomDayIn(StrictSchema):
    date = fields.Date(required=True)
    open = fields.Boolean(load_default=False)
    hours = fields.List(fields.Nested(SpanIn), allow_none=True, validate=validate.Length(max=12))
    name = Text(200, allow_none=True)


class CalendarFields(StrictSchema):
    name = Text(200)
    description = Text(2000, allow_none=True)
    timezone = Text(64)
    hours = fields.Dict(
        keys=fields.String(validate=_one_of(WEEKDAYS)),
        values=fields.List(fields.Nested(SpanIn), validate=validate.Length(max=12)),
        metadata={"description": 'Per weekday, e.g. {"mon": [{"start": "09:00", "end": "18:00"}]}'},
    )
    holiday_country = fields.String(allow_none=True, validate=validate.Regexp(r"^[A-Za-z]{2}$"))
    holiday_subdivision = Text(10, allow_none=True)
    observe_workdays = fields.Boolean(
        metadata={"description": "Work on the official make-up working days (e.g. CN)"}
    )
    custom_days = fields.List(fields.Nested(CustomDayIn), validate=validate.Length(max=2000))
    customer_countries = fields.List(
        fields.String(validate=validate.Regexp(r"^[A-Za-z]{2}$")),
        validate=validate.Length(max=250),
        metadata={"description": "Tickets of customers in these countries use this calendar"},
    )
    is_default = fields.Boolean()


class CalendarCreate(CalendarFields):
    name = Text(200, required=True)
    timezone = Text(64, required=True)
    hours = fields.Dict(
        required=True,
        keys=fields.String(validate=_one_of(WEEKDAYS)),
        values=fields.List(fields.Nested(SpanIn), validate=validate.Length(max=12)),
    )


class CalendarPatch(CalendarFields):
    @ma.validates_schema
    def not_empty(self, data, **kwargs):
        if not data:
            raise ma.ValidationError("send at least one field to change")


class SpanOut(ma.Schema):
    start = fields.String()
    end = fields.String()


class CustomDayOut(ma.Schema):
    date = fields.String()
    open = fields.Boolean()
    hours = fields.List(fields.Nested(SpanOut), allow_none=True)
    name = fields.String(allow_none=True)


class CalendarSchema(ma.Schema):
    id = fields.String()
    name = fields.String()
    description = fields.String(allow_none=True)
    timezone = fields.String()
    hours = fields.Method("dump_hours")
    holiday_country = fields.String(allow_none=True)
    holiday_subdivision = fields.String(allow_none=True)
    observe_workdays = fields.Boolean()
    custom_days = fields.Method("dump_custom")
    customer_countries = fields.List(fields.String())
    is_default = fields.Boolean()
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()

    def dump_hours(self, obj):
        from support_service.domain.calendars import render_hours

        return render_hours(obj.week)

    def dump_custom(self, obj):
        return obj.custom_days_dicts()


CalendarPage = page_schema(CalendarSchema, "CalendarPage")


class DaysQuery(StrictSchema):
    start = fields.Date(required=True)
    end = fields.Date(required=True)

    @ma.validates_schema
    def span(self, data, **kwargs):
        if data["end"] < data["start"]:
            raise ma.ValidationError("end is before start")
        if data["end"] - data["start"] > timedelta(days=400):
            raise ma.ValidationError("at most 400 days at a time")


class DayOut(ma.Schema):
    date = fields.String()
    working = fields.Boolean()
    hours = fields.List(fields.Nested(SpanOut))
    reason = fields.String()
    name = fields.String(allow_none=True)


class ComputeIn(StrictSchema):
    start = UtcDateTime(required=True)
    add_minutes = fields.Integer(validate=validate.Range(0, MAX_TARGET_MINUTES))
    end = UtcDateTime()

    @ma.validates_schema
    def one(self, data, **kwargs):
        if ("add_minutes" in data) == ("end" in data):
            raise ma.ValidationError("send either add_minutes or end")


class ComputeOut(ma.Schema):
    start = fields.DateTime()
    end = fields.DateTime()
    business_minutes = fields.Decimal(as_string=True, dump_only=True)
    start_is_working_time = fields.Boolean()


# -- agent groups -------------------------------------------------------------------------------


class MemberIn(_Plain):
    agent_id = ID(required=True)
    name = Text(200, allow_none=True)
    email = fields.Email(allow_none=True, validate=validate.Length(max=320))
    available = fields.Boolean(load_default=True)


class MemberPatch(_NotEmpty):
    name = Text(200, allow_none=True)
    email = fields.Email(allow_none=True, validate=validate.Length(max=320))
    available = fields.Boolean()


class GroupCreate(_Plain):
    name = Text(200, required=True)
    description = Text(2000, allow_none=True)
    round_robin = fields.Boolean(load_default=True)
    is_default = fields.Boolean(load_default=False)
    active = fields.Boolean(load_default=True)
    members = fields.List(fields.Nested(MemberIn), validate=validate.Length(max=500))


class GroupPatch(_NotEmpty):
    name = Text(200)
    description = Text(2000, allow_none=True)
    round_robin = fields.Boolean()
    is_default = fields.Boolean()
    active = fields.Boolean()


class MemberOut(ma.Schema):
    agent_id = fields.String()
    name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    available = fields.Boolean()
    joined_at = fields.DateTime()
    last_assigned_at = fields.DateTime(allow_none=True)
    assigned_count = fields.Integer()


class GroupListQuery(PageQuerySchema):
    active = fields.Boolean()
    agent_id = ID(metadata={"description": "Groups this agent belongs to"})


class GroupSchema(ma.Schema):
    id = fields.String()
    name = fields.String()
    description = fields.String(allow_none=True)
    round_robin = fields.Boolean()
    is_default = fields.Boolean()
    active = fields.Boolean()
    members = fields.List(fields.Nested(MemberOut))
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


GroupPage = page_schema(GroupSchema, "GroupPage")


# -- satisfaction surveys -------------------------------------------------------------------------


class SurveyListQuery(PageQuerySchema):
    ticket_id = ID()
    customer_id = ID()
    agent_id = ID()
    group_id = ID()
    status = fields.String(validate=_one_of(SURVEY_STATUSES))
    kind = fields.String(validate=_one_of(SURVEY_KINDS))
    answered_after = UtcDateTime()
    answered_before = UtcDateTime()
    low_score = fields.Boolean()


class SurveyCreate(_Plain):
    ticket_id = ID(required=True)
    kind = fields.String(validate=_one_of(SURVEY_KINDS))
    delay_minutes = fields.Integer(load_default=0, validate=validate.Range(0, MAX_DELAY_MINUTES))


class SurveySchema(ma.Schema):
    id = fields.String()
    ticket_id = fields.String()
    customer_id = fields.String()
    agent_id = fields.String(allow_none=True)
    group_id = fields.String(allow_none=True)
    policy_id = fields.String(allow_none=True)
    kind = fields.String()
    status = fields.String()
    recipient_email = fields.String(allow_none=True)
    send_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)
    expires_at = fields.DateTime(allow_none=True)
    answered_at = fields.DateTime(allow_none=True)
    score = fields.Integer(allow_none=True)
    comment = fields.String(allow_none=True)
    low_score = fields.Boolean(allow_none=True)
    follow_up = fields.String(allow_none=True)
    follow_up_ticket_id = fields.String(allow_none=True)
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    created_at = fields.DateTime()


SurveyPage = page_schema(SurveySchema, "SurveyPage")


# -- reports -----------------------------------------------------------------------------------


REPORT_MAX_SPAN = timedelta(days=3700)  # ten years


class ReportRange(_Plain):
    start = UtcDateTime(metadata={"description": "Default: 30 days before end"})
    end = UtcDateTime(metadata={"description": "Default: now"})

    @ma.validates_schema
    def ordered(self, data, **kwargs):
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            raise ma.ValidationError("end must be after start")
        if data.get("start") and data.get("end") and data["end"] - data["start"] > REPORT_MAX_SPAN:
            raise ma.ValidationError("at most ten years at a time")


class BacklogQuery(_Plain):
    group_id = ID()
    agent_id = ID()
    category = fields.List(
        fields.String(validate=_one_of(CATEGORIES)), validate=validate.Length(max=5)
    )


class SlaReportQuery(ReportRange):
    policy_id = ID()


class _Periodic(ReportRange):
    interval = fields.String(
        load_default="none", validate=_one_of(("none", "day", "week", "month"))
    )
    timezone = Text(64, metadata={"description": "IANA zone for day/week/month buckets (UTC)"})
    group_id = ID()
    agent_id = ID()

    @ma.validates_schema
    def zone(self, data, **kwargs):
        if data.get("timezone"):
            from support_service.domain.businesstime import check_timezone
            from support_service.domain.errors import InvalidValue

            try:
                check_timezone(data["timezone"])
            except InvalidValue as exc:
                raise ma.ValidationError(str(exc), "timezone") from None


class TimesQuery(_Periodic):
    priority = fields.List(
        fields.String(validate=_one_of(PRIORITIES)), validate=validate.Length(max=4)
    )


class SatisfactionQuery(_Periodic):
    policy_id = ID()


_PCT = fields.Decimal(as_string=True, allow_none=True, dump_only=True)


class MatrixCell(ma.Schema):
    status = fields.String()
    priority = fields.String()
    count = fields.Integer()


class BacklogOut(ma.Schema):
    generated_at = fields.DateTime()
    total = fields.Integer()
    by_status = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_priority = fields.Dict(keys=fields.String(), values=fields.Integer())
    matrix = fields.List(fields.Nested(MatrixCell))
    sla_breached = fields.Integer()
    unassigned = fields.Integer()
    oldest_created_at = fields.DateTime(allow_none=True)
    oldest_age_seconds = fields.Integer(allow_none=True)


class TargetCompliance(ma.Schema):
    target = fields.String()
    met = fields.Integer()
    breached = fields.Integer()
    in_progress = fields.Integer()
    not_applicable = fields.Integer()
    met_percent = _PCT
    breached_percent = _PCT


class PolicyCompliance(ma.Schema):
    policy_id = fields.String()
    policy_name = fields.String(allow_none=True)
    targets = fields.List(fields.Nested(TargetCompliance))


class SlaReportOut(ma.Schema):
    start = fields.DateTime()
    end = fields.DateTime()
    policies = fields.List(fields.Nested(PolicyCompliance))


class TimeStats(ma.Schema):
    count = fields.Integer()
    business_median_seconds = _PCT
    business_p90_seconds = fields.Integer(allow_none=True)
    calendar_median_seconds = _PCT
    calendar_p90_seconds = fields.Integer(allow_none=True)


class TimesPeriod(ma.Schema):
    period = fields.String()
    first_response = fields.Nested(TimeStats)
    resolution = fields.Nested(TimeStats)


class TimesOut(ma.Schema):
    start = fields.DateTime()
    end = fields.DateTime()
    interval = fields.String()
    timezone = fields.String()
    periods = fields.List(fields.Nested(TimesPeriod))


class CsatOut(ma.Schema):
    responses = fields.Integer()
    average = _PCT
    satisfied_percent = _PCT


class NpsOut(ma.Schema):
    responses = fields.Integer()
    promoters_percent = _PCT
    passives_percent = _PCT
    detractors_percent = _PCT
    nps = _PCT


class SatisfactionPeriod(ma.Schema):
    period = fields.String()
    csat = fields.Nested(CsatOut)
    nps = fields.Nested(NpsOut)


class SatisfactionOut(ma.Schema):
    start = fields.DateTime()
    end = fields.DateTime()
    interval = fields.String()
    timezone = fields.String()
    surveys_sent = fields.Dict(keys=fields.String(), values=fields.Integer())
    periods = fields.List(fields.Nested(SatisfactionPeriod))
