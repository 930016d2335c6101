"""Every report: its path, what it computes, and which parameters it takes.

The API builds each endpoint's query-string schema from this table, and GET
/api/v1/analytics/reports lists it for clients that discover reports at run time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from analytics_service.domain import forecasting, periods
from analytics_service.service.reports import (
    campaigns,
    contracts,
    customers,
    engagement,
    forecast,
    funnel,
    pipeline,
    reps,
    revenue,
    support,
)

ALL_GRANULARITIES = ("day", "week", "month", "quarter", "year")


def last_twelve_months(today: date) -> tuple[date, date]:
    return periods.add_months(periods.month_start(today), -11), today


def next_six_months(today: date) -> tuple[date, date]:
    start = periods.month_start(today)
    return start, periods.add_months(start, 6) - timedelta(days=1)


def last_two_years_complete(today: date) -> tuple[date, date]:
    this_month = periods.month_start(today)
    return periods.add_months(this_month, -24), this_month - timedelta(days=1)


@dataclass(frozen=True)
class Option:
    """A report-specific parameter: kind is date | int | choice."""

    name: str
    kind: str
    description: str
    default: object = None
    choices: tuple = ()
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class ReportSpec:
    name: str
    path: str
    title: str
    description: str
    run: Callable
    dimensions: tuple[str, ...]
    filters: tuple[str, ...] = ()
    id_filters: tuple[str, ...] = ()
    granularities: tuple[str, ...] = ()
    default_granularity: str | None = None
    metrics: tuple[str, ...] = ()
    period: Callable[[date], tuple[date, date]] | None = last_twelve_months
    options: tuple[Option, ...] = field(default_factory=tuple)

    @property
    def default_dimension(self) -> str:
        return self.dimensions[0]


REPORTS: tuple[ReportSpec, ...] = (
    ReportSpec(
        name="revenue",
        path="/revenue",
        title="Revenue and order volume",
        description=revenue.__doc__,
        run=revenue.report,
        dimensions=revenue.DIMENSIONS,
        filters=revenue.FILTERS,
        id_filters=revenue.ID_FILTERS,
        granularities=ALL_GRANULARITIES,
        default_granularity="month",
        metrics=tuple(revenue.METRICS),
    ),
    ReportSpec(
        name="pipeline",
        path="/pipeline",
        title="Pipeline snapshot",
        description=pipeline.__doc__,
        run=pipeline.snapshot,
        dimensions=pipeline.DIMENSIONS,
        filters=pipeline.FILTERS,
        id_filters=("pipeline", "rep"),
        period=None,
        options=(Option("as_of", "date", "The day of the snapshot (default today)."),),
    ),
    ReportSpec(
        name="pipeline_forecast",
        path="/pipeline/forecast",
        title="Weighted pipeline forecast",
        description=pipeline.__doc__,
        run=pipeline.forecast,
        dimensions=pipeline.FORECAST_DIMENSIONS,
        filters=pipeline.FILTERS,
        id_filters=("pipeline", "rep"),
        granularities=("week", "month", "quarter"),
        default_granularity="month",
        period=next_six_months,
    ),
    ReportSpec(
        name="pipeline_stages",
        path="/pipeline/stages",
        title="Time in pipeline stages",
        description=pipeline.__doc__,
        run=pipeline.stages,
        dimensions=("stage",),
        filters=pipeline.FILTERS,
        id_filters=("pipeline", "rep"),
    ),
    ReportSpec(
        name="funnel",
        path="/funnel",
        title="Lead to won funnel",
        description=funnel.__doc__,
        run=funnel.report,
        dimensions=funnel.DIMENSIONS,
        filters=funnel.FILTERS,
        id_filters=("campaign", "rep"),
    ),
    ReportSpec(
        name="reps",
        path="/reps",
        title="Rep performance against targets",
        description=reps.__doc__,
        run=reps.report,
        dimensions=reps.DIMENSIONS,
        filters=reps.FILTERS,
        id_filters=("rep",),
        granularities=reps.GRANULARITIES,
        default_granularity="month",
        metrics=reps.METRICS,
    ),
    ReportSpec(
        name="contracts",
        path="/contracts",
        title="Contract value signed, renewed and under contract",
        description=contracts.__doc__,
        run=contracts.report,
        dimensions=contracts.DIMENSIONS,
        filters=contracts.FILTERS,
        id_filters=("rep",),
        granularities=contracts.GRANULARITIES,
        default_granularity="month",
    ),
    ReportSpec(
        name="campaigns",
        path="/campaigns",
        title="Campaign spend, attributed revenue and ROI",
        description=campaigns.__doc__,
        run=campaigns.report,
        dimensions=campaigns.DIMENSIONS,
        filters=campaigns.FILTERS,
        id_filters=("campaign",),
        options=(
            Option(
                "model",
                "choice",
                "Attribution model for ROAS, cost per order and the chart.",
                "last_touch",
                campaigns.MODELS,
            ),
        ),
    ),
    ReportSpec(
        name="engagement",
        path="/engagement",
        title="Email engagement, people and machines apart",
        description=engagement.__doc__,
        run=engagement.report,
        dimensions=engagement.DIMENSIONS,
        filters=engagement.FILTERS,
        id_filters=("campaign", "variant"),
        granularities=ALL_GRANULARITIES,
        default_granularity="month",
    ),
    ReportSpec(
        name="support",
        path="/support",
        title="Support volume, response and resolution times, SLA compliance",
        description=support.__doc__,
        run=support.report,
        dimensions=support.DIMENSIONS,
        filters=support.FILTERS,
        id_filters=("group", "agent"),
        granularities=ALL_GRANULARITIES,
        default_granularity="month",
    ),
    ReportSpec(
        name="satisfaction",
        path="/satisfaction",
        title="CSAT and NPS trends",
        description=support.__doc__,
        run=support.satisfaction,
        dimensions=support.SATISFACTION_DIMENSIONS,
        filters=support.SATISFACTION_FILTERS,
        id_filters=("group", "agent"),
        granularities=ALL_GRANULARITIES,
        default_granularity="month",
    ),
    ReportSpec(
        name="rfm",
        path="/rfm",
        title="RFM distribution",
        description=customers.__doc__,
        run=customers.rfm,
        dimensions=customers.RFM_DIMENSIONS,
        filters=customers.CUSTOMER_FILTERS,
        id_filters=("segment",),
        period=None,
    ),
    ReportSpec(
        name="cohorts",
        path="/cohorts",
        title="Cohort retention matrix",
        description=customers.__doc__,
        run=customers.cohorts,
        dimensions=("cohort",),
        options=(
            Option(
                "months",
                "int",
                "Months after the first purchase to show.",
                12,
                minimum=1,
                maximum=36,
            ),
        ),
    ),
    ReportSpec(
        name="clv",
        path="/clv",
        title="Customer lifetime value",
        description=customers.__doc__,
        run=customers.clv,
        dimensions=customers.CLV_DIMENSIONS,
        filters=customers.CUSTOMER_FILTERS,
        id_filters=("segment",),
        period=None,
        options=(
            Option(
                "limit",
                "int",
                "Customers listed with dimension=customer.",
                50,
                minimum=1,
                maximum=200,
            ),
        ),
    ),
    ReportSpec(
        name="forecast",
        path="/forecast",
        title="Revenue forecast with prediction interval",
        description=forecast.__doc__ + "\n" + forecasting.__doc__,
        run=forecast.report,
        dimensions=("total",),
        metrics=tuple(forecast.METRICS),
        period=last_two_years_complete,
        options=(
            Option("horizon", "int", "Months to forecast.", 6, minimum=1, maximum=24),
            Option("level", "choice", "Prediction interval, in percent.", 80, (80, 95)),
        ),
    ),
)

BY_NAME = {spec.name: spec for spec in REPORTS}
