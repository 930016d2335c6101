"""Customer value: RFM distribution, cohort retention, lifetime value, one customer's scores.

RFM and CLV come from the stored scores (the scoring job; domain/scores.py states the models);
cohorts come straight from the cohort cells the order projection keeps current.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from analytics_service.adapters import tables as t
from analytics_service.domain import periods
from analytics_service.domain.errors import NotFound
from analytics_service.domain.money import ZERO
from analytics_service.domain.scores import NO_PURCHASES, segment_of
from analytics_service.service.reports import labels as lb
from analytics_service.service.reports.base import (
    Chart,
    Column,
    Report,
    ReportQuery,
    Series,
    as_float,
    money,
    nz,
    per,
    ratio,
    sum_amount,
    top_keys,
)

RFM_DIMENSIONS = ("segment", "grid", "r", "f", "m")
CLV_DIMENSIONS = ("segment", "country", "cohort", "customer")
CUSTOMER_FILTERS = ("country", "rfm_segment", "segment")

s = t.customer_scores.c


def _scored(query: ReportQuery):
    """customer_scores joined to what the filters need, without no-purchase customers."""
    source = t.customer_scores.outerjoin(t.customers, t.customers.c.customer_id == s.customer_id)
    conditions = [s.segment != NO_PURCHASES]
    for name, values in query.filters.items():
        if name == "country":
            conditions.append(t.customers.c.country.in_(values))
        elif name == "rfm_segment":
            conditions.append(s.segment.in_(values))
        elif name == "segment":
            conditions.append(
                s.customer_id.in_(
                    select(t.segment_members.c.customer_id).where(
                        t.segment_members.c.segment_id.in_(values),
                        t.segment_members.c.member == true(),
                    )
                )
            )
    return source, conditions


def _population(query: ReportQuery):
    """FROM, WHERE, per-group measures and grouping keys over the scored customers.

    The scoring job's summary answers unless a customer-segment filter needs every customer.
    """
    if "segment" in query.filters:
        source, conditions = _scored(query)
        measures = {
            "customers": func.count(),
            "recency": func.sum(s.recency_days),
            "frequency": func.sum(s.frequency),
            "monetary": sum_amount(s.monetary),
            "historic": sum_amount(s.clv_historic),
            "predicted": sum_amount(s.clv_predicted),
            "aov": sum_amount(s.average_order_value),
            "churn": sum_amount(s.churn_risk),
        }
        keys = {
            "segment": s.segment,
            "r": s.r,
            "f": s.f,
            "m": s.m,
            "country": nz(t.customers.c.country),
            "cohort": s.first_order_day,
        }
        return source, conditions, measures, keys
    ss = t.score_summary.c
    conditions = []
    if "country" in query.filters:
        conditions.append(ss.country.in_(query.filters["country"]))
    if "rfm_segment" in query.filters:
        conditions.append(ss.segment.in_(query.filters["rfm_segment"]))
    measures = {
        "customers": func.sum(ss.customers),
        "recency": func.sum(ss.recency_days),
        "frequency": func.sum(ss.frequency),
        "monetary": sum_amount(ss.monetary),
        "historic": sum_amount(ss.clv_historic),
        "predicted": sum_amount(ss.clv_predicted),
        "aov": sum_amount(ss.average_order_value),
        "churn": sum_amount(ss.churn_risk),
    }
    keys = {
        "segment": ss.segment,
        "r": ss.r,
        "f": ss.f,
        "m": ss.m,
        "country": ss.country,
        "cohort": ss.cohort,
    }
    return t.score_summary, conditions, measures, keys


def _as_of(session: Session) -> date | None:
    return session.execute(select(func.max(s.as_of))).scalar()


# -- RFM -----------------------------------------------------------------------------------------


def rfm(session: Session, query: ReportQuery, currency: str) -> Report:
    source, conditions, measures, keys = _population(query)
    dimension = query.dimension
    if dimension == "grid":
        return _rfm_grid(session, query, currency, source, conditions, measures, keys)
    key = keys[dimension]
    rows_db = session.execute(
        select(
            key.label("key"),
            measures["customers"].label("customers"),
            measures["recency"].label("recency"),
            measures["frequency"].label("frequency"),
            measures["monetary"].label("monetary"),
            measures["predicted"].label("clv_predicted"),
            measures["churn"].label("churn"),
        )
        .select_from(source)
        .where(*conditions)
        .group_by(key)
    ).all()
    total_customers = sum(r.customers for r in rows_db)
    total_value = sum((r.monetary for r in rows_db), ZERO)
    if dimension == "segment":
        ordered = sorted(rows_db, key=lambda r: lb.RFM_ORDER.get(r.key, 99))
    else:
        ordered = sorted(rows_db, key=lambda r: -int(r.key))
    rows = []
    for r in ordered:
        label = (
            lb.RFM_LABELS.get(r.key, r.key)
            if dimension == "segment"
            else f"{dimension.upper()}={r.key}"
        )
        rows.append(
            {
                "key": str(r.key),
                "label": label,
                "customers": r.customers,
                "share": ratio(r.customers, total_customers),
                "average_recency_days": per(r.recency, r.customers),
                "average_frequency": per(r.frequency, r.customers),
                "average_monetary": per(r.monetary, r.customers),
                "monetary": money(r.monetary),
                "revenue_share": ratio(r.monetary, total_value),
                "average_clv_predicted": per(r.clv_predicted, r.customers),
                "average_churn_risk": ratio(r.churn, r.customers),
            }
        )
    columns = [
        Column("key", dimension, "id"),
        Column("label", "Segment" if dimension == "segment" else "Score", "text"),
        Column("customers", "Customers", "count"),
        Column("share", "Share of customers", "ratio"),
        Column("average_recency_days", "Average days since last purchase", "days"),
        Column("average_frequency", "Average purchases", "number"),
        Column("average_monetary", f"Average net revenue ({currency})", "money"),
        Column("monetary", f"Net revenue ({currency})", "money"),
        Column("revenue_share", "Share of revenue", "ratio"),
        Column("average_clv_predicted", f"Average predicted CLV ({currency})", "money"),
        Column("average_churn_risk", "Average churn risk", "ratio"),
    ]
    as_of = _as_of(session)
    title = (
        "Customers by RFM segment"
        if dimension == "segment"
        else f"Customers by {dimension.upper()} score"
    )
    return Report(
        name="rfm",
        title=title,
        subtitle=f"Scores as of {as_of}" if as_of else "Not scored yet",
        query=query,
        currency=currency,
        columns=columns,
        rows=rows,
        totals={"customers": total_customers, "monetary": money(total_value)},
        chart=Chart(
            kind="hbars" if dimension == "segment" else "categorical",
            title=title,
            categories=[r["label"] for r in rows],
            series=[Series("Customers", [float(r["customers"]) for r in rows])],
            y_label="Customers",
            y_format="count",
            note=f"Scores as of {as_of}" if as_of else "",
        ),
        notes="RFM quintiles over paid orders net of returns and cancellations: 5 is best. "
        "See GET /api/v1/analytics/reports for the model.",
        extra={"as_of": as_of},
    )


def _rfm_grid(session, query, currency, source, conditions, measures, keys) -> Report:
    found = session.execute(
        select(
            keys["r"].label("r"),
            keys["f"].label("f"),
            measures["customers"].label("customers"),
            measures["monetary"].label("monetary"),
        )
        .select_from(source)
        .where(*conditions)
        .group_by(keys["r"], keys["f"])
    ).all()
    cells = {(r.r, r.f): r for r in found}
    rows, matrix = [], []
    for r in range(5, 0, -1):
        line = []
        for f in range(1, 6):
            cell = cells.get((r, f))
            customers = cell.customers if cell else 0
            line.append(float(customers))
            rows.append(
                {
                    "r": r,
                    "f": f,
                    "segment": segment_of(r, f),
                    "customers": customers,
                    "monetary": money(cell.monetary if cell else 0),
                    "average_monetary": per(cell.monetary, customers) if cell else None,
                }
            )
        matrix.append(line)
    as_of = _as_of(session)
    return Report(
        name="rfm",
        title="Customers by recency and frequency score",
        subtitle=f"Scores as of {as_of}" if as_of else "Not scored yet",
        query=query,
        currency=currency,
        columns=[
            Column("r", "Recency score", "number"),
            Column("f", "Frequency score", "number"),
            Column("segment", "Segment", "text"),
            Column("customers", "Customers", "count"),
            Column("monetary", f"Net revenue ({currency})", "money"),
            Column("average_monetary", f"Average net revenue ({currency})", "money"),
        ],
        rows=rows,
        totals={"customers": sum(r["customers"] for r in rows)},
        chart=Chart(
            kind="heatmap",
            title="Customers by recency (rows) and frequency (columns) score",
            categories=[f"F{f}" for f in range(1, 6)],
            row_labels=[f"R{r}" for r in range(5, 0, -1)],
            matrix=matrix,
            y_label="Recency score",
            x_label="Frequency score",
            y_format="count",
        ),
        extra={"as_of": as_of},
    )


# -- cohorts -------------------------------------------------------------------------------------


def cohorts(session: Session, query: ReportQuery, currency: str) -> Report:
    months = int(query.options.get("months") or 12)
    first = periods.month_start(query.start)
    last = periods.month_start(query.end)
    c = t.cohort_cells.c
    found = session.execute(
        select(c.cohort, c.month, c.customers, c.revenue)
        .where(c.cohort >= first, c.cohort <= last)
        .order_by(c.cohort, c.month)
    ).all()
    by_cohort: dict[date, dict[int, tuple[int, Decimal]]] = defaultdict(dict)
    for row in found:
        offset = periods.months_between(row.cohort, row.month)
        if 0 <= offset <= months:
            by_cohort[row.cohort][offset] = (row.customers, row.revenue)
    rows, matrix, row_labels = [], [], []
    for cohort in sorted(by_cohort):
        cells = by_cohort[cohort]
        size = cells.get(0, (0, ZERO))[0]
        cumulative = ZERO
        line: list[float | None] = []
        for offset in range(months + 1):
            month = periods.add_months(cohort, offset)
            if month > periods.month_start(query.options.get("today") or date.max):
                line.append(None)
                continue
            customers, revenue = cells.get(offset, (0, ZERO))
            cumulative += revenue
            retention = ratio(customers, size)
            line.append(as_float(retention))
            rows.append(
                {
                    "cohort": cohort,
                    "cohort_label": periods.bucket_label(cohort, "month"),
                    "cohort_size": size,
                    "month_offset": offset,
                    "month": month,
                    "customers": customers,
                    "retention": retention,
                    "revenue": money(revenue),
                    "cumulative_revenue_per_customer": per(cumulative, size),
                }
            )
        matrix.append(line)
        row_labels.append(f"{periods.bucket_label(cohort, 'month')} ({size})")
    later = [v for line in matrix for v in line[1:] if v is not None]
    return Report(
        name="cohorts",
        title="Cohort retention by first-purchase month",
        query=query,
        currency=currency,
        columns=[
            Column("cohort", "Cohort (first purchase month)", "date"),
            Column("cohort_label", "Cohort", "period"),
            Column("cohort_size", "Customers in cohort", "count"),
            Column("month_offset", "Months since first purchase", "number"),
            Column("month", "Month", "date"),
            Column("customers", "Customers buying", "count"),
            Column("retention", "Retention", "ratio"),
            Column("revenue", f"Net revenue ({currency})", "money"),
            Column(
                "cumulative_revenue_per_customer",
                f"Cumulative net revenue per customer ({currency})",
                "money",
            ),
        ],
        rows=rows,
        chart=Chart(
            kind="heatmap",
            title="Share of each cohort buying again, by months since first purchase",
            categories=[str(m) for m in range(months + 1)],
            row_labels=row_labels,
            matrix=matrix,
            x_label="Months since first purchase",
            y_label="Cohort (customers)",
            y_format="percent",
            # month 0 is always 100 %: scale the colours to the months that tell something
            scale_max=max([*later, 0.05]),
        ),
        notes="A customer belongs to the month of their first paid, uncancelled purchase; month "
        "0 is that month (100 %). Retention is the share of the cohort with a purchase in the "
        "month; revenue is net of returns.",
    )


# -- CLV -----------------------------------------------------------------------------------------


def clv(session: Session, query: ReportQuery, currency: str) -> Report:
    if query.dimension == "customer":
        source, conditions = _scored(query)
        return _top_customers(session, query, currency, source, conditions)
    source, conditions, measures, keys = _population(query)
    key = keys[query.dimension]
    found = session.execute(
        select(
            key.label("key"),
            measures["customers"].label("customers"),
            measures["historic"].label("historic"),
            measures["predicted"].label("predicted"),
            measures["aov"].label("aov"),
            measures["churn"].label("churn"),
        )
        .select_from(source)
        .where(*conditions)
        .group_by(key)
    ).all()
    groups: dict[str, list] = defaultdict(lambda: [0, ZERO, ZERO, ZERO, ZERO])
    for r in found:
        group = r.key
        if query.dimension == "cohort":
            group = periods.bucket_label(r.key, "month") if r.key else ""
        cell = groups[str(group or "")]
        cell[0] += r.customers
        cell[1] += r.historic
        cell[2] += r.predicted
        cell[3] += r.aov
        cell[4] += r.churn
    if query.dimension == "segment":
        names = {k: lb.RFM_LABELS.get(k, k) for k in groups}
        order = sorted(groups, key=lambda k: lb.RFM_ORDER.get(k, 99))
    elif query.dimension == "cohort":
        names = {k: k or lb.NONE_LABEL for k in groups}
        order = sorted(groups)
    else:
        names = {k: k or lb.NONE_LABEL for k in groups}
        order = top_keys({k: v[2] for k, v in groups.items()}, len(groups))
    rows = [
        {
            "key": k,
            "label": names[k],
            "customers": groups[k][0],
            "clv_historic": money(groups[k][1]),
            "clv_predicted": money(groups[k][2]),
            "average_clv_historic": per(groups[k][1], groups[k][0]),
            "average_clv_predicted": per(groups[k][2], groups[k][0]),
            "average_order_value": per(groups[k][3], groups[k][0]),
            "average_churn_risk": ratio(groups[k][4], groups[k][0]),
        }
        for k in order
    ]
    shown = rows if query.dimension != "country" else rows[: query.top]
    as_of = _as_of(session)
    by = "RFM segment" if query.dimension == "segment" else query.dimension
    title = f"Customer lifetime value by {by}"
    return Report(
        name="clv",
        title=title,
        query=query,
        currency=currency,
        columns=[
            Column("key", query.dimension, "id"),
            Column("label", query.dimension.capitalize(), "text"),
            Column("customers", "Customers", "count"),
            Column("clv_historic", f"Historic CLV ({currency})", "money"),
            Column("clv_predicted", f"Predicted CLV ({currency})", "money"),
            Column("average_clv_historic", f"Average historic CLV ({currency})", "money"),
            Column("average_clv_predicted", f"Average predicted CLV ({currency})", "money"),
            Column("average_order_value", f"Average order value ({currency})", "money"),
            Column("average_churn_risk", "Average churn risk", "ratio"),
        ],
        rows=rows,
        totals={
            "customers": sum(r["customers"] for r in rows),
            "clv_historic": money(sum((g[1] for g in groups.values()), ZERO)),
            "clv_predicted": money(sum((g[2] for g in groups.values()), ZERO)),
        },
        chart=Chart(
            kind="categorical",
            title=f"Average {title[0].lower()}{title[1:]}",
            categories=[r["label"] for r in shown],
            series=[
                Series("Historic", [as_float(r["average_clv_historic"]) for r in shown]),
                Series("Predicted", [as_float(r["average_clv_predicted"]) for r in shown]),
            ],
            y_label=f"Average CLV per customer ({currency})",
            y_format="money",
        ),
        notes="Historic CLV is net revenue so far; predicted CLV adds the expected value of the "
        "coming horizon (average order value x expected purchases x (1 - churn risk)).",
        subtitle=f"Scores as of {as_of}" if as_of else "Not scored yet",
        extra={"as_of": as_of},
    )


def _top_customers(session, query, currency, source, conditions) -> Report:
    limit = int(query.options.get("limit") or 50)
    found = session.execute(
        select(
            s.customer_id,
            t.customers.c.name,
            t.customers.c.country,
            s.segment,
            s.frequency,
            s.last_order_day,
            s.clv_historic,
            s.clv_predicted,
            s.churn_risk,
        )
        .select_from(source)
        .where(*conditions)
        .order_by(s.clv_predicted.desc(), s.customer_id)
        .limit(limit)
    ).all()
    rows = [
        {
            "key": r.customer_id,
            "label": r.name or r.customer_id[:8],
            "country": r.country,
            "segment": r.segment,
            "purchases": r.frequency,
            "last_order_day": r.last_order_day,
            "clv_historic": money(r.clv_historic),
            "clv_predicted": money(r.clv_predicted),
            "churn_risk": r.churn_risk.quantize(Decimal("0.01")),
        }
        for r in found
    ]
    shown = rows[: query.top]
    as_of = _as_of(session)
    return Report(
        name="clv",
        title=f"Top {len(rows)} customers by predicted lifetime value",
        subtitle=f"Scores as of {as_of}" if as_of else "Not scored yet",
        extra={"as_of": as_of},
        query=query,
        currency=currency,
        columns=[
            Column("key", "Customer id", "id"),
            Column("label", "Customer", "text"),
            Column("country", "Country", "text"),
            Column("segment", "RFM segment", "text"),
            Column("purchases", "Purchases", "count"),
            Column("last_order_day", "Last purchase", "date"),
            Column("clv_historic", f"Historic CLV ({currency})", "money"),
            Column("clv_predicted", f"Predicted CLV ({currency})", "money"),
            Column("churn_risk", "Churn risk", "ratio"),
        ],
        rows=rows,
        chart=Chart(
            kind="hbars",
            title=f"Top {len(shown)} customers by predicted lifetime value",
            categories=[r["label"] for r in shown],
            series=[
                Series("Historic", [as_float(r["clv_historic"]) for r in shown]),
                Series("Predicted", [as_float(r["clv_predicted"]) for r in shown]),
            ],
            y_label=f"CLV ({currency})",
            y_format="money",
        ),
    )


# -- one customer --------------------------------------------------------------------------------


def customer_scores(session: Session, customer_id: str, currency: str) -> dict:
    """Everything analytics knows of one customer's value (the customer 360 shows it)."""
    alias = session.execute(
        select(t.customer_aliases.c.survivor_id).where(
            t.customer_aliases.c.merged_id == customer_id
        )
    ).scalar()
    resolved = alias or customer_id
    customer = session.execute(
        select(t.customers).where(t.customers.c.customer_id == customer_id)
    ).first()
    sales = session.execute(
        select(t.customer_sales).where(t.customer_sales.c.customer_id == resolved)
    ).first()
    score = session.execute(
        select(t.customer_scores).where(t.customer_scores.c.customer_id == resolved)
    ).first()
    if customer is None and sales is None and score is None:
        raise NotFound(f"analytics knows nothing about customer {customer_id}")
    if customer is not None and customer.status == "erased":
        raise NotFound(f"customer {customer_id} was erased")
    body = {
        "customer_id": customer_id,
        "scored_customer_id": resolved,
        "currency": currency,
        "purchases": {
            "orders": sales.orders if sales else 0,
            "net_revenue": money(sales.net if sales else 0),
            "first_order_day": sales.first_day if sales else None,
            "last_order_day": sales.last_day if sales else None,
            "cohort": periods.bucket_label(sales.first_day, "month")
            if sales and sales.first_day
            else None,
        },
        "scores": None,
    }
    if score is not None:
        body["scores"] = {
            "as_of": score.as_of,
            "computed_at": score.computed_at,
            "rfm": {
                "recency": score.r,
                "frequency": score.f,
                "monetary": score.m,
                "score": score.score,
                "segment": score.segment,
                "segment_label": lb.RFM_LABELS.get(score.segment, score.segment),
                "recency_days": score.recency_days,
                "purchases": score.frequency,
                "net_revenue": money(score.monetary),
            },
            "average_order_value": money(score.average_order_value),
            "clv_historic": {"amount": money(score.clv_historic), "currency": currency},
            "clv_predicted": {"amount": money(score.clv_predicted), "currency": currency},
            "churn_risk": score.churn_risk.quantize(Decimal("0.01")),
        }
    return body
