"""Rep (or team) performance against targets, by month or quarter.

Actuals: ``revenue`` = net revenue of the orders they own (by day placed), ``orders`` = their
uncancelled orders, ``won_deals`` / ``won_value`` = opportunities they won (by day won, base
currency), ``activities`` = tasks they completed plus follow-ups they logged. Targets come from
sales (sales.target.set): a quarterly target shown monthly is split evenly over its three
months; monthly targets shown quarterly are added up. Attainment = actual / target.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import func, select
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
    as_float,
    fold_period,
    money,
    period_cells,
    period_columns,
    plain,
    ratio,
    sum_amount,
    top_keys,
)

DIMENSIONS = ("rep", "team")
FILTERS = ("rep", "team")
GRANULARITIES = ("month", "quarter")
METRICS = ("revenue", "orders", "won_deals", "won_value")
METRIC_LABELS = {
    "revenue": "Net revenue",
    "orders": "Orders",
    "won_deals": "Won deals",
    "won_value": "Won value",
}
MONEY_METRICS = ("revenue", "won_value")


def _blank() -> dict:
    return {
        **dict.fromkeys(METRICS, ZERO),
        **{f"{m}_target": None for m in METRICS},
        "activities": 0,
    }


def report(session: Session, query: ReportQuery, currency: str) -> Report:
    dimension = query.dimension
    wanted = set(query.filters.get(dimension, ()))
    cells: dict[tuple, dict] = defaultdict(_blank)

    def keep(key) -> bool:
        return bool(key) and (not wanted or key in wanted)

    # revenue and orders from the daily rollup
    r = t.revenue_daily.c
    for month, key, net, orders in session.execute(
        select(r.month, r.key, sum_amount(r.net), func.sum(r.orders))
        .where(
            r.dim == dimension,
            r.day >= query.start,
            r.day <= query.end,
            *([r.key.in_(wanted)] if wanted else []),
        )
        .group_by(r.month, r.key)
    ):
        if keep(key):
            cell = cells[(fold_period(month, query.granularity), key)]
            cell["revenue"] += net
            cell["orders"] += Decimal(orders or 0)
    # won opportunities
    o = t.opportunities.c
    owner = o.owner_id if dimension == "rep" else o.owner_team
    for month, key, won, value in session.execute(
        select(o.closed_month, owner, func.count(), sum_amount(o.base_amount))
        .where(o.status == "won", o.closed_day >= query.start, o.closed_day <= query.end)
        .group_by(o.closed_month, owner)
    ):
        if keep(key):
            cell = cells[(fold_period(month, query.granularity), key)]
            cell["won_deals"] += Decimal(won)
            cell["won_value"] += value
    # activities: completed tasks and logged follow-ups
    k = t.tasks.c
    assignee = k.assignee_id if dimension == "rep" else k.assignee_team
    for month, key, count in session.execute(
        select(k.completed_month, assignee, func.count())
        .where(k.completed_day >= query.start, k.completed_day <= query.end)
        .group_by(k.completed_month, assignee)
    ):
        if keep(key):
            cells[(fold_period(month, query.granularity), key)]["activities"] += count
    if dimension == "rep":
        i = t.interactions.c
        for month, key, count in session.execute(
            select(i.occurred_month, i.actor_id, func.count())
            .where(i.occurred_day >= query.start, i.occurred_day <= query.end)
            .group_by(i.occurred_month, i.actor_id)
        ):
            if keep(key):
                cells[(fold_period(month, query.granularity), key)]["activities"] += count
    _targets(session, query, cells, keep)
    names = lb.labels(session, dimension, {key for _, key in cells})
    metric = query.metric or "revenue"
    totals_by_key: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for (_, key), cell in cells.items():
        totals_by_key[key] += cell[metric] + (cell[f"{metric}_target"] or ZERO)
    rows = []
    for (period, key), cell in sorted(
        cells.items(), key=lambda i: (i[0][0], -totals_by_key[i[0][1]], i[0][1])
    ):
        row = {**period_cells(period, query.granularity), "key": key, "label": names[key]}
        for m in METRICS:
            value, target = cell[m], cell[f"{m}_target"]
            row[m] = money(value) if m in MONEY_METRICS else plain(value)
            row[f"{m}_target"] = (
                None if target is None else money(target) if m in MONEY_METRICS else plain(target)
            )
            row[f"{m}_attainment"] = ratio(value, target) if target else None
        row["activities"] = cell["activities"]
        rows.append(row)
    columns = [*period_columns(), Column("key", dimension, "id"), Column("label", "Rep", "text")]
    if dimension == "team":
        columns[-1] = Column("label", "Team", "text")
    for m in METRICS:
        unit = f" ({currency})" if m in MONEY_METRICS else ""
        kind = "money" if m in MONEY_METRICS else "number"
        columns += [
            Column(m, f"{METRIC_LABELS[m]}{unit}", kind),
            Column(f"{m}_target", f"{METRIC_LABELS[m]} target{unit}", kind),
            Column(f"{m}_attainment", f"{METRIC_LABELS[m]} attainment", "ratio"),
        ]
    columns.append(Column("activities", "Activities", "count"))
    return Report(
        name="reps",
        title=f"{'Rep' if dimension == 'rep' else 'Team'} performance against targets",
        subtitle=f"{query.start} to {query.end}, {query.granularity}ly",
        query=query,
        currency=currency,
        columns=columns,
        rows=rows,
        chart=_chart(query, cells, names, metric, currency, totals_by_key),
        notes=__doc__.split("\n\n", 1)[1].replace("\n", " ").strip(),
    )


def _targets(session: Session, query: ReportQuery, cells, keep) -> None:
    tg = t.targets.c
    subject = tg.owner_id if query.dimension == "rep" else tg.team
    found = session.execute(
        select(tg.period_kind, tg.period_start, tg.metric, tg.value, subject.label("key")).where(
            tg.removed.is_(False),
            tg.subject == query.dimension,
            tg.period_start <= query.end,
            tg.period_end >= query.start,
        )
    ).all()
    for target in found:
        if not keep(target.key):
            continue
        parts: list[tuple] = []
        if target.period_kind == "quarter" and query.granularity == "month":
            share = (target.value / 3).quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN)
            months = [periods.add_months(target.period_start, i) for i in range(3)]
            parts = [(m, share) for m in months[:2]] + [(months[2], target.value - 2 * share)]
        else:
            parts = [(target.period_start, target.value)]
        for start, value in parts:
            if start < periods.month_start(query.start) or start > query.end:
                continue
            cell = cells[(fold_period(start, query.granularity), target.key)]
            name = f"{target.metric}_target"
            cell[name] = (cell[name] or ZERO) + value


def _chart(query, cells, names, metric, currency, totals_by_key) -> Chart:
    chosen = top_keys(totals_by_key, query.top)
    actual = defaultdict(lambda: ZERO)
    target = defaultdict(lambda: ZERO)
    has_target = set()
    for (_, key), cell in cells.items():
        actual[key] += cell[metric]
        if cell[f"{metric}_target"] is not None:
            target[key] += cell[f"{metric}_target"]
            has_target.add(key)
    attainment = [
        as_float(ratio(actual[k], target[k])) if k in has_target and target[k] else None
        for k in chosen
    ]
    unit = f" ({currency})" if metric in MONEY_METRICS else ""
    return Chart(
        kind="categorical",
        title=f"{METRIC_LABELS[metric]}: actual against target",
        categories=[names[k] for k in chosen],
        series=[
            Series("Actual", [float(actual[k]) for k in chosen]),
            Series("Target", [float(target[k]) if k in has_target else None for k in chosen]),
            Series("Attainment", attainment, axis="right", style="line"),
        ],
        y_label=f"{METRIC_LABELS[metric]}{unit}",
        y_format="money" if metric in MONEY_METRICS else "count",
        y2_label="Attainment",
        y2_format="percent",
    )
