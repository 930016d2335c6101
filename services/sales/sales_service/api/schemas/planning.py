"""Schemas of contracts, targets, tasks, forecasts and exchange rates."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from sales_service.api.schemas.common import (
    Dec,
    DecimalOut,
    Id,
    MoneyOut,
    PatchSchema,
    StrictSchema,
    Text,
    UtcDateTime,
    currency_field,
    one_of,
)
from sales_service.domain import contracts as ct
from sales_service.domain import targets as tg
from sales_service.domain import tasks as tk
from sales_service.domain.money import money, text
from sales_service.domain.periods import KINDS as PERIOD_KINDS
from servicekit.schemas import PageQuerySchema, page_schema

PERIOD = validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$", error="YYYY-MM or YYYY-Qn")


# -- contracts ------------------------------------------------------------------------------


class ContractFields(StrictSchema):
    title = Text(300)
    description = Text(10_000, allow_none=True)
    start_date = fields.Date()
    end_date = fields.Date()
    value = Dec(ge=0)
    currency = currency_field()
    auto_renew = fields.Boolean()
    renewal_notice_days = fields.Integer(validate=validate.Range(0, 366), strict=True)
    opportunity_id = Id(allow_none=True)
    order_id = Id(allow_none=True)
    region = Text(100, allow_none=True)


class ContractIn(ContractFields):
    customer_id = Id(required=True)
    title = Text(300, required=True)
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)
    value = Dec(required=True, ge=0)
    owner_id = Id(allow_none=True)
    owner_team = Text(60, allow_none=True)


class ContractPatch(ContractFields, PatchSchema):
    owner_id = Id(allow_none=True)
    owner_team = Text(60, allow_none=True)


class ContractOut(Schema):
    id = fields.String()
    number = fields.String()
    customer_id = fields.String()
    title = fields.String()
    description = fields.String(allow_none=True)
    status = fields.String()
    start_date = fields.Date()
    end_date = fields.Date()
    value = MoneyOut()
    base_value = MoneyOut("base_currency")
    fx_rate = fields.Method("dump_rate")
    auto_renew = fields.Boolean()
    renewal_notice_days = fields.Integer()
    renewal_due_on = fields.Method("dump_due")
    opportunity_id = fields.String(allow_none=True)
    order_id = fields.String(allow_none=True)
    owner_id = fields.String(allow_none=True)
    owner_team = fields.String(allow_none=True)
    region = fields.String(allow_none=True)
    signed_at = fields.DateTime(allow_none=True)
    terminated_at = fields.DateTime(allow_none=True)
    termination_reason = fields.String(allow_none=True)
    expired_at = fields.DateTime(allow_none=True)
    renewed_at = fields.DateTime(allow_none=True)
    renewed_from_id = fields.String(allow_none=True)
    renewal_contract_id = fields.String(allow_none=True)
    renewal_task_id = fields.String(allow_none=True)
    renewal_notified_at = fields.DateTime(allow_none=True)
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()

    def dump_rate(self, obj):
        return text(obj.fx_rate)

    def dump_due(self, obj):
        return obj.renewal_due_on().isoformat()


ContractPage = page_schema(ContractOut, "ContractPage")


class ContractQuery(PageQuerySchema):
    customer_id = Id()
    status = fields.String(validate=one_of(ct.STATUSES))
    owner_id = Id()
    owner_team = Text(60)
    opportunity_id = Id()
    ending_after = fields.Date()
    ending_before = fields.Date()
    sort = fields.String(
        load_default="-created_at",
        validate=one_of(["created_at", "-created_at", "end_date", "-end_date"]),
    )


class SignIn(StrictSchema):
    signed_at = UtcDateTime()


class RenewIn(StrictSchema):
    end_date = fields.Date(metadata={"description": "Default: as long as the current term."})
    value = Dec(ge=0, metadata={"description": "Default: the current value."})


class RenewOut(Schema):
    contract = fields.Nested(ContractOut)
    renewal = fields.Nested(ContractOut)


class TerminateIn(StrictSchema):
    reason = Text(500, required=True)


# -- targets ------------------------------------------------------------------------------


class TargetIn(StrictSchema):
    subject = fields.String(required=True, validate=one_of(tg.SUBJECTS))
    owner_id = Id(allow_none=True)
    team = Text(60, allow_none=True)
    period = fields.String(required=True, validate=PERIOD)
    metric = fields.String(required=True, validate=one_of(tg.METRICS))
    value = Dec(required=True, gt=0)
    notes = Text(1000, allow_none=True)


class TargetPatch(PatchSchema):
    value = Dec(gt=0)
    notes = Text(1000, allow_none=True)


class TargetOut(Schema):
    id = fields.String()
    subject = fields.String()
    owner_id = fields.String(allow_none=True)
    team = fields.String(allow_none=True)
    period_kind = fields.String()
    period = fields.String()
    period_start = fields.Date()
    period_end = fields.Date()
    metric = fields.String()
    value = DecimalOut()
    currency = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    set_by = fields.String(allow_none=True)
    attainment = fields.Method("dump_attainment")
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()

    def dump_attainment(self, obj):
        found = getattr(obj, "attainment", None)
        if found is None:
            return None
        return {
            "achieved": text(found["achieved"]),
            "target": text(found["target"]),
            "remaining": text(found["remaining"]),
            "ratio": text(found["ratio"]) if found["ratio"] is not None else None,
            "currency": found["currency"],
        }


TargetPage = page_schema(TargetOut, "TargetPage")


class TargetQuery(PageQuerySchema):
    subject = fields.String(validate=one_of(tg.SUBJECTS))
    owner_id = Id()
    team = Text(60)
    metric = fields.String(validate=one_of(tg.METRICS))
    period = fields.String(validate=PERIOD)
    period_kind = fields.String(validate=one_of(PERIOD_KINDS))
    sort = fields.String(
        load_default="-period_start",
        validate=one_of(["period_start", "-period_start", "created_at", "-created_at"]),
    )


# -- tasks --------------------------------------------------------------------------------


class TaskFields(StrictSchema):
    kind = fields.String(validate=one_of(tk.KINDS))
    subject = Text(300)
    notes = Text(10_000, allow_none=True)
    priority = fields.String(validate=one_of(tk.PRIORITIES))
    due_at = UtcDateTime(allow_none=True)
    assignee_id = Id(allow_none=True)
    assignee_team = Text(60, allow_none=True)


class TaskIn(TaskFields):
    kind = fields.String(required=True, validate=one_of(tk.KINDS))
    subject = Text(300, required=True)
    related_type = fields.String(validate=one_of(tk.RELATED_TYPES))
    related_id = Id()


class TaskPatch(TaskFields, PatchSchema):
    pass


class TaskOut(Schema):
    id = fields.String()
    kind = fields.String()
    subject = fields.String()
    notes = fields.String(allow_none=True)
    priority = fields.String()
    status = fields.String()
    due_at = fields.DateTime(allow_none=True)
    assignee_id = fields.String(allow_none=True)
    assignee_team = fields.String(allow_none=True)
    related_type = fields.String(allow_none=True)
    related_id = fields.String(allow_none=True)
    customer_id = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    reminded_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)
    created_by = fields.String(allow_none=True)
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


TaskPage = page_schema(TaskOut, "TaskPage")


class TaskQuery(PageQuerySchema):
    status = fields.String(validate=one_of(tk.STATUSES))
    kind = fields.String(validate=one_of(tk.KINDS))
    priority = fields.String(validate=one_of(tk.PRIORITIES))
    assignee_id = Id()
    assignee_team = Text(60)
    related_type = fields.String(validate=one_of(tk.RELATED_TYPES))
    related_id = Id()
    customer_id = Id()
    overdue = fields.Boolean()
    due_after = UtcDateTime()
    due_before = UtcDateTime()
    sort = fields.String(
        load_default="due_at",
        validate=one_of(["due_at", "-due_at", "created_at", "-created_at"]),
        metadata={"description": "due_at lists tasks that have a due date."},
    )


class CompleteIn(StrictSchema):
    outcome = Text(500, allow_none=True)


# -- forecasts and exchange rates ---------------------------------------------------------------


class ForecastQuery(StrictSchema):
    period = fields.String(load_default="quarter", validate=one_of(PERIOD_KINDS))
    start = fields.Date(data_key="from", metadata={"description": "Default: today"})
    end = fields.Date(data_key="to", metadata={"description": "Default: two periods on"})
    group_by = fields.String(load_default="none", validate=one_of(["none", "rep", "team"]))
    pipeline_id = Id()
    owner_id = Id()
    team = Text(60)


class ForecastOut(Schema):
    period_kind = fields.String()
    group_by = fields.String()
    currency = fields.String()
    periods = fields.Method("dump_periods")
    overdue = fields.Method("dump_overdue")
    unscheduled = fields.Method("dump_unscheduled")

    @staticmethod
    def _figures(bucket: dict, currency: str) -> dict:
        out = {}
        for key, value in bucket.items():
            if key in ("open_count", "won_count", "owner_id", "team"):
                out[key] = value
            else:
                out[key] = money(value, currency)
        return out

    def dump_periods(self, obj):
        cur = obj["currency"]
        return [
            {
                "period": p["period"],
                "start": p["start"].isoformat(),
                "end": p["end"].isoformat(),
                "totals": self._figures(p["totals"], cur),
                "groups": [self._figures(g, cur) for g in p["groups"]],
            }
            for p in obj["periods"]
        ]

    def dump_overdue(self, obj):
        return self._figures(obj["overdue"], obj["currency"])

    def dump_unscheduled(self, obj):
        return self._figures(obj["unscheduled"], obj["currency"])


class FxRateIn(StrictSchema):
    currency = currency_field(required=True)
    rate = Dec(
        required=True,
        gt=0,
        metadata={"description": "Base-currency units for one unit of currency (max 6 places)"},
    )
    effective_from = UtcDateTime(metadata={"description": "Default: now"})


class FxRateOut(Schema):
    id = fields.String()
    currency = fields.String()
    base_currency = fields.String()
    rate = DecimalOut()
    effective_from = fields.DateTime()
    set_by = fields.String(allow_none=True)
    created_at = fields.DateTime()


FxRatePage = page_schema(FxRateOut, "FxRatePage")


class FxRateQuery(PageQuerySchema):
    currency = currency_field()
    sort = fields.String(
        load_default="-effective_from", validate=one_of(["effective_from", "-effective_from"])
    )


class FxConvertQuery(StrictSchema):
    amount = Dec(required=True)
    currency = currency_field(required=True)
    at = UtcDateTime()


class FxConvertOut(Schema):
    amount = MoneyOut()
    currency = fields.String()
    rate = DecimalOut()
    base_amount = MoneyOut("base_currency")
    base_currency = fields.String()
    at = fields.DateTime()
