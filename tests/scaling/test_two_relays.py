"""Two relays of one service never publish an outbox row twice.

Two worker processes of the customer service share its database: a backlog of outbox rows
waits before they start, and more rows are written while both run, so the relays race for the
same rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite). A probe queue
bound to every customer event must then hold each row's event exactly once, and each relay must
have published part of them.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from scaling_support import bind_probe, counter, drain, duplicates, post, service_session
from sqlalchemy import func, select

from servicekit import tables
from servicekit.db import Database
from servicekit.testing import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

BACKLOG, LIVE = 300, 150


def create_customers(session, first: int, count: int) -> None:
    def one(n: int) -> None:
        response = post(session, "/api/v1/customers", {"kind": "person", "name": f"Relay {n}"})
        assert response.status_code == 201, response.text

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(one, range(first, first + count)))


def outbox_rows(url: str) -> tuple[int, int]:
    db = Database(url)
    try:
        with db.session() as session:
            total = session.execute(select(func.count()).select_from(tables.outbox)).scalar_one()
            waiting = session.execute(
                select(func.count())
                .select_from(tables.outbox)
                .where(tables.outbox.c.published_at.is_(None))
            ).scalar_one()
        return total, waiting
    finally:
        db.dispose()


def test_two_relays_publish_each_outbox_row_once(make_suite, amqp_url, db_backend):
    # Small batches and a short idle poll make the two relays meet on the same rows often.
    suite = make_suite(
        "customer", extra_env={"MMS_RELAY_BATCH_SIZE": "10", "MMS_RELAY_IDLE_INTERVAL": "0.01"}
    )
    bind_probe(amqp_url, "probe.customer-events", "customer.#")
    suite.setup("customer")
    suite.start_api("customer", workers=2)
    api = service_session(suite, "customer")

    create_customers(api, 0, BACKLOG)
    total, waiting = outbox_rows(suite.database_urls["customer"])
    assert waiting == total >= BACKLOG  # nothing relays them yet

    relays = ("customer-worker-1", "customer-worker-2")
    for name in relays:
        suite.start_worker("customer", name=name, wait=False)
    suite.wait_ready(*relays)
    # New rows while both relays poll: each round, whichever relay comes first claims them.
    create_customers(api, BACKLOG, LIVE)

    def published():
        total, waiting = outbox_rows(suite.database_urls["customer"])
        return total if waiting == 0 and total >= BACKLOG + LIVE else None

    total = wait_for(published, timeout=90, message="every outbox row published")

    received: list[dict] = []

    def all_received():
        received.extend(drain(amqp_url, "probe.customer-events"))
        return len(received) >= total

    wait_for(all_received, timeout=30, message=f"{total} events on the probe queue")
    event_ids = [body["event_id"] for body in received]
    assert not duplicates(event_ids)
    assert len(event_ids) == total

    by_relay = {
        name: counter(suite.metrics(name), "mms_outbox_published", service="customer")
        for name in relays
    }
    assert sum(by_relay.values()) == total, by_relay
    assert all(n > 0 for n in by_relay.values()), by_relay
