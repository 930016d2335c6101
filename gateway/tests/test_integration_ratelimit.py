"""Rate limits: 429 with Retry-After per identity, per IP and on sign-in; exact across processes."""

from __future__ import annotations

import multiprocessing

import pytest

from gateway.ratelimit import RateLimiter
from gateway.settings import Rate
from servicekit.db import Database

pytestmark = pytest.mark.integration


def test_per_identity_limit(start_gateway):
    gateway = start_gateway(rate_identity=Rate(5, 3600, 5))
    headers, _ = gateway.user_headers()
    codes = [gateway.get("/api/v1/orders", headers=headers).status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
    refused = gateway.get("/api/v1/orders", headers=headers)
    error = refused.json()["error"]
    assert error["code"] == "rate_limited" and error["details"]["limit"] == "identity"
    assert int(refused.headers["Retry-After"]) > 600  # one request per 720 s refills
    other, _ = gateway.user_headers()
    assert gateway.get("/api/v1/orders", headers=other).status_code == 200
    text = gateway.get("/metrics").text
    assert 'mms_gateway_rate_limited_total{limit="identity"}' in text


def test_per_ip_limit_covers_anonymous_traffic(start_gateway):
    gateway = start_gateway(rate_ip=Rate(3, 3600, 3))
    codes = [gateway.get("/r/o/x.gif").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_login_is_limited_more_strictly(start_gateway):
    gateway = start_gateway(rate_login_ip=Rate(3, 3600, 3))
    codes = [
        gateway.post("/api/v1/auth/login", json={"email": "a@b.c", "password": "x"}).status_code
        for _ in range(4)
    ]
    assert codes == [401, 401, 401, 429]


def _hammer(url: str, key: str, hits: int, start, results) -> None:
    limiter = RateLimiter(Database(url, pool_size=1, max_overflow=0))
    rate = Rate(10, 3600, 10)
    start.wait()
    allowed = sum(1 for _ in range(hits) if limiter.hit(key, rate).allowed)
    results.put(allowed)


def test_gcra_is_exact_across_processes(databases, db_backend, tmp_path):
    """Four processes hit one bucket of 10 concurrently: exactly 10 requests get through."""
    from gateway.runtime import MIGRATIONS

    url = databases.url(MIGRATIONS)
    if url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'limits.sqlite3'}"
    RateLimiter(Database(url)).check("warm-up", Rate(1, 1, 1))  # creates the table
    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    workers = [
        context.Process(target=_hammer, args=(url, "shared", 25, start, results)) for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    start.set()
    counts = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(30)
    assert sum(counts) == 10, counts


def test_purge_drops_only_refilled_buckets(tmp_path):
    now = [1000.0]
    limiter = RateLimiter(Database(f"sqlite:///{tmp_path / 'l.sqlite3'}"), clock=lambda: now[0])
    rate = Rate(1, 10, 1)
    assert limiter.hit("a", rate).allowed and not limiter.hit("a", rate).allowed
    assert limiter.hit("b", Rate(1, 1000, 1)).allowed
    now[0] += 100
    assert limiter.purge(older_than=60) == 1  # "a" refilled long ago; "b" has not
    assert not limiter.check("b", Rate(1, 1000, 1)).allowed
    assert limiter.check("a", rate).allowed


@pytest.mark.postgres
def test_rate_limiter_recovers_from_a_dropped_connection(start_gateway, gateway_urls, db_backend):
    """A dropped PostgreSQL connection answers 503 once (never 500), then reconnects."""
    import psycopg

    gateway = start_gateway()
    headers, _ = gateway.user_headers()
    assert gateway.get("/api/v1/orders", headers=headers).status_code == 200
    with psycopg.connect(gateway_urls[0], autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    codes = [gateway.get("/api/v1/orders", headers=headers).status_code for _ in range(3)]
    assert set(codes) <= {200, 503} and codes[-1] == 200, codes
