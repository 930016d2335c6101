"""Revenue and order volume by period and one dimension, in the base currency.

Figures are by the UTC day an order was placed: ``orders`` placed and not cancelled,
``cancelled``, ``paid_orders``, ``units``, ``booked`` (value of uncancelled orders), ``gross``
(paid), ``returns`` (refunded on paid orders), ``net`` = gross - returns,
``average_order_value`` = net / paid orders, ``return_rate`` = returns / gross. Unfiltered
requests by channel, region, rep, team, campaign, coupon, product or category read the daily
rollup; filters and the customer dimensions (country, customer segment, RFM segment) read the
order facts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import and_, case, distinct, func, select, true
from sqlalchemy.orm import Session

from analytics_service.adapters import tables as t
from analytics_service.domain import periods
from analytics_service.domain.errors import InvalidQuery
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
    chart_label,
    fold_period,
    money,
    nz,
    per,
    period_cells,
    period_columns,
    plain,
    ratio,
    stored_granularity,
    sum_amount,
    top_keys,
)

ROLLUP_DIMENSIONS = (
    "total",
    "channel",
    "region",
    "rep",
    "team",
    "campaign",
    "coupon",
    "product",
    "category",
)
DIMENSIONS = (*ROLLUP_DIMENSIONS, "country", "segment", "rfm_segment")
FILTERS = (
    "channel",
    "region",
    "rep",
    "team",
    "campaign",
    "coupon",
    "product",
    "category",
    "country",
    "segment",
    "rfm_segment",
)
ID_FILTERS = ("rep", "campaign", "coupon", "product", "segment")
COUNTS = ("orders", "cancelled", "paid_orders")
AMOUNTS = ("units", "booked", "gross", "returns", "net")
MEASURES = (*COUNTS, *AMOUNTS)
METRICS = {
    "net": "Net revenue",
    "gross": "Gross revenue",
    "booked": "Booked revenue",
    "returns": "Returns",
    "orders": "Orders",
    "paid_orders": "Paid orders",
    "units": "Units",
}
MAX_GROUPS = 50_000


def _fact_source(query: ReportQuery):
    """FROM clause, measure columns, bucket column and dimension key for the fact path."""
    o, ln = t.orders, t.order_lines
    dims_used = {query.dimension, *query.filters}
    lines = bool(dims_used & {"product", "category"})
    fact = ln if lines else o
    source = ln.join(o, ln.c.order_id == o.c.order_id) if lines else o
    resolved = func.coalesce(t.customer_aliases.c.survivor_id, o.c.customer_id)
    if dims_used & {"country", "segment", "rfm_segment"}:
        source = source.outerjoin(
            t.customer_aliases, t.customer_aliases.c.merged_id == o.c.customer_id
        )
    if dims_used & {"country"}:
        source = source.outerjoin(t.customers, t.customers.c.customer_id == resolved)
    if "rfm_segment" in dims_used:
        source = source.outerjoin(t.customer_scores, t.customer_scores.c.customer_id == resolved)
    if query.dimension == "segment":
        source = source.join(
            t.segment_members,
            and_(t.segment_members.c.customer_id == resolved, t.segment_members.c.member == true()),
        )
    columns = {
        "total": EMPTY,
        "channel": o.c.channel,
        "region": o.c.region,
        "rep": o.c.owner_id,
        "team": o.c.owner_team,
        "campaign": o.c.campaign_id,
        "coupon": o.c.coupon_id,
        "product": ln.c.product_id,
        "category": ln.c.category,
        "country": t.customers.c.country,
        "segment": t.segment_members.c.segment_id,
        "rfm_segment": t.customer_scores.c.segment,
    }
    conditions = []
    for name, values in query.filters.items():
        if name == "segment":
            members = select(t.segment_members.c.customer_id).where(
                t.segment_members.c.segment_id.in_(values), t.segment_members.c.member == true()
            )
            conditions.append(resolved.in_(members))
        else:
            conditions.append(columns[name].in_(values))
    if lines:
        # A line counts as its order does; orders are counted once however many lines match.
        counted, paid = o.c.m_orders == 1, o.c.m_paid == 1
        measures = {
            "orders": func.count(distinct(case((counted, ln.c.order_id)))),
            "cancelled": func.count(distinct(case((o.c.m_cancelled == 1, ln.c.order_id)))),
            "paid_orders": func.count(distinct(case((paid, ln.c.order_id)))),
            "units": sum_amount(case((counted, ln.c.quantity), else_=0)),
            "booked": sum_amount(case((counted, ln.c.base_amount), else_=0)),
            "gross": sum_amount(case((paid, ln.c.base_amount), else_=0)),
            "returns": sum_amount(case((paid, ln.c.returned), else_=0)),
            "net": sum_amount(case((paid, ln.c.base_amount - ln.c.returned), else_=0)),
        }
    else:
        measures = {
            "orders": func.sum(o.c.m_orders),
            "cancelled": func.sum(o.c.m_cancelled),
            "paid_orders": func.sum(o.c.m_paid),
            "units": sum_amount(o.c.m_units),
            "booked": sum_amount(o.c.m_booked),
            "gross": sum_amount(o.c.m_gross),
            "returns": sum_amount(o.c.m_returns),
            "net": sum_amount(o.c.m_net),
        }
    bucket = fact.c[f"placed_{stored_granularity(query.granularity)}"]
    day = fact.c.placed_day
    return source, measures, bucket, day, columns[query.dimension], conditions


def _rollup_source(query: ReportQuery):
    r = t.revenue_daily
    measures = {
        name: func.sum(r.c[name]) if name in COUNTS else sum_amount(r.c[name]) for name in MEASURES
    }
    # The rollup keeps quarters too: a quarterly report groups in the database.
    granularity = query.granularity if query.granularity == "quarter" else None
    bucket = r.c[granularity or stored_granularity(query.granularity)]
    return r, measures, bucket, r.c.day, r.c.key, [r.c.dim == query.dimension]


def revenue_cells(session: Session, query: ReportQuery) -> dict[tuple, dict[str, Decimal | int]]:
    """{(period start, key): measures} for the query (periods folded to its granularity)."""
    cells: dict[tuple, dict] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    rollup = query.dimension in ROLLUP_DIMENSIONS and not query.filters
    if not rollup:
        _collect(session, query, _fact_source(query), query.start, query.end, cells)
        return cells
    first_full = periods.month_start(query.start)
    if first_full < query.start:
        first_full = periods.add_months(first_full, 1)
    after_last = periods.add_months(periods.month_start(query.end), 1)
    last_full = after_last - timedelta(days=1)
    if query.end < last_full:
        last_full = periods.month_start(query.end) - timedelta(days=1)
    if query.granularity in ("day", "week") or first_full > last_full:
        _collect(session, query, _rollup_source(query), query.start, query.end, cells)
        return cells
    # Whole months from the monthly rollup, the part-months at either edge from the daily one.
    _collect(session, query, _monthly_source(query), first_full, last_full, cells)
    if query.start < first_full:
        edge_query = replace(query, granularity="month")
        _collect(
            session,
            edge_query,
            _rollup_source(edge_query),
            query.start,
            first_full - timedelta(days=1),
            cells,
            query.granularity,
        )
    if last_full < query.end:
        edge_query = replace(query, granularity="month")
        _collect(
            session,
            edge_query,
            _rollup_source(edge_query),
            last_full + timedelta(days=1),
            query.end,
            cells,
            query.granularity,
        )
    return cells


def _monthly_source(query: ReportQuery):
    r = t.revenue_monthly
    measures = {
        name: func.sum(r.c[name]) if name in COUNTS else sum_amount(r.c[name]) for name in MEASURES
    }
    bucket = r.c.quarter if query.granularity == "quarter" else r.c.month
    return r, measures, bucket, r.c.month, r.c.key, [r.c.dim == query.dimension]


def _collect(session, query, parts, start, end, cells, granularity=None) -> None:
    source, measures, bucket, day, key, conditions = parts
    selected = [bucket.label("bucket"), nz(key).label("key")]
    selected += [expression.label(name) for name, expression in measures.items()]
    statement = (
        select(*selected)
        .select_from(source)
        .where(day >= start, day <= end, *conditions)
        .group_by(bucket, nz(key))
    )
    fold_to = granularity or query.granularity
    for count, row in enumerate(session.execute(statement), start=1):
        if count > MAX_GROUPS:
            raise InvalidQuery(
                "dimension",
                "Too many groups for one report; filter, shorten the period or use a coarser "
                "granularity.",
            )
        cell = cells[(fold_period(row.bucket, fold_to), row.key)]
        for name in MEASURES:
            cell[name] += getattr(row, name)


def report(session: Session, query: ReportQuery, currency: str) -> Report:
    cells = revenue_cells(session, query)
    metric = query.metric or "net"
    names = lb.labels(session, query.dimension, {key for _, key in cells})
    if query.dimension == "total":
        for period in all_periods(query):
            cells.setdefault((period, ""), dict.fromkeys(MEASURES, 0))
    key_totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for (_, key), cell in cells.items():
        key_totals[key] += Decimal(cell[metric])
    rows = []
    for (period, key), cell in sorted(
        cells.items(), key=lambda item: (item[0][0], -key_totals[item[0][1]], item[0][1])
    ):
        rows.append(
            {
                **period_cells(period, query.granularity),
                "key": key,
                "label": names.get(key, lb.NONE_LABEL),
                **{name: int(cell[name]) for name in COUNTS},
                "units": plain(cell["units"]),
                **{name: money(cell[name]) for name in ("booked", "gross", "returns", "net")},
                "average_order_value": per(cell["net"], cell["paid_orders"]),
                "return_rate": ratio(cell["returns"], cell["gross"]),
            }
        )
    totals = dict.fromkeys(MEASURES, 0)
    for cell in cells.values():
        for name in MEASURES:
            totals[name] += cell[name]
    totals_out = {
        **{name: int(totals[name]) for name in COUNTS},
        "units": plain(totals["units"]),
        **{name: money(totals[name]) for name in ("booked", "gross", "returns", "net")},
        "average_order_value": per(totals["net"], totals["paid_orders"]),
        "return_rate": ratio(totals["returns"], totals["gross"]),
    }
    columns = [
        *period_columns(),
        Column("key", query.dimension, "id"),
        Column("label", query.dimension.replace("_", " ").capitalize(), "text"),
        Column("orders", "Orders", "count"),
        Column("cancelled", "Cancelled orders", "count"),
        Column("paid_orders", "Paid orders", "count"),
        Column("units", "Units", "number"),
        Column("booked", f"Booked ({currency})", "money"),
        Column("gross", f"Gross revenue ({currency})", "money"),
        Column("returns", f"Returns ({currency})", "money"),
        Column("net", f"Net revenue ({currency})", "money"),
        Column("average_order_value", f"Average order value ({currency})", "money"),
        Column("return_rate", "Return rate", "ratio"),
    ]
    title = f"{METRICS[metric]} by {query.dimension.replace('_', ' ')}"
    if query.dimension == "total":
        title = f"{METRICS[metric]} and orders"
    return Report(
        name="revenue",
        title=f"{title}, {query.granularity}ly",
        query=query,
        currency=currency,
        columns=columns,
        rows=rows,
        totals=totals_out,
        chart=_chart(query, cells, names, metric, currency, key_totals, title),
        notes=__doc__.split("\n\n", 1)[1].replace("\n", " ").strip(),
    )


def _chart(query, cells, names, metric, currency, key_totals, title) -> Chart:
    periods = all_periods(query)
    categories = [chart_label(p, query.granularity) for p in periods]
    index = {p: i for i, p in enumerate(periods)}
    is_money = metric not in ("orders", "paid_orders", "units")
    unit = f" ({currency})" if is_money else ""
    if query.dimension == "total":
        values = [0.0] * len(periods)
        orders = [0.0] * len(periods)
        for (period, _), cell in cells.items():
            if period in index:
                values[index[period]] += float(cell[metric])
                orders[index[period]] += float(cell["orders"])
        series = [Series(METRICS[metric], values, "left", "bar")]
        if metric not in ("orders",):
            series.append(Series("Orders", orders, "right", "line"))
        return Chart(
            kind="categorical",
            title=f"{title}, {query.granularity}ly",
            categories=categories,
            series=series,
            y_label=f"{METRICS[metric]}{unit}",
            y_format="money" if is_money else "count",
            y2_label="Orders",
            y2_format="count",
            x_label=query.granularity.capitalize(),
        )
    chosen = top_keys(key_totals, query.top)
    series_values: dict[str, list[float]] = {k: [0.0] * len(periods) for k in chosen}
    other = [0.0] * len(periods)
    for (period, key), cell in cells.items():
        if period not in index:
            continue
        target = series_values.get(key, other)
        target[index[period]] += float(cell[metric])
    series = [Series(names.get(k, lb.NONE_LABEL), series_values[k]) for k in chosen]
    if any(other):
        series.append(Series("Other", other))
    many = len(periods) > 24
    for s in series:
        s.style = "line" if many else "bar"
    return Chart(
        kind="categorical",
        title=f"{title}, {query.granularity}ly",
        categories=categories,
        series=series,
        y_label=f"{METRICS[metric]}{unit}",
        y_format="money" if is_money else "count",
        x_label=query.granularity.capitalize(),
        stacked=not many,
        note=f"Top {len(chosen)} by {METRICS[metric].lower()}"
        if len(key_totals) > len(chosen)
        else "",
    )
