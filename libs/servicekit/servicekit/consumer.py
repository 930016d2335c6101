"""The event consumer: one durable queue per service, inbox dedupe, delayed retries, parking.

For each message: decode and check the envelope and its contract, open a unit of work, claim the
inbox row ``(consumer, event_id)``, run the handler, commit — then ack. A redelivered event hits
the inbox and has no second effect. A handler that fails is retried after growing delays (TTL
queues that dead-letter back to the main queue) and then parked on ``<service>.events.dead`` for an
operator; a message that can never succeed (undecodable, breaks its contract, ``Reject``) is parked
at once. When the service's own database is down the message is neither retried nor parked: the
consumer holds it and pauses until the database answers again.

Threads: the main thread owns the AMQP connection (py-amqp is not thread-safe) — it receives,
acks, publishes retries and keeps heartbeats flowing — while handlers run on a small thread pool,
so a long handler never starves the heartbeat.
"""

from __future__ import annotations

import fnmatch
import json
import os
import random
import select
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

import amqp
from sqlalchemy import exc as sa_exc

from event_contracts import ContractViolation, validate_envelope, validate_event
from servicekit import metrics
from servicekit.amqp import QueueTopology, connect
from servicekit.context import Trace, bind_trace, child_traceparent, new_id, valid_traceparent
from servicekit.events import Envelope
from servicekit.logging import get_logger
from servicekit.uow import DuplicateEvent, UnitOfWork, UnitOfWorkFactory

log = get_logger("servicekit.consumer")

Handler = Callable[[Envelope, UnitOfWork], None]

ATTEMPT_HEADER = "x-mms-attempt"


class Reject(Exception):
    """Raised by a handler for an event that can never be handled: park it without retrying."""


def is_infrastructure_error(exc: BaseException) -> bool:
    """True for failures of the service's own database connection (not of the handler)."""
    if isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError)):
        return True
    return isinstance(exc, sa_exc.DBAPIError) and bool(exc.connection_invalidated)


# SQLSTATEs of a transaction the database aborted because of a concurrent one (serialization
# failure, deadlock): nothing is wrong with the message or the database, so running it again
# right away succeeds.
CONFLICT_SQLSTATES = frozenset({"40001", "40P01"})
# Runs of one transaction before a conflict is left to the infrastructure path (held, no retry
# budget spent, tried again after a pause).
CONFLICT_ATTEMPTS = 3


def is_transaction_conflict(exc: BaseException) -> bool:
    """True when the database aborted the transaction for a conflict with a concurrent one."""
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    orig = exc.orig
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return state in CONFLICT_SQLSTATES


def _after_conflict(attempt: int) -> None:
    # Jittered, so the two transactions that met do not meet again at once.
    time.sleep(random.uniform(0, 0.05 * attempt))


class HandlerRegistry:
    """Which function handles which event type and contract version."""

    def __init__(self) -> None:
        self._handlers: dict[tuple[str, int], Handler] = {}
        self._patterns: list[tuple[str, Handler]] = []

    def on(self, event_type: str, version: int = 1) -> Callable[[Handler], Handler]:
        def decorator(fn: Handler) -> Handler:
            self.add(event_type, version, fn)
            return fn

        return decorator

    def add(self, event_type: str, version: int, fn: Handler) -> None:
        if (event_type, version) in self._handlers:
            raise ValueError(f"two handlers for {event_type} v{version}")
        self._handlers[(event_type, version)] = fn

    def add_pattern(self, pattern: str, fn: Handler) -> None:
        """Handle every event whose type matches an AMQP topic ``pattern`` (``sales.#``)."""
        self._patterns.append((pattern, fn))

    def resolve(self, event_type: str, version: int) -> Handler | None:
        found = self._handlers.get((event_type, version))
        if found is not None:
            return found
        for pattern, fn in self._patterns:
            if topic_matches(pattern, event_type):
                return fn
        return None

    def bindings(self) -> tuple[str, ...]:
        return tuple(sorted({t for t, _ in self._handlers} | {p for p, _ in self._patterns}))

    def handled(self) -> list[tuple[str, int]]:
        return sorted(self._handlers)


def topic_matches(pattern: str, routing_key: str) -> bool:
    """AMQP topic matching: ``*`` is one word, ``#`` zero or more."""
    p_words, k_words = pattern.split("."), routing_key.split(".")

    def match(i: int, j: int) -> bool:
        if i == len(p_words):
            return j == len(k_words)
        if p_words[i] == "#":
            return any(match(i + 1, k) for k in range(j, len(k_words) + 1))
        if j == len(k_words):
            return False
        return (p_words[i] == "*" or fnmatch.fnmatchcase(k_words[j], p_words[i])) and match(
            i + 1, j + 1
        )

    return match(0, 0)


@dataclass
class _Delivery:
    message: amqp.Message
    generation: int
    received_at: float = field(default_factory=time.monotonic)


@dataclass
class _Outcome:
    delivery: _Delivery
    kind: str  # ok | duplicate | skipped | retry | park | infra
    event_type: str = "unknown"
    reason: str | None = None


def trace_for(envelope: Envelope) -> Trace:
    """The trace under which an event's effects (and the events they cause) are recorded."""
    parent = valid_traceparent(envelope.headers.get("traceparent"))
    return Trace(
        request_id=new_id(),
        correlation_id=envelope.correlation_id,
        causation_id=envelope.event_id,
        traceparent=child_traceparent(parent),
    )


def handle_envelope(
    consumer: str,
    envelope: Envelope,
    handler: Handler,
    uow_factory: UnitOfWorkFactory,
) -> None:
    """Run ``handler`` for one event exactly once per consumer (inbox), committing its effects.

    A transaction the database aborts for a conflict with a concurrent one (a deadlock) is run
    again, up to ``CONFLICT_ATTEMPTS`` times in all.
    """
    attempt = 1
    while True:
        try:
            with bind_trace(trace_for(envelope)), uow_factory() as uow:
                uow.claim_inbox(consumer, envelope)
                handler(envelope, uow)
                uow.commit()
            return
        except sa_exc.DBAPIError as exc:
            if attempt >= CONFLICT_ATTEMPTS or not is_transaction_conflict(exc):
                raise
            log.warning(
                "transaction_conflict_retried",
                event_type=envelope.event_type,
                attempt=attempt,
                error=str(exc)[:300],
            )
            _after_conflict(attempt)
            attempt += 1


class EventConsumer:
    """Consumes the service's queue until :meth:`stop`; reconnects after broker loss."""

    def __init__(
        self,
        *,
        amqp_url: str,
        topology: QueueTopology,
        registry: HandlerRegistry,
        uow_factory: UnitOfWorkFactory,
        service: str,
        prefetch: int = 64,
        concurrency: int = 1,
        max_backoff: float = 15.0,
        heartbeat: int = 20,
        batch_size: int = 100,
    ) -> None:
        self.amqp_url = amqp_url
        self.heartbeat = heartbeat
        self.batch_size = max(1, batch_size)
        self.sessions = 0
        self._busy = 0
        self.topology = topology
        self.registry = registry
        self.uow_factory = uow_factory
        self.service = service
        self.name = topology.consumer
        self.prefetch = max(prefetch, concurrency)
        self.concurrency = concurrency
        self.max_backoff = max_backoff
        self.stop_event = threading.Event()
        self.connected = False
        self.last_progress = time.monotonic()
        self.last_error: str | None = None
        self._generation = 0
        self._pending: deque[_Delivery] = deque()
        self._inflight: dict[int, _Delivery] = {}
        self._results: deque[list[_Outcome]] = deque()
        self._results_lock = threading.Lock()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        self._paused_until = 0.0
        self._infra_backoff = 0.5
        self._executor = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="handler")
        self._last_depth_at = 0.0

    # -- health -----------------------------------------------------------------------------

    def stuck_for(self) -> float:
        """Seconds the oldest in-flight message has been running (0 when idle)."""
        if not self._inflight:
            return 0.0
        return time.monotonic() - min(d.received_at for d in self._inflight.values())

    def stop(self) -> None:
        self.stop_event.set()
        self._wake()

    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass

    # -- main loop --------------------------------------------------------------------------

    def run(self) -> None:
        backoff = 0.5
        while not self.stop_event.is_set():
            try:
                self._session()
                backoff = 0.5
            except Exception as exc:  # broker gone, channel closed, socket reset: reconnect
                self.connected = False
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning(
                    "consumer_reconnecting", error=self.last_error[:300], seconds=round(backoff, 2)
                )
                self._abandon_deliveries()
                self.stop_event.wait(backoff + random.uniform(0, backoff / 2))
                backoff = min(backoff * 2, self.max_backoff)
        self._executor.shutdown(wait=True)

    def _abandon_deliveries(self) -> None:
        # Their delivery tags died with the channel; the broker redelivers them and the inbox
        # absorbs any that were already handled.
        self._generation += 1
        self._pending.clear()
        deadline = time.monotonic() + 30
        while self._inflight and time.monotonic() < deadline:
            time.sleep(0.05)
            with self._results_lock:
                while self._results:
                    for outcome in self._results.popleft():
                        self._inflight.pop(id(outcome.delivery), None)
                    self._busy -= 1
        self._inflight.clear()
        self._busy = 0

    def _session(self) -> None:
        conn = connect(self.amqp_url, heartbeat=self.heartbeat)
        self.sessions += 1
        try:
            channel = conn.channel()
            self.topology.declare(channel)
            channel.basic_qos(0, self.prefetch, False)
            side = conn.channel()
            side.confirm_select()
            generation = self._generation

            def on_message(message: amqp.Message) -> None:
                self._pending.append(_Delivery(message, generation))

            channel.basic_consume(queue=self.topology.main, callback=on_message, no_ack=False)
            self.connected = True
            self.last_error = None
            log.info("consumer_started", queue=self.topology.main, bindings=self.topology.bindings)
            # The loop talks to the py-amqp connection itself: kombu's ``Connection.connection``
            # silently opens a fresh connection once the old one died, and a loop on that one
            # would look healthy while the broker has no consumer on the queue.
            raw = conn.connection
            sock = raw.sock
            while True:
                if self.stop_event.is_set() and not self._inflight:
                    break
                if not self.stop_event.is_set():
                    self._dispatch()
                timeout = 1.0
                if self._paused_until:
                    timeout = max(0.0, min(timeout, self._paused_until - time.monotonic()))
                readable, _, _ = select.select([sock, self._wake_r], [], [], timeout)
                if sock in readable:
                    self._drain(raw)
                if self._wake_r in readable:
                    try:
                        os.read(self._wake_r, 4096)
                    except BlockingIOError:
                        pass
                self._settle(channel, side)
                raw.heartbeat_tick(rate=2)
                self._report_depth(channel)
                if not raw.connected:
                    raise ConnectionError("the broker connection closed")
        finally:
            self.connected = False
            try:
                conn.release()
            except Exception:  # noqa: S110 - the connection may already be broken
                pass

    @staticmethod
    def _drain(raw) -> None:
        for _ in range(1000):
            try:
                raw.drain_events(timeout=0.001)
            except TimeoutError:
                return

    def _dispatch(self) -> None:
        now = time.monotonic()
        if self._paused_until and now < self._paused_until:
            return
        self._paused_until = 0.0
        while self._pending and self._busy < self.concurrency:
            size = min(self.batch_size, len(self._pending))
            batch = [self._pending.popleft() for _ in range(size)]
            for delivery in batch:
                self._inflight[id(delivery)] = delivery
            self._busy += 1
            self._executor.submit(self._run_batch, batch)

    def _run_batch(self, batch: list[_Delivery]) -> None:
        try:
            outcomes = self._process_batch(batch)
        except BaseException as exc:  # never lose a result, even for an unexpected failure
            outcomes = [_Outcome(d, "retry", reason=f"{type(exc).__name__}: {exc}") for d in batch]
        with self._results_lock:
            self._results.append(outcomes)
        self._wake()

    def _prepare(self, delivery: _Delivery) -> _Outcome | tuple[Envelope, Handler]:
        """Decode and check one message; an _Outcome when there is nothing to handle."""
        message = delivery.message
        try:
            body = json.loads(message.body)
            validate_envelope(body)
        except (ValueError, TypeError, ContractViolation) as exc:
            return _Outcome(delivery, "park", reason=f"undecodable envelope: {exc}")
        headers = dict(message.properties.get("application_headers") or {})
        envelope = Envelope.from_dict(body, headers)
        handler = self.registry.resolve(envelope.event_type, envelope.version)
        if handler is None:
            return _Outcome(delivery, "skipped", envelope.event_type)
        try:
            validate_event(envelope.event_type, envelope.version, envelope.data)
        except ContractViolation as exc:
            # An unknown version is not a violation: the producer publishes the old one beside it.
            if "no contract for" in str(exc):
                return _Outcome(delivery, "skipped", envelope.event_type)
            return _Outcome(delivery, "park", envelope.event_type, f"contract violation: {exc}")
        return envelope, handler

    def _process_batch(self, batch: list[_Delivery]) -> list[_Outcome]:
        """Handle a batch in one transaction; on any handler failure, one by one instead.

        One commit per batch instead of per event is what lets a consumer keep up with the
        relay. A failing handler rolls the whole batch back (its effects and the inbox rows), and
        the batch is then handled message by message so that only the failing one is retried.
        """
        outcomes: list[_Outcome] = []
        work: list[tuple[_Delivery, Envelope, Handler]] = []
        for delivery in batch:
            prepared = self._prepare(delivery)
            if isinstance(prepared, _Outcome):
                outcomes.append(prepared)
            else:
                work.append((delivery, *prepared))
        if len(work) > 1:
            attempt = 1
            while True:
                try:
                    handled = self._batch_transaction(work)
                except Exception as exc:
                    if is_transaction_conflict(exc) and attempt < CONFLICT_ATTEMPTS:
                        log.warning(
                            "transaction_conflict_retried",
                            batch=len(work),
                            attempt=attempt,
                            error=str(exc)[:300],
                        )
                        _after_conflict(attempt)
                        attempt += 1
                        continue
                    if is_infrastructure_error(exc):
                        return outcomes + [
                            _Outcome(d, "infra", e.event_type, str(exc)[:300]) for d, e, _ in work
                        ]
                    break  # find the failing message by handling them one at a time
                for (_, envelope, _), outcome in zip(work, handled, strict=True):
                    if outcome.kind == "ok":
                        self._observe_lag(envelope)
                return outcomes + handled
        return outcomes + [self._handle_one(d, e, h) for d, e, h in work]

    def _batch_transaction(self, work: list[tuple[_Delivery, Envelope, Handler]]) -> list[_Outcome]:
        handled = []
        with self.uow_factory() as uow:
            seen_before = uow.claim_inbox_batch(self.name, [e for _, e, _ in work])
            seen_now: set[str] = set()
            for delivery, envelope, handler in work:
                if envelope.event_id in seen_before or envelope.event_id in seen_now:
                    handled.append(_Outcome(delivery, "duplicate", envelope.event_type))
                    continue
                seen_now.add(envelope.event_id)
                with bind_trace(trace_for(envelope)):
                    handler(envelope, uow)
                    uow.stage_events()
                handled.append(_Outcome(delivery, "ok", envelope.event_type))
            uow.commit()
        return handled

    def _handle_one(self, delivery: _Delivery, envelope: Envelope, handler: Handler) -> _Outcome:
        try:
            handle_envelope(self.name, envelope, handler, self.uow_factory)
        except DuplicateEvent:
            return _Outcome(delivery, "duplicate", envelope.event_type)
        except Reject as exc:
            return _Outcome(delivery, "park", envelope.event_type, f"rejected: {exc}")
        except Exception as exc:
            if is_infrastructure_error(exc):
                return _Outcome(delivery, "infra", envelope.event_type, str(exc)[:300])
            log.exception(
                "handler_failed", event_type=envelope.event_type, event_id=envelope.event_id
            )
            return _Outcome(delivery, "retry", envelope.event_type, f"{type(exc).__name__}: {exc}")
        self._observe_lag(envelope)
        return _Outcome(delivery, "ok", envelope.event_type)

    def _observe_lag(self, envelope: Envelope) -> None:
        try:
            occurred = datetime.fromisoformat(envelope.occurred_at.replace("Z", "+00:00"))
            metrics.EVENT_LAG.labels(self.service).observe(
                max(0.0, time.time() - occurred.timestamp())
            )
        except ValueError:
            pass

    def _settle(self, channel, side) -> None:
        with self._results_lock:
            batches = list(self._results)
            self._results.clear()
        for outcomes in batches:
            self._busy -= 1
            held: list[_Delivery] = []
            for outcome in outcomes:
                delivery = outcome.delivery
                self._inflight.pop(id(delivery), None)
                if delivery.generation != self._generation:
                    continue
                metrics.EVENTS_HANDLED.labels(self.service, outcome.event_type, outcome.kind).inc()
                if outcome.kind == "infra":
                    held.append(delivery)
                    continue
                if outcome.kind == "retry":
                    self._retry_or_park(side, delivery.message, outcome)
                elif outcome.kind == "park":
                    self._park(side, delivery.message, outcome, self._attempt(delivery.message))
                channel.basic_ack(delivery.message.delivery_tag)
                self.last_progress = time.monotonic()
            if held:
                # Our database is down: keep the messages in order, pause, try again later —
                # without using up their retry budget.
                self._pending.extendleft(reversed(held))
                self._paused_until = time.monotonic() + self._infra_backoff
                log.warning(
                    "consumer_paused_database_unavailable",
                    seconds=self._infra_backoff,
                    held=len(held),
                )
                self._infra_backoff = min(self._infra_backoff * 2, self.max_backoff)
            else:
                self._infra_backoff = 0.5

    @staticmethod
    def _attempt(message: amqp.Message) -> int:
        headers = message.properties.get("application_headers") or {}
        try:
            return int(headers.get(ATTEMPT_HEADER, 0))
        except (TypeError, ValueError):
            return 0

    def _republish(self, side, message: amqp.Message, queue: str, extra_headers: dict) -> None:
        props = dict(message.properties)
        headers = dict(props.get("application_headers") or {})
        headers.pop("x-death", None)
        headers.update(extra_headers)
        copy = amqp.Message(
            message.body,
            content_type=props.get("content_type", "application/json"),
            content_encoding=props.get("content_encoding", "utf-8"),
            delivery_mode=2,
            message_id=props.get("message_id"),
            type=props.get("type"),
            correlation_id=props.get("correlation_id"),
            application_headers=headers,
        )
        side.basic_publish_confirm(copy, exchange="", routing_key=queue, confirm_timeout=15)

    def _retry_or_park(self, side, message: amqp.Message, outcome: _Outcome) -> None:
        attempt = self._attempt(message) + 1
        if attempt > len(self.topology.retry_delays):
            self._park(side, message, outcome, attempt - 1)
            return
        log.warning(
            "event_retry_scheduled",
            event_type=outcome.event_type,
            attempt=attempt,
            delay=self.topology.retry_delays[attempt - 1],
            error=outcome.reason,
        )
        self._republish(
            side,
            message,
            self.topology.retry(attempt),
            {
                ATTEMPT_HEADER: attempt,
                "x-mms-last-error": (outcome.reason or "")[:1000],
            },
        )

    def _park(self, side, message: amqp.Message, outcome: _Outcome, attempts: int) -> None:
        log.error(
            "event_parked",
            event_type=outcome.event_type,
            attempts=attempts,
            reason=outcome.reason,
            queue=self.topology.dead,
        )
        self._republish(
            side,
            message,
            self.topology.dead,
            {
                ATTEMPT_HEADER: attempts,
                "x-mms-error": (outcome.reason or "")[:2000],
                "x-mms-failed-at": datetime.now(UTC).isoformat(),
                "x-mms-consumer": self.name,
            },
        )

    def _report_depth(self, channel, every: float = 10.0) -> None:
        now = time.monotonic()
        if now - self._last_depth_at < every:
            return
        self._last_depth_at = now
        try:
            for queue, depth in self.topology.depths(channel).items():
                metrics.QUEUE_DEPTH.labels(self.service, queue).set(depth)
        except Exception as exc:  # metrics must never break consumption
            log.debug("queue_depth_failed", error=str(exc))
