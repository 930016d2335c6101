"""The real worker: events published on mms.events reach a receiver through
``gateway-service worker`` (the gateway.webhooks queue, the inbox, parking) — a process, a real
broker, a real HTTP receiver."""

from __future__ import annotations

import json
import uuid

import pytest
from gateway_processes import BIN, Processes, start_gateway_worker
from gateway_testkit import WEBHOOK_KEY, Receiver, sample_envelope

from gateway.store import Store
from gateway.webhooks.secretbox import SecretBox
from gateway.webhooks.signing import verify
from gateway.webhooks.store import Owner, WebhookStore
from servicekit.db import Database
from servicekit.testing.events import publish
from servicekit.testing.waiting import wait_for

pytestmark = pytest.mark.integration

SECRET = "whsec_broker-test-secret-0123456789"


@pytest.fixture
def group(tmp_path, request):
    processes = Processes(tmp_path / "processes")
    yield processes
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        print(processes.report())
    processes.stop_all()


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


def subscribe(db: Database, url: str, patterns: list[str]) -> str:
    admin = Store(db).create_user(
        email="owner@broker.test", name="Owner", password_hash="x", roles=["admin"], team=None
    )
    subscription_id = str(uuid.uuid4())
    WebhookStore(db, retry_window=3600).create(
        subscription_id=subscription_id,
        owner=Owner("user", admin.id, "Owner"),
        url=url,
        description=None,
        event_types=patterns,
        filters={},
        active=True,
        ordered=True,
        secret_ciphertext=SecretBox([WEBHOOK_KEY]).encrypt(SECRET, subscription_id),
        secret_hint="x",
        limit=10,
    )
    return subscription_id


def test_events_on_the_exchange_reach_the_receiver_through_the_worker(
    group, amqp_vhost, broker, receiver
):
    vhost, amqp_url = amqp_vhost
    worker = start_gateway_worker(
        group,
        amqp_url,
        MMS_WEBHOOK_SECRET_KEY=WEBHOOK_KEY,
        MMS_WEBHOOK_ALLOWED_NETWORKS="127.0.0.0/8",
        MMS_WEBHOOK_POLL_INTERVAL="0.1",
        MMS_RETRY_DELAYS="0.2",
    )
    db = Database(f"sqlite:///{group.base / 'gateway.sqlite3'}")
    try:
        subscribe(db, receiver.url(), ["sales.order.*"])
        bindings = {b["routing_key"] for b in broker.bindings(vhost, "gateway.webhooks")}
        assert "#" in bindings

        aggregate = str(uuid.uuid4())
        first = sample_envelope(aggregate_id=aggregate, aggregate_version=1)
        second = sample_envelope("sales.order.paid", aggregate_id=aggregate, aggregate_version=2)
        ignored = sample_envelope("customer.created")
        # the first attempt fails and is retried when the receiver asks (Retry-After: 1)
        receiver.plan_event(first["event_id"], {"status": 503, "headers": {"Retry-After": "1"}})
        publish(amqp_url, first, ignored, second, first)  # ... and one duplicate
        wait_for(
            lambda: len(receiver.received()) >= 3,
            timeout=60,
            message=lambda: f"3 requests, got {len(receiver.received())}\n{worker.output()}",
        )
        sent = [r["headers"]["X-MMS-Event-Id"] for r in receiver.received()]
        # in order per aggregate: the failed first event holds the second back until it succeeds
        assert sent == [first["event_id"], first["event_id"], second["event_id"]]
        for request in receiver.received():
            assert verify(request["headers"]["X-MMS-Signature"], request["body"], [SECRET])
        assert json.loads(receiver.received()[-1]["body"]) == second

        broken = sample_envelope(data={"total": "not money"})  # breaks its contract: parked
        later = sample_envelope(aggregate_id=str(uuid.uuid4()))
        publish(amqp_url, broken, later)
        wait_for(lambda: len(receiver.received()) == 4, timeout=30, message="the later event")
        assert receiver.received()[-1]["headers"]["X-MMS-Event-Id"] == later["event_id"]
        wait_for(lambda: broker.depth(vhost, "gateway.webhooks.dead") == 1, timeout=30)
        # the duplicate and the unmatched event were consumed without a second delivery
        assert sum(1 for e in sent if e == second["event_id"]) == 1
        assert ignored["event_id"] not in sent

        cli = [str(BIN / "gateway-service"), "webhooks", "dead"]
        parked = json.loads(group.run([*cli, "list", "--json"], worker.env))
        assert [p["event_id"] for p in parked] == [broken["event_id"]]
        assert "contract" in parked[0]["error"]
        assert "re-drove 1" in group.run([*cli, "redrive"], worker.env)
        wait_for(lambda: broker.depth(vhost, "gateway.webhooks.dead") == 1, timeout=30)
    finally:
        db.dispose()
