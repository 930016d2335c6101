"""Attributing an order's revenue to campaigns.

First by coupon: an order that used a coupon belonging to a campaign gives that campaign 100% of
its revenue under every model (the coupon is the strongest evidence there is). Otherwise by the
customer's touchpoints with a known campaign inside the lookback window before the order was
placed (``placed_at - lookback <= touch <= placed_at``):

- ``last_touch``: all of it to the campaign of the latest touch;
- ``first_touch``: all of it to the campaign of the earliest touch;
- ``linear``: each touch earns an equal share, summed per campaign.

Shares are decimals with six places that add up to exactly 1 per model; revenue is split in cents
by largest remainder so the parts add up to exactly the order's revenue.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from campaign_service.domain.audience import apportion
from campaign_service.domain.money import CENT, SHARE_PLACES

MODELS = ("last_touch", "first_touch", "linear")


@dataclass(frozen=True)
class Touch:
    touchpoint_id: str
    campaign_id: str
    occurred_at: datetime


@dataclass(frozen=True)
class Share:
    model: str
    campaign_id: str
    share: Decimal
    revenue: Decimal


def in_window(touches: list[Touch], placed_at: datetime, lookback_days: int) -> list[Touch]:
    start = placed_at - timedelta(days=lookback_days)
    return sorted(
        (t for t in touches if t.campaign_id and start <= t.occurred_at <= placed_at),
        key=lambda t: (t.occurred_at, t.touchpoint_id),
    )


def split_revenue(revenue: Decimal, weights: list[int]) -> list[Decimal]:
    """Split ``revenue`` by integer weights in whole cents that add up exactly."""
    cents = int((revenue / CENT).to_integral_value(rounding=ROUND_HALF_EVEN))
    sign = -1 if cents < 0 else 1
    parts = apportion(abs(cents), weights)
    return [Decimal(sign * p) * CENT for p in parts]


def split_shares(weights: list[int]) -> list[Decimal]:
    total = sum(weights)
    shares = [
        (Decimal(w) / Decimal(total)).quantize(SHARE_PLACES, rounding=ROUND_HALF_EVEN)
        for w in weights
    ]
    # Rounding may leave 0.999999; the largest share absorbs the difference.
    biggest = max(range(len(shares)), key=lambda i: (weights[i], -i))
    shares[biggest] += Decimal(1) - sum(shares)
    return shares


def attribute(
    revenue: Decimal,
    *,
    coupon_campaign_id: str | None,
    touches: list[Touch],
    placed_at: datetime,
    lookback_days: int,
) -> tuple[str | None, list[Share]]:
    """``(method, shares)``; method is ``coupon``, ``touchpoint`` or None (nothing to credit)."""
    if coupon_campaign_id:
        return "coupon", [Share(m, coupon_campaign_id, Decimal(1), revenue) for m in MODELS]
    window = in_window(touches, placed_at, lookback_days)
    if not window:
        return None, []
    rows = [
        Share("last_touch", window[-1].campaign_id, Decimal(1), revenue),
        Share("first_touch", window[0].campaign_id, Decimal(1), revenue),
    ]
    counts: OrderedDict[str, int] = OrderedDict()
    for touch in window:
        counts[touch.campaign_id] = counts.get(touch.campaign_id, 0) + 1
    weights = list(counts.values())
    for campaign_id, share, part in zip(
        counts, split_shares(weights), split_revenue(revenue, weights), strict=True
    ):
        rows.append(Share("linear", campaign_id, share, part))
    return "touchpoint", rows


def roi(revenue: Decimal, cost: Decimal) -> Decimal | None:
    """(revenue - cost) / cost, to four places; None when nothing was spent."""
    if cost == 0:
        return None
    return ((revenue - cost) / cost).quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN)
