"""Products and sales channels as dimensions (labels, categories)."""

from __future__ import annotations

from typing import Any

from analytics_service.adapters import tables as t
from analytics_service.adapters.sql import LockSpace
from analytics_service.domain.text import clip
from analytics_service.projections.framework import Event, FactProjection, blank_row

# Orders name products only in their rows, read under the orders' locks: a later stage.
PRODUCTS = LockSpace(t.products.name, stage=2)


class ProductsProjection(FactProjection):
    """The catalogue's names and categories; they win over what order lines show."""

    name = "products"
    table = t.products
    key = "product_id"
    lock_space = PRODUCTS
    handles = {"sales.product.created": (1,), "sales.product.updated": (1,)}
    tables = (t.products,)

    def blank(self, key: str) -> dict[str, Any]:
        return blank_row(t.products, product_id=key, catalog_rev=0)

    def fold(self, row: dict[str, Any], event: Event, context: Any = None) -> bool:
        data = event.data
        if data["revision"] <= row["catalog_rev"]:
            return False
        row.update(
            sku=clip(data["sku"], 100),
            name=clip(data["name"], 300),
            category=clip(data.get("category"), 100),
            catalog_rev=data["revision"],
        )
        return True


class ChannelsProjection(FactProjection):
    name = "channels"
    table = t.channels
    key = "channel_id"
    handles = {"sales.channel.created": (1,), "sales.channel.updated": (1,)}
    tables = (t.channels,)

    def blank(self, key: str) -> dict[str, Any]:
        return blank_row(t.channels, channel_id=key, revision=0)

    def fold(self, row: dict[str, Any], event: Event, context: Any = None) -> bool:
        data = event.data
        if data["revision"] <= row["revision"]:
            return False
        row.update(
            kind=data["kind"],
            name=clip(data["name"], 200),
            region=clip(data.get("region"), 100),
            active=data["active"],
            revision=data["revision"],
        )
        return True
