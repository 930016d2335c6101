"""Order use cases: place (lines, coupon, fx), pay, fulfil, deliver, cancel, return."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sales_service.domain.base import new_id
from sales_service.domain.coupons import Coupon, Redemption, normalise_code
from sales_service.domain.errors import CouponRejected, InvalidValue, StateConflict
from sales_service.domain.money import ZERO, to_base
from sales_service.domain.orders import Order
from sales_service.domain.pricing import Line, apply_order_discount, net_subtotal, totals
from sales_service.service.access import settle_owner, visible
from sales_service.service.catalogue import build_lines
from sales_service.service.common import customer_for, fx_rate, now
from servicekit.consumer import Reject
from servicekit.etag import check_version
from servicekit.identity import Identity


@dataclass
class Draft:
    """An order priced but not placed: what ``preview`` shows and ``place`` stores."""

    customer: Any
    currency: str
    fx_rate: Decimal
    lines: list[Line]
    channel: str
    channel_id: str | None
    region: str | None
    coupon: Coupon | None = None
    coupon_code: str | None = None
    coupon_unique: bool = False
    coupon_discount: Decimal = ZERO
    coupon_problem: CouponRejected | None = None


def _channel(uow, data: dict) -> tuple[str, str | None, str | None]:
    if data.get("channel_id"):
        channel = uow.channels.get(str(data["channel_id"]))
        if channel is None:
            raise InvalidValue(f"unknown channel {data['channel_id']}")
        if not channel.active:
            raise InvalidValue(f"channel {channel.name} is not active")
        if data.get("channel") and data["channel"] != channel.kind:
            raise InvalidValue(f"channel {channel.name} is a {channel.kind} channel")
        return channel.kind, channel.id, channel.region
    return data.get("channel") or "direct", None, None


def price_order(uow, data: dict[str, Any], *, lines: list[Line] | None = None) -> Draft:
    """Price an order without writing anything; a coupon that does not apply raises."""
    at = now(uow)
    customer = customer_for(uow, data["customer_id"])
    currency = data.get("currency") or uow.config.base_currency
    rate = fx_rate(uow, currency, at)
    kind, channel_id, channel_region = _channel(uow, data)
    if lines is None:
        lines = build_lines(
            uow,
            data["lines"],
            currency,
            channel_id=channel_id,
            tier=customer.tier,
            price_list_id=data.get("price_list_id"),
            on=at.date(),
        )
    draft = Draft(
        customer=customer,
        currency=currency,
        fx_rate=rate,
        lines=lines,
        channel=kind,
        channel_id=channel_id,
        region=data.get("region") or channel_region or customer.region or customer.country,
    )
    if data.get("coupon_code"):
        code = normalise_code(data["coupon_code"])
        found = uow.coupons.find(code)
        if found is None:
            raise CouponRejected(code, "unknown", "no such coupon code")
        coupon, unique = found
        discount = coupon.discount_for(code, net_subtotal(lines), currency, at)
        draft.coupon, draft.coupon_code, draft.coupon_unique = coupon, code, unique
        draft.coupon_discount = discount
        draft.lines = apply_order_discount(lines, discount, currency)
    return draft


def preview(uow, actor: Identity, data: dict[str, Any]) -> dict[str, Any]:
    """Totals and coupon verdict for an order that is not placed (nothing is written)."""
    try:
        draft = price_order(uow, data)
        problem = None
    except CouponRejected as exc:
        draft = price_order(uow, {**data, "coupon_code": None})
        problem = exc
    if draft.coupon is not None and problem is None:
        problem = _limit_problem(uow, draft)
    summary = totals(draft.lines)
    return {
        "customer_id": draft.customer.id,
        "currency": draft.currency,
        "channel": draft.channel,
        "region": draft.region,
        "lines": draft.lines,
        "subtotal": summary.subtotal,
        "discount_total": summary.discount_total,
        "tax_total": summary.tax_total,
        "total": summary.total,
        "fx_rate": draft.fx_rate,
        "base_currency": uow.config.base_currency,
        "base_total": to_base(summary.total, draft.fx_rate, uow.config.base_currency),
        "coupon": {
            "code": normalise_code(data["coupon_code"]),
            "valid": problem is None,
            "reason": problem.reason if problem else None,
            "message": str(problem) if problem else None,
            "discount": draft.coupon_discount if problem is None else ZERO,
        }
        if data.get("coupon_code")
        else None,
    }


def _limit_problem(uow, draft: Draft) -> CouponRejected | None:
    """Read-only check of the redemption limits (the preview cannot reserve anything)."""
    coupon, code = draft.coupon, draft.coupon_code
    if coupon.max_redemptions is not None and coupon.redeemed >= coupon.max_redemptions:
        return CouponRejected(code, "exhausted", "the coupon has been used up")
    if coupon.max_per_customer is not None:
        used = uow.coupons.customer_uses(coupon.id, draft.customer.id)
        if used >= coupon.max_per_customer:
            return CouponRejected(code, "customer_limit", "the customer used this coupon up")
    if draft.coupon_unique and uow.coupons.code_holder(code) is not None:
        return CouponRejected(code, "code_used", "this single-use code was used already")
    return None


def place_order(
    uow, actor: Identity, data: dict[str, Any], *, lines: list[Line] | None = None, commit=True
) -> Order:
    draft = price_order(uow, data, lines=lines)
    at = now(uow)
    owner = settle_owner(
        actor,
        data.get("owner_id"),
        data.get("owner_team"),
        fallback=(draft.customer.owner_id, draft.customer.owner_team),
    )
    order = Order.place(
        number=uow.numbers.next("SO", at.year),
        customer_id=draft.customer.id,
        currency=draft.currency,
        base_currency=uow.config.base_currency,
        lines=draft.lines,
        fx_rate=draft.fx_rate,
        created_by=actor.id,
        now=at,
        channel=draft.channel,
        channel_id=draft.channel_id,
        region=draft.region,
        owner_id=owner[0],
        owner_team=owner[1],
        coupon_code=draft.coupon_code,
        coupon_id=draft.coupon.id if draft.coupon else None,
        coupon_discount=draft.coupon_discount,
        campaign_id=data.get("campaign_id") or (draft.coupon.campaign_id if draft.coupon else None),
        utm=data.get("utm"),
        quote_id=data.get("quote_id"),
        opportunity_id=data.get("opportunity_id"),
        price_list_id=data.get("price_list_id"),
        customer_tier=draft.customer.tier,
        notes=data.get("notes"),
    )
    if draft.coupon is not None:
        _redeem(uow, draft, order)
    uow.orders.add(order)
    if commit:
        uow.commit()
    return order


def _redeem(uow, draft: Draft, order: Order) -> None:
    """Take the coupon's limits in the database; any refusal rolls the whole order back."""
    coupon, code = draft.coupon, draft.coupon_code
    if not uow.coupons.take_total(coupon):
        raise CouponRejected(code, "exhausted", "the coupon has been used up")
    if not uow.coupons.take_customer(coupon, order.customer_id):
        raise CouponRejected(code, "customer_limit", "the customer used this coupon up")
    if draft.coupon_unique and not uow.coupons.claim_code(code, order.id, order.placed_at):
        raise CouponRejected(code, "code_used", "this single-use code was used already")
    redemption = Redemption(
        id=new_id(),
        coupon_id=coupon.id,
        code=code,
        order_id=order.id,
        customer_id=order.customer_id,
        discount=draft.coupon_discount,
        base_discount=to_base(draft.coupon_discount, order.fx_rate, order.base_currency),
        currency=order.currency,
        base_currency=order.base_currency,
        redeemed_at=order.placed_at,
        campaign_id=coupon.campaign_id,
        order_number=order.number,
    )
    uow.coupons.add_redemption(redemption)
    order.emit("coupon.redeemed", redemption=redemption)


def _order(uow, actor: Identity, order_id: str, version: int | None) -> Order:
    order = visible(uow.orders, actor, "orders", order_id)
    if version is not None:
        check_version(order.version, version)
    return order


def act(uow, actor: Identity, order_id: str, action: str, body: dict) -> Order:
    """pay | fulfil | deliver | cancel."""
    order = _order(uow, actor, order_id, body.get("expected_version"))
    at = now(uow)
    if action == "pay":
        order.pay(reference=body.get("payment_reference"), now=body.get("paid_at") or at)
    elif action == "fulfil":
        order.fulfil(
            carrier=body.get("carrier"), tracking_number=body.get("tracking_number"), now=at
        )
    elif action == "deliver":
        order.deliver(body.get("delivered_at") or at)
    elif action == "cancel":
        order.cancel(body.get("reason"), at)
        released = uow.coupons.release(order.id, at)
        if released is not None:
            order.emit("coupon.released", redemption=released, reason="order_cancelled")
    else:  # pragma: no cover - the API routes only the actions above
        raise InvalidValue(f"unknown action {action}")
    uow.orders.save(order)
    uow.commit()
    return order


def record_return(uow, actor: Identity, order_id: str, body: dict):
    order = _order(uow, actor, order_id, body.get("expected_version"))
    if body.get("full"):
        quantities = [
            (line.line_id, line.returnable_quantity)
            for line in order.lines
            if line.returnable_quantity > 0
        ]
        if not quantities:
            raise StateConflict("everything on this order was returned already")
    else:
        quantities = [(str(item["line_id"]), item["quantity"]) for item in body["lines"]]
    item = order.record_return(
        quantities, reason=body.get("reason"), created_by=actor.id, now=now(uow)
    )
    uow.orders.save(order)
    uow.commit()
    return order, item


def return_approved(uow, data: dict[str, Any]) -> None:
    """support.return.approved: record the return on the order exactly once; park what can
    never apply (no such order, impossible quantities) for an operator."""
    order = uow.orders.get(data["order_id"])
    if order is None:
        raise Reject(f"return approved for unknown order {data['order_id']}")
    if order.has_return_request(data["return_request_id"]):
        return
    if data.get("full"):
        quantities = [
            (line.line_id, line.returnable_quantity)
            for line in order.lines
            if line.returnable_quantity > 0
        ]
        by_product = False
        if not quantities:
            raise Reject(f"order {order.number} has nothing left to return")
    else:
        quantities = [(item["product_id"], Decimal(item["quantity"])) for item in data["lines"]]
        by_product = True
    try:
        order.record_return(
            quantities,
            by_product=by_product,
            reason=data.get("reason"),
            ticket_id=data.get("ticket_id"),
            return_request_id=data["return_request_id"],
            created_by=data.get("approved_by"),
            now=now(uow),
        )
    except (InvalidValue, StateConflict) as exc:
        raise Reject(f"order {order.number}: {exc}") from None
    uow.orders.save(order)
