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

from sqlalchemy import func, select

from gateway.webhooks import metrics
from gateway.webhooks import tables as wt
from gateway.webhooks.addresses import AddressPolicy
from gateway.webhooks.claims import claim_rows
from gateway.webhooks.recording import Recorded, observe, write_results
from gateway.webhooks.retry import AttemptResult, RetryPolicy, decide
from gateway.webhooks.secretbox import SecretBox, SecretUnreadable
from gateway.webhooks.sender import WebhookClient
from gateway.webhooks.settings import WebhookSettings
from gateway.webhooks.signing import SIGNATURE_HEADER, signature_header
from gateway.webhooks.tables import IS_PENDING
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

    # -- claiming and recording -------------------------------------------------------------

    def claim(self, limit: int) -> list[Job]:
        """Lease up to ``limit`` due deliveries (order and per-subscription caps respected)."""
        return self.cycle([], limit)[1]

    def record(self, outcomes: list[tuple[Job, AttemptResult]]) -> list[Recorded]:
        """Store attempts, move deliveries on, keep subscription health (one transaction)."""
        return self.cycle(outcomes, 0)[0]

    def cycle(
        self, outcomes: list[tuple[Job, AttemptResult]], limit: int
    ) -> tuple[list[Recorded], list[Job]]:
        """Record ``outcomes`` and claim up to ``limit`` more, in one transaction (the loop
        does both after every batch of answers: half the commits)."""
        if not outcomes and limit <= 0:
            return [], []
        now = self.clock()
        decided = [
            Recorded(
                job,
                result,
                decide(
                    result if result.kind != "config" else _as_transient(result),
                    job.attempt,
                    now,
                    job.deadline_at,
                    self.retry,
                    self.rng,
                ),
            )
            for job, result in outcomes
        ]
        recorded: list[Recorded] = []
        rows: list = []
        with self.uow() as uow:
            if decided:
                recorded = write_results(
                    uow,
                    decided,
                    owner=self.owner,
                    now=now,
                    disable={
                        "failures": self.settings.disable_after_failures,
                        "hours": self.settings.disable_after_hours,
                    },
                )
            if limit > 0:
                rows = claim_rows(
                    uow.session,
                    now=now,
                    limit=limit,
                    lease_until=now + timedelta(seconds=self.settings.timeout + 60),
                    owner=self.owner,
                    per_subscription=self.settings.subscription_concurrency,
                    postgres=self.db.is_postgres,
                )
            if recorded or rows:
                uow.commit()
        observe(recorded)
        return recorded, [self._job(row, now) for row in rows]

    def _job(self, row, now: datetime) -> Job:
        problem = None
        secrets: tuple[str, ...] = ()
        try:
            secrets = self.secrets.secrets(row, now)
        except SecretUnreadable as exc:
            problem = f"the subscription's secret cannot be read: {exc}"
        if row.body is None:
            problem = "the event is no longer in the archive"
        return Job(
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
                jobs = self.claim(self.settings.concurrency)
                for _ in range(max_rounds):
                    if not jobs:
                        break
                    outcomes = await asyncio.gather(*(self.attempt(client, j) for j in jobs))
                    recorded, jobs = self.cycle(list(outcomes), self.settings.concurrency)
                    done.extend(recorded)
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
            if not task.cancelled():
                if task.exception() is None:
                    finished.append(task.result())
                else:  # a bug, not a receiver's failure: the lease expires and it is retried
                    log.error("webhook_attempt_crashed", error=repr(task.exception())[:300])
            answered.set()

        def stopping() -> bool:
            return external.is_set() or self._stop.is_set()

        try:
            while not stopping():
                self.last_tick = time.monotonic()
                batch, finished[:] = list(finished), []
                free = self.settings.concurrency - len(inflight)
                _recorded, jobs = await loop.run_in_executor(database, self.cycle, batch, free)
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
                .where(d.c.status == IS_PENDING, d.c.next_attempt_at <= self.clock())
            ).scalar_one()
        metrics.BACKLOG.set(count)


def _as_transient(result: AttemptResult) -> AttemptResult:
    """A delivery that cannot be signed right now (operator's key missing) waits and retries."""
    return AttemptResult(result.duration_ms, error=result.error, kind="network")
