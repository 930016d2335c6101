"""Revenue forecast: monthly net revenue projected with Holt's linear trend and an interval,
beside the weighted open pipeline expected to close in each future month.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from analytics_service.adapters import tables as t
from analytics_service.domain import periods
from analytics_service.domain.errors import InvalidQuery
from analytics_service.domain.forecasting import holt
from analytics_service.domain.money import ZERO, q2
from analytics_service.service.reports.base import (
    Chart,
    Column,
    Report,
    ReportQuery,
    Series,
    as_float,
    chart_label,
    money,
    sum_amount,
)

METRICS = {"net": "Net revenue", "gross": "Gross revenue", "booked": "Booked revenue"}


def report(session: Session, query: ReportQuery, currency: str) -> Report:
    metric = query.metric or "net"
    horizon = int(query.options.get("horizon") or 6)
    level = int(query.options.get("level") or 80)
    first = periods.month_start(query.start)
    last = periods.month_start(query.end)
    r = t.revenue_daily.c
    found = dict(
        session.execute(
            select(r.month, sum_amount(r[metric]))
            .where(r.dim == "total", r.month >= first, r.month <= last)
            .group_by(r.month)
        ).all()
    )
    history_months = list(periods.buckets(first, last, "month"))
    history = [found.get(m, ZERO) for m in history_months]
    try:
        result = holt([float(v) for v in history], horizon, level)
    except ValueError:
        raise InvalidQuery(
            "from",
            "The forecast needs at least two months with revenue between 'from' and 'to'.",
        ) from None
    future = [periods.add_months(last, h) for h in range(1, horizon + 1)]
    o = t.opportunities.c
    pipeline = defaultdict(lambda: ZERO)
    for month, weighted in session.execute(
        select(o.expected_close_month, sum_amount(o.weighted_amount))
        .where(
            o.status == "open",
            o.expected_close_month >= future[0],
            o.expected_close_month <= future[-1],
        )
        .group_by(o.expected_close_month)
    ):
        pipeline[month] = weighted
    rows = [
        {
            "period": month,
            "period_label": periods.bucket_label(month, "month"),
            "kind": "actual",
            "actual": money(value),
            "forecast": None,
            "lower": None,
            "upper": None,
            "weighted_pipeline": None,
        }
        for month, value in zip(history_months, history, strict=True)
    ]
    for month, point, low, high in zip(
        future, result.points, result.lower, result.upper, strict=True
    ):
        rows.append(
            {
                "period": month,
                "period_label": periods.bucket_label(month, "month"),
                "kind": "forecast",
                "actual": None,
                "forecast": q2(Decimal(str(point))),
                "lower": q2(Decimal(str(low))),
                "upper": q2(Decimal(str(high))),
                "weighted_pipeline": money(pipeline.get(month, ZERO)),
            }
        )
    labels = [chart_label(row["period"], "month") for row in rows]
    n_hist = len(history_months)
    actual_series = [as_float(v) for v in history] + [None] * horizon
    forecast_series = [None] * (n_hist - 1) + [as_float(history[-1])] + result.points
    lower = [None] * n_hist + result.lower
    upper = [None] * n_hist + result.upper
    pipeline_series = [None] * n_hist + [as_float(pipeline.get(m, ZERO)) for m in future]
    method = {
        "method": result.method,
        "alpha": result.alpha,
        "beta": result.beta,
        "sigma": q2(Decimal(str(result.sigma))),
        "level": level,
        "history_months": result.history_used,
    }
    return Report(
        name="forecast",
        title=f"{METRICS[metric]} forecast, next {horizon} months",
        subtitle=(
            f"Holt linear trend (alpha {result.alpha}, beta {result.beta}), {level} % interval"
            if result.method == "holt_linear"
            else f"Mean of {result.history_used} months, {level} % interval"
        ),
        query=query,
        currency=currency,
        columns=[
            Column("period", "Month start", "date"),
            Column("period_label", "Month", "period"),
            Column("kind", "Actual or forecast", "text"),
            Column("actual", f"Actual ({currency})", "money"),
            Column("forecast", f"Forecast ({currency})", "money"),
            Column("lower", f"Lower bound ({currency})", "money"),
            Column("upper", f"Upper bound ({currency})", "money"),
            Column("weighted_pipeline", f"Weighted open pipeline ({currency})", "money"),
        ],
        rows=rows,
        chart=Chart(
            kind="forecast",
            title=f"{METRICS[metric]}: history and {horizon}-month forecast",
            categories=labels,
            series=[
                Series("Actual", actual_series, style="line"),
                Series("Forecast", forecast_series, style="line"),
                Series("Weighted pipeline", pipeline_series, style="bar"),
            ],
            band=(lower, upper),
            band_label=f"{level} % prediction interval",
            y_label=f"{METRICS[metric]} ({currency})",
            y_format="money",
            x_label="Month",
        ),
        notes=(
            "Holt's linear trend fitted to monthly net revenue (smoothing weights chosen by "
            "least squares on one-step errors); the interval is forecast +/- z * sigma_h from "
            "the one-step residuals (ETS(A,A,N) variance). Fewer than four months of history "
            "fall back to their mean. Weighted pipeline = open opportunities expected to close "
            "in the month x their probability."
        ),
        extra={"model": method},
    )
