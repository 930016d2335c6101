"""The worker process of a service: event consumer, outbox relay, scheduler, health endpoint.

The consumer runs on the main thread's schedule, the relay and the scheduler on their own threads;
each keeps its own broker connection. SIGTERM/SIGINT stop all three after in-flight work
finishes. A small HTTP server answers ``/health/live``, ``/health/ready`` and ``/metrics``.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterable
from datetime import timedelta
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from sqlalchemy import delete

from servicekit import idempotency, metrics, tables
from servicekit.amqp import QueueTopology
from servicekit.config import ServiceSettings
from servicekit.consumer import EventConsumer, HandlerRegistry
from servicekit.db import Database
from servicekit.health import Check, database_check, run_checks
from servicekit.logging import configure_logging, get_logger
from servicekit.relay import OutboxRelay
from servicekit.scheduler import Job, Scheduler
from servicekit.types import utcnow
from servicekit.uow import UnitOfWorkFactory

log = get_logger("servicekit.worker")


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):  # health probes would flood the logs
        return


def topology_for(settings: ServiceSettings, registry: HandlerRegistry) -> QueueTopology:
    return QueueTopology(
        consumer=settings.service,
        exchange=settings.exchange,
        bindings=registry.bindings(),
        retry_delays=settings.retry_delays,
        quorum=settings.quorum_queues,
    )


def maintenance_jobs(settings: ServiceSettings, db: Database) -> list[Job]:
    """Purges every service runs: old inbox rows, published outbox rows, idempotency keys."""

    def purge_inbox():
        cutoff = utcnow() - timedelta(days=settings.inbox_retention_days)
        with db.write_session() as session:
            session.execute(delete(tables.inbox).where(tables.inbox.c.received_at < cutoff))
            session.commit()

    def purge_outbox():
        cutoff = utcnow() - timedelta(days=settings.outbox_retention_days)
        with db.write_session() as session:
            session.execute(
                delete(tables.outbox).where(
                    tables.outbox.c.published_at.is_not(None),
                    tables.outbox.c.published_at < cutoff,
                )
            )
            session.commit()

    return [
        Job("purge-inbox", 3600, purge_inbox),
        Job("purge-outbox", 3600, purge_outbox),
        Job("purge-idempotency-keys", 3600, lambda: idempotency.purge_expired(db)),
    ]


class Worker:
    def __init__(
        self,
        settings: ServiceSettings,
        db: Database,
        uow_factory: UnitOfWorkFactory,
        *,
        registry: HandlerRegistry | None = None,
        jobs: Iterable[Job] = (),
        extra_checks: Iterable[Check] = (),
        run_relay: bool = True,
    ) -> None:
        self.settings = settings
        self.db = db
        self.stop_event = threading.Event()
        self.relay = (
            OutboxRelay(
                db,
                settings.amqp_url,
                settings.exchange,
                settings.service,
                batch_size=settings.relay_batch_size,
                idle_interval=settings.relay_idle_interval,
                heartbeat=settings.amqp_heartbeat,
            )
            if run_relay
            else None
        )
        self.consumer = (
            EventConsumer(
                amqp_url=settings.amqp_url,
                topology=topology_for(settings, registry),
                registry=registry,
                uow_factory=uow_factory,
                service=settings.service,
                prefetch=settings.consumer_prefetch,
                concurrency=settings.consumer_concurrency,
                heartbeat=settings.amqp_heartbeat,
                batch_size=settings.consumer_batch_size,
            )
            if registry is not None and registry.bindings()
            else None
        )
        self.scheduler = Scheduler(db, settings.service, [*maintenance_jobs(settings, db), *jobs])
        self.checks = [database_check(db), *self._runtime_checks(), *extra_checks]
        self._server: WSGIServer | None = None
        self._threads: list[threading.Thread] = []

    def _runtime_checks(self) -> list[Check]:
        checks = []
        if self.relay is not None:
            checks.append(
                Check(
                    "relay",
                    lambda: (
                        None
                        if self.relay.healthy
                        else (self.relay.last_error or "not connected yet")
                    ),
                )
            )
        if self.consumer is not None:

            def consumer_probe():
                if not self.consumer.connected:
                    return self.consumer.last_error or "not connected to the broker"
                stuck = self.consumer.stuck_for()
                if stuck > 120:
                    return f"a message has been in its handler for {stuck:.0f}s"
                return None

            checks.append(Check("consumer", consumer_probe))
        checks.append(
            Check(
                "scheduler",
                lambda: (
                    None
                    if time.monotonic() - self.scheduler.last_tick < 600
                    else "scheduler has not ticked for 10 minutes"
                ),
            )
        )
        return checks

    # -- HTTP -------------------------------------------------------------------------------

    def _wsgi(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/health/live":
            body, status, ctype = b'{"status":"live"}', "200 OK", "application/json"
        elif path == "/health/ready":
            import json

            code, payload = run_checks(self.checks)
            payload["service"] = self.settings.service
            payload["process"] = "worker"
            body = json.dumps(payload).encode()
            status = "200 OK" if code == 200 else "503 Service Unavailable"
            ctype = "application/json"
        elif path == "/metrics":
            body, ctype = metrics.render()
            status = "200 OK"
        else:
            body, status, ctype = b'{"error":"not found"}', "404 Not Found", "application/json"
        start_response(status, [("Content-Type", ctype), ("Content-Length", str(len(body)))])
        return [body]

    def _serve_http(self) -> None:
        port = self.settings.worker_port
        if not port:
            return
        self._server = make_server(
            self.settings.worker_bind, port, self._wsgi, handler_class=_QuietHandler
        )
        thread = threading.Thread(target=self._server.serve_forever, name="health", daemon=True)
        thread.start()

    # -- lifecycle --------------------------------------------------------------------------

    def declare_topology(self, attempts: int = 30) -> None:
        """Declare this service's queues before anything is published.

        A topic exchange drops what no queue is bound to, so the queues must exist before the
        first event of a type this service consumes is published.
        """
        if self.consumer is None:
            return
        from servicekit.amqp import connect

        for attempt in range(attempts):
            try:
                with connect(self.settings.amqp_url) as conn:
                    self.consumer.topology.declare(conn.default_channel)
                return
            except Exception as exc:  # broker not up yet: the runner may start us first
                if attempt == attempts - 1:
                    log.warning("topology_not_declared", error=str(exc)[:200])
                    return
                time.sleep(min(0.5 * (attempt + 1), 5))

    def start_background(self) -> None:
        """Start relay and scheduler threads (the consumer too when ``run`` is not used)."""
        if self.relay is not None:
            self._spawn("relay", self.relay.run)
        self._spawn("scheduler", self.scheduler.run)

    def _spawn(self, name: str, target) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        self.stop_event.set()
        if self.relay is not None:
            self.relay.stop_event.set()
        self.scheduler.stop_event.set()
        if self.consumer is not None:
            self.consumer.stop()

    def run(self) -> None:
        """Run until SIGTERM/SIGINT."""
        configure_logging(self.settings.log_level, self.settings.log_format, self.settings.service)
        signal.signal(signal.SIGTERM, lambda *_: self.stop())
        signal.signal(signal.SIGINT, lambda *_: self.stop())
        self._serve_http()
        self.declare_topology()
        self.start_background()
        log.info(
            "worker_started",
            relay=self.relay is not None,
            consumer=self.consumer.topology.main if self.consumer else None,
            jobs=[j.name for j in self.scheduler.jobs],
        )
        if self.consumer is not None:
            consumer_thread = threading.Thread(target=self.consumer.run, name="consumer")
            consumer_thread.start()
            while consumer_thread.is_alive():
                consumer_thread.join(timeout=0.5)
        else:
            while not self.stop_event.wait(0.5):
                pass
        for thread in self._threads:
            thread.join(timeout=30)
        if self._server is not None:
            self._server.shutdown()
        log.info("worker_stopped")
