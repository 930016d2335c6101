"""A customer's purchase history as a day map, and what it contributes to cohort figures.

``days`` maps an ISO day to ``[purchases, net revenue]`` (net as a decimal string) over the
customer's paid, uncancelled orders. Orders change it by their contribution after minus before,
so it is the same whatever order events arrive in; RFM, CLV and cohorts are all read from it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from analytics_service.domain.money import ZERO

DayMap = dict[str, list]  # iso day -> [purchases, "net"]


def apply_delta(days: DayMap, day: date, purchases: int, net: Decimal) -> None:
    """Add ``purchases`` and ``net`` on ``day``; drop the day when both return to zero."""
    key = day.isoformat()
    count, amount = days.get(key, (0, "0"))
    count += purchases
    total = Decimal(amount) + net
    if count == 0 and total == ZERO:
        days.pop(key, None)
    else:
        days[key] = [count, format(total.normalize() if total else ZERO, "f")]


def merge(into: DayMap, other: DayMap) -> None:
    """Fold another history in (a merged duplicate's purchases move to the survivor)."""
    for key, (count, amount) in other.items():
        apply_delta(into, date.fromisoformat(key), count, Decimal(amount))


def summary(days: DayMap) -> tuple[int, Decimal, date | None, date | None]:
    """(purchases, net revenue, first purchase day, last purchase day)."""
    purchases = 0
    net = ZERO
    bought = []
    for key, (count, amount) in days.items():
        purchases += count
        net += Decimal(amount)
        if count > 0:
            bought.append(key)
    if not bought:
        return purchases, net, None, None
    return purchases, net, date.fromisoformat(min(bought)), date.fromisoformat(max(bought))


def cohort_contribution(days: DayMap) -> dict[tuple[date, date], tuple[int, Decimal]]:
    """{(first purchase month, month): (1 if the customer bought that month, net revenue)}.

    Months before the first purchase (a refund without a purchase) are left out.
    """
    # ISO days compare as text and their month is the first seven characters: no parsing on
    # this path, which runs twice for every customer an order touches.
    bought = [key for key, (count, _) in days.items() if count > 0]
    if not bought:
        return {}
    cohort = min(bought)[:7]
    cells: dict[str, list] = {}
    for key, (count, amount) in days.items():
        month = key[:7]
        if month < cohort:
            continue
        cell = cells.get(month)
        if cell is None:
            cell = cells[month] = [0, ZERO]
        if count > 0:
            cell[0] = 1
        cell[1] += Decimal(amount)
    first = _month(cohort)
    return {(first, _month(month)): (active, revenue) for month, (active, revenue) in cells.items()}


def _month(text: str) -> date:
    return date(int(text[:4]), int(text[5:7]), 1)
