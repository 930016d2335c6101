"""Analytics: projection throughput and dashboard latency at scale, beside DuckDB on raw rows.

    .venv/bin/python bench/analytics_bench.py [--orders 1000000] [--backend both|sqlite|postgres]
                                              [--batch 2000] [--repeat 20] [--validate 1]

A generator (bench/analytics_generator.py) produces two years of events around ``--orders``
orders - customers, products, targets, leads and opportunities, campaigns with costs, messages
and attribution, tickets and surveys - every one checked against its contract (``--validate N``
checks every N-th). They are fed day by day, ``--batch`` envelopes per unit of work, to the same
ingest path the consumer uses (archive + every projection) on a real database:

- projection throughput in events/s (target >= 5,000), beside the rate of storing the same
  envelopes in the archive alone (the floor any consumer pays), as a ratio;
- the scoring job over every customer;
- dashboard questions answered through the API in-process (Flask test client: identity,
  parameters, report, JSON), each ``--repeat`` times over shifting periods: p50/p95 per question
  and overall (target p95 <= 50 ms), beside DuckDB answering the same questions from the raw
  final-state rows (orders, lines, tickets ...) in the same run.

Quick run: ``--orders 20000``. PostgreSQL comes from MMS_TEST_POSTGRES_DSN or a private cluster.
"""

# The SQL below is the bench's own fixed text with generated dates, never outside input.
# ruff: noqa: S608

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from _common import fresh_pg_database, percentile, say, servers, table
from analytics_generator import Generator
from sqlalchemy import func, select

from analytics_service.adapters import tables as t
from analytics_service.domain.periods import add_months, month_start
from analytics_service.entrypoints import runtime as analytics_runtime
from analytics_service.entrypoints.wsgi import create_app
from analytics_service.projections.framework import Catalogue
from analytics_service.service.ingest import ingest
from analytics_service.service.scoring import recompute_scores
from servicekit import migrations
from servicekit.testing.identities import IdentityMinter

TARGET_EVENTS_PER_SECOND = 5000
TARGET_P95_MS = 50


class EventStream:
    """Batches of ``batch`` envelopes from a fresh, deterministic generator."""

    def __init__(self, orders: int, batch: int, validate_every: int, raw: Path | None):
        self.generator = Generator(orders)
        self.batch = batch
        self.validate_every = validate_every
        self.raw = raw

    def __iter__(self):
        if self.raw is not None:
            self.generator.open_raw(self.raw)
        pending = []
        for day in self.generator.days_of_events(self.validate_every):
            pending.extend(day)
            while len(pending) >= self.batch:
                yield pending[: self.batch]
                pending = pending[self.batch :]
        if pending:
            yield pending
        self.generator.close_raw()


def load(rt, batches) -> tuple[int, float, float]:
    """Feed every batch; return (events, wall seconds, CPU seconds of this process)."""
    events, spent, cpu = 0, 0.0, 0.0
    report_every, next_report = 250_000, 250_000
    for chunk in batches:
        started, started_cpu = time.perf_counter(), time.process_time()
        with rt.uow() as uow:
            ingest(uow.session, chunk)
            uow.commit()
        spent += time.perf_counter() - started
        cpu += time.process_time() - started_cpu
        events += len(chunk)
        if events >= next_report:
            say(f"    {events:>10,} events, {events / spent:,.0f}/s so far")
            next_report += report_every
    if rt.db.is_sqlite:
        with rt.db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return events, spent, cpu


def archive_only(rt, batches, limit: int) -> tuple[int, float]:
    """Store envelopes in the archive and nothing else: the cost of keeping the events."""

    class ArchiveOnly(Catalogue):
        def handles(self, event_type, version):
            return True

    storing = ArchiveOnly([])
    events, spent = 0, 0.0
    for chunk in batches:
        started = time.perf_counter()
        with rt.uow() as uow:
            ingest(uow.session, chunk, catalogue=storing)
            uow.commit()
        spent += time.perf_counter() - started
        events += len(chunk)
        if events >= limit:
            break
    return events, spent


def questions(end: date):
    """(name, API path and query, DuckDB SQL) for the dashboard questions, shifted by k months."""

    def window(k: int, months: int) -> tuple[date, date]:
        last = add_months(month_start(end), -k + 1) - timedelta(days=1)
        first = add_months(month_start(last), -months + 1)
        return first, last

    def q(name, path, sql, months):
        return name, lambda k: (path.format(*window(k, months)), sql.format(*window(k, months)))

    # Questions marked "(facts)" are served from the fact tables (a filter no rollup holds);
    # the rest read rollups, scores or small fact tables.

    paid = "paid AND NOT cancelled"
    return [
        q(
            "revenue by month, 12 months",
            "revenue?from={0}&to={1}",
            f"""SELECT date_trunc('month', placed_at) m, count(*) FILTER (WHERE NOT cancelled),
          sum(CASE WHEN {paid} THEN base_total - returned ELSE 0 END) FROM orders
          WHERE placed_at >= '{{0}}' AND placed_at < '{{1}}'::DATE + 1 GROUP BY 1 ORDER BY 1""",
            12,
        ),
        q(
            "revenue by channel and week, 6 months",
            "revenue?from={0}&to={1}&dimension=channel&granularity=week",
            f"""SELECT date_trunc('week', placed_at) w, channel,
          count(*) FILTER (WHERE NOT cancelled),
          sum(CASE WHEN {paid} THEN base_total - returned ELSE 0 END) FROM orders
          WHERE placed_at >= '{{0}}' AND placed_at < '{{1}}'::DATE + 1 GROUP BY 1, 2""",
            6,
        ),
        q(
            "revenue by category and quarter, 12 months",
            "revenue?from={0}&to={1}&dimension=category&granularity=quarter",
            f"""SELECT date_trunc('quarter', o.placed_at), l.category,
          sum(CASE WHEN {paid} THEN l.base_amount ELSE 0 END) FROM lines l JOIN orders o
          USING (order_id) WHERE o.placed_at >= '{{0}}' AND o.placed_at < '{{1}}'::DATE + 1
          GROUP BY 1, 2""",
            12,
        ),
        q(
            "online store by category, 3 months (facts)",
            "revenue?from={0}&to={1}&dimension=category&channel=online_store",
            f"""SELECT date_trunc('month', o.placed_at), l.category,
          sum(CASE WHEN {paid} THEN l.base_amount ELSE 0 END) FROM lines l JOIN orders o
          USING (order_id) WHERE o.channel = 'online_store' AND o.placed_at >= '{{0}}'
          AND o.placed_at < '{{1}}'::DATE + 1 GROUP BY 1, 2""",
            3,
        ),
        q(
            "products by quarter, 3 months",
            "revenue?from={0}&to={1}&dimension=product&granularity=quarter",
            f"""SELECT date_trunc('quarter', o.placed_at), l.product_id,
          sum(CASE WHEN {paid} THEN l.base_amount ELSE 0 END) FROM lines l JOIN orders o
          USING (order_id) WHERE o.placed_at >= '{{0}}' AND o.placed_at < '{{1}}'::DATE + 1
          GROUP BY 1, 2""",
            3,
        ),
        q(
            "cohort retention, 12 cohorts",
            "cohorts?from={0}&to={1}",
            f"""WITH bought AS (SELECT customer_id, date_trunc('month', placed_at) m FROM orders
          WHERE {paid}), first AS (SELECT customer_id, min(m) c FROM bought GROUP BY 1)
          SELECT c, m, count(DISTINCT customer_id) FROM bought JOIN first USING (customer_id)
          WHERE c >= '{{0}}' AND c <= '{{1}}' GROUP BY 1, 2""",
            12,
        ),
        q(
            "RFM segments",
            "rfm",
            f"""WITH c AS (SELECT customer_id, max(placed_at) last, count(*) f,
          sum(base_total - returned) m FROM orders WHERE {paid} GROUP BY 1),
          s AS (SELECT ntile(5) OVER (ORDER BY last) r, ntile(5) OVER (ORDER BY f) fs,
          ntile(5) OVER (ORDER BY m) ms FROM c) SELECT r, fs, count(*) FROM s GROUP BY 1, 2""",
            1,
        ),
        q(
            "support volume and SLA by month, 12 months",
            "support?from={0}&to={1}",
            """SELECT date_trunc('month', opened_at), count(*), avg(fr_seconds),
          avg(CASE WHEN fr_met THEN 1 ELSE 0 END), count(*) FILTER (WHERE breached)
          FROM tickets WHERE opened_at >= '{0}' AND opened_at < '{1}'::DATE + 1 GROUP BY 1""",
            12,
        ),
        q(
            "campaign ROI, 12 months",
            "campaigns?from={0}&to={1}",
            """WITH r AS (SELECT campaign_id, sum(revenue) revenue FROM attributions
          WHERE model = 'last_touch' AND placed_at >= '{0}' AND placed_at < '{1}'::DATE + 1
          GROUP BY 1), s AS (SELECT campaign_id, sum(amount) spend FROM costs
          WHERE incurred_on BETWEEN '{0}' AND '{1}' GROUP BY 1)
          SELECT campaign_id, spend, revenue, (revenue - spend) / spend FROM s
          FULL JOIN r USING (campaign_id)""",
            12,
        ),
        q(
            "funnel by source, 12 months",
            "funnel?from={0}&to={1}&dimension=source",
            """SELECT source, count(*), count(*) FILTER (WHERE qualified),
          count(*) FILTER (WHERE converted), count(*) FILTER (WHERE won), sum(won_amount)
          FROM leads WHERE created_at >= '{0}' AND created_at < '{1}'::DATE + 1 GROUP BY 1""",
            12,
        ),
        q(
            "weighted pipeline by close month",
            "pipeline/forecast?from={0}&to={1}",
            """SELECT date_trunc('month', expected_close), count(*), sum(amount), sum(weighted)
          FROM opportunities WHERE status = 'open' AND expected_close BETWEEN '{0}' AND '{1}'
          GROUP BY 1""",
            6,
        ),
        q(
            "email engagement by month, 12 months",
            "engagement?from={0}&to={1}",
            """SELECT date_trunc('month', sent_at), count(*), count(*) FILTER (WHERE delivered),
          count(*) FILTER (WHERE opened), count(*) FILTER (WHERE machine_opened),
          count(*) FILTER (WHERE clicked) FROM messages
          WHERE sent_at >= '{0}' AND sent_at < '{1}'::DATE + 1 GROUP BY 1""",
            12,
        ),
        q(
            "revenue forecast, 24 months of history",
            "forecast?from={0}&to={1}",
            f"""SELECT date_trunc('month', placed_at), sum(CASE WHEN {paid}
          THEN base_total - returned ELSE 0 END) FROM orders WHERE placed_at >= '{{0}}'
          AND placed_at < '{{1}}'::DATE + 1 GROUP BY 1 ORDER BY 1""",
            20,
        ),
    ]


def measure_api(rt, asked, repeat: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall and CPU milliseconds per question (CPU: this process, not a PostgreSQL server)."""
    minter = IdentityMinter.generate()
    rt.verifier = type(rt.verifier)((minter.public_pem,))
    client = create_app(rt).test_client()
    headers = minter.headers(roles=("analyst",), scopes=("analytics:read",))
    timings: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    for name, build in asked:
        client.get(f"/api/v1/analytics/{build(0)[0]}", headers=headers)  # warm
        found, found_cpu = timings.setdefault(name, []), cpu.setdefault(name, [])
        for k in range(repeat):
            path = f"/api/v1/analytics/{build(k % 6)[0]}"
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(path, headers=headers)
            found.append((time.perf_counter() - started) * 1000)
            found_cpu.append((time.process_time() - started_cpu) * 1000)
            assert response.status_code == 200, (path, response.get_json())
    return timings, cpu


def measure_duckdb(raw: Path, asked, repeat: int) -> tuple[dict[str, list[float]], float]:
    import duckdb

    con = duckdb.connect()
    started = time.perf_counter()
    for path in sorted(raw.glob("*.csv")):
        con.execute(
            f"CREATE TABLE {path.stem} AS SELECT * FROM read_csv('{path}', header=true, "
            "auto_detect=true)"
        )
    loaded = time.perf_counter() - started
    timings: dict[str, list[float]] = {}
    for name, build in asked:
        con.execute(build(0)[1]).fetchall()  # warm
        found = timings.setdefault(name, [])
        for k in range(repeat):
            sql = build(k % 6)[1]
            started = time.perf_counter()
            con.execute(sql).fetchall()
            found.append((time.perf_counter() - started) * 1000)
    return timings, loaded


def run_backend(backend, dsn, tmp, args, raw):
    url = (
        f"sqlite:///{tmp / 'analytics.sqlite3'}"
        if backend == "sqlite"
        else fresh_pg_database(dsn, "bench_analytics")
    )
    rt = analytics_runtime.build(database_url=url, amqp_url="amqp://guest:guest@127.0.0.1:1//")
    migrations.upgrade(rt.migrations_dir, rt.db)
    say(f"\n[{backend}] loading ~{args.orders:,} orders worth of events ...")
    events_stream = EventStream(args.orders, args.batch, args.validate, raw)
    events, spent, cpu = load(rt, events_stream)
    generator = events_stream.generator
    rate = events / spent
    floor_url = (
        f"sqlite:///{tmp / 'archive_only.sqlite3'}"
        if backend == "sqlite"
        else fresh_pg_database(dsn, "bench_analytics_archive")
    )
    floor_rt = analytics_runtime.build(database_url=floor_url)
    migrations.upgrade(floor_rt.migrations_dir, floor_rt.db)
    floor_events, floor_spent = archive_only(
        floor_rt, EventStream(args.orders, args.batch, 0, None), min(events, 300_000)
    )
    floor_rt.db.dispose()
    started = time.perf_counter()
    scored = recompute_scores(rt.db, rt.uow, "EUR")
    scoring = time.perf_counter() - started
    with rt.db.session() as session:
        orders = session.execute(select(func.count()).select_from(t.orders)).scalar()
    asked = questions(generator.end)
    say(f"[{backend}] asking {len(asked)} dashboard questions {args.repeat} times each ...")
    api, api_cpu = measure_api(rt, asked, args.repeat)
    rt.db.dispose()
    return {
        "events": events,
        "orders": orders,
        "rate": rate,
        "cpu_rate": events / cpu,
        "floor_rate": floor_events / floor_spent,
        "scored": scored.scored,
        "scoring": scoring,
        "api": api,
        "api_cpu": api_cpu,
        "generator": generator,
        "asked": asked,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=("both", "sqlite", "postgres"), default="both")
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--validate", type=int, default=1, help="check every N-th event")
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    with (
        servers(need_postgres="postgres" in backends) as (_amqp, dsn),
        tempfile.TemporaryDirectory(prefix="bench-analytics-") as folder,
    ):
        tmp = Path(folder)
        raw = tmp / "raw"
        results = {}
        for backend in backends:
            results[backend] = run_backend(backend, dsn, tmp, args, raw if not results else None)
        first = next(iter(results.values()))
        generator = first["generator"]
        say("\n[duckdb] loading the raw final-state rows and asking the same questions ...")
        duck, duck_load = measure_duckdb(raw, first["asked"], args.repeat)

    say(
        f"\nGenerated: {generator.orders:,} orders, {generator.n_customers:,} customers, "
        f"{generator.n_campaigns} campaigns, {generator.n_messages:,} messages, "
        f"{generator.n_leads:,} leads, {generator.n_tickets:,} tickets, "
        f"{sum(generator.counts.values()):,} events over {generator.start} .. {generator.end}; "
        f"contract-checked: every {args.validate}. event"
    )
    rows = []
    for backend, r in results.items():
        rows.append(
            (
                backend,
                f"{r['events']:,}",
                f"{r['rate']:,.0f}",
                f"{r['rate'] / TARGET_EVENTS_PER_SECOND:.2f}x",
                f"{r['cpu_rate']:,.0f}",
                f"{r['floor_rate']:,.0f}",
                f"{r['rate'] / r['floor_rate']:.2f}",
                f"{r['scored']:,} in {r['scoring']:.1f}s",
            )
        )
    say(
        "\nProjection throughput (archive + every projection, batches of "
        f"{args.batch} per unit of work)"
    )
    say(
        table(
            rows,
            (
                "backend",
                "events",
                "events/s",
                "vs 5,000/s",
                "per CPU-second",
                "archive only/s",
                "ratio to archive only",
                "scoring job",
            ),
        )
    )
    for backend, r in results.items():
        rows, everything = [], []
        all_cpu: list[float] = []
        for name, timings in r["api"].items():
            everything += timings
            all_cpu += r["api_cpu"][name]
            d = duck[name]
            rows.append(
                (
                    name,
                    f"{percentile(timings, 50):.1f}",
                    f"{percentile(timings, 95):.1f}",
                    f"{percentile(r['api_cpu'][name], 95):.1f}",
                    f"{percentile(d, 50):.1f}",
                    f"{percentile(d, 95):.1f}",
                    f"{percentile(timings, 95) / percentile(d, 95):.2f}",
                )
            )
        all_duck = [v for values in duck.values() for v in values]
        rows.append(
            (
                "ALL QUESTIONS",
                f"{percentile(everything, 50):.1f}",
                f"{percentile(everything, 95):.1f}",
                f"{percentile(all_cpu, 95):.1f}",
                f"{percentile(all_duck, 50):.1f}",
                f"{percentile(all_duck, 95):.1f}",
                f"{percentile(everything, 95) / percentile(all_duck, 95):.2f}",
            )
        )
        say(
            f"\nDashboard questions, ms ({backend} through the API vs DuckDB {duckdb_version()} "
            f"on raw rows, loaded in {duck_load:.1f}s; {args.repeat} runs each)"
        )
        say(
            table(
                rows,
                ("question", "p50", "p95", "cpu p95", "duckdb p50", "duckdb p95", "p95 ratio"),
            )
        )
        p95 = percentile(everything, 95)
        served = [v for name, values in r["api"].items() if "(facts)" not in name for v in values]
        p95_served = percentile(served, 95)
        say(
            f"overall p95 {p95:.1f} ms against a {TARGET_P95_MS} ms target: "
            f"{'met' if p95 <= TARGET_P95_MS else 'NOT met'}; without the fact-table question "
            f"{p95_served:.1f} ms: {'met' if p95_served <= TARGET_P95_MS else 'NOT met'}"
        )


def duckdb_version() -> str:
    import duckdb

    return duckdb.__version__


if __name__ == "__main__":
    main()
