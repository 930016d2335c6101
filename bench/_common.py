"""Shared bench plumbing: private servers when none are given, percentiles, printing."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("MMS_LOG_LEVEL", "WARNING")


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


@contextmanager
def servers(need_postgres: bool = True):
    """Yield (amqp_url, postgres_dsn) from MMS_TEST_* variables or private servers."""
    from servicekit.testing.servers import PostgresCluster, RabbitNode

    started = []
    amqp = os.environ.get("MMS_TEST_AMQP_URL")
    dsn = os.environ.get("MMS_TEST_POSTGRES_DSN")
    try:
        if not amqp:
            node = RabbitNode.create(Path(tempfile.mkdtemp(prefix="bench-rabbit-"))).start()
            started.append(node)
            amqp = node.url
        if need_postgres and not dsn:
            cluster = PostgresCluster.create().start()
            started.append(cluster)
            dsn = cluster.dsn
        yield amqp, dsn
    finally:
        for server in started:
            server.destroy()


def fresh_pg_database(dsn: str, name: str) -> str:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return dsn.rsplit("/", 1)[0] + "/" + name


def fresh_vhost(amqp_url: str, name: str) -> str:
    """A clean vhost through the management API when available (MMS_TEST_AMQP_API)."""
    api = os.environ.get("MMS_TEST_AMQP_API")
    if not api:
        return amqp_url
    from servicekit.testing.broker import BrokerAccess

    access = BrokerAccess(amqp_url, api)
    access.delete_vhost(name)
    access._api("PUT", f"/vhosts/{name}")
    import json

    access._api(
        "PUT",
        f"/permissions/{name}/guest",
        data=json.dumps({"configure": ".*", "write": ".*", "read": ".*"}),
        headers={"content-type": "application/json"},
    )
    return access.vhost_url(name)


def table(rows: list[tuple], headers: tuple) -> str:
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [line.format(*headers), line.format(*("-" * w for w in widths))]
    out += [line.format(*(str(c) for c in r)) for r in rows]
    return "\n".join(out)


def mean(values):
    return statistics.fmean(values) if values else float("nan")


def now() -> float:
    return time.perf_counter()


def say(text: str) -> None:
    print(text, flush=True)
    sys.stdout.flush()
