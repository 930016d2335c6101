"""Schemas of quotes, orders, returns and order previews."""

from __future__ import annotations

import marshmallow as ma
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
    positive,
)
from sales_service.api.schemas.leads import UtmIn
from sales_service.domain.catalogue import CHANNEL_KINDS
from sales_service.domain.money import money, text
from sales_service.domain.orders import STATUSES as ORDER_STATUSES
from sales_service.domain.quotes import STATUSES as QUOTE_STATUSES
from servicekit.schemas import PageQuerySchema, page_schema

MAX_LINES = 500


class LineIn(StrictSchema):
    product_id = Id(required=True)
    quantity = positive(required=True)
    unit_price = Dec(ge=0, metadata={"description": "Overrides the price list (a manual price)."})
    discount_percent = Dec(ge=0, le=100)
    discount_amount = Dec(ge=0)
    tax_rate = Dec(ge=0, le=1)
    description = Text(200, metadata={"description": "Replaces the product name on the line."})

    @ma.validates_schema
    def one_discount(self, data, **kwargs):
        if data.get("discount_percent") is not None and data.get("discount_amount") is not None:
            raise ma.ValidationError("give discount_percent or discount_amount, not both")


def lines_field(**kwargs):
    return fields.List(
        fields.Nested(LineIn), validate=validate.Length(min=1, max=MAX_LINES), **kwargs
    )


def line_out(line, currency: str) -> dict:
    return {
        "line_id": line.line_id,
        "product_id": line.product_id,
        "sku": line.sku,
        "name": line.name,
        "category": line.category,
        "unit": line.unit,
        "quantity": text(line.quantity),
        "unit_price": money(line.unit_price, currency),
        "discount_percent": text(line.discount_percent)
        if line.discount_percent is not None
        else None,
        "gross": money(line.gross, currency),
        "discount": money(line.discount, currency),
        "line_total": money(line.line_total, currency),
        "tax_rate": text(line.tax_rate),
        "tax": money(line.tax, currency),
        "returned_quantity": text(line.returned_quantity),
        "price_source": line.price_source,
    }


def return_out(item, currency: str, base_currency: str) -> dict:
    return {
        "id": item.id,
        "order_id": item.order_id,
        "lines": [
            {
                "line_id": line.line_id,
                "product_id": line.product_id,
                "sku": line.sku,
                "name": line.name,
                "category": line.category,
                "quantity": text(line.quantity),
                "amount": money(line.amount, currency),
                "base_amount": money(line.base_amount, base_currency),
            }
            for line in item.lines
        ],
        "amount": money(item.amount, currency),
        "base_amount": money(item.base_amount, base_currency),
        "full": item.full,
        "reason": item.reason,
        "ticket_id": item.ticket_id,
        "return_request_id": item.return_request_id,
        "returned_at": item.returned_at.isoformat(),
    }


class _Priced(Schema):
    currency = fields.String()
    lines = fields.Method("dump_lines")
    subtotal = MoneyOut()
    discount_total = MoneyOut()
    tax_total = MoneyOut()
    total = MoneyOut()
    fx_rate = fields.Method("dump_rate")
    base_currency = fields.String()
    base_total = MoneyOut("base_currency")

    def dump_lines(self, obj):
        lines = obj["lines"] if isinstance(obj, dict) else obj.lines
        currency = obj["currency"] if isinstance(obj, dict) else obj.currency
        return [line_out(line, currency) for line in lines]

    def dump_rate(self, obj):
        return text(obj["fx_rate"] if isinstance(obj, dict) else obj.fx_rate)


class QuoteIn(StrictSchema):
    customer_id = Id(required=True)
    opportunity_id = Id(allow_none=True)
    currency = currency_field()
    price_list_id = Id(allow_none=True)
    channel = fields.String(validate=one_of(CHANNEL_KINDS))
    channel_id = Id(allow_none=True)
    lines = lines_field(required=True)
    valid_until = fields.Date(allow_none=True)
    region = Text(100, allow_none=True)
    notes = Text(10_000, allow_none=True)
    terms = Text(20_000, allow_none=True)
    owner_id = Id(allow_none=True)
    owner_team = Text(60, allow_none=True)


class QuotePatch(PatchSchema):
    opportunity_id = Id(allow_none=True)
    price_list_id = Id(allow_none=True)
    channel = fields.String(validate=one_of(CHANNEL_KINDS))
    channel_id = Id(allow_none=True)
    lines = lines_field()
    valid_until = fields.Date(allow_none=True)
    region = Text(100, allow_none=True)
    notes = Text(10_000, allow_none=True)
    terms = Text(20_000, allow_none=True)


class QuoteOut(_Priced):
    id = fields.String()
    number = fields.String()
    customer_id = fields.String()
    opportunity_id = fields.String(allow_none=True)
    price_list_id = fields.String(allow_none=True)
    channel = fields.String(allow_none=True)
    channel_id = fields.String(allow_none=True)
    status = fields.String()
    valid_until = fields.Date(allow_none=True)
    owner_id = fields.String(allow_none=True)
    owner_team = fields.String(allow_none=True)
    region = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    terms = fields.String(allow_none=True)
    sent_at = fields.DateTime(allow_none=True)
    accepted_at = fields.DateTime(allow_none=True)
    rejected_at = fields.DateTime(allow_none=True)
    expired_at = fields.DateTime(allow_none=True)
    reject_reason = fields.String(allow_none=True)
    order_id = fields.String(allow_none=True)
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


QuotePage = page_schema(QuoteOut, "QuotePage")


class QuoteQuery(PageQuerySchema):
    customer_id = Id()
    status = fields.String(validate=one_of(QUOTE_STATUSES))
    opportunity_id = Id()
    owner_id = Id()
    owner_team = Text(60)
    q = Text(30, metadata={"description": "Part of the quote number"})
    sort = fields.String(
        load_default="-created_at",
        validate=one_of(["created_at", "-created_at", "valid_until", "-valid_until"]),
    )


class AcceptIn(StrictSchema):
    notes = Text(10_000, allow_none=True, metadata={"description": "Notes for the order."})


class OrderIn(StrictSchema):
    customer_id = Id(required=True)
    lines = lines_field(required=True)
    currency = currency_field()
    channel = fields.String(validate=one_of(CHANNEL_KINDS))
    channel_id = Id(allow_none=True)
    price_list_id = Id(allow_none=True)
    region = Text(100, allow_none=True)
    coupon_code = Text(100, allow_none=True)
    campaign_id = Id(allow_none=True)
    utm = fields.Nested(UtmIn, allow_none=True)
    opportunity_id = Id(allow_none=True)
    notes = Text(10_000, allow_none=True)
    owner_id = Id(allow_none=True)
    owner_team = Text(60, allow_none=True)


class OrderSummaryOut(_Priced):
    id = fields.String()
    number = fields.String()
    customer_id = fields.String()
    status = fields.String()
    channel = fields.String()
    channel_id = fields.String(allow_none=True)
    region = fields.String(allow_none=True)
    owner_id = fields.String(allow_none=True)
    owner_team = fields.String(allow_none=True)
    coupon_code = fields.String(allow_none=True)
    coupon_id = fields.String(allow_none=True)
    coupon_discount = MoneyOut()
    campaign_id = fields.String(allow_none=True)
    utm = fields.Dict(allow_none=True)
    quote_id = fields.String(allow_none=True)
    opportunity_id = fields.String(allow_none=True)
    price_list_id = fields.String(allow_none=True)
    was_paid = fields.Boolean()
    payment_reference = fields.String(allow_none=True)
    carrier = fields.String(allow_none=True)
    tracking_number = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    returned_amount = MoneyOut()
    base_returned_amount = MoneyOut("base_currency")
    placed_at = fields.DateTime()
    paid_at = fields.DateTime(allow_none=True)
    fulfilled_at = fields.DateTime(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)
    updated_at = fields.DateTime()
    version = fields.Integer()


class OrderOut(OrderSummaryOut):
    returns = fields.Method("dump_returns")

    def dump_returns(self, order):
        return [return_out(r, order.currency, order.base_currency) for r in order.returns]


OrderPage = page_schema(OrderSummaryOut, "OrderPage")


class OrderQuery(PageQuerySchema):
    customer_id = Id()
    status = fields.String(validate=one_of(ORDER_STATUSES))
    channel = fields.String(validate=one_of(CHANNEL_KINDS))
    channel_id = Id()
    owner_id = Id()
    owner_team = Text(60)
    campaign_id = Id()
    coupon_id = Id()
    coupon_code = Text(100)
    quote_id = Id()
    opportunity_id = Id()
    currency = currency_field()
    region = Text(100)
    q = Text(30, metadata={"description": "Part of the order number"})
    placed_after = UtcDateTime()
    placed_before = UtcDateTime()
    sort = fields.String(
        load_default="-placed_at",
        validate=one_of(["placed_at", "-placed_at", "total", "-total"]),
        metadata={"description": "Newest first by default."},
    )


class PayIn(StrictSchema):
    payment_reference = Text(200, allow_none=True)
    paid_at = UtcDateTime(metadata={"description": "When the money arrived (default: now)."})


class FulfilIn(StrictSchema):
    carrier = Text(100, allow_none=True)
    tracking_number = Text(100, allow_none=True)


class DeliverIn(StrictSchema):
    delivered_at = UtcDateTime()


class CancelIn(StrictSchema):
    reason = Text(500, allow_none=True)


class ReturnLineIn(StrictSchema):
    line_id = Id(required=True)
    quantity = positive(required=True)


class ReturnIn(StrictSchema):
    full = fields.Boolean(load_default=False)
    lines = fields.List(fields.Nested(ReturnLineIn), validate=validate.Length(max=MAX_LINES))
    reason = Text(500, allow_none=True)

    @ma.validates_schema
    def what(self, data, **kwargs):
        if data.get("full") and data.get("lines"):
            raise ma.ValidationError("give lines or full, not both", field_name="lines")
        if not data.get("full") and not data.get("lines"):
            raise ma.ValidationError("name the lines that come back, or set full", "lines")


class ReturnResultOut(Schema):
    order = fields.Nested(OrderOut)
    return_ = fields.Method("dump_return", data_key="return")

    def dump_return(self, obj):
        order = obj["order"]
        return return_out(obj["return"], order.currency, order.base_currency)


class PreviewOut(_Priced):
    customer_id = fields.String()
    channel = fields.String()
    region = fields.String(allow_none=True)
    coupon = fields.Method("dump_coupon")

    def dump_coupon(self, obj):
        verdict = obj["coupon"]
        if verdict is None:
            return None
        return {**verdict, "discount": money(verdict["discount"], obj["currency"])}
