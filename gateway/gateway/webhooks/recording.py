"""What one batch of attempt results writes: delivery changes, attempt rows, health counters."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, insert, or_, select, update

from gateway.webhooks import metrics
from gateway.webhooks import tables as wt
from gateway.webhooks.model import DEAD, FAILED, PENDING, SUCCEEDED
from gateway.webhooks.retry import RETRY, AttemptResult, Verdict
from servicekit.logging import get_logger

log = get_logger("gateway.webhooks.recording")


@dataclass(frozen=True)
class Recorded:
    job: Any  # engine.Job
    result: AttemptResult
    verdict: Verdict


def clip(text: str | None, limit: int) -> str | None:
    return text[:limit] if text else None


def delivery_changes(item: Recorded, now: datetime) -> dict[str, Any]:
    """Bind values for the batched UPDATE of one delivery."""
    final = item.verdict.outcome in (SUCCEEDED, FAILED, DEAD)
    return {
        "b_seq": item.job.seq,
        "b_status": item.verdict.outcome if final else PENDING,
        "b_attempts": item.job.attempt,
        "b_next": item.verdict.next_attempt_at,
        "b_code": item.result.status_code,
        "b_error": clip(item.verdict.reason, 500),
        "b_completed": now if final else None,
    }


def attempt_row(item: Recorded, now: datetime) -> dict[str, Any]:
    result, verdict = item.result, item.verdict
    return {
        "delivery_id": item.job.id,
        "subscription_id": item.job.subscription_id,
        "number": item.job.attempt,
        "started_at": now - timedelta(milliseconds=result.duration_ms),
        "duration_ms": result.duration_ms,
        "status_code": result.status_code,
        "outcome": verdict.outcome,
        "error": clip(result.error or verdict.reason, 1000),
        "response_excerpt": result.excerpt,
        "remote_address": result.remote_address,
        "next_attempt_at": verdict.next_attempt_at,
    }


def health_changes(items: list[Recorded], now: datetime) -> dict[str, dict[str, Any]]:
    """Per subscription, the health columns after these results (in the order they came).

    A success resets the counters; failed or dead deliveries after the last success add to
    ``consecutive_failures``; any failure (a retry too) starts ``failing_since``.
    """
    s = wt.subscriptions
    state: dict[str, dict[str, Any]] = {}
    for item in items:
        entry = state.setdefault(
            item.job.subscription_id,
            {"success": False, "failing": False, "final": 0, "reason": None},
        )
        if item.verdict.outcome == SUCCEEDED:
            entry.update(success=True, failing=False, final=0)
        else:
            entry["failing"] = True
            entry["reason"] = item.verdict.reason
            if item.verdict.outcome != RETRY:
                entry["final"] += 1
    changes: dict[str, dict[str, Any]] = {}
    for subscription_id, entry in state.items():
        values: dict[str, Any] = {}
        if entry["success"]:
            values["last_success_at"] = now
        if not entry["failing"]:
            values.update(consecutive_failures=0, failing_since=None)
        else:
            values.update(last_failure_at=now, last_failure_reason=clip(entry["reason"], 500))
            if entry["success"]:
                values.update(consecutive_failures=entry["final"], failing_since=now)
            else:
                values.update(
                    consecutive_failures=s.c.consecutive_failures + entry["final"],
                    failing_since=func.coalesce(s.c.failing_since, now),
                )
        changes[subscription_id] = values
    return changes


def _update_deliveries(owner: str, now: datetime):
    d = wt.deliveries
    return (
        update(d)
        .where(d.c.seq == bindparam("b_seq"), d.c.lease_owner == owner)
        .values(
            status=bindparam("b_status"),
            attempts=bindparam("b_attempts"),
            next_attempt_at=bindparam("b_next"),
            last_status_code=bindparam("b_code"),
            last_error=bindparam("b_error"),
            lease_until=None,
            lease_owner=None,
            updated_at=now,
            completed_at=bindparam("b_completed"),
        )
    )


def write_results(uow, decided: list[Recorded], *, owner: str, now: datetime, disable):
    """Deliveries moved on, attempts stored, health kept — a few statements per batch.

    Only deliveries still leased to ``owner`` are written (one may have been deleted meanwhile,
    or its lease expired and another worker took it over). Returns what was written.
    """
    session = uow.session
    statement = _update_deliveries(owner, now)
    recorded = decided
    changed = session.execute(statement, [delivery_changes(r, now) for r in recorded]).rowcount
    if changed != len(recorded):
        uow.rollback()
        d = wt.deliveries
        ours = set(
            session.execute(
                select(d.c.seq).where(
                    d.c.seq.in_([r.job.seq for r in decided]), d.c.lease_owner == owner
                )
            ).scalars()
        )
        recorded = [r for r in decided if r.job.seq in ours]
        if not recorded:
            return []
        session.execute(statement, [delivery_changes(r, now) for r in recorded])
    session.execute(insert(wt.attempts), [attempt_row(r, now) for r in recorded])
    s = wt.subscriptions
    for subscription_id, values in health_changes(recorded, now).items():
        session.execute(update(s).where(s.c.id == subscription_id).values(**values))
    failing = {r.job.subscription_id for r in recorded if r.verdict.outcome != SUCCEEDED}
    if failing:
        disable_failing(session, failing, now, **disable)
    return recorded


def disable_failing(session, subscription_ids, now: datetime, *, failures: int, hours: float):
    """Disable the subscriptions that crossed a threshold, saying why."""
    s = wt.subscriptions
    cutoff = now - timedelta(hours=hours)
    rows = session.execute(
        select(s.c.id, s.c.consecutive_failures, s.c.failing_since, s.c.last_failure_reason).where(
            s.c.id.in_(set(subscription_ids)),
            s.c.active.is_(True),
            or_(s.c.consecutive_failures >= failures, s.c.failing_since <= cutoff),
        )
    ).all()
    for row in rows:
        last = f" Last problem: {row.last_failure_reason}." if row.last_failure_reason else ""
        advice = " Fix the receiver, then enable the subscription and replay what it missed."
        if row.consecutive_failures >= failures:
            cause = "failures"
            reason = (
                f"Disabled automatically after {row.consecutive_failures} deliveries in a row "
                f"failed or died.{last}{advice}"
            )
        else:
            cause = "no_success"
            reason = (
                "Disabled automatically: no successful delivery since deliveries started "
                f"failing at {row.failing_since.isoformat()} ({hours:g} hours).{last}{advice}"
            )
        session.execute(
            update(s)
            .where(s.c.id == row.id, s.c.active.is_(True))
            .values(
                active=False,
                disabled_reason=reason,
                disabled_at=now,
                disabled_by="system",
                version=s.c.version + 1,
                updated_at=now,
            )
        )
        metrics.DISABLED.labels(cause).inc()
        log.warning("webhook_subscription_disabled", subscription=row.id, reason=reason)


def observe(recorded: list[Recorded]) -> None:
    """Metrics and log lines for what was just recorded."""
    for item in recorded:
        metrics.ATTEMPTS.labels(item.verdict.outcome).inc()
        if item.verdict.outcome == SUCCEEDED and item.job.origin == "event":
            metrics.LAG.observe(max(0.0, time.time() - item.job.occurred_at.timestamp()))
        if item.verdict.outcome in (FAILED, DEAD):
            log.warning(
                "webhook_delivery_gave_up",
                delivery=item.job.id,
                subscription=item.job.subscription_id,
                outcome=item.verdict.outcome,
                reason=item.verdict.reason,
            )
