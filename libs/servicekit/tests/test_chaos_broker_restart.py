"""The broker restarts while events are being written and published: nothing is lost, nothing is
handled twice. Runs its own RabbitMQ node (restarting the shared one would disturb other tests)."""

from __future__ import annotations

import threading
import uuid

import pytest
from mms_toy import service as toy
from sqlalchemy import func, select

from servicekit.relay import backlog
from servicekit.testing import wait_for
from servicekit.testing.servers import RabbitNode
from servicekit.testing.workers import running_worker

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def node(tmp_path_factory):
    node = RabbitNode.create(tmp_path_factory.mktemp("chaos-rabbit")).start()
    yield node
    node.destroy()


def test_broker_restart_mid_stream_loses_nothing(node, databases, db_backend):
    rt = toy.runtime(databases.url(toy.HERE / "migrations"), node.url, retry_delays=(0.2,))
    total = 600
    ids = [str(uuid.uuid4()) for _ in range(total)]
    written = threading.Event()

    def writer():
        for n, item in enumerate(ids):
            with rt.uow() as uow:
                toy.create_item(uow, item, f"item {n}")
        written.set()

    with running_worker(rt) as worker:
        wait_for(lambda: worker.consumer.connected, message="consumer up")
        thread = threading.Thread(target=writer)
        thread.start()
        wait_for(lambda: _seen(rt) >= total // 4, timeout=60, message="a quarter handled")
        node.stop()  # the broker goes away mid-stream ...
        wait_for(lambda: not worker.consumer.connected, message="consumer noticed")
        node.start()  # ... and comes back on the same port with its durable state
        thread.join(120)
        assert written.is_set()
        wait_for(lambda: backlog(rt.db) == 0, timeout=120, message="outbox drained")
        wait_for(
            lambda: _seen(rt) == total,
            timeout=120,
            message=lambda: f"all {total} handled, have {_seen(rt)}",
        )
    with rt.db.session() as s:
        # every item handled exactly once: no double effect despite redeliveries
        assert s.execute(select(func.max(toy.seen.c.times))).scalar_one() == 1
        assert s.execute(select(func.count()).select_from(toy.seen)).scalar_one() == total
    rt.db.dispose()


def _seen(rt) -> int:
    with rt.db.session() as s:
        return s.execute(select(func.count()).select_from(toy.seen)).scalar_one()
