"""Sales contracts: value signed (new business and renewals), renewed, ended, and the value
under contract at the end of each period, in the base currency.

A contract signed with ``renewed_from_id`` is a renewal, any other new business. Active at a
period's end: signed by then, inside its term, neither terminated nor expired by then. Renewal
rate = contracts renewed / (renewed + expired) in the period.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from analytics_service.adapters import tables as t
from analytics_service.domain import periods
from analytics_service.domain.money import ZERO
from analytics_service.service.reports import labels as lb
from analytics_service.service.reports.base import (
    Chart,
    Column,
    Report,
    ReportQuery,
    Series,
    all_periods,
    as_float,
    chart_label,
    money,
    period_cells,
    period_columns,
    ratio,
    top_keys,
)

DIMENSIONS = ("total", "rep", "team", "region")
FILTERS = ("rep", "team", "region")
GRANULARITIES = ("month", "quarter", "year")
COUNTS = ("new_business", "renewals", "renewed", "terminated", "expired", "active")
VALUES = (
    "new_business_value",
    "renewal_value",
    "terminated_value",
    "expired_value",
    "active_value",
)


def _blank() -> dict:
    return {**dict.fromkeys(COUNTS, 0), **dict.fromkeys(VALUES, ZERO)}


def report(session: Session, query: ReportQuery, currency: str) -> Report:
    c = t.contracts.c
    key_column = {"total": None, "rep": c.owner_id, "team": c.owner_team, "region": c.region}
    filter_columns = {"rep": c.owner_id, "team": c.owner_team, "region": c.region}
    rows_db = session.execute(
        select(
            c.owner_id,
            c.owner_team,
            c.region,
            c.base_value,
            c.start_date,
            c.end_date,
            c.renewed_from_id,
            c.signed_at,
            c.renewed_at,
            c.terminated_at,
            c.expired_at,
        ).where(
            c.signed_at.is_not(None),
            *[filter_columns[n].in_(v) for n, v in query.filters.items()],
        )
    ).all()
    buckets = all_periods(query)
    ends = [
        min(periods.next_bucket(start, query.granularity) - timedelta(days=1), query.end)
        for start in buckets
    ]
    cells: dict[tuple, dict] = defaultdict(_blank)

    def bucket_of(moment) -> date | None:
        if moment is None:
            return None
        day = periods.day_of(moment)
        if day < query.start or day > query.end:
            return None
        return periods.bucket(day, query.granularity)

    column = key_column[query.dimension]
    for row in rows_db:
        key = "" if column is None else (getattr(row, column.name) or "")
        value = row.base_value or ZERO
        signed = bucket_of(row.signed_at)
        if signed is not None:
            kind = "renewal" if row.renewed_from_id else "new_business"
            cell = cells[(signed, key)]
            cell["renewals" if row.renewed_from_id else "new_business"] += 1
            cell[f"{kind}_value"] += value
        for event, name in (
            (row.renewed_at, "renewed"),
            (row.terminated_at, "terminated"),
            (row.expired_at, "expired"),
        ):
            found = bucket_of(event)
            if found is not None:
                cells[(found, key)][name] += 1
                if name != "renewed":
                    cells[(found, key)][f"{name}_value"] += value
        for start, end in zip(buckets, ends, strict=True):
            if _active(row, end):
                cell = cells[(start, key)]
                cell["active"] += 1
                cell["active_value"] += value
    if query.dimension == "total":
        for start in buckets:
            cells.setdefault((start, ""), _blank())
    names = lb.labels(session, query.dimension, {k for _, k in cells})
    weight: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for (_, k), cell in cells.items():
        weight[k] += cell["active_value"] + cell["new_business_value"] + cell["renewal_value"]
    rows = [
        {
            **period_cells(start, query.granularity),
            "key": k,
            "label": names[k],
            **{n: cell[n] for n in COUNTS},
            **{n: money(cell[n]) for n in VALUES},
            "renewal_rate": ratio(cell["renewed"], cell["renewed"] + cell["expired"]),
        }
        for (start, k), cell in sorted(
            cells.items(), key=lambda i: (i[0][0], -weight[i[0][1]], i[0][1])
        )
    ]
    return Report(
        name="contracts",
        title="Contracts: value signed, renewed and under contract"
        + (f" by {query.dimension}" if query.dimension != "total" else ""),
        subtitle=f"{query.start} to {query.end}, {query.granularity}ly",
        query=query,
        currency=currency,
        columns=[
            *period_columns(),
            Column("key", query.dimension, "id"),
            Column("label", query.dimension.capitalize(), "text"),
            Column("new_business", "New contracts signed", "count"),
            Column("new_business_value", f"New business value ({currency})", "money"),
            Column("renewals", "Renewal contracts signed", "count"),
            Column("renewal_value", f"Renewal value ({currency})", "money"),
            Column("renewed", "Contracts renewed", "count"),
            Column("terminated", "Terminated early", "count"),
            Column("terminated_value", f"Terminated value ({currency})", "money"),
            Column("expired", "Expired without renewal", "count"),
            Column("expired_value", f"Expired value ({currency})", "money"),
            Column("active", "Active at period end", "count"),
            Column("active_value", f"Value under contract at period end ({currency})", "money"),
            Column("renewal_rate", "Renewal rate", "ratio"),
        ],
        rows=rows,
        chart=_chart(query, cells, names, weight, currency),
        notes=__doc__.split("\n\n", 1)[1].replace("\n", " ").strip(),
    )


def _active(row, end: date) -> bool:
    if periods.day_of(row.signed_at) > end or not (row.start_date <= end <= row.end_date):
        return False
    for moment in (row.terminated_at, row.expired_at):
        if moment is not None and periods.day_of(moment) <= end:
            return False
    return True


def _chart(query, cells, names, weight, currency) -> Chart:
    buckets = all_periods(query)
    index = {p: i for i, p in enumerate(buckets)}
    new = [0.0] * len(buckets)
    renewal = [0.0] * len(buckets)
    active = [0.0] * len(buckets)
    chosen = set(top_keys(weight, query.top))
    for (start, key), cell in cells.items():
        if start not in index or (query.dimension != "total" and key not in chosen):
            continue
        i = index[start]
        new[i] += float(cell["new_business_value"])
        renewal[i] += float(cell["renewal_value"])
        active[i] += float(cell["active_value"])
    return Chart(
        kind="categorical",
        title=f"Contract value signed and under contract, {query.granularity}ly",
        categories=[chart_label(p, query.granularity) for p in buckets],
        series=[
            Series("New business signed", new),
            Series("Renewals signed", renewal),
            Series("Under contract at period end", [as_float(v) for v in active], style="line"),
        ],
        y_label=f"Contract value ({currency})",
        y_format="money",
        x_label=query.granularity.capitalize(),
        stacked=True,
    )
