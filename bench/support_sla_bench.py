"""Support SLA figures: business-time deadline computations per second, and the SLA breach scan
over many open tickets.

    .venv/bin/python bench/support_sla_bench.py [--deadlines 200000] [--tickets 100000]
                                                [--due-percent 1] [--backend both|sqlite|postgres]

- Deadlines: ``calendar.add(t, n minutes)`` on real calendars (Berlin 9-18 with Berlin public
  holidays; Shanghai with a lunch break, CN holidays and make-up working days) from random
  instants over a year, and ``calendar.between(a, b)``; beside a plain ``t + timedelta`` loop over
  the same inputs (the baseline, measured in the same run).
- Breach scan: --tickets open tickets on SQLite (and PostgreSQL when a server is available:
  MMS_TEST_POSTGRES_DSN, or a private one when PostgreSQL is installed), --due-percent of them
  with a first-response deadline passed. The real worker job (``scan_sla``: find what is due
  through the ``sla_next_check_at`` index, load, judge, write the tickets and the breach events
  to the outbox) is timed with nothing due and with the due share; the baseline is the naive
  scan the index avoids: reading every open ticket's SLA state and judging it in Python.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta

from _common import say, table
from sqlalchemy import func, insert, select

from servicekit import migrations
from servicekit.db import Database
from support_service.adapters import tables as t
from support_service.adapters.repositories import ticket_from_row, ticket_row
from support_service.domain.businesstime import BusinessCalendar
from support_service.domain.calendars import CalendarDefinition
from support_service.domain.sla import SlaPolicy
from support_service.domain.tickets import UNRESOLVED, Ticket
from support_service.entrypoints import runtime as runtime_module
from support_service.service.settings import SupportSettings
from support_service.service.sla_jobs import scan_sla

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)  # a Wednesday, 11:00 in Berlin
BERLIN_WEEK = {d: [(540, 1080)] for d in range(5)}
SHANGHAI_WEEK = {d: [(540, 720), (780, 1080)] for d in range(5)}


# -- deadlines ----------------------------------------------------------------------------------


def bench_deadlines(count: int) -> list[tuple]:
    rng = random.Random(7)
    starts = [
        datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(365 * 86400))
        for _ in range(count)
    ]
    minutes = [rng.choice((30, 60, 120, 240, 480, 960, 2400)) for _ in range(count)]
    amounts = [timedelta(minutes=m) for m in minutes]

    started = time.perf_counter()
    for start, amount in zip(starts, amounts, strict=True):
        start + amount  # the baseline is exactly this
    baseline = count / (time.perf_counter() - started)

    rows = [("plain datetime + timedelta (baseline)", f"{baseline:,.0f}", "1.000")]
    calendars = {
        "Berlin 9-18, DE-BE holidays": BusinessCalendar(
            "Europe/Berlin", BERLIN_WEEK, holiday_country="DE", holiday_subdivision="BE"
        ),
        "Shanghai split shift, CN holidays": BusinessCalendar(
            "Asia/Shanghai", SHANGHAI_WEEK, holiday_country="CN"
        ),
    }
    for name, calendar in calendars.items():
        calendar.add(starts[0], amounts[0])  # holidays of the year loaded once, as in the worker
        started = time.perf_counter()
        dues = [calendar.add(s, a) for s, a in zip(starts, amounts, strict=True)]
        rate = count / (time.perf_counter() - started)
        rows.append((f"add: {name}", f"{rate:,.0f}", f"{rate / baseline:.3f}"))
        started = time.perf_counter()
        for start, due in zip(starts, dues, strict=True):
            calendar.between(start, due)
        rate = count / (time.perf_counter() - started)
        rows.append((f"between: {name}", f"{rate:,.0f}", f"{rate / baseline:.3f}"))
    return rows


# -- breach scan ---------------------------------------------------------------------------------


def _database(backend: str, tmp: str, dsn: str | None) -> Database:
    if backend == "sqlite":
        return Database(f"sqlite:///{tmp}/support-bench-{uuid.uuid4().hex[:6]}.sqlite3")
    from _common import fresh_pg_database

    return Database(fresh_pg_database(dsn, "bench_support_sla"))


def _fill(db: Database, tickets: int, due_percent: float) -> str:
    """Insert open tickets: the due share was opened 3 hours ago with a 60-minute first-response
    target (breached), the rest just now (next check in the future)."""
    calendar = CalendarDefinition.create(
        {
            "name": "Berlin",
            "timezone": "Europe/Berlin",
            "hours": {
                d: [{"start": "09:00", "end": "18:00"}] for d in ("mon", "tue", "wed", "thu", "fri")
            },
            "holiday_country": "DE",
            "holiday_subdivision": "BE",
        },
        now=NOW,
    )
    policy = SlaPolicy.create(
        {
            "name": "Standard",
            "position": 10,
            "first_response_minutes": 60,
            "resolution_minutes": 960,
            "calendar_id": calendar.id,
        },
        now=NOW,
    )
    built = calendar.build()

    def template(opened: datetime) -> dict:
        ticket = Ticket.open(
            number="T-0",
            customer_id=str(uuid.uuid4()),
            subject="Parcel arrived damaged",
            category="complaint",
            channel="email",
            policy=policy,
            calendar_id=calendar.id,
            calendar=built,
            warning_percent=80,
            now=opened,
        )
        return ticket_row(ticket)

    due_row, fresh_row = template(NOW - timedelta(hours=3)), template(NOW)
    due_every = max(1, round(100 / due_percent)) if due_percent else 0
    from support_service.adapters.repositories import calendar_row

    with db.engine.begin() as conn:
        conn.execute(insert(t.business_calendars).values(**calendar_row(calendar)))
        batch = []
        for i in range(tickets):
            source = due_row if due_every and i % due_every == 0 else fresh_row
            batch.append({**source, "id": str(uuid.uuid4()), "number": f"T-{i:07d}"})
            if len(batch) == 5000:
                conn.execute(insert(t.tickets), batch)
                batch = []
        if batch:
            conn.execute(insert(t.tickets), batch)
    return calendar.id


def _naive_scan(db: Database) -> tuple[float, int]:
    """What the index avoids: read every open ticket's SLA state and judge it in Python."""
    started = time.perf_counter()
    due = 0
    with db.session() as session:
        result = session.execute(select(t.tickets).where(t.tickets.c.status.in_(UNRESOLVED)))
        for row in result:
            ticket = ticket_from_row(row)
            check = ticket.sla.next_check_at()
            if check is not None and check <= NOW:
                due += 1
    return time.perf_counter() - started, due


def bench_scan(backend: str, tickets: int, due_percent: float, tmp: str, dsn: str | None):
    db = _database(backend, tmp, dsn)
    migrations.upgrade(runtime_module.MIGRATIONS, db)
    db.dispose()
    rt = runtime_module.build(
        database_url=db.url,
        support=SupportSettings(reply_emails=False),
        clock=lambda: NOW,
    )
    started = time.perf_counter()
    _fill(rt.db, tickets, due_percent)
    say(f"{backend}: {tickets:,} open tickets loaded in {time.perf_counter() - started:.1f}s")
    naive_seconds, naive_due = _naive_scan(rt.db)
    ctx = rt.extras["support"]
    rt.extras["support"].clock = lambda: NOW - timedelta(hours=2)  # nothing due yet
    started = time.perf_counter()
    quiet = scan_sla(rt.uow, ctx)
    idle_seconds = time.perf_counter() - started
    ctx.clock = lambda: NOW
    started = time.perf_counter()
    recorded = scan_sla(rt.uow, ctx)
    busy_seconds = time.perf_counter() - started
    with rt.db.session() as session:
        events = session.execute(
            select(func.count()).select_from(t.tickets).where(t.tickets.c.sla_breached)
        ).scalar_one()
    rt.db.dispose()
    assert quiet == 0 and recorded == naive_due == events, (quiet, recorded, naive_due, events)
    return {
        "backend": backend,
        "naive": naive_seconds,
        "idle": idle_seconds,
        "busy": busy_seconds,
        "due": recorded,
    }


def _postgres_dsn():
    dsn = os.environ.get("MMS_TEST_POSTGRES_DSN")
    if dsn:
        return dsn, None
    try:
        from servicekit.testing.servers import PostgresCluster

        cluster = PostgresCluster.create().start()
        return cluster.dsn, cluster
    except Exception as exc:  # no PostgreSQL here: SQLite figures only
        say(f"PostgreSQL not available ({str(exc)[:80]}); SQLite only")
        return None, None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deadlines", type=int, default=200_000)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--due-percent", type=float, default=1.0)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()

    say(f"SLA deadline computations ({args.deadlines:,} random starts over 2026)")
    say(table(bench_deadlines(args.deadlines), ("computation", "per second", "vs baseline")))

    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    dsn, cluster = (None, None)
    if "postgres" in backends:
        dsn, cluster = _postgres_dsn()
        if dsn is None:
            backends.remove("postgres")
    tmp = tempfile.mkdtemp(prefix="bench-support-")
    rows = []
    try:
        for backend in backends:
            result = bench_scan(backend, args.tickets, args.due_percent, tmp, dsn)
            naive, idle, busy, due = result["naive"], result["idle"], result["busy"], result["due"]
            rows.append(
                (
                    backend,
                    f"{args.tickets:,}",
                    f"{naive * 1000:,.0f}",
                    f"{idle * 1000:,.1f}",
                    f"{busy * 1000:,.0f}",
                    f"{due:,}",
                    f"{due / busy:,.0f}" if busy else "-",
                    f"{naive / busy:.2f}",
                )
            )
    finally:
        if cluster is not None:
            cluster.destroy()
    say("")
    due = f"{args.due_percent}% with a breach due"
    say(f"SLA breach scan over {args.tickets:,} open tickets ({due})")
    say(
        table(
            rows,
            (
                "backend",
                "open tickets",
                "naive full scan ms (baseline)",
                "scan, nothing due ms",
                "scan with breaches ms",
                "breaches published",
                "breaches/s",
                "baseline / scan",
            ),
        )
    )


if __name__ == "__main__":
    main()
