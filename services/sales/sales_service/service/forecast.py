"""Forecast: the weighted pipeline and commit / best case per period, rep or team.

Per period (by expected close date for open deals, by close date for won ones), in the base
currency:

- ``pipeline``: open deals' amount (deals in the ``omitted`` category left out),
- ``weighted``: Σ amount * probability,
- ``commit`` / ``best_case``: open deals in those forecast categories,
- ``closed_won``: deals won in the period,
- ``forecast_commit`` = closed_won + commit, ``forecast_best_case`` = forecast_commit + best_case.

Open deals without a close date or with one before the range are reported apart.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, or_, select

from sales_service.adapters import tables as t
from sales_service.domain.money import quantize
from sales_service.domain.periods import containing, span
from sales_service.service.access import reach_condition
from servicekit.identity import Identity

FIGURES = ("pipeline", "weighted", "commit", "best_case", "closed_won")


def _empty() -> dict:
    return {"open_count": 0, "won_count": 0, **{f: Decimal(0) for f in FIGURES}}


def _finish(bucket: dict, currency: str) -> dict:
    out = dict(bucket)
    out["weighted"] = quantize(out["weighted"], currency)
    out["forecast_commit"] = out["closed_won"] + out["commit"]
    out["forecast_best_case"] = out["forecast_commit"] + out["best_case"]
    return out


def forecast(
    session,
    actor: Identity,
    *,
    kind: str,
    first: date,
    last: date,
    group_by: str,
    base_currency: str,
    pipeline_id: str | None = None,
    owner_id: str | None = None,
    team: str | None = None,
) -> dict:
    periods = span(first, last, kind, limit=36)
    start, end = periods[0].start, periods[-1].end
    c = t.opportunities.c
    conditions = [
        or_(
            c.status == "open",
            and_(c.status == "won", c.closed_at >= periods[0].starts_at,
                 c.closed_at < periods[-1].ends_before),
        )
    ]  # fmt: skip
    reach = reach_condition(actor, "opportunities", c.owner_id, c.owner_team)
    if reach is not None:
        conditions.append(reach)
    for column, value in (
        (c.pipeline_id, pipeline_id),
        (c.owner_id, owner_id),
        (c.owner_team, team),
    ):
        if value:
            conditions.append(column == str(value))
    rows = session.execute(
        select(
            c.status, c.base_amount, c.probability, c.forecast_category,
            c.expected_close_date, c.closed_at, c.owner_id, c.owner_team,
        ).where(and_(*conditions))
    )  # fmt: skip
    table: dict[str, dict[tuple, dict]] = defaultdict(dict)
    overdue, unscheduled = _empty(), _empty()
    names: dict[tuple, dict] = {}

    def key_of(row) -> tuple:
        if group_by == "rep":
            return (row.owner_id,)
        if group_by == "team":
            return (row.owner_team,)
        return ()

    for row in rows:
        key = key_of(row)
        names.setdefault(key, {"owner_id": row.owner_id, "team": row.owner_team})
        if row.status == "won":
            label = containing(row.closed_at.date(), kind).label
            bucket = table[label].setdefault(key, _empty())
            bucket["closed_won"] += row.base_amount
            bucket["won_count"] += 1
            continue
        if row.forecast_category == "omitted":
            continue
        if row.expected_close_date is None:
            bucket = unscheduled
        elif row.expected_close_date < start:
            bucket = overdue
        elif row.expected_close_date > end:
            continue
        else:
            label = containing(row.expected_close_date, kind).label
            bucket = table[label].setdefault(key, _empty())
        bucket["open_count"] += 1
        bucket["pipeline"] += row.base_amount
        bucket["weighted"] += row.base_amount * row.probability / 100
        if row.forecast_category == "commit":
            bucket["commit"] += row.base_amount
        elif row.forecast_category == "best_case":
            bucket["best_case"] += row.base_amount

    out_periods = []
    for period in periods:
        groups = []
        totals = _empty()
        for key, bucket in sorted(table[period.label].items(), key=lambda kv: str(kv[0])):
            for name in ("open_count", "won_count", *FIGURES):
                totals[name] += bucket[name]
            group = _finish(bucket, base_currency)
            if group_by == "rep":
                group.update(owner_id=key[0], team=names[key]["team"])
            elif group_by == "team":
                group.update(team=key[0])
            groups.append(group)
        out_periods.append(
            {
                "period": period.label,
                "start": period.start,
                "end": period.end,
                "totals": _finish(totals, base_currency),
                "groups": groups if group_by != "none" else [],
            }
        )
    return {
        "period_kind": kind,
        "group_by": group_by,
        "currency": base_currency,
        "periods": out_periods,
        "overdue": _finish(overdue, base_currency),
        "unscheduled": _finish(unscheduled, base_currency),
    }
