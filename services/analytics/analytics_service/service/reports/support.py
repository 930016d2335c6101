"""Support: ticket volume, response and resolution times, SLA compliance; CSAT and NPS.

Tickets count in the period they were opened (duplicates merged into another ticket are left
out). Times are business hours as support measures them (its calendars, pauses excluded).
SLA compliance = targets met / targets that applied (first response, resolution); ``breached``
counts tickets with any SLA breach, also those not resolved yet.

Satisfaction counts answers in the period they were given: CSAT = share of satisfied answers
(4-5 of 5) and the average score; NPS = % promoters (9-10) - % detractors (0-6), from support's
NPS surveys and market research's NPS questions (``source``).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import and_, case, exists, func, select, true
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
    all_periods,
    as_float,
    chart_label,
    fold_period,
    hours,
    nz,
    period_cells,
    period_columns,
    ratio,
    stored_granularity,
    top_keys,
)

DIMENSIONS = (
    "total",
    "channel",
    "priority",
    "category",
    "group",
    "agent",
    "policy",
    "origin",
    "root_cause",
)
FILTERS = ("channel", "priority", "category", "group", "agent")
SATISFACTION_DIMENSIONS = ("total", "agent", "group", "source")
SATISFACTION_FILTERS = ("agent", "group", "source")
TICKET_MEASURES = (
    "opened",
    "resolved",
    "unresolved",
    "reopened",
    "breached",
    "fr_count",
    "fr_seconds",
    "res_count",
    "res_seconds",
    "fr_met",
    "fr_due",
    "res_met",
    "res_due",
)


def _ticket_columns():
    k = t.tickets.c
    return {
        "total": EMPTY,
        "channel": k.channel,
        "priority": k.priority,
        "category": k.category,
        "group": k.group_id,
        "agent": k.agent_id,
        "policy": k.policy_id,
        "origin": k.origin,
        "root_cause": k.root_cause_category,
    }


def report(session: Session, query: ReportQuery, currency: str) -> Report:
    k = t.tickets.c
    columns = _ticket_columns()
    bucket = k[f"opened_{stored_granularity(query.granularity)}"]
    key = nz(columns[query.dimension])
    breached = exists().where(t.sla_breaches.c.ticket_id == k.ticket_id)
    resolved = k.resolved_at.is_not(None)
    statement = (
        select(
            bucket.label("bucket"),
            key.label("key"),
            func.count().label("opened"),
            func.sum(case((resolved, 1), else_=0)).label("resolved"),
            func.sum(case((resolved, 0), else_=1)).label("unresolved"),
            func.sum(case((k.reopened_count > 0, 1), else_=0)).label("reopened"),
            func.sum(case((breached, 1), else_=0)).label("breached"),
            func.count(k.first_response_seconds).label("fr_count"),
            func.sum(k.first_response_seconds).label("fr_seconds"),
            func.count(case((resolved, k.resolution_seconds))).label("res_count"),
            func.sum(case((resolved, k.resolution_seconds))).label("res_seconds"),
            func.sum(case((k.first_response_met.is_(True), 1), else_=0)).label("fr_met"),
            func.count(k.first_response_met).label("fr_due"),
            func.sum(case((k.resolution_met.is_(True), 1), else_=0)).label("res_met"),
            func.count(case((resolved, k.resolution_met))).label("res_due"),
        )
        .where(
            k.opened_day >= query.start,
            k.opened_day <= query.end,
            k.merged_into.is_(None),
            *[columns[name].in_(values) for name, values in query.filters.items()],
        )
        .group_by(bucket, key)
    )
    cells: dict[tuple, dict] = defaultdict(lambda: dict.fromkeys(TICKET_MEASURES, 0))
    for row in session.execute(statement):
        cell = cells[(fold_period(row.bucket, query.granularity), row.key)]
        for name in TICKET_MEASURES:
            cell[name] += int(getattr(row, name) or 0)
    if query.dimension == "total":
        for period in all_periods(query):
            cells.setdefault((period, ""), dict.fromkeys(TICKET_MEASURES, 0))
    names = lb.labels(session, query.dimension, {key for _, key in cells})
    volume: dict[str, int] = defaultdict(int)
    for (_, key_), cell in cells.items():
        volume[key_] += cell["opened"]
    rows = [
        {
            **period_cells(period, query.granularity),
            "key": key_,
            "label": names[key_],
            **_ticket_figures(cell),
        }
        for (period, key_), cell in sorted(
            cells.items(), key=lambda i: (i[0][0], -volume[i[0][1]], i[0][1])
        )
    ]
    totals = dict.fromkeys(TICKET_MEASURES, 0)
    for cell in cells.values():
        for name in TICKET_MEASURES:
            totals[name] += cell[name]
    returns = _returns(session, query)
    return Report(
        name="support",
        title="Support volume, response times and SLA compliance"
        + (f" by {query.dimension.replace('_', ' ')}" if query.dimension != "total" else ""),
        subtitle=f"Tickets opened {query.start} to {query.end}",
        query=query,
        currency=currency,
        columns=[
            *period_columns(),
            Column("key", query.dimension, "id"),
            Column("label", query.dimension.replace("_", " ").capitalize(), "text"),
            Column("opened", "Tickets opened", "count"),
            Column("resolved", "Resolved", "count"),
            Column("unresolved", "Not resolved yet", "count"),
            Column("reopened", "Reopened", "count"),
            Column("breached", "With an SLA breach", "count"),
            Column("average_first_response_hours", "Average first response (business h)", "hours"),
            Column("average_resolution_hours", "Average resolution (business h)", "hours"),
            Column("first_response_sla", "First response SLA met", "ratio"),
            Column("resolution_sla", "Resolution SLA met", "ratio"),
            Column("reopen_rate", "Reopen rate", "ratio"),
        ],
        rows=rows,
        totals={**_ticket_figures(totals), "returns": returns},
        chart=_chart(query, cells, names, volume),
        notes=__doc__.split("\n\n", 1)[1].split("\n\n")[0].replace("\n", " ").strip(),
        extra={"returns": returns},
    )


def _ticket_figures(cell: dict) -> dict:
    return {
        "opened": cell["opened"],
        "resolved": cell["resolved"],
        "unresolved": cell["unresolved"],
        "reopened": cell["reopened"],
        "breached": cell["breached"],
        "average_first_response_hours": hours(cell["fr_seconds"] / cell["fr_count"])
        if cell["fr_count"]
        else None,
        "average_resolution_hours": hours(cell["res_seconds"] / cell["res_count"])
        if cell["res_count"]
        else None,
        "first_response_sla": ratio(cell["fr_met"], cell["fr_due"]),
        "resolution_sla": ratio(cell["res_met"], cell["res_due"]),
        "reopen_rate": ratio(cell["reopened"], cell["resolved"]),
    }


def _returns(session: Session, query: ReportQuery) -> dict:
    rr = t.return_requests.c
    requested, approved, rejected = session.execute(
        select(
            func.count(),
            func.count(rr.approved_at),
            func.count(rr.rejected_at),
        ).where(rr.requested_day >= query.start, rr.requested_day <= query.end)
    ).one()
    return {
        "requested": requested,
        "approved": approved,
        "rejected": rejected,
        "approval_rate": ratio(approved, approved + rejected),
    }


def _chart(query, cells, names, volume) -> Chart:
    periods_list = all_periods(query)
    labels = [chart_label(p, query.granularity) for p in periods_list]
    index = {p: i for i, p in enumerate(periods_list)}
    if query.dimension == "total":
        opened = [0.0] * len(periods_list)
        fr = [None] * len(periods_list)
        res = [None] * len(periods_list)
        for (period, _), cell in cells.items():
            if period in index:
                i = index[period]
                opened[i] = float(cell["opened"])
                fr[i] = as_float(ratio(cell["fr_met"], cell["fr_due"]))
                res[i] = as_float(ratio(cell["res_met"], cell["res_due"]))
        series = [
            Series("Tickets opened", opened),
            Series("First response SLA met", fr, axis="right", style="line"),
            Series("Resolution SLA met", res, axis="right", style="line"),
        ]
        return Chart(
            kind="categorical",
            title=f"Tickets and SLA compliance, {query.granularity}ly",
            categories=labels,
            series=series,
            y_label="Tickets opened",
            y_format="count",
            y2_label="SLA targets met",
            y2_format="percent",
            x_label=query.granularity.capitalize(),
        )
    chosen = top_keys(volume, query.top)
    values = {k: [0.0] * len(periods_list) for k in chosen}
    other = [0.0] * len(periods_list)
    for (period, key), cell in cells.items():
        if period in index:
            values.get(key, other)[index[period]] += cell["opened"]
    series = [Series(names[k], values[k]) for k in chosen]
    if any(other):
        series.append(Series("Other", other))
    return Chart(
        kind="categorical",
        title=f"Tickets opened by {query.dimension.replace('_', ' ')}, {query.granularity}ly",
        categories=labels,
        series=series,
        y_label="Tickets opened",
        y_format="count",
        x_label=query.granularity.capitalize(),
        stacked=True,
    )


# -- satisfaction --------------------------------------------------------------------------------

SATISFACTION_MEASURES = (
    "csat",
    "csat_satisfied",
    "csat_score",
    "csat_scale",
    "nps",
    "promoters",
    "passives",
    "detractors",
    "support_answers",
)


def satisfaction(session: Session, query: ReportQuery, currency: str) -> Report:
    sr = t.survey_responses.c
    columns = {
        "total": EMPTY,
        "agent": sr.agent_id,
        "group": sr.group_id,
        "source": sr.source,
    }
    bucket = sr[f"answered_{stored_granularity(query.granularity)}"]
    key = nz(columns[query.dimension])
    is_csat = sr.kind == "csat"
    is_nps = sr.kind == "nps"
    statement = (
        select(
            bucket.label("bucket"),
            key.label("key"),
            func.sum(case((is_csat, 1), else_=0)).label("csat"),
            func.sum(case((and_(is_csat, sr.satisfied == true()), 1), else_=0)).label(
                "csat_satisfied"
            ),
            func.sum(case((is_csat, sr.score - sr.scale_min), else_=0)).label("csat_score"),
            func.sum(case((is_csat, sr.scale_max - sr.scale_min), else_=0)).label("csat_scale"),
            func.sum(case((is_nps, 1), else_=0)).label("nps"),
            func.sum(case((sr.nps_category == "promoter", 1), else_=0)).label("promoters"),
            func.sum(case((sr.nps_category == "passive", 1), else_=0)).label("passives"),
            func.sum(case((sr.nps_category == "detractor", 1), else_=0)).label("detractors"),
            func.sum(case((sr.source == "support", 1), else_=0)).label("support_answers"),
        )
        .where(
            sr.answered_day >= query.start,
            sr.answered_day <= query.end,
            sr.kind.is_not(None),
            *[columns[name].in_(values) for name, values in query.filters.items()],
        )
        .group_by(bucket, key)
    )
    cells: dict[tuple, dict] = defaultdict(lambda: dict.fromkeys(SATISFACTION_MEASURES, 0))
    for row in session.execute(statement):
        cell = cells[(fold_period(row.bucket, query.granularity), row.key)]
        for name in SATISFACTION_MEASURES:
            cell[name] += int(getattr(row, name) or 0)
    sent = _surveys_sent(session, query, columns)
    for cell_key, count in sent.items():
        cells.setdefault(cell_key, dict.fromkeys(SATISFACTION_MEASURES, 0))["sent"] = count
    if query.dimension == "total":
        for period in all_periods(query):
            cells.setdefault((period, ""), dict.fromkeys(SATISFACTION_MEASURES, 0))
    if query.dimension == "source":
        names = {
            k: {"support": "Support surveys", "research": "Market research"}.get(k, k)
            for _, k in cells
        }
    else:
        names = lb.labels(session, query.dimension, {k for _, k in cells})
    answers: dict[str, int] = defaultdict(int)
    for (_, k), cell in cells.items():
        answers[k] += cell["csat"] + cell["nps"]
    rows = [
        {
            **period_cells(period, query.granularity),
            "key": k,
            "label": names[k],
            **_satisfaction_figures(cell),
        }
        for (period, k), cell in sorted(
            cells.items(), key=lambda i: (i[0][0], -answers[i[0][1]], i[0][1])
        )
    ]
    totals = dict.fromkeys((*SATISFACTION_MEASURES, "sent"), 0)
    for cell in cells.values():
        for name in totals:
            totals[name] += cell.get(name, 0)
    return Report(
        name="satisfaction",
        title="Customer satisfaction: CSAT and NPS"
        + (f" by {query.dimension}" if query.dimension != "total" else "")
        + f", {query.granularity}ly",
        subtitle=f"Answers given {query.start} to {query.end}",
        query=query,
        currency=currency,
        columns=[
            *period_columns(),
            Column("key", query.dimension, "id"),
            Column("label", query.dimension.capitalize(), "text"),
            Column("surveys_sent", "Support surveys sent", "count"),
            Column("csat_answers", "CSAT answers", "count"),
            Column("csat", "CSAT (share satisfied)", "ratio"),
            Column("csat_average", "Average CSAT score (share of the scale)", "ratio"),
            Column("nps_answers", "NPS answers", "count"),
            Column("promoters", "Promoters", "count"),
            Column("passives", "Passives", "count"),
            Column("detractors", "Detractors", "count"),
            Column("nps", "NPS (-100 to 100)", "number"),
            Column("response_rate", "Response rate (support surveys)", "ratio"),
        ],
        rows=rows,
        totals=_satisfaction_figures(totals),
        chart=_satisfaction_chart(query, cells),
        notes=__doc__.split("\n\n")[2].replace("\n", " ").strip(),
    )


def _surveys_sent(session, query, columns) -> dict:
    sr = t.survey_responses.c
    bucket = sr[f"sent_{stored_granularity(query.granularity)}"]
    key = nz(columns[query.dimension])
    found = defaultdict(int)
    for period, k, count in session.execute(
        select(bucket, key, func.count())
        .where(
            sr.source == "support",
            sr.sent_day >= query.start,
            sr.sent_day <= query.end,
            *[columns[name].in_(values) for name, values in query.filters.items()],
        )
        .group_by(bucket, key)
    ):
        found[(fold_period(period, query.granularity), k)] += count
    return found


def _nps(cell: dict) -> Decimal | None:
    if not cell["nps"]:
        return None
    value = Decimal(100 * (cell["promoters"] - cell["detractors"])) / cell["nps"]
    return value.quantize(Decimal("0.1"))


def _satisfaction_figures(cell: dict) -> dict:
    return {
        "surveys_sent": cell.get("sent", 0),
        "csat_answers": cell["csat"],
        "csat": ratio(cell["csat_satisfied"], cell["csat"]),
        "csat_average": ratio(cell["csat_score"], cell["csat_scale"]),
        "nps_answers": cell["nps"],
        "promoters": cell["promoters"],
        "passives": cell["passives"],
        "detractors": cell["detractors"],
        "nps": _nps(cell),
        "response_rate": ratio(cell["support_answers"], cell.get("sent", 0)),
    }


def _satisfaction_chart(query, cells) -> Chart:
    periods_list = all_periods(query)
    labels = [chart_label(p, query.granularity) for p in periods_list]
    merged = {p: dict.fromkeys(SATISFACTION_MEASURES, 0) for p in periods_list}
    for (period, _), cell in cells.items():
        if period in merged:
            for name in SATISFACTION_MEASURES:
                merged[period][name] += cell[name]
    return Chart(
        kind="categorical",
        title=f"CSAT and NPS, {query.granularity}ly",
        categories=labels,
        series=[
            Series(
                "CSAT (share satisfied)",
                [as_float(ratio(c["csat_satisfied"], c["csat"])) for c in merged.values()],
                style="line",
            ),
            Series("NPS", [as_float(_nps(c)) for c in merged.values()], axis="right", style="line"),
        ],
        y_label="CSAT (share satisfied)",
        y_format="percent",
        y2_label="NPS (-100 to 100)",
        y2_format="number",
        x_label=query.granularity.capitalize(),
    )
