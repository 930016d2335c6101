"""Monthly revenue forecast: Holt's linear trend with residual-based prediction intervals.

**Method.** Holt's linear (double exponential) smoothing - level and trend, no seasonality:

    level_t = a * y_t + (1 - a) * (level_t-1 + trend_t-1)
    trend_t = b * (level_t - level_t-1) + (1 - b) * trend_t-1
    forecast_T+h = level_T + h * trend_T

starting from ``level = y_0`` and ``trend = y_1 - y_0``. The smoothing weights are chosen on a
grid - ``a`` in 0.05 .. 0.95, ``b`` in 0.05 .. 0.5 (a trend that reacts more than that chases noise
in short monthly series) - to minimise the squared one-step-ahead errors over the history.

**Interval.** ``sigma`` is the standard deviation of those one-step errors (n - 2 degrees of
freedom). The h-step variance follows the additive-error model ETS(A,A,N):
``sigma_h^2 = sigma^2 * (1 + sum_{j=1..h-1} (a * (1 + j * b))^2)``, and the interval is
``forecast +/- z * sigma_h`` with z = 1.2816 (80 %) or 1.9600 (95 %); revenue below zero is
clipped to zero.

With fewer than six months of history there is no trend to speak of: the forecast is the mean
of the months, and sigma their standard deviation. Leading months without any revenue (before
the business started) are ignored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Z = {80: 1.2815515655446004, 95: 1.959963984540054}
ALPHAS = np.round(np.arange(0.05, 0.951, 0.05), 2)
BETAS = np.round(np.arange(0.05, 0.501, 0.05), 2)
MIN_HOLT = 6


@dataclass(frozen=True)
class Forecast:
    method: str
    alpha: float | None
    beta: float | None
    sigma: float
    points: list[float]
    lower: list[float]
    upper: list[float]
    history_used: int


def _holt_errors(y: np.ndarray, alpha: float, beta: float) -> tuple[float, float, np.ndarray]:
    level, trend = y[0], y[1] - y[0]
    errors = np.empty(len(y) - 2)
    for t in range(1, len(y)):
        predicted = level + trend
        if t >= 2:
            errors[t - 2] = y[t] - predicted
        new_level = alpha * y[t] + (1 - alpha) * predicted
        trend = beta * (new_level - level) + (1 - beta) * trend
        level = new_level
    return float(level), float(trend), errors


def holt(history: list[float], horizon: int, level: int = 80) -> Forecast:
    """Forecast ``horizon`` further periods of ``history`` with a ``level`` % interval."""
    values = list(history)
    while values and values[0] == 0:
        values.pop(0)
    if len(values) < 2:
        raise ValueError("at least two periods with data are needed")
    z = Z[level]
    y = np.asarray(values, dtype=float)
    if len(y) < MIN_HOLT:
        mean = float(y.mean())
        sigma = float(y.std(ddof=1)) if len(y) > 1 else 0.0
        spread = z * sigma * math.sqrt(1 + 1 / len(y))
        points = [mean] * horizon
        return Forecast(
            method="mean",
            alpha=None,
            beta=None,
            sigma=sigma,
            points=points,
            lower=[max(0.0, p - spread) for p in points],
            upper=[p + spread for p in points],
            history_used=len(y),
        )
    best = None
    for alpha in ALPHAS:
        for beta in BETAS:
            last_level, last_trend, errors = _holt_errors(y, float(alpha), float(beta))
            sse = float(np.dot(errors, errors))
            if best is None or sse < best[0] - 1e-9:
                best = (sse, float(alpha), float(beta), last_level, last_trend, errors)
    sse, alpha, beta, last_level, last_trend, errors = best
    dof = max(len(errors) - 2, 1)
    sigma = math.sqrt(sse / dof)
    points, lower, upper = [], [], []
    for h in range(1, horizon + 1):
        point = float(last_level + h * last_trend)
        variance = sigma**2 * (1 + sum((alpha * (1 + j * beta)) ** 2 for j in range(1, h)))
        spread = z * math.sqrt(variance)
        points.append(max(point, 0.0))
        lower.append(max(point - spread, 0.0))
        upper.append(max(point + spread, 0.0))
    return Forecast(
        method="holt_linear",
        alpha=alpha,
        beta=beta,
        sigma=sigma,
        points=points,
        lower=lower,
        upper=upper,
        history_used=len(y),
    )
