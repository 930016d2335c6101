"""The sales funnel: leads -> qualified -> opportunity -> won, for the leads that entered it in
the period, with conversion rates and the time each step took.

A lead counts as qualified once it was qualified or converted (conversion implies qualification),
as an opportunity once converted, and as won when that opportunity was won. Times: lead created
-> qualified, qualified (or created, when it was converted directly) -> converted, and
opportunity created -> won, averaged over the leads that made the step.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from analytics_service.adapters import tables as t
from analytics_service.service.reports import labels as lb
from analytics_service.service.reports.base import (
    EMPTY,
    Chart,
    Column,
    Report,
    ReportQuery,
    Series,
    as_float,
    days,
    epoch_seconds,
    money,
    nz,
    ratio,
    sum_amount,
    top_keys,
)

DIMENSIONS = ("total", "source", "campaign", "rep", "team", "country", "region")
FILTERS = ("source", "campaign", "rep", "team", "country", "region")
STEPS = ("leads", "qualified", "opportunities", "won")


def report(session: Session, query: ReportQuery, currency: str) -> Report:
    ld, op = t.leads.c, t.opportunities.c
    columns = {
        "total": EMPTY,
        "source": ld.source,
        "campaign": ld.campaign_id,
        "rep": ld.owner_id,
        "team": ld.owner_team,
        "country": ld.country,
        "region": ld.region,
    }
    key = nz(columns[query.dimension])
    qualified = (ld.qualified_at.is_not(None)) | (ld.converted_at.is_not(None))
    converted = ld.converted_at.is_not(None)
    won = op.status == "won"
    epoch = lambda column: epoch_seconds(session, column)  # noqa: E731
    qualify_span = case(
        (ld.qualified_at.is_not(None), epoch(ld.qualified_at) - epoch(ld.created_at))
    )
    convert_span = case(
        (converted, epoch(ld.converted_at) - epoch(func.coalesce(ld.qualified_at, ld.created_at)))
    )
    win_span = case((won, epoch(op.closed_at) - epoch(op.created_at)))
    statement = (
        select(
            key.label("key"),
            func.count().label("leads"),
            func.sum(case((qualified, 1), else_=0)).label("qualified"),
            func.sum(case((converted, 1), else_=0)).label("opportunities"),
            func.sum(case((won, 1), else_=0)).label("won"),
            func.sum(case((ld.disqualified_at.is_not(None), 1), else_=0)).label("disqualified"),
            sum_amount(case((won, op.base_amount))).label("won_amount"),
            func.avg(qualify_span).label("qualify_seconds"),
            func.avg(convert_span).label("convert_seconds"),
            func.avg(win_span).label("win_seconds"),
        )
        .select_from(
            t.leads.outerjoin(t.opportunities, and_(op.opportunity_id == ld.opportunity_id))
        )
        .where(
            ld.created_day >= query.start,
            ld.created_day <= query.end,
            *[columns[name].in_(values) for name, values in query.filters.items()],
        )
        .group_by(key)
    )
    found = {r.key: r for r in session.execute(statement)}
    names = lb.labels(session, query.dimension, found)
    order = top_keys({k: r.leads for k, r in found.items()}, len(found))
    rows = [_row(k, names[k], r) for k, r in ((k, found[k]) for k in order)]
    totals = defaultdict(int)
    for r in found.values():
        for step in (*STEPS, "disqualified"):
            totals[step] += getattr(r, step) or 0
    totals_out = {
        **{step: totals[step] for step in (*STEPS, "disqualified")},
        "lead_to_qualified": ratio(totals["qualified"], totals["leads"]),
        "qualified_to_opportunity": ratio(totals["opportunities"], totals["qualified"]),
        "opportunity_to_won": ratio(totals["won"], totals["opportunities"]),
        "lead_to_won": ratio(totals["won"], totals["leads"]),
        "won_amount": money(sum((r.won_amount for r in found.values()), 0)),
    }
    if query.dimension == "total" or len(rows) <= 1:
        chart = Chart(
            kind="funnel",
            title="Lead funnel",
            categories=["Leads", "Qualified", "Opportunities", "Won"],
            series=[Series("Leads", [float(totals[s]) for s in STEPS])],
            y_format="count",
            note=f"Leads created {query.start} to {query.end}",
        )
    else:
        shown = rows[: query.top]
        chart = Chart(
            kind="categorical",
            title=f"Funnel conversion by {query.dimension}",
            categories=[r["label"] for r in shown],
            series=[
                Series("Lead to qualified", [as_float(r["lead_to_qualified"]) for r in shown]),
                Series(
                    "Qualified to opportunity",
                    [as_float(r["qualified_to_opportunity"]) for r in shown],
                ),
                Series("Opportunity to won", [as_float(r["opportunity_to_won"]) for r in shown]),
            ],
            y_label="Conversion rate",
            y_format="percent",
        )
    return Report(
        name="funnel",
        title="Lead to won funnel"
        + (f" by {query.dimension}" if query.dimension != "total" else ""),
        subtitle=f"Leads created {query.start} to {query.end}",
        query=query,
        currency=currency,
        columns=[
            Column("key", query.dimension, "id"),
            Column("label", query.dimension.capitalize(), "text"),
            Column("leads", "Leads", "count"),
            Column("qualified", "Qualified", "count"),
            Column("opportunities", "Opportunities", "count"),
            Column("won", "Won", "count"),
            Column("disqualified", "Disqualified", "count"),
            Column("lead_to_qualified", "Lead to qualified", "ratio"),
            Column("qualified_to_opportunity", "Qualified to opportunity", "ratio"),
            Column("opportunity_to_won", "Opportunity to won", "ratio"),
            Column("lead_to_won", "Lead to won", "ratio"),
            Column("won_amount", f"Won amount ({currency})", "money"),
            Column("days_to_qualify", "Average days lead to qualified", "days"),
            Column("days_to_convert", "Average days qualified to opportunity", "days"),
            Column("days_to_win", "Average days opportunity to won", "days"),
        ],
        rows=rows,
        totals=totals_out,
        chart=chart,
        notes=__doc__.split("\n\n", 1)[1].replace("\n", " ").strip(),
    )


def _row(key: str, label: str, r) -> dict:
    return {
        "key": key,
        "label": label,
        "leads": r.leads,
        "qualified": r.qualified or 0,
        "opportunities": r.opportunities or 0,
        "won": r.won or 0,
        "disqualified": r.disqualified or 0,
        "lead_to_qualified": ratio(r.qualified or 0, r.leads),
        "qualified_to_opportunity": ratio(r.opportunities or 0, r.qualified),
        "opportunity_to_won": ratio(r.won or 0, r.opportunities),
        "lead_to_won": ratio(r.won or 0, r.leads),
        "won_amount": money(r.won_amount),
        "days_to_qualify": days(r.qualify_seconds),
        "days_to_convert": days(r.convert_seconds),
        "days_to_win": days(r.win_seconds),
    }
