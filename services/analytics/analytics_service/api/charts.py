"""Charts of reports, drawn with matplotlib (Agg, no pyplot, no display).

matplotlib is imported on the first chart, never when the service starts. Each chart is its own
``Figure`` (pyplot's global state is not thread-safe; figures are), with a title and subtitle,
axis labels carrying units and the currency, thousands separators, readable period labels, a
colour-blind-safe palette, a legend when there is more than one series, and a footnote naming the
period and source.
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Sequence

from analytics_service.service.reports.base import Chart, Report

WIDTH, HEIGHT, DPI = 11.0, 6.2, 100
# Okabe-Ito (colour-blind safe), then muted extras; "Other" is always grey.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#56B4E9",
    "#CC79A7",
    "#F0E442",
    "#332288",
    "#88CCEE",
    "#44AA99",
    "#117733",
    "#999933",
    "#AA4499",
    "#882255",
    "#661100",
    "#6699CC",
    "#888888",
    "#DDCC77",
    "#CC6677",
    "#AA4466",
)
OTHER = "#9E9E9E"
INK, MUTED, GRID = "#222222", "#666666", "#E5E5E5"
_setup_lock = threading.Lock()
_ready = False


def _matplotlib():
    global _ready
    import matplotlib

    with _setup_lock:
        if not _ready:
            matplotlib.use("Agg", force=False)
            # SVG text stays text: selectable, searchable, readable by screen readers, smaller.
            matplotlib.rcParams["svg.fonttype"] = "none"
            matplotlib.rcParams["font.family"] = "sans-serif"
            _ready = True
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    return Figure, FuncFormatter, MaxNLocator


def _trim(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def _compact(value: float) -> str:
    """12.5k, 1.25M, 830 - as few digits as tell the value apart."""
    magnitude = abs(value)
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if magnitude >= size:
            return _trim(f"{value / size:,.2f}") + suffix
    if magnitude == int(magnitude):
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def _formatter(kind: str):
    def fmt(value, _pos=None):
        if kind == "percent":
            return f"{value * 100:.0f}%"
        if kind in ("days", "hours"):
            return f"{value:,.1f}"
        if kind == "count":
            return _compact(value) if abs(value) >= 1e4 else f"{value:,.0f}"
        return _compact(value)

    return fmt


def _label(value: float | None, kind: str) -> str:
    if value is None:
        return ""
    if kind == "percent":
        return f"{value * 100:.1f}%"
    if kind in ("days", "hours"):
        return f"{value:,.1f}"
    if kind == "count":
        return f"{value:,.0f}"
    return _compact(value)


def _colours(names: Sequence[str]) -> list[str]:
    colours, index = [], 0
    for name in names:
        if name.lower().startswith("other") or name.lower().endswith(": other"):
            colours.append(OTHER)
        else:
            colours.append(PALETTE[index % len(PALETTE)])
            index += 1
    return colours


def _values(values: Sequence[float | None]) -> list[float]:
    return [math.nan if v is None else float(v) for v in values]


def _style_axis(ax) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#BBBBBB")
    ax.tick_params(colors=INK, labelsize=9)
    ax.yaxis.grid(True, color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)


def _thin_labels(ax, labels: Sequence[str]) -> bool:
    """Show every n-th category label when there are too many to read; True when rotated."""
    count = len(labels)
    step = max(1, math.ceil(count / 24))
    ax.set_xticks(range(count))
    ax.set_xticklabels([label if i % step == 0 else "" for i, label in enumerate(labels)])
    longest = max((len(label) for label in labels), default=0)
    if (count > 8 and longest > 4) or longest > 14:
        for tick in ax.get_xticklabels():
            tick.set_rotation(35)
            tick.set_horizontalalignment("right")
        return True
    return False


def render_chart(report: Report, fmt: str) -> bytes:
    """The report's chart as SVG or PNG bytes."""
    figure_class, formatter_class, locator_class = _matplotlib()
    chart = report.chart
    fig = figure_class(figsize=(WIDTH, HEIGHT), dpi=DPI, facecolor="white")
    fig.subplots_adjust(left=0.09, right=0.9, top=0.83, bottom=0.2)
    ax = fig.add_subplot(1, 1, 1)
    _style_axis(ax)
    fig.text(0.09, 0.94, chart.title, fontsize=15, fontweight="bold", color=INK, ha="left")
    subtitle = report.subtitle or _period_text(report)
    fig.text(0.09, 0.895, subtitle, fontsize=10.5, color=MUTED, ha="left")
    footnote = f"{_period_text(report)} · amounts in {report.currency} · MMS analytics"
    if chart.note and chart.note not in (report.subtitle, _period_text(report)):
        footnote = f"{chart.note} · {footnote}"
    fig.text(0.99, 0.015, footnote, fontsize=8, color=MUTED, ha="right")
    ctx = (ax, formatter_class, locator_class)
    if not _has_data(chart):
        _empty(ax)
    elif chart.kind == "heatmap":
        _heatmap(fig, ax, chart)
    elif chart.kind == "hbars":
        _hbars(fig, ax, chart, formatter_class)
    elif chart.kind == "funnel":
        _funnel(ax, chart)
    elif chart.kind == "forecast":
        _forecast(ax, chart, formatter_class)
    else:
        _categorical(fig, ctx, chart)
    buffer = io.BytesIO()
    metadata = {"Title": chart.title}
    if fmt == "svg":
        metadata["Date"] = None  # reproducible output
    fig.savefig(buffer, format=fmt, dpi=DPI, metadata=metadata)
    return buffer.getvalue()


def _period_text(report: Report) -> str:
    query = report.query
    if report.name in ("rfm", "clv", "pipeline"):
        return f"as of {report.extra.get('as_of') or query.options.get('as_of') or query.end}"
    return f"{query.start:%d %b %Y} to {query.end:%d %b %Y}"


def _has_data(chart: Chart) -> bool:
    if chart.matrix is not None:
        return any(v for row in chart.matrix for v in row if v is not None)
    return any(v for s in chart.series for v in s.values if v)


def _empty(ax) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    ax.text(
        0.5,
        0.5,
        "No data for this selection",
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=14,
        color=MUTED,
    )


def _legend(fig, handles, labels, rotated: bool = False) -> None:
    if len(labels) > 1:
        if rotated:
            fig.subplots_adjust(bottom=0.27)
        fig.legend(
            handles,
            labels,
            loc="lower center",
            ncol=min(len(labels), 5),
            frameon=False,
            fontsize=9,
            bbox_to_anchor=(0.5, 0.03),
        )


def _categorical(fig, ctx, chart: Chart) -> None:
    ax, formatter_class, locator_class = ctx
    categories = chart.categories
    count = len(categories)
    positions = list(range(count))
    # A series without a single value (no NPS answers yet) would only add an empty axis.
    shown = [s for s in chart.series if any(v is not None for v in s.values)]
    left = [s for s in shown if s.axis == "left"]
    right = [s for s in shown if s.axis == "right"]
    colours = dict(
        zip((s.name for s in chart.series), _colours([s.name for s in chart.series]), strict=True)
    )
    bars = [s for s in left if s.style == "bar"]
    handles, labels = [], []
    if bars:
        if chart.stacked:
            bottom = [0.0] * count
            for s in bars:
                values = [v or 0.0 for v in s.values]
                handle = ax.bar(
                    positions, values, 0.75, bottom=bottom, color=colours[s.name], label=s.name
                )
                bottom = [b + v for b, v in zip(bottom, values, strict=True)]
                handles.append(handle)
                labels.append(s.name)
        else:
            width = 0.8 / len(bars)
            for i, s in enumerate(bars):
                offset = (i - (len(bars) - 1) / 2) * width
                handle = ax.bar(
                    [p + offset for p in positions],
                    _values(s.values),
                    width * 0.95,
                    color=colours[s.name],
                    label=s.name,
                )
                handles.append(handle)
                labels.append(s.name)
                if len(bars) * count <= 16 and not right:
                    ax.bar_label(
                        handle,
                        labels=[_label(v, chart.y_format) for v in s.values],
                        fontsize=8,
                        color=MUTED,
                        padding=2,
                    )
    for s in left:
        if s.style == "line":
            (handle,) = ax.plot(
                positions,
                _values(s.values),
                marker="o",
                markersize=3.5,
                linewidth=2,
                color=colours[s.name],
                label=s.name,
            )
            handles.append(handle)
            labels.append(s.name)
    ax.yaxis.set_major_formatter(formatter_class(_formatter(chart.y_format)))
    ax.yaxis.set_major_locator(locator_class(nbins=7))
    ax.set_ylabel(chart.y_label, color=INK, fontsize=10)
    if chart.x_label:
        ax.set_xlabel(chart.x_label, color=INK, fontsize=10)
    if right:
        twin = ax.twinx()
        for side in ("top", "left"):
            twin.spines[side].set_visible(False)
        twin.spines["right"].set_color("#BBBBBB")
        twin.tick_params(colors=INK, labelsize=9)
        for s in right:
            (handle,) = twin.plot(
                positions,
                _values(s.values),
                marker="o",
                markersize=4,
                linewidth=2.2,
                color=colours[s.name],
                label=s.name,
            )
            handles.append(handle)
            labels.append(s.name)
        twin.yaxis.set_major_formatter(formatter_class(_formatter(chart.y2_format)))
        twin.set_ylabel(chart.y2_label, color=INK, fontsize=10)
        if chart.y2_format == "percent":
            top = max((v for s in right for v in s.values if v is not None), default=1.0)
            twin.set_ylim(0, max(1.0, top * 1.1) if top > 1 else 1.05)
    if chart.y_format == "percent" and not any(s.style == "bar" for s in left):
        top = max((v for s in left for v in s.values if v is not None), default=1.0)
        ax.set_ylim(0, min(1.05, max(top * 1.15, 0.05)))
    elif all((v or 0) >= 0 for s in left for v in s.values):
        ax.set_ylim(bottom=0)
    ax.set_xlim(-0.6, count - 0.4)
    rotated = _thin_labels(ax, categories)
    _legend(fig, handles, labels, rotated)


def _hbars(fig, ax, chart: Chart, formatter_class) -> None:
    categories = list(reversed(chart.categories))
    longest = max((len(c) for c in categories), default=0)
    fig.subplots_adjust(left=min(0.4, 0.05 + 0.0085 * longest))
    count = len(categories)
    series = chart.series
    height = 0.8 / len(series)
    colours = _colours([s.name for s in series])
    for i, s in enumerate(series):
        values = list(reversed(_values(s.values)))
        offset = (i - (len(series) - 1) / 2) * height
        handle = ax.barh(
            [p - offset for p in range(count)],
            values,
            height * 0.95,
            color=colours[i],
            label=s.name,
        )
        ax.bar_label(
            handle,
            labels=[_label(None if math.isnan(v) else v, chart.y_format) for v in values],
            fontsize=8,
            color=MUTED,
            padding=3,
        )
    ax.set_yticks(range(count))
    ax.set_yticklabels(categories)
    ax.xaxis.set_major_formatter(formatter_class(_formatter(chart.y_format)))
    ax.set_xlabel(chart.y_label, color=INK, fontsize=10)
    ax.xaxis.grid(True, color=GRID, linewidth=0.8)
    ax.yaxis.grid(False)
    ax.margins(x=0.12)
    if len(series) > 1:
        ax.legend(frameon=False, fontsize=9, loc="lower right")


def _funnel(ax, chart: Chart) -> None:
    values = [v or 0.0 for v in chart.series[0].values]
    steps = chart.categories
    widest = max(values) or 1.0
    for i, (step, value) in enumerate(zip(steps, values, strict=True)):
        y = len(steps) - 1 - i
        width = value / widest
        ax.barh(y, width, 0.7, left=(1 - width) / 2, color=PALETTE[i % len(PALETTE)])
        text = f"{step}: {value:,.0f}"
        if i > 0:
            previous = values[i - 1]
            rate = value / previous if previous else 0
            text += f"  ({rate * 100:.1f}% of previous step)"
        ax.text(
            0.5,
            y,
            text,
            ha="center",
            va="center",
            fontsize=11,
            color="white" if width > 0.45 else INK,
            fontweight="bold",
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.6, len(steps) - 0.4)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.yaxis.grid(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    if values and values[0]:
        ax.text(
            1.0,
            -0.55,
            f"Lead to won: {values[-1] / values[0] * 100:.1f}%",
            ha="right",
            fontsize=10,
            color=MUTED,
        )


def _heatmap(fig, ax, chart: Chart) -> None:
    import numpy as np

    matrix = np.array(
        [[math.nan if v is None else float(v) for v in row] for row in chart.matrix], dtype=float
    )
    from matplotlib import colormaps

    masked = np.ma.masked_invalid(matrix)
    cmap = colormaps["YlGnBu"].with_extremes(bad="#F2F2F2")
    longest = max((len(label) for label in chart.row_labels or []), default=0)
    fig.subplots_adjust(left=min(0.3, 0.07 + 0.0075 * longest), right=0.95)
    image = ax.imshow(
        masked,
        cmap=cmap,
        aspect="auto",
        interpolation="nearest",
        vmin=0,
        vmax=chart.scale_max,
    )
    ax.set_xticks(range(len(chart.categories)))
    ax.set_xticklabels(chart.categories, fontsize=8)
    ax.set_yticks(range(len(chart.row_labels or [])))
    ax.set_yticklabels(chart.row_labels or [], fontsize=8)
    ax.set_xlabel(chart.x_label, color=INK, fontsize=10)
    ax.set_ylabel(chart.y_label, color=INK, fontsize=10)
    ax.yaxis.grid(False)
    finite = matrix[~np.isnan(matrix)]
    top = float(finite.max()) if finite.size else 1.0
    rows, cols = matrix.shape
    if rows * cols <= 400:
        for r in range(rows):
            for c in range(cols):
                value = matrix[r, c]
                if math.isnan(value):
                    continue
                ax.text(
                    c,
                    r,
                    _label(value, chart.y_format),
                    ha="center",
                    va="center",
                    fontsize=7 if cols > 12 else 8,
                    color="white" if value > (chart.scale_max or top) * 0.6 else INK,
                )
    bar = fig.colorbar(image, ax=ax, fraction=0.035, pad=0.02)
    bar.ax.tick_params(labelsize=8)
    bar.formatter = _matplotlib()[1](_formatter(chart.y_format))
    bar.update_ticks()


def _forecast(ax, chart: Chart, formatter_class) -> None:
    positions = list(range(len(chart.categories)))
    actual, forecast, pipeline = chart.series
    lower, upper = chart.band
    band_x = [p for p, v in zip(positions, lower, strict=True) if v is not None]
    ax.fill_between(
        band_x,
        [v for v in lower if v is not None],
        [v for v in upper if v is not None],
        color=PALETTE[1],
        alpha=0.18,
        linewidth=0,
        label=chart.band_label,
    )
    if any(pipeline.values):
        ax.bar(
            positions,
            [v or 0.0 for v in pipeline.values],
            0.5,
            color=PALETTE[2],
            alpha=0.45,
            label=pipeline.name,
        )
    ax.plot(
        positions,
        _values(actual.values),
        color=PALETTE[0],
        linewidth=2.2,
        marker="o",
        markersize=3.5,
        label=actual.name,
    )
    ax.plot(
        positions,
        _values(forecast.values),
        color=PALETTE[1],
        linewidth=2.2,
        linestyle="--",
        marker="o",
        markersize=3.5,
        label=forecast.name,
    )
    first_future = next((i for i, v in enumerate(lower) if v is not None), None)
    if first_future is not None:
        ax.axvline(first_future - 0.5, color="#BBBBBB", linewidth=1, linestyle=":")
        ax.text(
            first_future - 0.4,
            0.98,
            "forecast",
            transform=ax.get_xaxis_transform(),
            fontsize=9,
            color=MUTED,
            va="top",
        )
    ax.yaxis.set_major_formatter(formatter_class(_formatter(chart.y_format)))
    ax.set_ylabel(chart.y_label, color=INK, fontsize=10)
    ax.set_xlabel(chart.x_label, color=INK, fontsize=10)
    ax.set_ylim(bottom=0)
    ax.set_xlim(-0.6, len(positions) - 0.4)
    _thin_labels(ax, chart.categories)
    ax.legend(frameon=False, fontsize=9, loc="upper left")
