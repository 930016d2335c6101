"""Customer scores: RFM quintiles and segments, churn risk, historic and predicted CLV.

Everything is computed from a customer's paid, uncancelled orders net of returns (their purchase
history), as of a given day. The models are deliberately simple enough to explain to the people
who act on them:

**RFM quintiles.** For recency (days since the last purchase; fewer is better), frequency
(purchases) and monetary value (net revenue) each customer gets the score
``1 + floor(5 * p)`` (at most 5), where ``p`` is the share of customers with a worse value,
counting ties as half: ``p = (worse + equal / 2) / n``. Ties therefore share a score, and five
distinct values get 1..5. ``score`` is the three digits, e.g. ``"545"``.

**Segments** come from recency and frequency (the classic RFM grid):

======  ===================  =====================================================
R       F                    segment
======  ===================  =====================================================
5       4-5                  champions
3-4     4-5                  loyal
4-5     2-3                  potential_loyalist
5       1                    new
4       1                    promising
3       3                    need_attention
3       1-2                  about_to_sleep
1-2     3-4                  at_risk
1-2     5                    cant_lose_them
1-2     1-2                  hibernating
======  ===================  =====================================================

**Usual interval.** A repeat customer's mean gap between first and last purchase
(``(last - first) / (purchases - 1)`` days); for one-time buyers, the median of the repeat
customers' intervals (90 days when there are none).

**Churn risk** is logistic in the *overdue ratio* ``x = days since last purchase / usual interval``:
``1 / (1 + exp(-2 (x - 1.5)))`` - about 5 % right after a purchase, 50 % at one and a half usual
intervals without buying, 95 % at three.

**CLV.** Historic CLV is the net revenue so far. Predicted CLV is historic plus the expected value
of the next ``horizon`` months: average order value x expected purchases, where expected purchases
are ``horizon days / usual interval x (1 - churn risk)``; it is rounded to whole currency units.
"""

from __future__ import annotations

import hashlib
import math
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from statistics import median

from analytics_service.domain.money import ZERO, q2

DEFAULT_INTERVAL_DAYS = 90.0
CHURN_STEEPNESS = 2.0
CHURN_MIDPOINT = 1.5
NO_PURCHASES = "no_purchases"

SEGMENTS = (
    "champions",
    "loyal",
    "potential_loyalist",
    "new",
    "promising",
    "need_attention",
    "about_to_sleep",
    "at_risk",
    "cant_lose_them",
    "hibernating",
)


@dataclass(frozen=True)
class PurchaseSummary:
    """What scoring needs of one customer's history."""

    customer_id: str
    purchases: int
    net: Decimal
    first_day: date
    last_day: date


@dataclass(frozen=True)
class CustomerScore:
    customer_id: str
    as_of: date
    recency_days: int
    frequency: int
    monetary: Decimal
    r: int
    f: int
    m: int
    score: str
    segment: str
    first_order_day: date | None
    last_order_day: date | None
    average_order_value: Decimal
    clv_historic: Decimal
    clv_predicted: Decimal
    churn_risk: Decimal

    def fingerprint(self) -> str:
        """Identifies what is published about the customer (not when it was computed)."""
        published = "|".join(
            str(v)
            for v in (
                self.r,
                self.f,
                self.m,
                self.segment,
                q2(self.clv_historic),
                q2(self.clv_predicted),
                self.churn_risk,
            )
        )
        return hashlib.sha256(published.encode()).hexdigest()


@dataclass(frozen=True)
class CustomerScored:
    """Domain event: fresh scores to tell the customer service about."""

    score: CustomerScore
    currency: str
    computed_at: datetime


def quintile_scores(values: Sequence) -> list[int]:
    """The 1..5 score of each value (higher values score higher; ties count half)."""
    ordered = sorted(values)
    n = len(ordered)
    scores = []
    for value in values:
        worse = bisect_left(ordered, value)
        equal = bisect_right(ordered, value) - worse
        share = (worse + equal / 2) / n
        scores.append(min(5, 1 + math.floor(5 * share)))
    return scores


def segment_of(r: int, f: int) -> str:
    if r >= 4 and f >= 4:
        return "champions" if r == 5 else "loyal"
    if r == 3 and f >= 4:
        return "loyal"
    if r >= 4:
        if f >= 2:
            return "potential_loyalist"
        return "new" if r == 5 else "promising"
    if r == 3:
        return "need_attention" if f == 3 else "about_to_sleep"
    if f == 5:
        return "cant_lose_them"
    return "at_risk" if f >= 3 else "hibernating"


def usual_interval(summary: PurchaseSummary, population_interval: float) -> float:
    if summary.purchases >= 2:
        gap = (summary.last_day - summary.first_day).days / (summary.purchases - 1)
        return max(gap, 1.0)
    return population_interval


def population_interval(summaries: Sequence[PurchaseSummary]) -> float:
    gaps = [
        max((s.last_day - s.first_day).days / (s.purchases - 1), 1.0)
        for s in summaries
        if s.purchases >= 2
    ]
    return float(median(gaps)) if gaps else DEFAULT_INTERVAL_DAYS


def churn_risk(recency_days: int, interval_days: float) -> Decimal:
    overdue = recency_days / interval_days
    risk = 1.0 / (1.0 + math.exp(-CHURN_STEEPNESS * (overdue - CHURN_MIDPOINT)))
    return Decimal(str(round(risk, 2))).quantize(Decimal("0.01"))


def score_customers(
    summaries: Sequence[PurchaseSummary], as_of: date, horizon_months: int = 24
) -> list[CustomerScore]:
    """Score every customer with at least one purchase (see the module docstring)."""
    buyers = [s for s in summaries if s.purchases > 0 and s.last_day is not None]
    if not buyers:
        return []
    recency = [(as_of - s.last_day).days for s in buyers]
    r_scores = quintile_scores([-x for x in recency])
    f_scores = quintile_scores([s.purchases for s in buyers])
    m_scores = quintile_scores([s.net for s in buyers])
    typical = population_interval(buyers)
    horizon_days = horizon_months * 365.25 / 12
    scores = []
    for s, days, r, f, m in zip(buyers, recency, r_scores, f_scores, m_scores, strict=True):
        interval = usual_interval(s, typical)
        risk = churn_risk(max(days, 0), interval)
        aov = q2(s.net / s.purchases)
        expected = Decimal(str(round(horizon_days / interval * (1 - float(risk)), 4)))
        future = max(aov * expected, ZERO)
        predicted = (s.net + future).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
        scores.append(
            CustomerScore(
                customer_id=s.customer_id,
                as_of=as_of,
                recency_days=days,
                frequency=s.purchases,
                monetary=s.net,
                r=r,
                f=f,
                m=m,
                score=f"{r}{f}{m}",
                segment=segment_of(r, f),
                first_order_day=s.first_day,
                last_order_day=s.last_day,
                average_order_value=aov,
                clv_historic=q2(s.net),
                clv_predicted=q2(predicted),
                churn_risk=risk,
            )
        )
    return scores


def no_purchases(customer_id: str, as_of: date) -> CustomerScore:
    """The score of a customer whose every purchase was cancelled or returned."""
    return CustomerScore(
        customer_id=customer_id,
        as_of=as_of,
        recency_days=0,
        frequency=0,
        monetary=ZERO,
        r=0,
        f=0,
        m=0,
        score="000",
        segment=NO_PURCHASES,
        first_order_day=None,
        last_order_day=None,
        average_order_value=ZERO,
        clv_historic=q2(ZERO),
        clv_predicted=q2(ZERO),
        churn_risk=Decimal("0.00"),
    )
