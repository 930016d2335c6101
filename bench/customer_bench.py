"""Customer service figures: CSV import rate, GET-by-id latency, segment upkeep per change.

    .venv/bin/python bench/customer_bench.py [--rows 100000] [--customers 1000000]
                                             [--backend both|sqlite|postgres]

- CSV import of N rows with dedupe (policy skip; a tenth of the rows repeat an earlier email),
  rows/s, beside PostgreSQL COPY of the same file into a bare table in the same run (baseline).
- GET /api/v1/customers/{id} through the real app (identity check, query, serialisation) over a
  table of --customers customers: p50/p95/p99, beside a bare primary-key SELECT in the same run.
- Dynamic segment membership kept current on a customer change, with 20 active dynamic
  segments over --customers customers: the extra time per change over the same change with no
  segments (baseline measured in the same run).
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta

from _common import fresh_pg_database, percentile, say, servers, table
from sqlalchemy import insert, select, text

from servicekit import migrations
from servicekit.db import Database
from servicekit.testing.identities import IdentityMinter

FIRST = [
    "Mei",
    "Wei",
    "Anna",
    "Lars",
    "Yuki",
    "Emily",
    "Hao",
    "Julia",
    "Sven",
    "Olivia",
    "Jing",
    "Li",
    "Chen",
    "Maria",
    "Ivan",
    "Sofia",
    "Ahmed",
    "Lucas",
    "Emma",
    "Noah",
]
LAST = [
    "Lin",
    "Zhang",
    "Schmidt",
    "Eriksson",
    "Tanaka",
    "Carter",
    "Chen",
    "Weber",
    "Wang",
    "Li",
    "Garcia",
    "Rossi",
    "Novak",
    "Kim",
    "Singh",
    "Dubois",
    "Silva",
    "Jensen",
    "Costa",
    "Brown",
]
CITIES = [
    ("CN", "Shanghai"),
    ("CN", "Beijing"),
    ("DE", "Berlin"),
    ("DE", "München"),
    ("SE", "Stockholm"),
    ("JP", "Tokyo"),
    ("US", "San Francisco"),
    ("FR", "Paris"),
]


def make_csv(rows: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "kind",
            "first_name",
            "last_name",
            "email",
            "phone",
            "country",
            "city",
            "tags",
            "lifecycle_stage",
        ]
    )
    for n in range(rows):
        repeat = n > 10 and rng.random() < 0.1
        email_n = rng.randrange(n) if repeat else n
        country, city = rng.choice(CITIES)
        writer.writerow(
            [
                "person",
                rng.choice(FIRST),
                rng.choice(LAST),
                f"user{email_n}@example.com",
                "",
                country,
                city,
                rng.choice(["", "vip", "b2b;vip", "newsletter"]),
                rng.choice(["lead", "customer", "subscriber"]),
            ]
        )
    return out.getvalue()


def database(backend, dsn, name, tmp) -> Database:
    if backend == "postgres":
        return Database(fresh_pg_database(dsn, name))
    return Database(f"sqlite:///{tmp}/{name}.sqlite3")


def build_runtime(db):
    from customer_service.entrypoints import runtime

    migrations.upgrade(runtime.MIGRATIONS, db)
    rt = runtime.build(database_url=db.url)
    rt.db = db
    rt.uow.db = db
    return rt


def bench_import(backend, dsn, tmp, rows):
    from customer_service.entrypoints.demo import DEMO_ACTOR
    from customer_service.service import imports

    content = make_csv(rows)
    rt = build_runtime(database(backend, dsn, f"bench_import_{backend}", tmp))
    with rt.uow() as uow:
        job = imports.queue_import(uow, DEMO_ACTOR, "bench.csv", content, "skip")
    started = time.perf_counter()
    imports.process_next_import(rt.uow)
    elapsed = time.perf_counter() - started
    with rt.uow() as uow:
        done = uow.imports.get(job.id)
    assert done.status == "completed", done.status
    rt.db.dispose()
    return rows / elapsed, done


def bench_copy(dsn, rows):
    import psycopg

    content = make_csv(rows)
    url = fresh_pg_database(dsn, "bench_copy")
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as c:
        c.execute(
            "CREATE TABLE raw (kind text, first_name text, last_name text, email text, "
            "phone text, country text, city text, tags text, lifecycle_stage text)"
        )
        started = time.perf_counter()
        with (
            c.cursor() as cur,
            cur.copy("COPY raw FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
        ):
            copy.write(content)
        return rows / (time.perf_counter() - started)


def fill_customers(rt, count: int, seed: int = 2) -> list[str]:
    """Bulk-load ``count`` customers straight into the tables (setting up the stage)."""
    from customer_service.adapters import tables as t
    from customer_service.adapters.repositories import customer_row
    from customer_service.domain.model import Behaviour, Customer

    rng = random.Random(seed)
    ids = []
    now = datetime.now(UTC)
    batch = []
    for n in range(count):
        country, city = rng.choice(CITIES)
        c = Customer.create(
            kind="person",
            first_name=rng.choice(FIRST),
            last_name=rng.choice(LAST),
            emails=[{"address": f"c{n}@example.com"}],
            address={"country": country, "city": city},
            tags=rng.sample(["vip", "b2b", "newsletter", "tea"], rng.randint(0, 2)),
            lifecycle_stage=rng.choice(["lead", "customer"]),
        )
        c.pull_events()
        c.behaviour = Behaviour(
            rng.randint(0, 20),
            rng.randint(0, 5000),
            "EUR",
            now - timedelta(days=400),
            now - timedelta(days=rng.randint(0, 400)),
        )
        ids.append(c.id)
        batch.append(customer_row(c))
        if len(batch) == 5000:
            with rt.db.write_session() as s:
                s.execute(insert(t.customers), batch)
                s.commit()
            batch = []
    if batch:
        with rt.db.write_session() as s:
            s.execute(insert(t.customers), batch)
            s.commit()
    if rt.db.is_postgres:
        with rt.db.engine.begin() as conn:
            conn.execute(text("ANALYZE customers"))
    return ids


def bench_reads(rt, ids, samples=2000):
    from customer_service.adapters import tables as t
    from customer_service.entrypoints.wsgi import create_app

    minter = IdentityMinter.generate()
    rt.verifier._keys = []
    from cryptography.hazmat.primitives import serialization

    rt.verifier._keys = [serialization.load_pem_public_key(minter.public_pem.encode())]
    client = create_app(rt).test_client()
    headers = minter.headers()
    rng = random.Random(3)
    picks = [rng.choice(ids) for _ in range(samples)]
    api, raw = [], []
    for cid in picks[:50]:
        client.get(f"/api/v1/customers/{cid}", headers=headers)  # warm up
    for cid in picks:
        started = time.perf_counter()
        response = client.get(f"/api/v1/customers/{cid}", headers=headers)
        api.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    with rt.db.session() as session:
        for cid in picks:
            started = time.perf_counter()
            session.execute(select(t.customers).where(t.customers.c.id == cid)).one()
            raw.append((time.perf_counter() - started) * 1000)
    return api, raw


def bench_segment_upkeep(rt, ids, changes=400):
    from customer_service.adapters import tables as t
    from customer_service.entrypoints.demo import DEMO_ACTOR
    from customer_service.service.customers import update_customer

    rng = random.Random(4)
    picks = [rng.choice(ids) for _ in range(changes * 2)]

    def run(batch):
        timings = []
        for cid in batch:
            with rt.db.session() as s:
                version = s.execute(
                    select(t.customers.c.version).where(t.customers.c.id == cid)
                ).scalar_one()
            city = rng.choice(CITIES)
            started = time.perf_counter()
            with rt.uow() as uow:
                update_customer(
                    uow,
                    DEMO_ACTOR,
                    cid,
                    version,
                    {"address": {"country": city[0], "city": city[1]}},
                )
            timings.append((time.perf_counter() - started) * 1000)
        return timings

    baseline = run(picks[:changes])
    now = datetime.now(UTC)
    with rt.db.write_session() as s:
        for n in range(20):
            rules = [
                {"field": "city", "op": "eq", "value": CITIES[n % len(CITIES)][1]},
                {"field": "orders_count", "op": "gte", "value": n % 10},
                {"field": "tags", "op": "contains", "value": ["vip", "b2b", "tea"][n % 3]},
                {"field": "last_order_at", "op": "within_last_days", "value": 30 + n * 10},
            ]
            s.execute(
                insert(t.segments).values(
                    id=str(uuid.uuid4()),
                    name=f"bench {n}",
                    kind="dynamic",
                    rules={"all": rules[: 1 + n % 4]},
                    status="active",
                    evaluation="current",
                    member_count=0,
                    version=1,
                    created_at=now,
                    updated_at=now,
                )
            )
        s.commit()
    with_segments = run(picks[changes:])
    return baseline, with_segments


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    tmp = tempfile.mkdtemp(prefix="bench-customer-")
    with servers(need_postgres=True) as (_amqp, dsn):
        copy_rate = bench_copy(dsn, args.rows)
        say(f"baseline: PostgreSQL COPY of the same CSV: {copy_rate:,.0f} rows/s")
        import_rows, read_rows, upkeep_rows = [], [], []
        for backend in backends:
            rate, job = bench_import(backend, dsn, tmp, args.rows)
            import_rows.append(
                (
                    backend,
                    f"{args.rows:,}",
                    f"{rate:,.0f}",
                    f"{rate / copy_rate:.3f}",
                    job.created,
                    job.skipped,
                    job.failed,
                )
            )
            say(f"{backend}: import {rate:,.0f} rows/s")
            rt = build_runtime(database(backend, dsn, f"bench_customers_{backend}", tmp))
            started = time.perf_counter()
            ids = fill_customers(rt, args.customers)
            say(
                f"{backend}: loaded {args.customers:,} customers in "
                f"{time.perf_counter() - started:.0f}s"
            )
            api, raw = bench_reads(rt, ids)
            read_rows.append(
                (
                    backend,
                    f"{percentile(api, 50):.2f}",
                    f"{percentile(api, 95):.2f}",
                    f"{percentile(api, 99):.2f}",
                    f"{percentile(raw, 50):.2f}",
                )
            )
            baseline, segmented = bench_segment_upkeep(rt, ids)
            extra = percentile(segmented, 50) - percentile(baseline, 50)
            upkeep_rows.append(
                (
                    backend,
                    f"{percentile(baseline, 50):.2f}",
                    f"{percentile(segmented, 50):.2f}",
                    f"{percentile(segmented, 95):.2f}",
                    f"{extra:.2f}",
                )
            )
            rt.db.dispose()
        say("")
        say("CSV import with dedupe (policy skip)")
        say(
            table(
                import_rows,
                ("backend", "rows", "rows/s", "ratio vs COPY", "created", "skipped", "failed"),
            )
        )
        say("")
        say(f"GET /api/v1/customers/{{id}} over {args.customers:,} customers (ms)")
        say(table(read_rows, ("backend", "api p50", "api p95", "api p99", "bare SELECT p50")))
        say("")
        say(f"customer change with 20 dynamic segments over {args.customers:,} customers (ms)")
        say(
            table(
                upkeep_rows,
                (
                    "backend",
                    "no segments p50",
                    "20 segments p50",
                    "20 segments p95",
                    "extra per change",
                ),
            )
        )


if __name__ == "__main__":
    main()
