"""The sales pipeline: a snapshot on any day, the weighted forecast by expected close period, and
how long opportunities stay in each stage.

Weighted amount = base amount x the stage probability (as sales publishes it). The snapshot of
today reads the opportunities' current state; of a past day, the last version of each
opportunity that was valid then.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from analytics_service.adapters import tables as t
from analytics_service.domain.money import ZERO
from analytics_service.service.reports import labels as lb
from analytics_service.service.reports.base import (
    EMPTY,
    Chart,
    Column,
    Report,
    ReportQuery,
    Series,
    all_periods,
    as_float,
    chart_label,
    days,
    fold_period,
    median,
    money,
    nz,
    per,
    period_cells,
    period_columns,
    ratio,
    sum_amount,
    top_keys,
)

DIMENSIONS = ("stage", "rep", "team", "pipeline", "forecast_category", "total")
FORECAST_DIMENSIONS = ("total", "stage", "rep", "team", "pipeline", "forecast_category")
FILTERS = ("pipeline", "rep", "team")
FORECAST_CATEGORY_LABELS = {
    "pipeline": "Pipeline",
    "best_case": "Best case",
    "commit": "Commit",
    "closed": "Closed",
    "omitted": "Omitted",
}


def _columns(source):
    c = source.c
    return {
        "stage": c.stage_id,
        "rep": c.owner_id,
        "team": c.owner_team,
        "pipeline": c.pipeline_id,
        "forecast_category": c.forecast_category,
        "total": EMPTY,
    }


def _filters(source, query: ReportQuery) -> list:
    columns = _columns(source)
    return [columns[name].in_(values) for name, values in query.filters.items()]


def _labels(session: Session, dimension: str, keys, stage_names: dict[str, str]):
    if dimension == "stage":
        return {k: stage_names.get(k) or lb.short_id(k, "stage ") for k in keys}
    if dimension == "forecast_category":
        return {k: FORECAST_CATEGORY_LABELS.get(k, k or lb.NONE_LABEL) for k in keys}
    return lb.labels(session, dimension, keys)


def _order(session: Session, dimension: str, cells: dict, metric: str) -> list[str]:
    if dimension == "stage":
        positions = lb.stage_order(session)
        return sorted(cells, key=lambda k: (positions.get(k, (999, ""))[0], k))
    if dimension == "forecast_category":
        order = list(FORECAST_CATEGORY_LABELS)
        return sorted(cells, key=lambda k: order.index(k) if k in order else 99)
    return top_keys({k: v[metric] for k, v in cells.items()}, len(cells))


def snapshot(session: Session, query: ReportQuery, currency: str) -> Report:
    as_of: date = query.options["as_of"]
    today: date = query.options["today"]
    if as_of >= today:
        source = t.opportunities
        base = select().select_from(source).where(source.c.status == "open")
    else:
        v = t.opportunity_versions
        cut = as_of + timedelta(days=1)
        latest = (
            select(v.c.opportunity_id, func.max(v.c.revision).label("revision"))
            .where(v.c.valid_from < _midnight(cut))
            .group_by(v.c.opportunity_id)
            .subquery()
        )
        source = v
        base = (
            select()
            .select_from(
                v.join(
                    latest,
                    (latest.c.opportunity_id == v.c.opportunity_id)
                    & (latest.c.revision == v.c.revision),
                )
            )
            .where(v.c.status == "open")
        )
    key = _columns(source)[query.dimension]
    c = source.c
    statement = (
        base.add_columns(
            nz(key).label("key"),
            func.count().label("opportunities"),
            sum_amount(c.base_amount).label("amount"),
            sum_amount(c.weighted_amount).label("weighted"),
            func.sum(case((c.expected_close_date < as_of, 1), else_=0)).label("overdue"),
            func.max(c.stage_name).label("stage_name"),
        )
        .where(*_filters(source, query))
        .group_by(nz(key))
    )
    found = session.execute(statement).all()
    cells = {
        r.key: {
            "opportunities": r.opportunities,
            "amount": r.amount,
            "weighted": r.weighted,
            "overdue": int(r.overdue or 0),
        }
        for r in found
    }
    stage_names = {r.key: r.stage_name for r in found}
    names = _labels(session, query.dimension, cells, stage_names)
    order = _order(session, query.dimension, cells, "amount")
    rows = [
        {
            "key": k,
            "label": names[k],
            "opportunities": cells[k]["opportunities"],
            "amount": money(cells[k]["amount"]),
            "weighted": money(cells[k]["weighted"]),
            "average_amount": per(cells[k]["amount"], cells[k]["opportunities"]),
            "weighted_share": ratio(cells[k]["weighted"], cells[k]["amount"]),
            "overdue": cells[k]["overdue"],
        }
        for k in order
    ]
    total_amount = sum((v["amount"] for v in cells.values()), ZERO)
    total_weighted = sum((v["weighted"] for v in cells.values()), ZERO)
    title = f"Open pipeline by {query.dimension.replace('_', ' ')} on {as_of}"
    return Report(
        name="pipeline",
        title=title,
        query=query,
        currency=currency,
        columns=[
            Column("key", query.dimension, "id"),
            Column("label", query.dimension.replace("_", " ").capitalize(), "text"),
            Column("opportunities", "Open opportunities", "count"),
            Column("amount", f"Amount ({currency})", "money"),
            Column("weighted", f"Weighted amount ({currency})", "money"),
            Column("average_amount", f"Average amount ({currency})", "money"),
            Column("weighted_share", "Weighted / amount", "ratio"),
            Column("overdue", "Past expected close", "count"),
        ],
        rows=rows,
        totals={
            "opportunities": sum(v["opportunities"] for v in cells.values()),
            "amount": money(total_amount),
            "weighted": money(total_weighted),
        },
        chart=Chart(
            kind="categorical",
            title=title,
            categories=[r["label"] for r in rows],
            series=[
                Series("Amount", [as_float(r["amount"]) for r in rows]),
                Series("Weighted", [as_float(r["weighted"]) for r in rows]),
            ],
            y_label=f"Open pipeline ({currency})",
            y_format="money",
        ),
        notes=__doc__.split("\n\n", 1)[1].replace("\n", " ").strip(),
    )


def forecast(session: Session, query: ReportQuery, currency: str) -> Report:
    o = t.opportunities
    c = o.c
    key = _columns(o)[query.dimension]
    bucket_column = {"day": c.expected_close_date, "week": c.expected_close_week}.get(
        query.granularity, c.expected_close_month
    )
    open_rows = session.execute(
        select(
            bucket_column.label("bucket"),
            nz(key).label("key"),
            func.count().label("opportunities"),
            sum_amount(c.base_amount).label("amount"),
            sum_amount(c.weighted_amount).label("weighted"),
            func.max(c.stage_name).label("stage_name"),
        )
        .where(
            c.status == "open",
            c.expected_close_date >= query.start,
            c.expected_close_date <= query.end,
            *_filters(o, query),
        )
        .group_by(bucket_column, nz(key))
    ).all()
    closed_bucket = {"day": c.closed_day, "week": c.closed_week}.get(
        query.granularity, c.closed_month
    )
    won_rows = session.execute(
        select(
            closed_bucket.label("bucket"),
            nz(key).label("key"),
            func.count().label("won"),
            sum_amount(c.base_amount).label("won_amount"),
            func.max(c.stage_name).label("stage_name"),
        )
        .where(
            c.status == "won",
            c.closed_day >= query.start,
            c.closed_day <= query.end,
            *_filters(o, query),
        )
        .group_by(closed_bucket, nz(key))
    ).all()
    empty = {"opportunities": 0, "amount": ZERO, "weighted": ZERO, "won": 0, "won_amount": ZERO}
    cells: dict[tuple, dict] = defaultdict(lambda: dict(empty))
    stage_names: dict[str, str] = {}
    for r in open_rows:
        cell = cells[(fold_period(r.bucket, query.granularity), r.key)]
        cell["opportunities"] += r.opportunities
        cell["amount"] += r.amount
        cell["weighted"] += r.weighted
        stage_names.setdefault(r.key, r.stage_name)
    for r in won_rows:
        cell = cells[(fold_period(r.bucket, query.granularity), r.key)]
        cell["won"] += r.won
        cell["won_amount"] += r.won_amount
        stage_names.setdefault(r.key, r.stage_name)
    if query.dimension == "total":
        for period in all_periods(query):
            cells.setdefault((period, ""), dict(empty))
    keys = {k for _, k in cells}
    names = _labels(session, query.dimension, keys, stage_names)
    totals_by_key: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for (_, k), cell in cells.items():
        totals_by_key[k] += cell["weighted"]
    rows = [
        {
            **period_cells(period, query.granularity),
            "key": k,
            "label": names[k],
            "opportunities": cell["opportunities"],
            "amount": money(cell["amount"]),
            "weighted": money(cell["weighted"]),
            "won": cell["won"],
            "won_amount": money(cell["won_amount"]),
        }
        for (period, k), cell in sorted(
            cells.items(), key=lambda i: (i[0][0], -totals_by_key[i[0][1]], i[0][1])
        )
    ]
    periods_list = all_periods(query)
    index = {p: i for i, p in enumerate(periods_list)}
    chosen = top_keys(totals_by_key, query.top)
    series_values = {k: [0.0] * len(periods_list) for k in chosen}
    other = [0.0] * len(periods_list)
    won_line = [0.0] * len(periods_list)
    for (period, k), cell in cells.items():
        if period not in index:
            continue
        series_values.get(k, other)[index[period]] += float(cell["weighted"])
        won_line[index[period]] += float(cell["won_amount"])
    series = [Series(f"Weighted: {names[k]}", series_values[k]) for k in chosen]
    if query.dimension == "total":
        series = [Series("Weighted open pipeline", series_values.get("", other))]
    elif any(other):
        series.append(Series("Weighted: other", other))
    series.append(Series("Won", won_line, style="line"))
    title = "Weighted pipeline by expected close"
    if query.dimension != "total":
        title += f" and {query.dimension.replace('_', ' ')}"
    return Report(
        name="pipeline_forecast",
        title=f"{title}, {query.granularity}ly",
        query=query,
        currency=currency,
        columns=[
            *period_columns(),
            Column("key", query.dimension, "id"),
            Column("label", query.dimension.replace("_", " ").capitalize(), "text"),
            Column("opportunities", "Open opportunities expected to close", "count"),
            Column("amount", f"Amount ({currency})", "money"),
            Column("weighted", f"Weighted amount ({currency})", "money"),
            Column("won", "Won", "count"),
            Column("won_amount", f"Won amount ({currency})", "money"),
        ],
        rows=rows,
        totals={
            "opportunities": sum(r["opportunities"] for r in rows),
            "amount": money(sum((cell["amount"] for cell in cells.values()), ZERO)),
            "weighted": money(sum((cell["weighted"] for cell in cells.values()), ZERO)),
            "won_amount": money(sum((cell["won_amount"] for cell in cells.values()), ZERO)),
        },
        chart=Chart(
            kind="categorical",
            title=f"{title}, {query.granularity}ly",
            categories=[chart_label(p, query.granularity) for p in periods_list],
            series=series,
            y_label=f"Amount ({currency})",
            y_format="money",
            x_label=f"Expected close ({query.granularity})",
            stacked=True,
        ),
        notes="Open opportunities by the period of their expected close date, weighted by "
        "probability; won = opportunities won in the period (actuals).",
    )


def stages(session: Session, query: ReportQuery, currency: str) -> Report:
    sp = t.opportunity_stage_spells.c
    conditions = [sp.left_day >= query.start, sp.left_day <= query.end]
    for name, values in query.filters.items():
        column = {"pipeline": sp.pipeline_id, "rep": sp.owner_id, "team": sp.owner_team}[name]
        conditions.append(column.in_(values))
    found = session.execute(
        select(sp.stage_id, sp.stage_name, sp.pipeline_id, sp.seconds, sp.outcome).where(
            *conditions
        )
    ).all()
    grouped: dict[str, dict] = {}
    for r in found:
        cell = grouped.setdefault(
            r.stage_id,
            {"name": r.stage_name, "pipeline": r.pipeline_id, "seconds": [], "moved": 0},
        )
        cell["seconds"].append(r.seconds)
        cell[r.outcome] = cell.get(r.outcome, 0) + 1
    positions = lb.stage_order(session)
    pipeline_names = lb.labels(session, "pipeline", {c["pipeline"] for c in grouped.values()})
    order = sorted(
        grouped,
        key=lambda k: (pipeline_names.get(grouped[k]["pipeline"], ""), positions.get(k, (999,))[0]),
    )
    several = len({c["pipeline"] for c in grouped.values()}) > 1
    rows = []
    for k in order:
        cell = grouped[k]
        name = cell["name"] or positions.get(k, (0, lb.short_id(k)))[1]
        label = f"{pipeline_names.get(cell['pipeline'])} / {name}" if several else name
        spells = len(cell["seconds"])
        rows.append(
            {
                "key": k,
                "label": label,
                "pipeline_id": cell["pipeline"],
                "spells": spells,
                "average_days": days(sum(cell["seconds"]) / spells),
                "median_days": days(median(cell["seconds"])),
                "moved_on": cell.get("moved", 0),
                "won": cell.get("won", 0),
                "lost": cell.get("lost", 0),
                "lost_rate": ratio(cell.get("lost", 0), spells),
            }
        )
    return Report(
        name="pipeline_stages",
        title="Time in pipeline stages",
        subtitle=f"Stages left between {query.start} and {query.end}",
        query=query,
        currency=currency,
        columns=[
            Column("key", "Stage id", "id"),
            Column("label", "Stage", "text"),
            Column("pipeline_id", "Pipeline id", "id"),
            Column("spells", "Opportunities that left the stage", "count"),
            Column("average_days", "Average days in stage", "days"),
            Column("median_days", "Median days in stage", "days"),
            Column("moved_on", "Moved to another stage", "count"),
            Column("won", "Won from the stage", "count"),
            Column("lost", "Lost from the stage", "count"),
            Column("lost_rate", "Share lost", "ratio"),
        ],
        rows=rows,
        chart=Chart(
            kind="hbars",
            title="Days opportunities spend in each stage",
            categories=[r["label"] for r in rows],
            series=[
                Series("Average", [as_float(r["average_days"]) for r in rows]),
                Series("Median", [as_float(r["median_days"]) for r in rows]),
            ],
            y_label="Days in stage",
            y_format="days",
        ),
        notes="From each move out of a stage (to another stage, won or lost) with the time the "
        "opportunity had spent in it, as sales measured it.",
    )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)
