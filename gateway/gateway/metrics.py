"""The gateway's own Prometheus metrics (requests and latency use servicekit's)."""

from __future__ import annotations

from prometheus_client import Counter

UPSTREAM_ERRORS = Counter(
    "mms_gateway_upstream_errors_total",
    "Calls to a service that failed, by kind (connect, timeout, breaker_open, ...)",
    ["service", "kind"],
)
RATE_LIMITED = Counter(
    "mms_gateway_rate_limited_total", "Requests refused with 429, by limit", ["limit"]
)
AUTH_FAILURES = Counter(
    "mms_gateway_auth_failures_total", "Requests refused with 401, by reason", ["code"]
)
LOGINS = Counter("mms_gateway_logins_total", "Login attempts, by outcome", ["outcome"])
