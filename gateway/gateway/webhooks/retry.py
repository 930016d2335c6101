"""What an attempt's result means for its delivery: done, retry when, or give up.

- 2xx: succeeded.
- Network errors, timeouts, 5xx and 429: retried after exponential back-off with full jitter — a
  random delay between 1 s and ``min(max_delay, base * 2**(n-1))`` after the n-th attempt — or
  after the receiver's ``Retry-After`` (seconds or an HTTP date; capped at ``max_delay``).
- Redirects (3xx) and other 4xx: failed at once, with the reason (retrying cannot help).
- A destination the address policy refuses: failed at once.
- Retries stop at the delivery's deadline (created + the retry window, 3 days by default): the
  last attempt happens at the deadline at the latest, and if it fails too the delivery is dead.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from gateway.webhooks.model import DEAD, FAILED, SUCCEEDED

RETRY = "retry"
MIN_DELAY = 1.0


@dataclass(frozen=True)
class AttemptResult:
    """What happened on the wire."""

    duration_ms: float
    status_code: int | None = None
    error: str | None = None
    kind: str = "response"  # response | timeout | network | dns | blocked | invalid
    excerpt: str | None = None
    retry_after: str | None = None
    location: str | None = None
    remote_address: str | None = None


@dataclass(frozen=True)
class Verdict:
    outcome: str  # succeeded | retry | failed | dead
    next_attempt_at: datetime | None
    reason: str | None


@dataclass(frozen=True)
class RetryPolicy:
    base: float
    max_delay: float

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full jitter after the ``attempt``-th failure, never below one second."""
        ceiling = min(self.max_delay, self.base * 2 ** max(0, attempt - 1))
        return max(MIN_DELAY, rng.uniform(0, ceiling))


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """A ``Retry-After`` value in seconds from ``now`` (None when absent or unreadable)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(min(int(value), 10**9))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def describe(result: AttemptResult) -> str | None:
    """A short reason for the delivery log."""
    if result.kind != "response":
        return result.error
    code = result.status_code
    if code is None or 200 <= code < 300:
        return None
    if 300 <= code < 400:
        target = f" to {result.location[:300]}" if result.location else ""
        return (
            f"HTTP {code}: redirect{target} not followed; point the subscription at the final URL"
        )
    return f"HTTP {code}"


def decide(
    result: AttemptResult,
    attempt: int,
    now: datetime,
    deadline: datetime,
    policy: RetryPolicy,
    rng: random.Random,
    *,
    retryable: bool = True,
) -> Verdict:
    """The delivery's next state after its ``attempt``-th attempt ended with ``result``."""
    reason = describe(result)
    code = result.status_code
    if result.kind == "response" and code is not None and 200 <= code < 300:
        return Verdict(SUCCEEDED, None, None)
    transient = result.kind in ("timeout", "network", "dns") or (
        result.kind == "response" and code is not None and (code >= 500 or code == 429)
    )
    if not transient:
        return Verdict(FAILED, None, reason)
    if not retryable or now >= deadline:
        return Verdict(DEAD if retryable else FAILED, None, reason)
    delay = None
    if result.kind == "response" and code in (429, 503):
        delay = retry_after_seconds(result.retry_after, now)
        if delay is not None:
            delay = min(max(delay, MIN_DELAY), policy.max_delay)
    if delay is None:
        delay = policy.backoff(attempt, rng)
    return Verdict(RETRY, min(now + timedelta(seconds=delay), deadline), reason)
