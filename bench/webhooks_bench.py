"""Webhook delivery: deliveries/s to a local receiver beside a bare HTTP POST loop to the same
receiver in the same run, and delivery lag at a steady load.

  throughput  N events fanned out to K subscriptions (N*K pending deliveries, each event its own
              aggregate) drained by the worker's delivery loop (DeliveryEngine.run: claim, sign,
              POST, record every attempt) with the default caps (64 in flight, 8 per
              subscription). Baseline: an aiohttp POST loop with the same number of requests in
              flight, same bodies, same receiver, no database and no signing.
  lag         events dispatched at a steady rate, one small transaction each as the consumer
              commits them, while the loop runs: occurred_at -> received; p50/p95/p99.
  broker lag  (with --broker) the same end to end through RabbitMQ and a real
              `gateway-service worker` process: publish -> consume, archive and fan out ->
              deliver.

The receiver runs in its own process (aiohttp) and answers 200 at once.

    .venv/bin/python bench/webhooks_bench.py [--events 2000] [--subscriptions 4] [--rate 100]
                                             [--seconds 10] [--backend sqlite|postgres] [--broker]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "gateway" / "tests"))

from _common import fresh_pg_database, fresh_vhost, percentile, say, servers, table  # noqa: E402
from gateway_testkit import WEBHOOK_KEY, sample_envelope, webhook_settings  # noqa: E402

from gateway.runtime import MIGRATIONS  # noqa: E402
from gateway.store import Store  # noqa: E402
from gateway.webhooks.secretbox import SecretBox  # noqa: E402
from gateway.webhooks.store import Owner, WebhookStore  # noqa: E402
from gateway.webhooks.worker import WebhookWorker  # noqa: E402
from servicekit import migrations  # noqa: E402
from servicekit.db import Database  # noqa: E402
from servicekit.events import Envelope  # noqa: E402
from servicekit.testing.servers import free_port  # noqa: E402
from servicekit.uow import UnitOfWorkFactory  # noqa: E402

# -- the receiver (its own process) ---------------------------------------------------------


def _serve_receiver(port: int, ready) -> None:
    from aiohttp import web

    lags: list[float] = []

    async def hook(request: web.Request):
        body = await request.read()
        received = time.time()
        try:
            occurred = json.loads(body)["occurred_at"]
            when = datetime.fromisoformat(occurred.replace("Z", "+00:00")).timestamp()
            lags.append(received - when)
        except (ValueError, KeyError):
            lags.append(float("nan"))
        return web.Response(text="ok")

    async def stats(request):
        if request.query.get("count"):
            return web.json_response({"count": len(lags)})
        return web.json_response({"count": len(lags), "lags": lags})

    async def reset(_request):
        lags.clear()
        return web.json_response({"count": 0})

    app = web.Application()
    app.router.add_post("/hook/{n}", hook)
    app.router.add_get("/stats", stats)
    app.router.add_post("/reset", reset)

    async def main():
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port, backlog=1024).start()
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


class ReceiverProcess:
    def __init__(self) -> None:
        self.port = free_port()
        context = multiprocessing.get_context("fork")
        ready = context.Event()
        self.process = context.Process(target=_serve_receiver, args=(self.port, ready), daemon=True)
        self.process.start()
        if not ready.wait(30):
            raise RuntimeError("the receiver did not start")

    def url(self, n: int = 0) -> str:
        return f"http://127.0.0.1:{self.port}/hook/{n}"

    def _call(self, method: str, path: str) -> dict:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method)
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def stats(self) -> dict:
        return self._call("GET", "/stats")

    def reset(self) -> None:
        self._call("POST", "/reset")

    def wait_for(self, count: int, timeout: float = 600) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._call("GET", "/stats?count=1")["count"] >= count:
                return time.perf_counter()
            time.sleep(0.02)
        raise TimeoutError(f"the receiver got {self.stats()['count']} of {count}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(10)


# -- phases ---------------------------------------------------------------------------------


def baseline(receiver: ReceiverProcess, body: bytes, requests: int, concurrency: int) -> float:
    """Requests per second of a bare aiohttp POST loop (no database, no signing)."""
    import aiohttp

    async def run() -> float:
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:
            remaining = iter(range(requests))

            async def lane():
                for n in remaining:
                    async with session.post(
                        receiver.url(n % 8), data=body, headers={"Content-Type": "application/json"}
                    ) as response:
                        await response.read()

            started = time.perf_counter()
            await asyncio.gather(*(lane() for _ in range(concurrency)))
            return requests / (time.perf_counter() - started)

    return asyncio.run(run())


def prepare(db: Database, receiver: ReceiverProcess, subscriptions: int) -> list[str]:
    admin = Store(db).create_user(
        email=f"bench-{uuid.uuid4().hex[:6]}@example.com",
        name="Bench",
        password_hash="x",
        roles=["admin"],
        team=None,
    )
    box = SecretBox([WEBHOOK_KEY])
    store = WebhookStore(db, retry_window=3600)
    ids = []
    for n in range(subscriptions):
        subscription_id = str(uuid.uuid4())
        store.create(
            subscription_id=subscription_id,
            owner=Owner("user", admin.id, "Bench"),
            url=receiver.url(n),
            description=None,
            event_types=["sales.order.*"],
            filters={},
            active=True,
            ordered=True,
            secret_ciphertext=box.encrypt("whsec_bench-secret-0123456789abcdef", subscription_id),
            secret_hint="x",
            limit=1000,
        )
        ids.append(subscription_id)
    return ids


def dispatch(parts: WebhookWorker, db: Database, envelopes: list[dict], batch: int) -> None:
    factory = UnitOfWorkFactory(db, "gateway")
    for start in range(0, len(envelopes), batch):
        with factory() as uow:
            for body in envelopes[start : start + batch]:
                parts.dispatcher.handle(Envelope.from_dict(body), uow)
            uow.commit()


def fresh_event(**changes) -> dict:
    occurred = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    return sample_envelope(aggregate_id=str(uuid.uuid4()), occurred_at=occurred, **changes)


def run_engine(parts: WebhookWorker) -> tuple[threading.Event, threading.Thread]:
    stop = threading.Event()
    thread = threading.Thread(target=parts.engine.run, args=(stop,), daemon=True)
    thread.start()
    return stop, thread


def throughput(db, receiver, events: int, subscriptions: int) -> tuple[float, float]:
    settings = webhook_settings()
    parts = WebhookWorker.build(db, settings)
    prepare(db, receiver, subscriptions)
    body = json.dumps(fresh_event()).encode()
    total = events * subscriptions
    receiver.reset()
    base = baseline(receiver, body, total, settings.concurrency)
    dispatch(parts, db, [fresh_event() for _ in range(events)], batch=100)
    receiver.reset()
    started = time.perf_counter()
    stop, thread = run_engine(parts)
    finished = receiver.wait_for(total)
    stop.set()
    parts.engine.stop()
    thread.join(30)
    return total / (finished - started), base


def paced_lag(db, receiver, rate: float, seconds: float, subscriptions: int) -> list[float]:
    parts = WebhookWorker.build(db, webhook_settings())
    prepare(db, receiver, subscriptions)
    receiver.reset()
    stop, thread = run_engine(parts)
    interval, sent = 1.0 / rate, 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        dispatch(parts, db, [fresh_event()], batch=1)
        sent += 1
        pause = started + sent * interval - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
    achieved = sent / (time.perf_counter() - started)
    receiver.wait_for(sent * subscriptions)
    stop.set()
    parts.engine.stop()
    thread.join(30)
    return receiver.stats()["lags"], achieved


def broker_lag(receiver, amqp_url: str, rate: float, seconds: float, subscriptions: int):
    import kombu
    from gateway_processes import Processes, start_gateway_worker

    from servicekit.amqp import connect, events_exchange

    base = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    group = Processes(base)
    try:
        start_gateway_worker(
            group,
            amqp_url,
            MMS_WEBHOOK_SECRET_KEY=WEBHOOK_KEY,
            MMS_WEBHOOK_ALLOWED_NETWORKS="127.0.0.0/8",
        )
        db = Database(f"sqlite:///{base / 'gateway.sqlite3'}")
        prepare(db, receiver, subscriptions)
        db.dispose()
        receiver.reset()
        with connect(amqp_url) as conn:
            channel = conn.default_channel
            events_exchange("mms.events")(channel).declare()
            producer = kombu.Producer(channel)
            interval, sent = 1.0 / rate, 0
            started = time.perf_counter()
            while time.perf_counter() - started < seconds:
                body = fresh_event()
                producer.publish(
                    json.dumps(body),
                    exchange="mms.events",
                    routing_key=body["event_type"],
                    content_type="application/json",
                    content_encoding="utf-8",
                    message_id=body["event_id"],
                    type=body["event_type"],
                    delivery_mode=2,
                )
                sent += 1
                pause = started + sent * interval - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
        achieved = sent / (time.perf_counter() - started)
        receiver.wait_for(sent * subscriptions)
        return receiver.stats()["lags"], achieved
    finally:
        group.stop_all()


def lag_row(name: str, measured: tuple[list[float], float]) -> tuple:
    lags, achieved = measured
    ms = [v * 1000 for v in lags]
    return (
        name,
        f"{achieved:.0f}",
        len(ms),
        f"{percentile(ms, 50):.1f}",
        f"{percentile(ms, 95):.1f}",
        f"{percentile(ms, 99):.1f}",
        f"{max(ms):.1f}",
    )


def database(backend: str, dsn: str | None, name: str) -> Database:
    if backend == "postgres":
        url = fresh_pg_database(dsn, name)
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='bench-webhooks-')) / 'gateway.sqlite3'}"
    db = Database(url, pool_size=8)
    migrations.upgrade(MIGRATIONS, db)
    return db


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--subscriptions", type=int, default=4)
    parser.add_argument("--rate", type=float, default=100.0, help="events/s in the lag phases")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--broker", action="store_true", help="also measure through RabbitMQ")
    args = parser.parse_args()
    os.environ.setdefault("MMS_LOG_LEVEL", "WARNING")

    receiver = ReceiverProcess()
    needs_servers = args.broker or args.backend == "postgres"
    context = servers(args.backend == "postgres") if needs_servers else nullcontext((None, None))
    try:
        with context as (amqp, dsn):
            say(
                f"webhooks bench: {args.events} events x {args.subscriptions} subscriptions, "
                f"{args.backend}, receiver in its own process"
            )
            db = database(args.backend, dsn, "bench_webhooks_throughput")
            rate, base = throughput(db, receiver, args.events, args.subscriptions)
            db.dispose()
            say(
                table(
                    [
                        ("bare aiohttp POST loop (baseline)", f"{base:,.0f}", "1.00"),
                        ("webhook delivery loop", f"{rate:,.0f}", f"{rate / base:.2f}"),
                    ],
                    ("throughput (64 in flight)", "per second", "ratio"),
                )
            )
            db = database(args.backend, dsn, "bench_webhooks_lag")
            rows = [
                lag_row(
                    f"dispatch -> receiver, {args.subscriptions} subscriptions",
                    paced_lag(db, receiver, args.rate, args.seconds, args.subscriptions),
                )
            ]
            db.dispose()
            if args.broker:
                url = fresh_vhost(amqp, "bench-webhooks")
                rows.append(
                    lag_row(
                        f"publish -> worker -> receiver, {args.subscriptions} subscriptions",
                        broker_lag(receiver, url, args.rate, args.seconds, args.subscriptions),
                    )
                )
            say(
                table(
                    rows,
                    (
                        "delivery lag (occurred -> received)",
                        "events/s",
                        "deliveries",
                        "p50 ms",
                        "p95 ms",
                        "p99 ms",
                        "max ms",
                    ),
                )
            )
    finally:
        receiver.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
