"""Attribution of paid orders to campaigns, kept per order and re-done when the order changes.

The order replica collects what sales publishes (placed: coupon and UTM tags; paid: revenue in
the base currency; returned: refunds by return id; cancelled: revenue to zero). After each change
the order's attribution is computed again (:mod:`campaign_service.domain.attribution`); the rows
for the order are replaced and ``campaign.attribution.recorded`` is published when they differ
from what was published before. Every step is idempotent and tolerates events out of order.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import delete, func, insert, select, update

from campaign_service.adapters import tables as t
from campaign_service.adapters.repositories import CouponRepository, sum_amount
from campaign_service.adapters.sql import insert_ignore
from campaign_service.domain import events
from campaign_service.domain.attribution import Touch, attribute
from campaign_service.domain.money import Money, round_money
from campaign_service.service import touchpoints as touchpoint_use
from servicekit.types import utcnow

o = t.orders.c


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _order(session, order_id: str):
    return session.execute(select(t.orders).where(o.order_id == order_id)).first()


def _ensure(uow, order_id: str, customer_id: str) -> None:
    if _order(uow.session, order_id) is None:
        insert_ignore(
            uow.session,
            t.orders,
            [
                {
                    "order_id": order_id,
                    "customer_id": customer_id,
                    "status": "placed",
                    "placed_revision": 0,
                    "paid_revision": 0,
                    "cancelled_revision": 0,
                    "attribution_revision": 0,
                    "updated_at": utcnow(),
                }
            ],
            ["order_id"],
        )


def order_placed(uow, data: dict, lookback_days: int) -> None:
    order_id = data["order_id"]
    _ensure(uow, order_id, data["customer_id"])
    row = _order(uow.session, order_id)
    if data["revision"] > row.placed_revision:
        values = {
            "customer_id": data["customer_id"],
            "coupon_id": row.coupon_id or data.get("coupon_id"),
            "coupon_code": row.coupon_code or data.get("coupon_code"),
            "campaign_id": row.campaign_id or data.get("campaign_id"),
            "utm": data.get("utm"),
            "placed_at": _time(data["placed_at"]),
            "placed_revision": data["revision"],
            "updated_at": utcnow(),
        }
        uow.session.execute(update(t.orders).where(o.order_id == order_id).values(**values))
    touchpoint_use.order_touchpoint(
        uow, order_id, data["customer_id"], data.get("utm"), _time(data["placed_at"]) or utcnow()
    )
    reattribute(uow, order_id, lookback_days)


def order_paid(uow, data: dict, lookback_days: int) -> None:
    order_id = data["order_id"]
    _ensure(uow, order_id, data["customer_id"])
    row = _order(uow.session, order_id)
    if data["revision"] > row.paid_revision:
        uow.session.execute(
            update(t.orders)
            .where(o.order_id == order_id)
            .values(
                customer_id=data["customer_id"],
                coupon_id=data.get("coupon_id") or row.coupon_id,
                coupon_code=data.get("coupon_code") or row.coupon_code,
                campaign_id=data.get("campaign_id") or row.campaign_id,
                placed_at=row.placed_at or _time(data["placed_at"]),
                paid_at=_time(data["paid_at"]),
                gross=Decimal(data["base_total"]["amount"]),
                currency=data["base_total"]["currency"],
                status="cancelled" if row.status == "cancelled" else "paid",
                paid_revision=data["revision"],
                updated_at=utcnow(),
            )
        )
    reattribute(uow, order_id, lookback_days)


def order_cancelled(uow, data: dict, lookback_days: int) -> None:
    order_id = data["order_id"]
    _ensure(uow, order_id, data["customer_id"])
    row = _order(uow.session, order_id)
    if data["revision"] > row.cancelled_revision:
        uow.session.execute(
            update(t.orders)
            .where(o.order_id == order_id)
            .values(status="cancelled", cancelled_revision=data["revision"], updated_at=utcnow())
        )
    reattribute(uow, order_id, lookback_days)


def order_returned(uow, data: dict, lookback_days: int) -> None:
    order_id = data["order_id"]
    _ensure(uow, order_id, data["customer_id"])
    insert_ignore(
        uow.session,
        t.order_returns,
        [
            {
                "return_id": data["return_id"],
                "order_id": order_id,
                "base_amount": Decimal(data["base_amount"]["amount"]),
                "returned_at": _time(data["returned_at"]),
            }
        ],
        ["return_id"],
    )
    reattribute(uow, order_id, lookback_days)


def _coupon_campaign(session, row) -> str | None:
    """The campaign an order's coupon belongs to (by id, then by code), or the order's own."""
    campaign_id = None
    if row.coupon_id:
        campaign_id = session.execute(
            select(t.coupons.c.campaign_id).where(t.coupons.c.id == row.coupon_id)
        ).scalar()
    if campaign_id is None and row.coupon_code:
        _, campaign_id = CouponRepository(session).campaign_for_code(row.coupon_code)
    if campaign_id is None and row.campaign_id:
        campaign_id = session.execute(
            select(t.campaigns.c.id).where(t.campaigns.c.id == row.campaign_id)
        ).scalar()
    return campaign_id


def _touches(session, customer_id: str) -> list[Touch]:
    tp = t.touchpoints.c
    return [
        Touch(r.id, r.campaign_id, r.occurred_at)
        for r in session.execute(
            select(tp.id, tp.campaign_id, tp.occurred_at).where(
                tp.customer_id == customer_id, tp.campaign_id.is_not(None)
            )
        )
    ]


def _variants(session, customer_id: str, campaign_ids: set[str]) -> dict[str, str | None]:
    if not campaign_ids:
        return {}
    m = t.messages.c
    return dict(
        session.execute(
            select(m.campaign_id, m.variant_id).where(
                m.customer_id == customer_id, m.campaign_id.in_(campaign_ids)
            )
        ).all()
    )


def reattribute(uow, order_id: str, lookback_days: int) -> bool:
    """Recompute one order's attribution; True when it changed (and was published)."""
    session = uow.session
    row = _order(session, order_id)
    if row is None or row.gross is None:
        return False  # not paid yet: nothing to attribute
    returned = sum_amount(
        session,
        session.execute(
            select(func.coalesce(func.sum(t.order_returns.c.base_amount), 0)).where(
                t.order_returns.c.order_id == order_id
            )
        ).scalar_one(),
    )
    cancelled = row.status == "cancelled"
    revenue = Decimal("0.00") if cancelled else round_money(max(row.gross - returned, Decimal(0)))
    placed_at = row.placed_at or row.paid_at
    method, shares = attribute(
        revenue,
        coupon_campaign_id=_coupon_campaign(session, row),
        touches=_touches(session, row.customer_id),
        placed_at=placed_at,
        lookback_days=lookback_days,
    )
    a = t.attributions.c
    before = {
        (r.model, r.campaign_id): (r.share, r.revenue)
        for r in session.execute(select(t.attributions).where(a.order_id == order_id))
    }
    if method is None and not before:
        return False
    if method is None:
        method = row.method or "touchpoint"
    variants = _variants(session, row.customer_id, {s.campaign_id for s in shares})
    now = utcnow()
    new_rows = [
        {
            "order_id": order_id,
            "model": s.model,
            "campaign_id": s.campaign_id,
            "variant_id": variants.get(s.campaign_id),
            "customer_id": row.customer_id,
            "method": method,
            "share": format(s.share, "f"),
            "revenue": s.revenue,
            "currency": row.currency,
            "attributed_at": now,
        }
        for s in shares
    ]
    after = {(r["model"], r["campaign_id"]): (r["share"], r["revenue"]) for r in new_rows}
    status = "reversed" if cancelled else "attributed"
    if after == before and row.method == method and row.attribution_status == status:
        return False
    session.execute(delete(t.attributions).where(a.order_id == order_id))
    if new_rows:
        session.execute(insert(t.attributions), new_rows)
    revision = row.attribution_revision + 1
    session.execute(
        update(t.orders)
        .where(o.order_id == order_id)
        .values(
            method=method,
            attribution_status=status,
            attribution_revision=revision,
            attributed_at=now,
        )
    )
    uow.add_event(
        events.AttributionRecorded(
            order_id=order_id,
            customer_id=row.customer_id,
            status=status,
            method=method,
            revenue=Money(revenue, row.currency),
            lookback_days=lookback_days,
            rows=tuple(
                {
                    "campaign_id": r["campaign_id"],
                    "model": r["model"],
                    "share": r["share"],
                    "revenue": Money(r["revenue"], row.currency),
                    "variant_id": r["variant_id"],
                }
                for r in new_rows
            ),
            placed_at=placed_at,
            attributed_at=now,
            revision=revision,
        )
    )
    return True


def redemption(uow, data: dict, *, released: bool) -> None:
    """Sales redeemed (or released) a code: keep the coupon's redemption count current."""
    r = t.redemptions.c
    insert_ignore(
        uow.session,
        t.redemptions,
        [
            {
                "redemption_id": data["redemption_id"],
                "coupon_id": data["coupon_id"],
                "order_id": data["order_id"],
                "customer_id": data["customer_id"],
                "code": data["code"],
                "base_discount": Decimal(data["base_discount"]["amount"]),
                "redeemed_at": _time(data["redeemed_at"]),
            }
        ],
        ["redemption_id"],
    )
    if released:
        uow.session.execute(
            update(t.redemptions)
            .where(r.redemption_id == data["redemption_id"], r.released_at.is_(None))
            .values(released_at=_time(data.get("released_at")) or utcnow())
        )
    count = uow.session.execute(
        select(func.count()).where(r.coupon_id == data["coupon_id"], r.released_at.is_(None))
    ).scalar_one()
    uow.session.execute(
        update(t.coupons).where(t.coupons.c.id == data["coupon_id"]).values(redemptions=count)
    )


def touches_arrived(uow, customer_id: str | None, earliest: datetime, lookback_days: int) -> int:
    """Touchpoints reported late (or linked later) may change orders placed after them."""
    if not customer_id:
        return 0
    candidates = uow.session.execute(
        select(o.order_id).where(
            o.customer_id == customer_id,
            o.gross.is_not(None),
            o.placed_at >= earliest,
            o.placed_at <= earliest + timedelta(days=lookback_days),
        )
    ).scalars()
    return sum(1 for order_id in list(candidates) if reattribute(uow, order_id, lookback_days))
