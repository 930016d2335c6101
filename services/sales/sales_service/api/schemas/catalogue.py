"""Schemas of products, channels and price lists."""

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
    currency_field,
    one_of,
    positive,
)
from sales_service.domain.catalogue import CHANNEL_KINDS
from servicekit.schemas import PageQuerySchema, page_schema


class ProductFields(StrictSchema):
    sku = Text(64)
    name = Text(200)
    category = Text(100, allow_none=True)
    unit = Text(30, allow_none=True)
    list_price = Dec(ge=0)
    currency = currency_field()
    tax_rate = Dec(ge=0, le=1, metadata={"description": "0.19 for 19%"})
    active = fields.Boolean()
    description = Text(5000, allow_none=True)


class ProductIn(ProductFields):
    sku = Text(64, required=True)
    name = Text(200, required=True)
    list_price = Dec(required=True, ge=0)


class ProductPatch(ProductFields, PatchSchema):
    pass


class ProductOut(Schema):
    id = fields.String()
    sku = fields.String()
    name = fields.String()
    category = fields.String(allow_none=True)
    unit = fields.String()
    list_price = MoneyOut()
    currency = fields.String()
    tax_rate = DecimalOut()
    active = fields.Boolean()
    description = fields.String(allow_none=True)
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


ProductPage = page_schema(ProductOut, "ProductPage")


class ProductQuery(PageQuerySchema):
    q = Text(100, metadata={"description": "Part of the name or sku"})
    category = Text(100)
    active = fields.Boolean()
    currency = currency_field()
    sort = fields.String(
        load_default="name",
        validate=one_of(["name", "-name", "sku", "-sku", "created_at", "-created_at"]),
    )


class CategoryOut(Schema):
    category = fields.String()
    products = fields.Integer()
    active_products = fields.Integer()


class ChannelFields(StrictSchema):
    kind = fields.String(validate=one_of(CHANNEL_KINDS))
    name = Text(200)
    code = Text(40, allow_none=True)
    region = Text(100, allow_none=True)
    partner_name = Text(200, allow_none=True)
    partner_customer_id = Id(allow_none=True)
    commission_rate = Dec(allow_none=True, ge=0, le=1)
    active = fields.Boolean()


class ChannelIn(ChannelFields):
    kind = fields.String(required=True, validate=one_of(CHANNEL_KINDS))
    name = Text(200, required=True)


class ChannelPatch(ChannelFields, PatchSchema):
    pass


class ChannelOut(Schema):
    id = fields.String()
    kind = fields.String()
    name = fields.String()
    code = fields.String(allow_none=True)
    region = fields.String(allow_none=True)
    partner_name = fields.String(allow_none=True)
    partner_customer_id = fields.String(allow_none=True)
    commission_rate = DecimalOut(allow_none=True)
    active = fields.Boolean()
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


ChannelPage = page_schema(ChannelOut, "ChannelPage")


class ChannelQuery(PageQuerySchema):
    kind = fields.String(validate=one_of(CHANNEL_KINDS))
    active = fields.Boolean()
    region = Text(100)
    sort = fields.String(
        load_default="name", validate=one_of(["name", "-name", "created_at", "-created_at"])
    )


class PriceItemIn(StrictSchema):
    product_id = Id(required=True)
    unit_price = Dec(required=True, ge=0)
    min_quantity = positive(load_default=1)


class PriceListFields(StrictSchema):
    name = Text(200)
    currency = currency_field()
    channel_id = Id(allow_none=True)
    customer_tier = Text(60, allow_none=True)
    valid_from = fields.Date(allow_none=True)
    valid_until = fields.Date(allow_none=True)
    active = fields.Boolean()
    items = fields.List(fields.Nested(PriceItemIn), validate=validate.Length(max=5000))


class PriceListIn(PriceListFields):
    name = Text(200, required=True)
    items = fields.List(
        fields.Nested(PriceItemIn), load_default=list, validate=validate.Length(max=5000)
    )


class PriceListPatch(PriceListFields, PatchSchema):
    pass


class PriceListOut(Schema):
    id = fields.String()
    name = fields.String()
    currency = fields.String()
    channel_id = fields.String(allow_none=True)
    customer_tier = fields.String(allow_none=True)
    valid_from = fields.Date(allow_none=True)
    valid_until = fields.Date(allow_none=True)
    active = fields.Boolean()
    items = fields.Method("dump_items")
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()

    def dump_items(self, obj):
        from sales_service.domain.money import money, text

        return [
            {
                "product_id": i.product_id,
                "unit_price": money(i.unit_price, obj.currency),
                "min_quantity": text(i.min_quantity),
            }
            for i in obj.items
        ]


PriceListPage = page_schema(PriceListOut, "PriceListPage")


class PriceListQuery(PageQuerySchema):
    currency = currency_field()
    channel_id = Id()
    active = fields.Boolean()
    product_id = Id()
    valid_on = fields.Date()
    sort = fields.String(
        load_default="name", validate=one_of(["name", "-name", "created_at", "-created_at"])
    )


class PriceQuery(StrictSchema):
    product_id = Id(required=True)
    quantity = positive(load_default=1)
    currency = currency_field()
    channel_id = Id()
    customer_id = Id()
    price_list_id = Id()
    on = fields.Date()


class PriceOut(Schema):
    product_id = fields.String()
    sku = fields.String()
    quantity = DecimalOut()
    unit_price = MoneyOut()
    currency = fields.String()
    source = fields.String()
    price_list_id = fields.String(allow_none=True)
