"""Quote use cases: draft, revise, send, accept (which places the order), reject, expire."""

from __future__ import annotations

from typing import Any

from sales_service.domain.errors import InvalidValue
from sales_service.domain.pricing import price_lines
from sales_service.domain.quotes import Quote
from sales_service.service import orders
from sales_service.service.access import settle_owner, visible
from sales_service.service.catalogue import build_lines
from sales_service.service.common import customer_for, fx_rate, now
from sales_service.service.orders import _channel
from servicekit.etag import check_version
from servicekit.identity import Identity


def _quote(uow, actor: Identity, quote_id: str, version: int | None = None) -> Quote:
    quote = visible(uow.quotes, actor, "quotes", quote_id)
    if version is not None:
        check_version(quote.version, version)
    return quote


def _opportunity(uow, actor: Identity, opportunity_id: str | None, customer_id: str):
    if not opportunity_id:
        return None
    deal = visible(uow.opportunities, actor, "opportunities", str(opportunity_id))
    if deal.customer_id != customer_id:
        raise InvalidValue("the opportunity belongs to another customer")
    return deal


def draft_quote(uow, actor: Identity, data: dict[str, Any]) -> Quote:
    data = dict(data)
    at = now(uow)
    customer = customer_for(uow, data.pop("customer_id"))
    deal = _opportunity(uow, actor, data.get("opportunity_id"), customer.id)
    currency = data.pop("currency", None) or (deal.currency if deal else uow.config.base_currency)
    kind, channel_id, channel_region = _channel(uow, data)
    data["channel"], data["channel_id"] = kind, channel_id
    lines = build_lines(
        uow,
        data.pop("lines"),
        currency,
        channel_id=channel_id,
        tier=customer.tier,
        price_list_id=data.get("price_list_id"),
        on=at.date(),
    )
    fallback = (
        (deal.owner_id, deal.owner_team) if deal else (customer.owner_id, customer.owner_team)
    )
    owner = settle_owner(
        actor, data.pop("owner_id", None), data.pop("owner_team", None), fallback=fallback
    )
    data.setdefault("region", channel_region or customer.region or customer.country)
    quote = Quote.draft(
        number=uow.numbers.next("QT", at.year),
        customer_id=customer.id,
        currency=currency,
        base_currency=uow.config.base_currency,
        lines=lines,
        fx_rate=fx_rate(uow, currency, at),
        created_by=actor.id,
        now=at,
        customer_tier=customer.tier,
        **data,
    )
    quote.owner_id, quote.owner_team = owner
    uow.quotes.add(quote)
    uow.commit()
    return quote


def revise_quote(uow, actor: Identity, quote_id: str, version: int, changes: dict) -> Quote:
    quote = _quote(uow, actor, quote_id, version)
    changes = dict(changes)
    at = now(uow)
    items = changes.pop("lines", None)
    if "channel_id" in changes or "channel" in changes:
        kind, channel_id, _ = _channel(uow, changes)
        changes["channel"], changes["channel_id"] = kind, channel_id
    if changes.get("opportunity_id"):
        _opportunity(uow, actor, changes["opportunity_id"], quote.customer_id)
    lines = None
    if items is not None or "price_list_id" in changes or "channel_id" in changes:
        lines = (
            build_lines(
                uow,
                items,
                quote.currency,
                channel_id=changes.get("channel_id", quote.channel_id),
                tier=quote.customer_tier,
                price_list_id=changes.get("price_list_id", quote.price_list_id),
                on=at.date(),
            )
            if items is not None
            else None
        )
    quote.revise(changes, lines, fx_rate(uow, quote.currency, at), at)
    uow.quotes.save(quote)
    uow.commit()
    return quote


def send_quote(uow, actor: Identity, quote_id: str, body: dict) -> Quote:
    quote = _quote(uow, actor, quote_id, body.get("expected_version"))
    quote.send(now(uow))
    uow.quotes.save(quote)
    uow.commit()
    return quote


def reject_quote(uow, actor: Identity, quote_id: str, body: dict) -> Quote:
    quote = _quote(uow, actor, quote_id, body.get("expected_version"))
    quote.reject(body.get("reason"), now(uow))
    uow.quotes.save(quote)
    uow.commit()
    return quote


def accept_quote(uow, actor: Identity, quote_id: str, body: dict):
    """The customer said yes: the order is placed at the quoted prices, in one transaction."""
    quote = _quote(uow, actor, quote_id, body.get("expected_version"))
    quote.require_status("sent", action="accept")
    lines = price_lines([line.spec() for line in quote.lines], quote.currency)
    order = orders.place_order(
        uow,
        actor,
        {
            "customer_id": quote.customer_id,
            "currency": quote.currency,
            "channel": quote.channel,
            "channel_id": quote.channel_id,
            "region": quote.region,
            "owner_id": quote.owner_id,
            "owner_team": quote.owner_team,
            "quote_id": quote.id,
            "opportunity_id": quote.opportunity_id,
            "price_list_id": quote.price_list_id,
            "notes": body.get("notes"),
            "utm": None,
        },
        lines=lines,
        commit=False,
    )
    quote.accept(order.id, now(uow))
    uow.quotes.save(quote)
    uow.commit()
    return quote, order


def expire_due(uow_factory, today_now) -> int:
    """Mark sent quotes past their validity as expired; returns how many."""
    with uow_factory() as uow:
        ids = uow.quotes.expiring(today_now.date())
    done = 0
    for quote_id in ids:
        with uow_factory() as uow:
            quote = uow.quotes.get(quote_id)
            if quote is not None and quote.expire(today_now):
                uow.quotes.save(quote)
                uow.commit()
                done += 1
    return done
