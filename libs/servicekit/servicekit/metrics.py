"""Prometheus metrics, correct under several gunicorn workers.

When ``PROMETHEUS_MULTIPROC_DIR`` is set (the runner and deploy/gunicorn.conf.py set it before
anything imports prometheus_client), every process writes its samples there and ``/metrics``
aggregates them; otherwise the process registry is served.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

HTTP_REQUESTS = Counter(
    "mms_http_requests_total", "HTTP requests answered", ["service", "method", "endpoint", "status"]
)
HTTP_LATENCY = Histogram(
    "mms_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["service", "method", "endpoint"],
    buckets=LATENCY_BUCKETS,
)
OUTBOX_BACKLOG = Gauge(
    "mms_outbox_backlog", "Outbox rows not yet published", ["service"], multiprocess_mode="max"
)
OUTBOX_PUBLISHED = Counter(
    "mms_outbox_published_total", "Events published by the relay", ["service"]
)
OUTBOX_PUBLISH_FAILURES = Counter(
    "mms_outbox_publish_failures_total", "Relay batches that failed to publish", ["service"]
)
EVENTS_HANDLED = Counter(
    "mms_events_handled_total",
    "Events taken off the service's queue, by outcome",
    ["service", "event_type", "outcome"],
)
EVENT_LAG = Histogram(
    "mms_event_lag_seconds",
    "From an event's occurrence to its handler's commit",
    ["service"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
QUEUE_DEPTH = Gauge(
    "mms_queue_depth",
    "Messages waiting on the service's queues",
    ["service", "queue"],
    multiprocess_mode="max",
)
JOB_RUNS = Counter(
    "mms_job_runs_total", "Scheduled job runs, by outcome", ["service", "job", "outcome"]
)


def render() -> tuple[bytes, str]:
    """The metrics exposition and its content type."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def mark_process_dead(pid: int) -> None:
    """gunicorn's child_exit hook: drop a dead worker's live gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
