"""Prometheus metrics of webhook delivery (served by the gateway worker's /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

CREATED = Counter(
    "mms_webhook_deliveries_created_total", "Deliveries created, by origin", ["origin"]
)
SKIPPED = Counter(
    "mms_webhook_events_skipped_total",
    "Matching events not delivered to a subscription, by reason",
    ["reason"],
)
ATTEMPTS = Counter("mms_webhook_attempts_total", "Delivery attempts, by outcome", ["outcome"])
ATTEMPT_SECONDS = Histogram(
    "mms_webhook_attempt_duration_seconds",
    "Time of one delivery attempt (connect to answer)",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
LAG = Histogram(
    "mms_webhook_delivery_lag_seconds",
    "From an event's occurrence to its successful delivery (live events)",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600, 86400),
)
BACKLOG = Gauge(
    "mms_webhook_backlog",
    "Pending deliveries whose attempt is due",
    multiprocess_mode="max",
)
DISABLED = Counter(
    "mms_webhook_subscriptions_disabled_total",
    "Subscriptions disabled automatically, by cause",
    ["cause"],
)
