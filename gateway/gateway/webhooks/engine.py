"""The delivery loop: claim due deliveries, send them, record every attempt.

One thread of the gateway worker runs :meth:`DeliveryEngine.run`: an asyncio loop keeps up to
``concurrency`` requests in flight on one pooled client and, as answers come back, records them
in small transactions and claims more. Several workers can run side by side: a claim leases its
rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the write lock on SQLite) and a crashed holder's
lease simply expires (the receiver may then see that attempt twice: it has the event id).

Ordering: a delivery whose subscription is ``ordered`` is not claimed while an earlier delivery
of the same aggregate (``ordering_key``) for the same subscription is still pending — in flight
or waiting for its retry. "Earlier" is the lower aggregate version when both events carry one,
else the one created first. Deliveries of other aggregates go on in parallel, at most
``subscription_concurrency`` at a time per subscription.

The clock is injected: tests move it instead of sleeping through back-off.
"""

from __future__ import annotations

import asyncio
import os
import random
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, insert, or_, select, update

from gateway.webhooks import metrics
from gateway.webhooks import tables as wt
from gateway.webhooks.addresses import AddressPolicy
from gateway.webhooks.model import DEAD, FAILED, PENDING, SUCCEEDED
from gateway.webhooks.retry import RETRY, AttemptResult, RetryPolicy, Verdict, decide
from gateway.webhooks.secretbox import SecretBox, SecretUnreadable
from gateway.webhooks.sender import WebhookClient
from gateway.webhooks.settings import WebhookSettings
from gateway.webhooks.signing import SIGNATURE_HEADER, signature_header
from servicekit.db import Database
from servicekit.logging import get_logger
from servicekit.types import utcnow
from servicekit.uow import UnitOfWorkFactory

log = get_logger("gateway.webhooks.engine")


@dataclass(frozen=True)
class Job:
    """A claimed delivery with everything needed to send it."""

    seq: int
    id: str
    subscription_id: str
    event_id: str
    event_type: str
    occurred_at: datetime
    origin: str
    attempt: int  # the number of the attempt about to be made
    deadline_at: datetime
    url: str
    secrets: tuple[str, ...]
    body: bytes
    problem: str | None = None  # set when the delivery cannot be sent (secret unreadable)


@dataclass(frozen=True)
class Recorded:
    job: Job
    result: AttemptResult
    verdict: Verdict


def request_headers(job: Job, user_agent: str, now: float | None = None) -> dict[str, str]:
    """The headers of one attempt, signed at the moment of sending (wall clock)."""
    timestamp = int(time.time() if now is None else now)
    return {
        "Content-Type": "application/json",
        "User-Agent": user_agent,
        "X-MMS-Delivery-Id": job.id,
        "X-MMS-Event-Id": job.event_id,
        "X-MMS-Event-Type": job.event_type,
        "X-MMS-Subscription-Id": job.subscription_id,
        "X-MMS-Delivery-Origin": job.origin,
        "X-MMS-Attempt": str(job.attempt),
        "X-MMS-Timestamp": str(timestamp),
        SIGNATURE_HEADER: signature_header(job.secrets, timestamp, job.body),
    }


class SecretCache:
    """Decrypted secrets per subscription version (AES-GCM is cheap, but not free per request)."""

    def __init__(self, box: SecretBox) -> None:
        self.box = box
        self._cache: dict[tuple[str, int], tuple[str, str | None, datetime | None]] = {}

    def secrets(self, row, now: datetime) -> tuple[str, ...]:
        key = (row.subscription_id, row.sub_version)
        entry = self._cache.get(key)
        if entry is None:
            current = self.box.decrypt(row.secret, row.subscription_id)
            previous = (
                self.box.decrypt(row.previous_secret, row.subscription_id)
                if row.previous_secret
                else None
            )
            if len(self._cache) > 10_000:
                self._cache.clear()
            entry = self._cache[key] = (current, previous, row.previous_secret_expires_at)
        current, previous, expires = entry
        if previous and expires is not None and expires > now:
            return (current, previous)
        return (current,)


class DeliveryEngine:
    def __init__(
        self,
        db: Database,
        settings: WebhookSettings,
        box: SecretBox,
        policy: AddressPolicy,
        *,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.policy = policy
        self.clock = clock
        self.rng = rng or random.Random()
        self.retry = RetryPolicy(settings.retry_base, settings.retry_max_delay)
        self.uow = UnitOfWorkFactory(db, "gateway")
        self.secrets = SecretCache(box)
        self.owner = f"{os.getpid()}:{uuid.uuid4().hex[:16]}"
        self.last_tick = time.monotonic()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._stop = threading.Event()

    # -- claiming ---------------------------------------------------------------------------

    def claim(self, limit: int) -> list[Job]:
        """Lease up to ``limit`` due deliveries (respecting order and per-subscription caps)."""
        if limit <= 0:
            return []
        now = self.clock()
        d, s, e = wt.deliveries, wt.subscriptions, wt.events
        earlier = wt.deliveries.alias("earlier")
        blocked = exists().where(
            earlier.c.subscription_id == d.c.subscription_id,
            earlier.c.ordering_key == d.c.ordering_key,
            earlier.c.status == PENDING,
            earlier.c.seq != d.c.seq,
            or_(
                and_(
                    earlier.c.aggregate_version.is_not(None),
                    d.c.aggregate_version.is_not(None),
                    earlier.c.aggregate_version < d.c.aggregate_version,
                ),
                and_(
                    or_(
                        earlier.c.aggregate_version.is_(None),
                        d.c.aggregate_version.is_(None),
                        earlier.c.aggregate_version == d.c.aggregate_version,
                    ),
                    earlier.c.seq < d.c.seq,
                ),
            ),
        )
        statement = (
            select(d.c.seq, d.c.subscription_id)
            .join(s, s.c.id == d.c.subscription_id)
            .where(
                d.c.status == PENDING,
                d.c.next_attempt_at <= now,
                or_(d.c.lease_until.is_(None), d.c.lease_until < now),
                s.c.active.is_(True),
                or_(d.c.ordering_key.is_(None), s.c.ordered.is_(False), ~blocked),
            )
            .order_by(d.c.next_attempt_at, d.c.seq)
            .limit(limit * 4)
        )
        if self.db.is_postgres:
            statement = statement.with_for_update(of=d, skip_locked=True)
        lease = now + timedelta(seconds=self.settings.timeout + 60)
        with self.uow() as uow:
            session = uow.session
            candidates = session.execute(statement).all()
            if not candidates:
                return []
            subs = {c.subscription_id for c in candidates}
            busy = dict(
                session.execute(
                    select(d.c.subscription_id, func.count())
                    .where(
                        d.c.status == PENDING,
                        d.c.subscription_id.in_(subs),
                        d.c.lease_until >= now,
                    )
                    .group_by(d.c.subscription_id)
                ).all()
            )
            chosen = []
            for candidate in candidates:
                taken = busy.get(candidate.subscription_id, 0)
                if taken >= self.settings.subscription_concurrency:
                    continue
                busy[candidate.subscription_id] = taken + 1
                chosen.append(candidate.seq)
                if len(chosen) == limit:
                    break
            if not chosen:
                return []
            session.execute(
                update(d)
                .where(d.c.seq.in_(chosen))
                .values(lease_until=lease, lease_owner=self.owner)
            )
            rows = session.execute(
                select(
                    d.c.seq,
                    d.c.id,
                    d.c.subscription_id,
                    d.c.event_id,
                    d.c.event_type,
                    d.c.occurred_at,
                    d.c.origin,
                    d.c.attempts,
                    d.c.deadline_at,
                    s.c.url,
                    s.c.secret,
                    s.c.previous_secret,
                    s.c.previous_secret_expires_at,
                    s.c.version.label("sub_version"),
                    e.c.body,
                )
                .join(s, s.c.id == d.c.subscription_id)
                .outerjoin(e, e.c.event_id == d.c.event_id)
                .where(d.c.seq.in_(chosen))
                .order_by(d.c.seq)
            ).all()
            uow.commit()
        jobs = []
        for row in rows:
            problem = None
            secrets: tuple[str, ...] = ()
            try:
                secrets = self.secrets.secrets(row, now)
            except SecretUnreadable as exc:
                problem = f"the subscription's secret cannot be read: {exc}"
            if row.body is None:
                problem = "the event is no longer in the archive"
            jobs.append(
                Job(
                    seq=row.seq,
                    id=row.id,
                    subscription_id=row.subscription_id,
                    event_id=row.event_id,
                    event_type=row.event_type,
                    occurred_at=row.occurred_at,
                    origin=row.origin,
                    attempt=row.attempts + 1,
                    deadline_at=row.deadline_at,
                    url=row.url,
                    secrets=secrets,
                    body=(row.body or "").encode(),
                    problem=problem,
                )
            )
        return jobs

    # -- sending ----------------------------------------------------------------------------

    async def attempt(self, client: WebhookClient, job: Job) -> tuple[Job, AttemptResult]:
        if job.problem is not None:
            kind = "invalid" if "archive" in job.problem else "config"
            return job, AttemptResult(0.0, error=job.problem, kind=kind)
        result = await client.post(
            job.url, job.body, request_headers(job, client.settings.user_agent)
        )
        metrics.ATTEMPT_SECONDS.observe(result.duration_ms / 1000)
        return job, result

    # -- recording --------------------------------------------------------------------------

    def record(self, outcomes: list[tuple[Job, AttemptResult]]) -> list[Recorded]:
        """Store attempts, move deliveries on, keep subscription health (one transaction)."""
        if not outcomes:
            return []
        now = self.clock()
        d, a = wt.deliveries, wt.attempts
        recorded = []
        with self.uow() as uow:
            session = uow.session
            touched: list[str] = []
            for job, result in outcomes:
                verdict = decide(
                    result if result.kind != "config" else _as_transient(result),
                    job.attempt,
                    now,
                    job.deadline_at,
                    self.retry,
                    self.rng,
                )
                final = verdict.outcome in (SUCCEEDED, FAILED, DEAD)
                changed = session.execute(
                    update(d)
                    .where(d.c.seq == job.seq, d.c.lease_owner == self.owner)
                    .values(
                        status=verdict.outcome if final else PENDING,
                        attempts=d.c.attempts + 1,
                        next_attempt_at=verdict.next_attempt_at,
                        last_status_code=result.status_code,
                        last_error=_clip(verdict.reason, 500),
                        lease_until=None,
                        lease_owner=None,
                        updated_at=now,
                        completed_at=now if final else None,
                    )
                ).rowcount
                if changed != 1:
                    continue  # deleted meanwhile, or our lease was taken over
                session.execute(
                    insert(a).values(
                        delivery_id=job.id,
                        subscription_id=job.subscription_id,
                        number=job.attempt,
                        started_at=now - timedelta(milliseconds=result.duration_ms),
                        duration_ms=result.duration_ms,
                        status_code=result.status_code,
                        outcome=verdict.outcome,
                        error=_clip(result.error or verdict.reason, 1000),
                        response_excerpt=result.excerpt,
                        remote_address=result.remote_address,
                        next_attempt_at=verdict.next_attempt_at,
                    )
                )
                self._health(session, job.subscription_id, verdict, now)
                touched.append(job.subscription_id)
                recorded.append(Recorded(job, result, verdict))
            self._disable_failing(session, touched, now)
            uow.commit()
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
        return recorded

    @staticmethod
    def _health(session, subscription_id: str, verdict: Verdict, now: datetime) -> None:
        s = wt.subscriptions
        if verdict.outcome == SUCCEEDED:
            values = dict(consecutive_failures=0, failing_since=None, last_success_at=now)
        else:
            values = dict(
                failing_since=func.coalesce(s.c.failing_since, now),
                last_failure_at=now,
                last_failure_reason=(verdict.reason or "")[:500] or None,
            )
            if verdict.outcome != RETRY:
                values["consecutive_failures"] = s.c.consecutive_failures + 1
        session.execute(update(s).where(s.c.id == subscription_id).values(**values))

    def _disable_failing(self, session, subscription_ids: list[str], now: datetime) -> None:
        if not subscription_ids:
            return
        s = wt.subscriptions
        limit = self.settings.disable_after_failures
        hours = self.settings.disable_after_hours
        cutoff = now - timedelta(hours=hours)
        rows = session.execute(
            select(
                s.c.id, s.c.consecutive_failures, s.c.failing_since, s.c.last_failure_reason
            ).where(
                s.c.id.in_(set(subscription_ids)),
                s.c.active.is_(True),
                or_(s.c.consecutive_failures >= limit, s.c.failing_since <= cutoff),
            )
        ).all()
        for row in rows:
            last = f" Last problem: {row.last_failure_reason}." if row.last_failure_reason else ""
            if row.consecutive_failures >= limit:
                cause = "failures"
                reason = (
                    f"Disabled automatically after {row.consecutive_failures} deliveries in a row "
                    f"failed or died.{last} Fix the receiver, then enable the subscription and "
                    f"replay what it missed."
                )
            else:
                cause = "no_success"
                reason = (
                    f"Disabled automatically: no successful delivery since deliveries started "
                    f"failing at {row.failing_since.isoformat()} ({hours:g} hours).{last} Fix the "
                    f"receiver, then enable the subscription and replay what it missed."
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

    # -- driving ----------------------------------------------------------------------------

    def deliver_due(self, *, max_rounds: int = 1000) -> list[Recorded]:
        """Send everything due now (by the engine's clock), round after round, then return.

        Deliveries an answer unblocks (the next event of an aggregate) go in the next round.
        For tests, operators and benchmarks; the worker runs :meth:`run`.
        """

        async def rounds() -> list[Recorded]:
            client = WebhookClient(self.settings, self.policy)
            await client.start()
            done: list[Recorded] = []
            try:
                for _ in range(max_rounds):
                    jobs = self.claim(self.settings.concurrency)
                    if not jobs:
                        break
                    outcomes = await asyncio.gather(*(self.attempt(client, j) for j in jobs))
                    done.extend(self.record(list(outcomes)))
            finally:
                await client.close()
            return done

        return asyncio.run(rounds())

    def wake(self) -> None:
        """New deliveries exist: claim now instead of at the next poll (any thread)."""
        loop, event = self._loop, self._wake
        if loop is not None and event is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # the loop is shutting down
                pass

    def stop(self) -> None:
        self._stop.set()
        self.wake()

    def healthy_problem(self) -> str | None:
        """For the worker's readiness: None while the loop turns."""
        idle = time.monotonic() - self.last_tick
        if idle > max(60.0, self.settings.timeout * 3):
            return f"the webhook delivery loop has not turned for {idle:.0f}s"
        return None

    def run(self, stop: threading.Event | None = None) -> None:
        """The worker thread: deliver until ``stop`` (or :meth:`stop`) is set."""
        external = stop or threading.Event()
        while not (external.is_set() or self._stop.is_set()):
            try:
                asyncio.run(self._serve(external))
            except Exception as exc:  # database down and the like: log, pause, go on
                log.exception("webhook_engine_failed", error=str(exc)[:300])
                external.wait(2.0)

    async def _serve(self, external: threading.Event) -> None:
        loop = asyncio.get_running_loop()
        self._loop, self._wake = loop, asyncio.Event()
        database = ThreadPoolExecutor(max_workers=1, thread_name_prefix="webhook-db")
        client = WebhookClient(self.settings, self.policy)
        await client.start()
        inflight: set[asyncio.Task] = set()
        finished: list[tuple[Job, AttemptResult]] = []
        answered = asyncio.Event()
        last_backlog = 0.0

        def done(task: asyncio.Task) -> None:
            inflight.discard(task)
            if not task.cancelled() and task.exception() is None:
                finished.append(task.result())
            answered.set()

        def stopping() -> bool:
            return external.is_set() or self._stop.is_set()

        try:
            while not stopping():
                self.last_tick = time.monotonic()
                if finished:
                    batch, finished[:] = list(finished), []
                    await loop.run_in_executor(database, self.record, batch)
                free = self.settings.concurrency - len(inflight)
                jobs = await loop.run_in_executor(database, self.claim, free) if free else []
                for job in jobs:
                    task = loop.create_task(self.attempt(client, job))
                    inflight.add(task)
                    task.add_done_callback(done)
                if time.monotonic() - last_backlog > 15:
                    last_backlog = time.monotonic()
                    await loop.run_in_executor(database, self._report_backlog)
                if finished:
                    continue
                # Saturated: only an answer frees a slot. Otherwise an answer (it may unblock the
                # next event of an aggregate), new deliveries (wake) or the poll interval.
                waits = [answered.wait()]
                if len(inflight) < self.settings.concurrency:
                    waits.append(self._wake.wait())
                tasks = [loop.create_task(w) for w in waits]
                await asyncio.wait(
                    tasks, timeout=self.settings.poll_interval, return_when=asyncio.FIRST_COMPLETED
                )
                for task in tasks:
                    task.cancel()
                answered.clear()
                self._wake.clear()
            if inflight:
                await asyncio.wait(inflight, timeout=self.settings.timeout + 5)
            if finished:
                await loop.run_in_executor(database, self.record, list(finished))
        finally:
            for task in inflight:
                task.cancel()
            await client.close()
            database.shutdown(wait=True)
            self._loop = self._wake = None

    def _report_backlog(self) -> None:
        d = wt.deliveries
        with self.db.session() as session:
            count = session.execute(
                select(func.count())
                .select_from(d)
                .where(d.c.status == PENDING, d.c.next_attempt_at <= self.clock())
            ).scalar_one()
        metrics.BACKLOG.set(count)


def _as_transient(result: AttemptResult) -> AttemptResult:
    """A delivery that cannot be signed right now (operator's key missing) waits and retries."""
    return AttemptResult(result.duration_ms, error=result.error, kind="network")


def _clip(text: str | None, limit: int) -> str | None:
    return text[:limit] if text else None
