"""Email engagement by the day messages were sent, with people and machines apart.

Machine opens and clicks (mail privacy proxies prefetching images, security scanners following
links, as the campaign service flags them) are counted separately and never in the human rates.
Rates are per delivered message: ``open_rate`` = messages opened by a person / delivered,
``click_rate`` = clicked by a person / delivered, ``click_to_open`` = clicked / opened;
``machine_open_rate`` and ``machine_click_rate`` likewise for machines. Unsubscriptions are those
made in the period from the campaign's messages.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from analytics_service.adapters import tables as t
from analytics_service.projections.messages import ENGAGEMENT_MEASURES
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
    fold_period,
    nz,
    period_cells,
    period_columns,
    ratio,
    stored_granularity,
    top_keys,
)

DIMENSIONS = ("total", "campaign", "variant")
FILTERS = ("campaign", "variant")
RATES = {
    "open_rate": ("opened", "delivered"),
    "click_rate": ("clicked", "delivered"),
    "click_to_open": ("clicked", "opened"),
    "machine_open_rate": ("machine_opened", "delivered"),
    "machine_click_rate": ("machine_clicked", "delivered"),
    "bounce_rate": ("bounced", "sent"),
    "unsubscribe_rate": ("unsubscribed", "delivered"),
}


def report(session: Session, query: ReportQuery, currency: str) -> Report:
    e = t.engagement_daily.c
    bucket = e[
        "quarter" if query.granularity == "quarter" else stored_granularity(query.granularity)
    ]
    key = {"total": EMPTY, "campaign": e.campaign_id, "variant": e.variant_id}[query.dimension]
    conditions = [e.day >= query.start, e.day <= query.end]
    if "campaign" in query.filters:
        conditions.append(e.campaign_id.in_(query.filters["campaign"]))
    if "variant" in query.filters:
        conditions.append(e.variant_id.in_(query.filters["variant"]))
    key = nz(key)
    statement = (
        select(
            bucket.label("bucket"),
            key.label("key"),
            func.max(e.campaign_id).label("campaign_id"),
            *[func.sum(e[m]).label(m) for m in ENGAGEMENT_MEASURES],
        )
        .where(*conditions)
        .group_by(bucket, key)
    )
    cells: dict[tuple, dict] = defaultdict(
        lambda: dict.fromkeys((*ENGAGEMENT_MEASURES, "unsubscribed"), 0)
    )
    campaigns_seen = set()
    for row in session.execute(statement):
        cell = cells[(fold_period(row.bucket, query.granularity), row.key)]
        campaigns_seen.add(row.campaign_id)
        for m in ENGAGEMENT_MEASURES:
            cell[m] += int(getattr(row, m) or 0)
    _unsubscribes(session, query, cells)
    if query.dimension == "total":
        for period in all_periods(query):
            cells.setdefault((period, ""), dict.fromkeys((*ENGAGEMENT_MEASURES, "unsubscribed"), 0))
    if query.dimension == "variant":
        names = lb.variant_labels(session, campaigns_seen)
        names = {k: names.get(k) or lb.short_id(k) for _, k in cells}
    else:
        names = lb.labels(session, query.dimension, {k for _, k in cells})
    sent_by_key: dict[str, int] = defaultdict(int)
    for (_, k), cell in cells.items():
        sent_by_key[k] += cell["sent"]
    rows = []
    for (period, k), cell in sorted(
        cells.items(), key=lambda i: (i[0][0], -sent_by_key[i[0][1]], i[0][1])
    ):
        row = {**period_cells(period, query.granularity), "key": k, "label": names[k]}
        row.update({m: cell[m] for m in (*ENGAGEMENT_MEASURES, "unsubscribed")})
        row.update({name: ratio(cell[a], cell[b]) for name, (a, b) in RATES.items()})
        rows.append(row)
    totals = dict.fromkeys((*ENGAGEMENT_MEASURES, "unsubscribed"), 0)
    for cell in cells.values():
        for m in totals:
            totals[m] += cell[m]
    totals.update({name: ratio(totals[a], totals[b]) for name, (a, b) in RATES.items()})
    return Report(
        name="engagement",
        title="Email engagement"
        + (f" by {query.dimension}" if query.dimension != "total" else "")
        + f", {query.granularity}ly",
        subtitle="People and machines (privacy proxies, link scanners) counted apart",
        query=query,
        currency=currency,
        columns=[
            *period_columns(),
            Column("key", query.dimension, "id"),
            Column("label", query.dimension.capitalize(), "text"),
            Column("sent", "Sent", "count"),
            Column("delivered", "Delivered", "count"),
            Column("bounced", "Bounced", "count"),
            Column("hard_bounced", "Hard bounces", "count"),
            Column("opened", "Opened by a person", "count"),
            Column("machine_opened", "Opened by a machine", "count"),
            Column("clicked", "Clicked by a person", "count"),
            Column("machine_clicked", "Clicked by a machine", "count"),
            Column("opens", "Human opens (total)", "count"),
            Column("machine_opens", "Machine opens (total)", "count"),
            Column("clicks", "Human clicks (total)", "count"),
            Column("machine_clicks", "Machine clicks (total)", "count"),
            Column("unsubscribed", "Unsubscribed", "count"),
            Column("open_rate", "Open rate (people)", "ratio"),
            Column("click_rate", "Click rate (people)", "ratio"),
            Column("click_to_open", "Click-to-open (people)", "ratio"),
            Column("machine_open_rate", "Machine open rate", "ratio"),
            Column("machine_click_rate", "Machine click rate", "ratio"),
            Column("bounce_rate", "Bounce rate", "ratio"),
            Column("unsubscribe_rate", "Unsubscribe rate", "ratio"),
        ],
        rows=rows,
        totals=totals,
        chart=_chart(query, cells, names, sent_by_key),
        notes=__doc__.split("\n\n", 1)[1].replace("\n", " ").strip(),
    )


def _unsubscribes(session: Session, query: ReportQuery, cells) -> None:
    u, m = t.unsubscribes.c, t.messages.c
    bucket = u[f"at_{stored_granularity(query.granularity)}"]
    key = {"total": EMPTY, "campaign": u.campaign_id, "variant": m.variant_id}[query.dimension]
    source = t.unsubscribes.outerjoin(t.messages, m.message_id == u.message_id)
    conditions = [u.at_day >= query.start, u.at_day <= query.end, u.campaign_id.is_not(None)]
    if "campaign" in query.filters:
        conditions.append(u.campaign_id.in_(query.filters["campaign"]))
    if "variant" in query.filters:
        conditions.append(m.variant_id.in_(query.filters["variant"]))
    for period, k, count in session.execute(
        select(bucket, nz(key), func.count())
        .select_from(source)
        .where(*conditions)
        .group_by(bucket, nz(key))
    ):
        found = cells.get((fold_period(period, query.granularity), k))
        if found is None:
            found = cells[(fold_period(period, query.granularity), k)]
        found["unsubscribed"] += count


def _chart(query, cells, names, sent_by_key) -> Chart:
    if query.dimension == "total":
        periods_list = all_periods(query)
        labels = [chart_label(p, query.granularity) for p in periods_list]
        by_period = {p: cells.get((p, "")) for p in periods_list}

        def rate(name):
            a, b = RATES[name]
            return [as_float(ratio(c[a], c[b])) if c else None for c in by_period.values()]

        return Chart(
            kind="categorical",
            title=f"Email engagement, {query.granularity}ly",
            categories=labels,
            series=[
                Series(
                    "Delivered", [float(c["delivered"]) if c else 0.0 for c in by_period.values()]
                ),
                Series("Open rate (people)", rate("open_rate"), axis="right", style="line"),
                Series("Click rate (people)", rate("click_rate"), axis="right", style="line"),
                Series("Machine open rate", rate("machine_open_rate"), axis="right", style="line"),
            ],
            y_label="Messages delivered",
            y_format="count",
            y2_label="Rate (per delivered message)",
            y2_format="percent",
            x_label=query.granularity.capitalize(),
        )
    totals: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    for (_, k), cell in cells.items():
        for m, v in cell.items():
            totals[k][m] += v
    chosen = top_keys(sent_by_key, query.top)
    return Chart(
        kind="categorical",
        title=f"Engagement rates by {query.dimension}, {query.start} to {query.end}",
        categories=[names[k] for k in chosen],
        series=[
            Series(label, [as_float(ratio(totals[k][a], totals[k][b])) for k in chosen])
            for label, (a, b) in (
                ("Open rate (people)", RATES["open_rate"]),
                ("Click rate (people)", RATES["click_rate"]),
                ("Machine open rate", RATES["machine_open_rate"]),
                ("Machine click rate", RATES["machine_click_rate"]),
            )
        ],
        y_label="Rate (per delivered message)",
        y_format="percent",
    )
