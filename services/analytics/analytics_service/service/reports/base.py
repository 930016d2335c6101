"""What every report is: parameters in, a table (columns and rows), totals and a chart out.

Reports are plain data; api/rendering.py turns them into JSON, CSV, SVG or PNG. Money is exact
(Decimal, rounded half-even to cents) in the base currency; ratios are decimals in 0..1; charts
get floats only because pixels are not money.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import func, literal, literal_column, type_coerce

from analytics_service.domain import periods
from analytics_service.domain.money import q2
from servicekit.types import Amount

RATIO = Decimal("0.0001")
HUNDREDTH = Decimal("0.01")


@dataclass(frozen=True)
class ReportQuery:
    """The parameters of one report request, already checked."""

    start: date
    end: date
    granularity: str = "month"
    dimension: str = "total"
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    metric: str | None = None
    top: int = 8
    options: Mapping[str, Any] = field(default_factory=dict)
    periodic: bool = True
    bucketed: bool = True

    def echo(self) -> dict[str, Any]:
        """The parameters as the response states them back."""
        echoed: dict[str, Any] = {}
        if self.periodic:
            echoed.update({"from": self.start, "to": self.end})
        if self.bucketed:
            echoed["granularity"] = self.granularity
        echoed["dimension"] = self.dimension
        if self.filters:
            echoed["filters"] = {k: list(v) for k, v in sorted(self.filters.items())}
        if self.metric:
            echoed["metric"] = self.metric
        echoed.update({k: v for k, v in self.options.items() if v is not None and k != "today"})
        return echoed


@dataclass(frozen=True)
class Column:
    """kind: period | text | id | money | count | ratio | days | hours | number | date"""

    name: str
    label: str
    kind: str = "text"


@dataclass
class Series:
    name: str
    values: list[float | None]
    axis: str = "left"  # left | right
    style: str = "bar"  # bar | line


@dataclass
class Chart:
    """What to draw; api/charts.py decides how.

    kind: bars (categories x series, grouped or stacked), lines (periods x series), combo
    (bars on the left axis, a line on the right), hbars, funnel, heatmap, forecast.
    """

    kind: str
    title: str
    categories: list[str]
    series: list[Series] = field(default_factory=list)
    y_label: str = ""
    y_format: str = "count"  # count | money | percent | days | hours | number
    y2_label: str = ""
    y2_format: str = "count"
    x_label: str = ""
    stacked: bool = False
    matrix: list[list[float | None]] | None = None
    row_labels: list[str] | None = None
    band: tuple[list[float | None], list[float | None]] | None = None
    band_label: str = ""
    note: str = ""
    scale_max: float | None = None  # heatmap colour scale top (None: the largest value)


@dataclass
class Report:
    name: str
    title: str
    query: ReportQuery
    currency: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    chart: Chart
    totals: dict[str, Any] | None = None
    notes: str = ""
    subtitle: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


# -- numbers -------------------------------------------------------------------------------------


def money(value: Decimal | int | None) -> Decimal:
    return q2(Decimal(value or 0))


def plain(value) -> Decimal:
    """A quantity without trailing zeros and never in exponent form (12, 2.5)."""
    value = Decimal(value or 0)
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def ratio(numerator, denominator) -> Decimal | None:
    """numerator / denominator to 4 places, None when there is nothing to divide by."""
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATIO, rounding=ROUND_HALF_EVEN)


def per(numerator, denominator) -> Decimal | None:
    """An average in money or time units (2 places), None without a denominator."""
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(HUNDREDTH, rounding=ROUND_HALF_EVEN)


def hours(seconds: float | int | Decimal | None) -> Decimal | None:
    if seconds is None:
        return None
    return (Decimal(seconds) / 3600).quantize(HUNDREDTH, rounding=ROUND_HALF_EVEN)


def days(seconds: float | int | Decimal | None) -> Decimal | None:
    if seconds is None:
        return None
    return (Decimal(seconds) / 86400).quantize(HUNDREDTH, rounding=ROUND_HALF_EVEN)


def as_float(value) -> float | None:
    return None if value is None else float(value)


def median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[mid])
    return (ordered[mid - 1] + ordered[mid]) / 2


def epoch_seconds(session, column):
    """Seconds since 1970 of a UtcDateTime column, in SQL (for durations between columns)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", column)
    return (func.julianday(column) - 2440587.5) * 86400.0


# Inline (not bound) so that the same expression in SELECT and GROUP BY is the same text to
# PostgreSQL; bound parameters would be two different placeholders.
EMPTY = literal_column("''")


def nz(column):
    """The column with NULL read as the empty key."""
    return func.coalesce(column, EMPTY)


def sum_amount(column):
    """SUM over an Amount column, read back as an exact Decimal on every backend."""
    return type_coerce(func.coalesce(func.sum(column), literal(0, Amount())), Amount())


# -- periods -------------------------------------------------------------------------------------


def stored_granularity(granularity: str) -> str:
    """The bucket column that exists in the tables: quarters and years fold from months."""
    return granularity if granularity in ("day", "week", "month") else "month"


def fold_period(day: date, granularity: str) -> date:
    return periods.bucket(day, granularity)


def period_cells(start: date, granularity: str) -> dict[str, Any]:
    return {"period": start, "period_label": periods.bucket_label(start, granularity)}


def chart_label(start: date, granularity: str) -> str:
    """How a period reads on a chart axis: 26 Nov 2026, Wk 48 2026, Nov 2026, Q4 2026, 2026."""
    if granularity == "day":
        return f"{start.day} {start:%b %Y}"
    if granularity == "week":
        year, week, _ = start.isocalendar()
        return f"Wk {week} {year}"
    if granularity == "month":
        return f"{start:%b %Y}"
    if granularity == "quarter":
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    return str(start.year)


def period_columns() -> list[Column]:
    return [Column("period", "Period start", "date"), Column("period_label", "Period", "period")]


def all_periods(query: ReportQuery) -> list[date]:
    return list(periods.buckets(query.start, query.end, query.granularity))


# -- labels --------------------------------------------------------------------------------------

NONE_LABEL = "(none)"


def short_id(value: str | None, prefix: str = "") -> str:
    if not value:
        return NONE_LABEL
    return f"{prefix}{value[:8]}"


def label_for(labels: Mapping[str, str], key: str | None, fallback_prefix: str = "") -> str:
    if not key:
        return NONE_LABEL
    return labels.get(key) or short_id(key, fallback_prefix)


def top_keys(totals: Mapping[str, Decimal | int], top: int) -> list[str]:
    """The ``top`` keys by total (ties by key, so the choice is stable)."""
    ranked = sorted(totals.items(), key=lambda item: (-Decimal(item[1] or 0), item[0]))
    return [key for key, _ in ranked[:top]]
