"""Event pipeline: customer writes → outbox → relay → RabbitMQ → a consumer's committed effect.

Prints events/s and lag percentiles (occurred_at → the consumer's commit) for a backlog drained
as fast as possible, a paced run at a fixed rate, and — as the baseline measured in the same run
on the same broker — raw kombu persistent publish + consume with acks (no database at all).

    .venv/bin/python bench/event_pipeline.py [--events 20000] [--rate 500] [--backend postgres]
"""

from __future__ import annotations

import argparse
import json
import threading
import time
import uuid
from dataclasses import replace
from datetime import datetime

import kombu
from _common import fresh_pg_database, fresh_vhost, percentile, say, servers, table
from sqlalchemy import Column, Float, MetaData, String, Table, func, insert, select

from servicekit import migrations
from servicekit.amqp import connect
from servicekit.config import ServiceSettings
from servicekit.consumer import EventConsumer, HandlerRegistry
from servicekit.db import Database
from servicekit.relay import OutboxRelay, backlog
from servicekit.tables import add_infrastructure_tables
from servicekit.uow import UnitOfWorkFactory
from servicekit.worker import topology_for

# The consumer standing for "another service": its own database, inbox and one effect row.
consumer_metadata = MetaData()
add_infrastructure_tables(consumer_metadata)
effects = Table(
    "bench_effects",
    consumer_metadata,
    Column("event_id", String(36), primary_key=True),
    Column("occurred_at", Float, nullable=False),
    Column("committed_at", Float, nullable=False),
)


def consumer_registry() -> HandlerRegistry:
    registry = HandlerRegistry()

    @registry.on("customer.created")
    def record(envelope, uow):
        occurred = datetime.fromisoformat(envelope.occurred_at.replace("Z", "+00:00"))
        uow.session.execute(
            insert(effects).values(
                event_id=envelope.event_id,
                occurred_at=occurred.timestamp(),
                committed_at=time.time(),
            )
        )

    return registry


def database(backend: str, dsn: str | None, name: str, tmp: str) -> Database:
    if backend == "postgres":
        return Database(fresh_pg_database(dsn, name))
    import os

    path = f"{tmp}/{name}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    return Database(f"sqlite:///{path}")


def write_customers(rt, count: int, rate: float | None = None, writers: int = 4) -> float:
    """Create customers through the real use case; paced runs spread the rate over a few
    writer threads, like requests arriving on several api workers."""
    from customer_service.entrypoints.demo import DEMO_ACTOR
    from customer_service.service.customers import create_customer

    started = time.perf_counter()

    def write(offset: int, step: int) -> None:
        for n in range(offset, count, step):
            if rate:
                delay = started + n / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            with rt.uow() as uow:
                create_customer(
                    uow,
                    DEMO_ACTOR,
                    {
                        "kind": "person",
                        "name": f"Bench Person {n}",
                        "emails": [{"address": f"b{n}@example.com"}],
                    },
                    force=True,
                )

    threads = [threading.Thread(target=write, args=(i, writers)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def effects_rows(db: Database):
    with db.session() as s:
        return s.execute(select(effects.c.occurred_at, effects.c.committed_at)).all()


def effects_count(db: Database) -> int:
    # Polled while the pipeline runs in this process: a count, not the rows, so the poll does
    # not take the GIL from the relay and consumer threads being measured.
    with db.session() as s:
        return s.execute(select(func.count()).select_from(effects)).scalar_one()


def run_pipeline(backend, dsn, amqp, tmp, events, rate=None, concurrency=1, tag="drain"):
    from customer_service.entrypoints import runtime as customer_runtime

    vhost_url = fresh_vhost(amqp, f"bench-{tag}-{backend}")
    producer_db = database(backend, dsn, f"bench_producer_{tag}", tmp)
    migrations.upgrade(customer_runtime.MIGRATIONS, producer_db)
    rt = customer_runtime.build(database_url=producer_db.url, amqp_url=vhost_url)
    rt.db = producer_db
    rt.uow.db = producer_db
    consumer_db = database(backend, dsn, f"bench_consumer_{tag}", tmp)
    consumer_metadata.create_all(consumer_db.engine)
    settings = replace(
        ServiceSettings.load("benchsink"),
        amqp_url=vhost_url,
        consumer_concurrency=concurrency,
        consumer_prefetch=256,
    )
    registry = consumer_registry()
    consumer = EventConsumer(
        amqp_url=vhost_url,
        topology=topology_for(settings, registry),
        registry=registry,
        uow_factory=UnitOfWorkFactory(consumer_db, "benchsink"),
        service="benchsink",
        prefetch=256,
        concurrency=concurrency,
    )
    with connect(vhost_url) as conn:
        consumer.topology.declare(conn.default_channel)
    write_seconds = None
    if rate is None:
        write_seconds = write_customers(rt, events)
    relay = OutboxRelay(
        producer_db, vhost_url, "mms.events", "customer", batch_size=500, idle_interval=0.01
    )
    threads = [
        threading.Thread(target=relay.run, daemon=True),
        threading.Thread(target=consumer.run, daemon=True),
    ]
    started = time.perf_counter()
    for t in threads:
        t.start()
    if rate is not None:
        write_seconds = write_customers(rt, events, rate)
    while effects_count(consumer_db) < events:
        time.sleep(0.05)
        if time.perf_counter() - started > 600:
            raise SystemExit("pipeline did not finish in 10 minutes")
    elapsed = time.perf_counter() - started
    relay.stop_event.set()
    consumer.stop()
    for t in threads:
        t.join(30)
    rows = effects_rows(consumer_db)
    lags = [(c - o) * 1000 for o, c in rows]
    assert backlog(producer_db) == 0
    producer_db.dispose()
    consumer_db.dispose()
    return {
        "events": events,
        "seconds": elapsed,
        "rate": events / elapsed,
        "write_rate": events / write_seconds,
        "p50": percentile(lags, 50),
        "p95": percentile(lags, 95),
        "p99": percentile(lags, 99),
    }


def raw_kombu(amqp, events: int) -> dict:
    """Persistent publish (batched confirms, like the relay) + consume with acks, no database."""
    url = fresh_vhost(amqp, "bench-raw")
    body = json.dumps({"event_id": str(uuid.uuid4()), "data": {"x": "y" * 600}})
    with connect(url) as conn:
        channel = conn.channel()
        exchange = kombu.Exchange("raw", "topic", durable=True)
        queue = kombu.Queue("raw.q", exchange, routing_key="#", durable=True)
        queue(channel).declare()
        channel.queue_purge("raw.q")
        started = time.perf_counter()
        channel.confirm_select()
        acked = [0]
        channel.events["basic_ack"].add(lambda tag, multiple: acked.__setitem__(0, tag))
        import amqp as pyamqp

        for n in range(events):
            channel.basic_publish(
                pyamqp.Message(body, delivery_mode=2, content_type="application/json"),
                exchange="raw",
                routing_key="customer.created",
            )
            if n % 500 == 499:
                while acked[0] < n + 1:
                    conn.drain_events(timeout=5)
        while acked[0] < events:
            conn.drain_events(timeout=5)
        consumed = [0]

        def on_message(message):
            message.channel.basic_ack(message.delivery_tag)
            consumed[0] += 1

        consumer_channel = conn.channel()
        consumer_channel.basic_qos(0, 256, False)
        consumer_channel.basic_consume("raw.q", callback=on_message)
        while consumed[0] < events:
            conn.drain_events(timeout=5)
        elapsed = time.perf_counter() - started
    return {"events": events, "seconds": elapsed, "rate": events / elapsed}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--paced-events", type=int, default=5000)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    import tempfile

    tmp = tempfile.mkdtemp(prefix="bench-pipeline-")
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    with servers(need_postgres="postgres" in backends) as (amqp, dsn):
        raw = raw_kombu(amqp, args.events)
        say(f"baseline: raw kombu persistent publish+consume: {raw['rate']:.0f} msg/s")
        rows = []
        for backend in backends:
            concurrency = 1 if backend == "sqlite" else args.concurrency
            drain = run_pipeline(
                backend, dsn, amqp, tmp, args.events, concurrency=concurrency, tag="drain"
            )
            paced = run_pipeline(
                backend,
                dsn,
                amqp,
                tmp,
                args.paced_events,
                rate=args.rate,
                concurrency=concurrency,
                tag="paced",
            )
            rows.append(
                (
                    backend,
                    "backlog drain",
                    f"{drain['rate']:.0f}",
                    f"{drain['rate'] / raw['rate']:.2f}",
                    f"{drain['p50']:.0f}",
                    f"{drain['p95']:.0f}",
                    f"{drain['p99']:.0f}",
                    f"{drain['write_rate']:.0f}",
                )
            )
            rows.append(
                (
                    backend,
                    f"paced {args.rate:.0f}/s",
                    f"{paced['rate']:.0f}",
                    "-",
                    f"{paced['p50']:.0f}",
                    f"{paced['p95']:.0f}",
                    f"{paced['p99']:.0f}",
                    f"{paced['write_rate']:.0f}",
                )
            )
        say("")
        say(
            table(
                rows,
                (
                    "backend",
                    "run",
                    "events/s",
                    "ratio vs raw",
                    "lag p50 ms",
                    "lag p95 ms",
                    "lag p99 ms",
                    "writes/s",
                ),
            )
        )


if __name__ == "__main__":
    main()
