"""The event backbone against a real RabbitMQ node and real databases."""

from __future__ import annotations

import json
import threading
import time
import uuid
from decimal import Decimal

import amqp
import kombu
import pytest
from click.testing import CliRunner
from mms_toy import service as toy
from sqlalchemy import func, select

from servicekit import tables
from servicekit.amqp import connect
from servicekit.cli import service_cli
from servicekit.relay import OutboxRelay, backlog
from servicekit.testing import wait_for
from servicekit.testing.workers import running_worker

pytestmark = pytest.mark.integration


@pytest.fixture
def rt(databases, db_backend, amqp_url):
    runtime = toy.runtime(databases.url(toy.HERE / "migrations"), amqp_url)
    yield runtime
    runtime.db.dispose()


def probe_queue(url: str, exchange: str = "mms.events", key: str = "#") -> str:
    """A queue standing for a foreign consumer, bound to everything."""
    name = f"probe-{uuid.uuid4().hex[:8]}"
    with connect(url) as conn:
        ch = conn.default_channel
        kombu.Exchange(exchange, "topic", durable=True)(ch).declare()
        ch.queue_declare(name, durable=True, auto_delete=False)
        ch.queue_bind(name, exchange, key)
    return name


def drain(url: str, queue: str) -> list[amqp.Message]:
    out = []
    with connect(url) as conn:
        ch = conn.channel()
        while (message := ch.basic_get(queue, no_ack=True)) is not None:
            out.append(message)
    return out


def outbox_rows(db):
    with db.session() as s:
        return s.execute(select(tables.outbox)).all()


def test_outbox_rows_commit_with_the_state_change_and_vanish_on_rollback(rt):
    item = str(uuid.uuid4())
    with rt.uow() as uow:
        toy.create_item(uow, item, "kept")
    with rt.uow() as uow:
        uow.session.execute(
            toy.items.insert().values(id=str(uuid.uuid4()), name="lost", price="1", currency="EUR")
        )
        uow.add_event(toy.ItemCreated(str(uuid.uuid4()), "lost", Decimal(1), "EUR"))
        # leaving the block without commit rolls everything back
    rows = outbox_rows(rt.db)
    assert len(rows) == 1
    payload = json.loads(rows[0].payload)
    assert payload["data"]["item_id"] == item
    assert payload["data"]["price"] == {"amount": "9.99", "currency": "EUR"}
    assert payload["producer"] == "toy" and rows[0].published_at is None


def test_relay_publishes_with_confirms_and_marks_rows(rt, amqp_url):
    probe = probe_queue(amqp_url)
    ids = []
    for n in range(25):
        with rt.uow() as uow:
            ids.append(toy.create_item(uow, str(uuid.uuid4()), f"n{n}")[0].event_id)
    relay = OutboxRelay(rt.db, amqp_url, "mms.events", "toy", batch_size=10)
    published = sum(relay.run_once() for _ in range(4))
    relay.publisher.close()
    assert published == 25
    assert backlog(rt.db) == 0
    messages = drain(amqp_url, probe)
    assert [m.properties["message_id"] for m in messages] == ids  # in commit order
    first = messages[0]
    assert first.properties["type"] == "toy.item.created"
    assert first.properties["delivery_mode"] == 2
    assert first.properties["content_type"] == "application/json"
    assert "correlation_id" in first.properties["application_headers"]


def test_each_event_has_one_effect_even_when_delivered_twice(rt, amqp_url):
    item = str(uuid.uuid4())
    with rt.uow() as uow:
        (envelope,) = toy.create_item(uow, item, "twice")
    with running_worker(rt, relay=True) as worker:
        wait_for(lambda: toy.seen_times(rt.db, item) == 1, message="first delivery handled")
        # The broker redelivers (or a relay republishes after a crash): same event id again.
        with connect(amqp_url) as conn:
            producer = kombu.Producer(conn.default_channel)
            producer.publish(
                envelope.to_json(),
                exchange="mms.events",
                routing_key="toy.item.created",
                content_type="application/json",
                message_id=envelope.event_id,
                delivery_mode=2,
            )
        wait_for(lambda: _handled(worker, "duplicate") >= 1, message="duplicate seen")
    assert toy.seen_times(rt.db, item) == 1
    with rt.db.session() as s:
        assert s.execute(select(func.count()).select_from(tables.inbox)).scalar_one() == 1


def _handled(worker, kind: str) -> int:
    from servicekit import metrics

    return int(
        sum(
            sample.value
            for metric in metrics.EVENTS_HANDLED.collect()
            for sample in metric.samples
            if sample.name.endswith("_total")
            and sample.labels.get("outcome") == kind
            and sample.labels.get("service") == "toy"
        )
    )


def test_failing_handler_is_retried_after_a_delay_then_succeeds(rt):
    item = str(uuid.uuid4())
    with rt.uow() as uow:
        toy.create_item(uow, item, "flaky", fail_times=2)
    with running_worker(rt):
        wait_for(lambda: toy.seen_times(rt.db, item) == 1, message="handled after retries")
    assert toy.FAILURES[item] == 2


def test_exhausted_retries_park_the_message_and_redrive_brings_it_back(rt, amqp_vhost, broker):
    vhost, _ = amqp_vhost
    item = str(uuid.uuid4())
    with rt.uow() as uow:
        toy.create_item(uow, item, "hopeless", fail_times=3)  # 1 try + 2 retries all fail
    with running_worker(rt):
        wait_for(lambda: broker.depth(vhost, "toy.events.dead") == 1, message="message parked")
    assert toy.seen_times(rt.db, item) == 0
    cli = service_cli("toy", lambda: rt, "unused:create_app()")
    listed = CliRunner().invoke(cli, ["dead", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    (parked,) = json.loads(listed.output)
    assert parked["event_type"] == "toy.item.created"
    assert parked["attempts"] == 2
    assert "simulated handler failure" in parked["error"]
    # The operator fixed the cause (the fourth attempt succeeds) and re-drives.
    result = CliRunner().invoke(cli, ["dead", "redrive"])
    assert result.exit_code == 0 and "re-drove 1" in result.output
    with running_worker(rt, relay=False):
        wait_for(lambda: toy.seen_times(rt.db, item) == 1, message="re-driven message handled")
    assert broker.depth(vhost, "toy.events.dead") == 0


def test_undecodable_and_rejected_messages_are_parked_at_once(rt, amqp_url, amqp_vhost, broker):
    vhost, _ = amqp_vhost
    item = str(uuid.uuid4())
    with rt.uow() as uow:
        toy.create_item(uow, item, "reject-me")
    with running_worker(rt) as worker:
        wait_for(lambda: worker.consumer.connected, message="consumer up")
        with connect(amqp_url) as conn:
            producer = kombu.Producer(conn.default_channel)
            producer.publish(
                "{not json",
                exchange="mms.events",
                routing_key="toy.item.created",
                content_type="application/json",
                delivery_mode=2,
            )
            producer.publish(
                json.dumps({"event_type": "toy.item.created"}),
                exchange="mms.events",
                routing_key="toy.item.created",
                content_type="application/json",
                delivery_mode=2,
            )
        wait_for(
            lambda: broker.depth(vhost, "toy.events.dead") == 3, message="three messages parked"
        )
    assert toy.FAILURES.get(item) is None  # never retried
    errors = [
        m.properties["application_headers"]["x-mms-error"]
        for m in drain(rt.settings.amqp_url, "toy.events.dead")
    ]
    assert sum("undecodable" in e for e in errors) == 2
    assert sum("rejected" in e for e in errors) == 1


def test_a_long_handler_keeps_the_connection_alive(databases, db_backend, amqp_url):
    rt = toy.runtime(databases.url(toy.HERE / "migrations"), amqp_url, amqp_heartbeat=1)
    item = str(uuid.uuid4())
    with rt.uow() as uow:
        toy.create_item(uow, item, "slow", sleep=4.0)  # four heartbeat intervals
    with running_worker(rt) as worker:
        wait_for(lambda: toy.seen_times(rt.db, item) == 1, timeout=30, message="slow handled")
        assert worker.consumer.sessions == 1  # never had to reconnect
    rt.db.dispose()


@pytest.mark.postgres
def test_two_relays_never_publish_a_row_twice(databases, db_backend, amqp_url):
    rt = toy.runtime(databases.url(toy.HERE / "migrations"), amqp_url)
    probe = probe_queue(amqp_url)
    total = 1500
    with rt.uow() as uow:
        for n in range(total):
            uow.session.execute(
                toy.items.insert().values(
                    id=str(uuid.uuid4()), name=f"i{n}", price="1", currency="EUR"
                )
            )
            uow.add_event(toy.ItemCreated(str(uuid.uuid4()), f"i{n}", Decimal(1), "EUR"))
        uow.commit()
    relays = [OutboxRelay(rt.db, amqp_url, "mms.events", "toy", batch_size=50) for _ in range(2)]
    counts = [0, 0]

    def work(i):
        while True:
            done = relays[i].run_once()
            if done == 0 and backlog(rt.db) == 0:
                break
            counts[i] += done

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for relay in relays:
        relay.publisher.close()
    ids = [m.properties["message_id"] for m in drain(amqp_url, probe)]
    assert len(ids) == total and len(set(ids)) == total
    assert counts[0] > 0 and counts[1] > 0, f"both relays should have worked: {counts}"
    rt.db.dispose()


def test_an_idle_relay_keeps_its_connection(rt, amqp_url):
    rt2 = toy.runtime(rt.db.url, amqp_url, amqp_heartbeat=1)
    with rt2.uow() as uow:
        toy.create_item(uow, str(uuid.uuid4()), "first")
    relay = OutboxRelay(rt2.db, amqp_url, "mms.events", "toy", idle_interval=0.05, heartbeat=1)
    thread = threading.Thread(target=relay.run, daemon=True)
    thread.start()
    wait_for(lambda: backlog(rt2.db) == 0, message="first event published")
    failures = []
    deadline = time.monotonic() + 5  # five heartbeat intervals of doing nothing
    while time.monotonic() < deadline:
        if not relay.healthy:
            failures.append(relay.last_error)
        time.sleep(0.1)
    with rt2.uow() as uow:
        toy.create_item(uow, str(uuid.uuid4()), "second")
    wait_for(lambda: backlog(rt2.db) == 0, message="second event published")
    relay.stop_event.set()
    thread.join(10)
    assert failures == []
    rt2.db.dispose()


def test_outbox_status_and_replay_to_one_queue(rt, amqp_url):
    for n in range(3):
        with rt.uow() as uow:
            toy.create_item(uow, str(uuid.uuid4()), f"r{n}")
    cli = service_cli("toy", lambda: rt, "unused:create_app()")
    status = json.loads(CliRunner().invoke(cli, ["outbox", "status"]).output)
    assert status["unpublished"] == 3
    relay = OutboxRelay(rt.db, amqp_url, "mms.events", "toy")
    relay.run_once()
    relay.publisher.close()
    with connect(amqp_url) as conn:
        conn.default_channel.queue_declare("late-consumer.events", durable=True, auto_delete=False)
    result = CliRunner().invoke(
        cli, ["outbox", "replay", "--queue", "late-consumer.events", "--type", "toy.#"]
    )
    assert result.exit_code == 0, result.output
    assert "replayed 3 events" in result.output
    replayed = drain(amqp_url, "late-consumer.events")
    assert [json.loads(m.body)["data"]["name"] for m in replayed] == ["r0", "r1", "r2"]
    nothing = CliRunner().invoke(
        cli, ["outbox", "replay", "--queue", "late-consumer.events", "--type", "other.#"]
    )
    assert "replayed 0 events" in nothing.output
    bad = CliRunner().invoke(cli, ["outbox", "replay", "--queue", "x", "--since", "yesterday"])
    assert bad.exit_code != 0
