"""Catalogue use cases: products, channels, price lists, and pricing lines from them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sales_service.domain.catalogue import Channel, PriceList, Product, resolve_price
from sales_service.domain.errors import InvalidValue, NotFound, StateConflict
from sales_service.domain.money import is_currency
from sales_service.domain.pricing import Line, LineSpec, price_lines
from sales_service.service.common import now
from servicekit.etag import check_version
from servicekit.identity import Identity


def _check_currency(currency: str) -> None:
    if not is_currency(currency):
        raise InvalidValue(f"{currency!r} is not an ISO 4217 currency code")


def _get(repo, key: str, expected_version: int | None = None):
    obj = repo.get(key)
    if obj is None:
        raise NotFound(f"no {repo.label} {key}")
    if expected_version is not None:
        check_version(obj.version, expected_version)
    return obj


def create_product(uow, actor: Identity, data: dict[str, Any]) -> Product:
    data = dict(data)
    data.setdefault("currency", uow.config.base_currency)
    _check_currency(data["currency"])
    product = Product.create(**data)
    uow.products.add(product)
    uow.commit()
    return product


def update_product(uow, actor: Identity, product_id: str, version: int, changes: dict) -> Product:
    product = _get(uow.products, product_id, version)
    if "currency" in changes:
        _check_currency(changes["currency"])
    if "sku" in changes:
        other = uow.products.by_sku(changes["sku"])
        if other is not None and other.id != product.id:
            raise StateConflict(f"a product with sku {changes['sku']} exists already")
    if product.update(changes, now(uow)):
        uow.products.save(product)
    uow.commit()
    return product


def create_channel(uow, actor: Identity, data: dict[str, Any]) -> Channel:
    if data.get("code") and uow.channels.by_code(data["code"]) is not None:
        raise StateConflict(f"a channel with code {data['code']} exists already")
    channel = Channel.create(**data)
    uow.channels.add(channel)
    uow.commit()
    return channel


def update_channel(uow, actor: Identity, channel_id: str, version: int, changes: dict) -> Channel:
    channel = _get(uow.channels, channel_id, version)
    if changes.get("code"):
        other = uow.channels.by_code(changes["code"])
        if other is not None and other.id != channel.id:
            raise StateConflict(f"a channel with code {changes['code']} exists already")
    if channel.update(changes, now(uow)):
        uow.channels.save(channel)
    uow.commit()
    return channel


def _check_price_list_refs(uow, data: dict) -> None:
    if data.get("channel_id") and uow.channels.get(data["channel_id"]) is None:
        raise InvalidValue(f"unknown channel {data['channel_id']}")
    product_ids = {item["product_id"] for item in data.get("items") or []}
    known = {p.id for p in uow.products.get_many(sorted(product_ids))}
    unknown = sorted(product_ids - known)
    if unknown:
        raise InvalidValue(
            f"unknown products: {', '.join(unknown[:5])}",
            details={"items": [f"unknown product {u}" for u in unknown[:20]]},
        )


def create_price_list(uow, actor: Identity, data: dict[str, Any]) -> PriceList:
    data = dict(data)
    data.setdefault("currency", uow.config.base_currency)
    _check_currency(data["currency"])
    _check_price_list_refs(uow, data)
    price_list = PriceList.create(**data)
    uow.price_lists.add(price_list)
    uow.commit()
    return price_list


def update_price_list(uow, actor: Identity, list_id: str, version: int, changes: dict):
    price_list = _get(uow.price_lists, list_id, version)
    if "currency" in changes:
        _check_currency(changes["currency"])
    _check_price_list_refs(uow, changes)
    if price_list.update(changes, now(uow)):
        uow.price_lists.save(price_list)
    uow.commit()
    return price_list


def build_lines(
    uow,
    items: list[dict[str, Any]],
    currency: str,
    *,
    channel_id: str | None = None,
    tier: str | None = None,
    price_list_id: str | None = None,
    on: date | None = None,
) -> list[Line]:
    """Price requested lines: each product's price from the right price list (or the unit
    price given), its tax rate unless the line names one."""
    _check_currency(currency)
    if not items:
        raise InvalidValue("at least one line is needed", details={"lines": ["empty"]})
    on = on or now(uow).date()
    product_ids = sorted({str(item["product_id"]) for item in items})
    products = {p.id: p for p in uow.products.get_many(product_ids)}
    missing = [pid for pid in product_ids if pid not in products]
    if missing:
        raise InvalidValue(
            f"unknown products: {', '.join(missing[:5])}",
            details={"lines": [f"unknown product {m}" for m in missing[:20]]},
        )
    if price_list_id is not None:
        named = uow.price_lists.get(price_list_id)
        if named is None:
            raise InvalidValue(f"unknown price list {price_list_id}")
        if named.currency != currency:
            raise InvalidValue(f"price list {named.name} is in {named.currency}, not {currency}")
    lists = uow.price_lists.candidates(currency, product_ids)
    specs = []
    for index, item in enumerate(items):
        product = products[str(item["product_id"])]
        if not product.active:
            raise InvalidValue(
                f"product {product.sku} is not sold any more",
                details={"lines": {str(index): ["inactive product"]}},
            )
        quantity = Decimal(item["quantity"])
        if item.get("unit_price") is not None:
            unit_price, source = Decimal(item["unit_price"]), "manual"
        else:
            resolved = resolve_price(
                product,
                quantity,
                currency,
                lists,
                channel_id=channel_id,
                tier=tier,
                on=on,
                price_list_id=price_list_id,
            )
            if resolved is None:
                raise InvalidValue(
                    f"no {currency} price for {product.sku}: add it to a price list or give "
                    "the line a unit_price",
                    details={"lines": {str(index): [f"no {currency} price"]}},
                )
            unit_price, source = resolved.unit_price, resolved.source
        specs.append(
            LineSpec(
                product_id=product.id,
                sku=product.sku,
                name=item.get("description") or product.name,
                category=product.category,
                unit=product.unit,
                quantity=quantity,
                unit_price=unit_price,
                tax_rate=product.tax_rate if item.get("tax_rate") is None else item["tax_rate"],
                discount_percent=item.get("discount_percent"),
                discount_amount=item.get("discount_amount"),
                price_source=source,
            )
        )
    return price_lines(specs, currency)
