"""Webhook delivery end to end below the API: events through the dispatcher (as the consumer
calls it) into deliveries, sent by the delivery engine to a real HTTP receiver. The scheduler's
clock is fake, so retries are checked on schedule without sleeping through back-off."""

from __future__ import annotations

import ipaddress
import json
import random
import re
import shutil
import subprocess
import uuid
from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from gateway_testkit import FakeClock, Receiver, sample_envelope, webhook_settings
from sqlalchemy import select

from gateway.runtime import MIGRATIONS
from gateway.store import Store
from gateway.webhooks import tables as wt
from gateway.webhooks.addresses import AddressPolicy
from gateway.webhooks.dispatch import Dispatcher
from gateway.webhooks.engine import DeliveryEngine
from gateway.webhooks.maintenance import purge, rekey
from gateway.webhooks.secretbox import SecretBox, SecretUnreadable
from gateway.webhooks.store import Owner, WebhookStore
from servicekit.errors import ApiError
from servicekit.events import Envelope
from servicekit.uow import UnitOfWorkFactory

pytestmark = pytest.mark.integration

DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"
SECRET = "whsec_integration-secret-0123456789"


def doc_snippet(language: str) -> str:
    blocks = re.findall(rf"```{language}\n(.*?)```", DOCS.read_text(), re.DOTALL)
    return next(b for b in blocks if "erify" in b and ("def " in b or "function " in b))


def python_verifier():
    namespace: dict = {}
    exec(doc_snippet("python"), namespace)  # noqa: S102 - the documented snippet, on purpose
    return namespace["verify_mms_signature"]


class Harness:
    """A gateway database with the dispatcher and the engine on a fake clock."""

    def __init__(self, db, receiver: Receiver, **overrides) -> None:
        self.db = db
        self.receiver = receiver
        self.clock = FakeClock()
        self.resolved: dict[str, list[str]] = {}
        self.settings = webhook_settings(**overrides)
        self.box = SecretBox(self.settings.secret_keys)
        self.store = WebhookStore(db, retry_window=self.settings.retry_window, clock=self.clock)
        self.dispatcher = Dispatcher(self.settings, clock=self.clock)
        self.engine = self.make_engine(self.settings.allowed_networks)
        self.admin = Store(db).create_user(
            email=f"owner-{uuid.uuid4().hex[:6]}@example.com",
            name="Owner",
            password_hash="x",
            roles=["admin"],
            team=None,
        )

    async def _resolve(self, host: str, _port: int) -> list[str]:
        return self.resolved[host]

    def make_engine(self, allowed) -> DeliveryEngine:
        policy = AddressPolicy(tuple(allowed), (), self._resolve)
        return DeliveryEngine(
            self.db, self.settings, self.box, policy, clock=self.clock, rng=random.Random(42)
        )

    def subscribe(self, patterns=("sales.order.*",), *, url=None, filters=None, **kw):
        subscription_id = str(uuid.uuid4())
        owner = kw.pop("owner", Owner("user", self.admin.id, "Owner"))
        return self.store.create(
            subscription_id=subscription_id,
            owner=owner,
            url=url or self.receiver.url(),
            description=None,
            event_types=list(patterns),
            filters=filters or {},
            active=kw.pop("active", True),
            ordered=kw.pop("ordered", True),
            secret_ciphertext=self.box.encrypt(kw.pop("secret", SECRET), subscription_id),
            secret_hint="whsec_…6789",
            limit=100,
        )

    def publish(self, *envelopes: dict) -> None:
        with UnitOfWorkFactory(self.db, "gateway")() as uow:
            for body in envelopes:
                self.dispatcher.handle(Envelope.from_dict(body), uow)
            uow.commit()

    def deliver(self):
        return self.engine.deliver_due()

    def deliveries(self, subscription_id: str) -> list[dict]:
        page = self.store.deliveries(subscription_id, limit=200, cursor=None)
        return list(reversed(page.items))

    def only_delivery(self, subscription_id: str) -> dict:
        (delivery,) = self.deliveries(subscription_id)
        return self.store.delivery(subscription_id, delivery["id"])

    def run_until_settled(self, subscription_id: str, limit: int = 200) -> dict:
        """Move the clock to each next attempt until the delivery is no longer pending."""
        for _ in range(limit):
            self.deliver()
            delivery = self.only_delivery(subscription_id)
            if delivery["status"] != "pending":
                return delivery
            self.clock.now = delivery["next_attempt_at"]
        raise AssertionError("still pending")


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def harness(db_backend, databases, receiver):
    return Harness(databases.database(MIGRATIONS), receiver)


@pytest.fixture
def make_harness(db_backend, databases, receiver):
    return lambda **overrides: Harness(databases.database(MIGRATIONS), receiver, **overrides)


def test_signed_request_verifies_with_the_documented_snippets(harness, receiver):
    subscription = harness.subscribe()
    event = sample_envelope()
    harness.publish(event)
    (done,) = harness.deliver()
    assert done.verdict.outcome == "succeeded"
    (request,) = receiver.received("/hook")
    headers, body = request["headers"], request["body"]
    assert json.loads(body) == event
    assert headers["X-MMS-Event-Id"] == event["event_id"]
    assert headers["X-MMS-Event-Type"] == "sales.order.placed"
    assert headers["X-MMS-Delivery-Id"] == done.job.id
    assert headers["X-MMS-Subscription-Id"] == subscription.id
    assert headers["X-MMS-Delivery-Origin"] == "event" and headers["X-MMS-Attempt"] == "1"
    assert headers["User-Agent"].startswith("MMS-Webhooks/")
    assert headers["Content-Type"] == "application/json"
    signature = headers["X-MMS-Signature"]
    assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", signature)
    assert signature.startswith(f"t={headers['X-MMS-Timestamp']},")

    verify = python_verifier()
    assert verify(signature, body, [SECRET])
    assert verify(signature, body, ["whsec_not-it-0000000000000000", SECRET])
    assert not verify(signature, body, ["whsec_wrong-secret-000000000000000"])
    assert not verify(signature, body.replace(b"52.48", b"52.49"), [SECRET])
    stale = int(headers["X-MMS-Timestamp"]) + 301
    assert not verify(signature, body, [SECRET], now=stale)

    node = shutil.which("node")
    if node:
        script = doc_snippet("javascript") + (
            "\nconst input = JSON.parse(require('fs').readFileSync(0, 'utf8'));\n"
            "const body = Buffer.from(input.body, 'base64');\n"
            "console.log(JSON.stringify([input.secrets, input.tampered].map((s, i) => "
            "verifyMmsSignature(input.header, i ? Buffer.concat([body, Buffer.from(' ')]) : body,"
            " i ? input.secrets : s))));\n"
        )
        import base64

        out = subprocess.run(
            [node, "-e", script],
            input=json.dumps(
                {
                    "header": signature,
                    "body": base64.b64encode(body).decode(),
                    "secrets": [SECRET],
                    "tampered": True,
                }
            ),
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        assert json.loads(out.stdout) == [True, False], out.stdout + out.stderr


def test_retries_happen_on_the_backoff_schedule(harness, receiver):
    subscription = harness.subscribe()
    receiver.plan("/hook", 500, 503, 200)
    harness.publish(sample_envelope())
    start = harness.clock.now

    harness.deliver()
    first = harness.only_delivery(subscription.id)
    assert first["status"] == "pending" and first["attempts"] == 1
    assert first["last_status_code"] == 500 and first["last_error"] == "HTTP 500"
    delay = (first["next_attempt_at"] - start).total_seconds()
    assert 1 <= delay <= 10  # full jitter below the first ceiling (base 10 s)

    harness.clock.now = first["next_attempt_at"] - timedelta(milliseconds=1)
    assert harness.deliver() == [] and len(receiver.received()) == 1  # not due yet

    harness.clock.now = first["next_attempt_at"]
    harness.deliver()
    second = harness.only_delivery(subscription.id)
    assert second["attempts"] == 2 and second["last_status_code"] == 503
    delay = (second["next_attempt_at"] - harness.clock.now).total_seconds()
    assert 1 <= delay <= 20  # the ceiling doubled

    harness.clock.now = second["next_attempt_at"]
    harness.deliver()
    done = harness.only_delivery(subscription.id)
    assert done["status"] == "succeeded" and done["attempts"] == 3
    log = done["attempt_log"]
    assert [a["status_code"] for a in log] == [500, 503, 200]
    assert [a["outcome"] for a in log] == ["retry", "retry", "succeeded"]
    assert all(a["duration_ms"] > 0 and a["remote_address"] == "127.0.0.1" for a in log)
    assert log[0]["response_excerpt"] == "ok"
    assert [r["headers"]["X-MMS-Attempt"] for r in receiver.received()] == ["1", "2", "3"]
    assert len({r["headers"]["X-MMS-Delivery-Id"] for r in receiver.received()}) == 1


def test_retry_after_is_honoured_and_capped(make_harness, receiver):
    harness = make_harness(retry_max_delay=3600)
    subscription = harness.subscribe()
    clock = harness.clock
    receiver.plan(
        "/hook",
        {"status": 429, "headers": {"Retry-After": "120"}},
        {"status": 503, "headers": {"Retry-After": "999999"}},
        {"status": 503, "headers": {"Retry-After": "date"}},
        200,
    )
    harness.publish(sample_envelope())
    harness.deliver()
    first = harness.only_delivery(subscription.id)
    assert first["next_attempt_at"] == clock.now + timedelta(seconds=120)

    clock.now = first["next_attempt_at"]
    harness.deliver()
    second = harness.only_delivery(subscription.id)
    assert second["next_attempt_at"] == clock.now + timedelta(seconds=3600)  # capped

    clock.now = second["next_attempt_at"]
    when = (clock.now + timedelta(seconds=300)).replace(microsecond=0)
    receiver.plans["/hook"][0]["headers"]["Retry-After"] = format_datetime(when, usegmt=True)
    harness.deliver()
    third = harness.only_delivery(subscription.id)
    assert abs((third["next_attempt_at"] - when).total_seconds()) < 1

    clock.now = third["next_attempt_at"]
    harness.deliver()
    assert harness.only_delivery(subscription.id)["status"] == "succeeded"


def test_client_errors_and_redirects_fail_at_once(harness, receiver):
    gone = harness.subscribe(url=receiver.url("/gone"))
    moved = harness.subscribe(url=receiver.url("/moved"))
    receiver.always("/gone", 410)
    receiver.always("/moved", {"status": 302, "headers": {"Location": receiver.url("/inner")}})
    harness.publish(sample_envelope())
    harness.deliver()

    failed = harness.only_delivery(gone.id)
    assert failed["status"] == "failed" and failed["attempts"] == 1
    assert failed["last_error"] == "HTTP 410" and failed["next_attempt_at"] is None
    redirected = harness.only_delivery(moved.id)
    assert redirected["status"] == "failed"
    assert "redirect" in redirected["last_error"] and "/inner" in redirected["last_error"]
    harness.clock.advance(86400)
    assert harness.deliver() == []
    assert receiver.received("/inner") == []  # the redirect was not followed
    assert len(receiver.received("/gone")) == 1


def test_timeouts_are_retried(make_harness, receiver):
    harness = make_harness(timeout=0.3)
    subscription = harness.subscribe()
    receiver.plan("/hook", {"status": 200, "delay": 1.5})
    harness.publish(sample_envelope())
    harness.deliver()
    delivery = harness.only_delivery(subscription.id)
    assert delivery["status"] == "pending" and "timed out" in delivery["last_error"]
    assert delivery["attempt_log"][0]["status_code"] is None
    harness.clock.now = delivery["next_attempt_at"]
    harness.deliver()
    assert harness.only_delivery(subscription.id)["status"] == "succeeded"


def test_dead_after_the_retry_window(make_harness, receiver):
    harness = make_harness(retry_window=3600, disable_after_failures=100)
    subscription = harness.subscribe()
    receiver.always("/hook", 500)
    harness.publish(sample_envelope())
    created = harness.clock.now
    delivery = harness.run_until_settled(subscription.id)
    assert delivery["status"] == "dead"
    assert delivery["deadline_at"] == created + timedelta(seconds=3600)
    log = delivery["attempt_log"]
    assert log[-1]["outcome"] == "dead" and all(a["outcome"] == "retry" for a in log[:-1])
    # the last attempt happened at the deadline, never after it
    assert log[-1]["started_at"] <= delivery["deadline_at"]
    assert harness.clock.now == delivery["deadline_at"]
    assert len(receiver.received()) == delivery["attempts"] >= 5
    harness.clock.advance(86400)
    assert harness.deliver() == []


def test_repeated_failures_disable_the_subscription(make_harness, receiver):
    harness = make_harness(disable_after_failures=3, subscription_concurrency=1)
    subscription = harness.subscribe()
    receiver.always("/hook", 400)
    harness.publish(*[sample_envelope(aggregate_id=str(uuid.uuid4())) for _ in range(5)])
    harness.deliver()
    current = harness.store.get(subscription.id)
    assert current.active is False and current.disabled_by == "system"
    assert "3 deliveries in a row" in current.disabled_reason
    assert "HTTP 400" in current.disabled_reason
    assert current.consecutive_failures == 3 and current.version == 2
    statuses = sorted(d["status"] for d in harness.deliveries(subscription.id))
    assert statuses == ["failed"] * 3 + ["pending"] * 2
    sent = len(receiver.received())
    assert sent == 3
    harness.clock.advance(3600)
    harness.deliver()
    assert len(receiver.received()) == sent  # disabled: nothing more goes out
    harness.publish(sample_envelope())
    assert len(harness.deliveries(subscription.id)) == 5  # no new deliveries either

    enabled = harness.store.set_active(subscription.id, True, by="user:x")
    assert enabled.active and enabled.consecutive_failures == 0 and enabled.disabled_reason is None


def test_no_success_for_hours_disables(make_harness, receiver):
    harness = make_harness(disable_after_hours=1, disable_after_failures=100)
    subscription = harness.subscribe()
    receiver.always("/hook", 503)
    harness.publish(sample_envelope())
    harness.deliver()
    assert harness.store.get(subscription.id).failing_since == harness.clock.now
    harness.clock.advance(3601)
    harness.deliver()
    current = harness.store.get(subscription.id)
    assert current.active is False
    assert "no successful delivery" in current.disabled_reason


def test_events_of_one_aggregate_go_in_order(harness, receiver):
    subscription = harness.subscribe()
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    a1 = sample_envelope(aggregate_id=a, aggregate_version=1)
    a2 = sample_envelope(aggregate_id=a, aggregate_version=2)
    b1 = sample_envelope(aggregate_id=b, aggregate_version=1)
    b2 = sample_envelope(aggregate_id=b, aggregate_version=2)
    receiver.plan_event(a1["event_id"], 500)
    harness.publish(a1, a2, b1, b2)
    harness.deliver()

    sent = [r["headers"]["X-MMS-Event-Id"] for r in receiver.received()]
    assert sorted(sent[:2]) == sorted([a1["event_id"], b1["event_id"]])
    assert sent[2:] == [b2["event_id"]]  # a2 waits behind a1's retry; b goes on
    by_event = {d["event_id"]: d for d in harness.deliveries(subscription.id)}
    assert by_event[a2["event_id"]]["attempts"] == 0

    harness.clock.now = by_event[a1["event_id"]]["next_attempt_at"]
    harness.deliver()
    sent = [r["headers"]["X-MMS-Event-Id"] for r in receiver.received()]
    assert sent[3:] == [a1["event_id"], a2["event_id"]]


def test_lower_aggregate_versions_go_first_and_unordered_subscriptions_do_not_wait(
    harness, receiver
):
    ordered = harness.subscribe(url=receiver.url("/ordered"))
    loose = harness.subscribe(url=receiver.url("/loose"), ordered=False)
    a = str(uuid.uuid4())
    v3 = sample_envelope(aggregate_id=a, aggregate_version=3)
    v2 = sample_envelope(aggregate_id=a, aggregate_version=2)
    receiver.plan("/loose", 500)  # the first request to the unordered one fails
    harness.publish(v3, v2)  # arrived out of order
    harness.deliver()
    assert [r["headers"]["X-MMS-Event-Id"] for r in receiver.received("/ordered")] == [
        v2["event_id"],
        v3["event_id"],
    ]
    loose_sent = receiver.received("/loose")
    assert len(loose_sent) == 2  # both went at once: nothing waits behind the failure
    statuses = sorted(d["status"] for d in harness.deliveries(loose.id))
    assert statuses == ["pending", "succeeded"]
    assert ordered.ordered and not loose.ordered


def test_patterns_and_filters_select_events(harness):
    orders = harness.subscribe(
        ("sales.order.*",),
        filters={
            "data.channel": "online_store",
            "data.total.currency": ["EUR", "USD"],
            "data.total.amount": {"gte": 50},
        },
    )
    everything_sales = harness.subscribe(("sales.#",))
    customers = harness.subscribe(("customer.*",))
    match = sample_envelope()
    retail = sample_envelope(data={"channel": "retail"})
    pounds = sample_envelope(data={"total": {"amount": "52.48", "currency": "GBP"}})
    small = sample_envelope(data={"total": {"amount": "10.00", "currency": "EUR"}})
    paid = sample_envelope("sales.order.paid")  # matches too: same channel and total
    customer = sample_envelope("customer.created")
    harness.publish(match, retail, pounds, small, paid, customer)

    assert [d["event_id"] for d in harness.deliveries(orders.id)] == [
        match["event_id"],
        paid["event_id"],
    ]
    assert len(harness.deliveries(everything_sales.id)) == 5
    assert [d["event_id"] for d in harness.deliveries(customers.id)] == [customer["event_id"]]
    with harness.db.session() as session:
        archived = session.execute(select(wt.events.c.event_id)).scalars().all()
    assert len(archived) == 6  # every event is archived, matched or not


def test_replay_by_type_and_time_range_and_redelivery(harness, receiver):
    base = harness.clock.now.replace(microsecond=0)
    stamps = [base - timedelta(hours=h) for h in (30, 20, 10)]
    events = [
        sample_envelope(occurred_at=t.isoformat().replace("+00:00", "Z"), aggregate_id=str(i))
        for i, t in enumerate(stamps)
    ]
    customer = sample_envelope(
        "customer.created", occurred_at=stamps[1].isoformat().replace("+00:00", "Z")
    )
    harness.publish(*events, customer)
    subscription = harness.subscribe(("sales.order.*", "customer.*"))
    assert harness.deliveries(subscription.id) == []  # subscribed after the events

    result = harness.store.replay(
        subscription,
        patterns=["sales.order.placed"],
        since=base - timedelta(hours=25),
        until=base,
        apply_filters=True,
        owner_scopes=frozenset({"*"}),
        max_events=100,
        by="user:test",
    )
    assert result["deliveries_created"] == 2 and result["events_scanned"] == 3
    harness.deliver()
    sent = receiver.received()
    assert [r["headers"]["X-MMS-Event-Id"] for r in sent] == [
        events[1]["event_id"],
        events[2]["event_id"],
    ]
    assert {r["headers"]["X-MMS-Delivery-Origin"] for r in sent} == {"replay"}
    replayed = harness.deliveries(subscription.id)
    assert {d["replay_id"] for d in replayed} == {result["replay_id"]}

    again = harness.store.redeliver(subscription, replayed[0]["id"], "user:test")
    assert again["origin"] == "redelivery" and again["event_id"] == events[1]["event_id"]
    harness.deliver()
    last = receiver.received()[-1]
    assert last["headers"]["X-MMS-Event-Id"] == events[1]["event_id"]
    assert last["headers"]["X-MMS-Delivery-Id"] == again["id"] != replayed[0]["id"]
    assert last["body"] == sent[0]["body"]

    with pytest.raises(ApiError) as too_many:
        harness.store.replay(
            subscription,
            patterns=["#"],
            since=base - timedelta(days=2),
            until=base,
            apply_filters=False,
            owner_scopes=frozenset({"*"}),
            max_events=3,
            by="user:test",
        )
    assert too_many.value.code == "replay_too_large" and too_many.value.status == 422


def test_destinations_are_checked_at_every_delivery(harness, receiver):
    port = receiver.server.port
    harness.resolved["receiver.test"] = ["127.0.0.1"]
    harness.subscribe(url=f"http://receiver.test:{port}/hook")
    harness.publish(sample_envelope())
    (done,) = harness.deliver()
    assert done.verdict.outcome == "succeeded"
    assert receiver.received()[0]["headers"]["Host"] == f"receiver.test:{port}"

    for answer, reason in (
        (["10.1.2.3"], "10.1.2.3 is a private address"),
        (["127.0.0.1", "::1"], "::1 is a loopback address"),  # one bad answer spoils the name
        (["::ffff:169.254.169.254"], "link-local"),
    ):
        harness.resolved["receiver.test"] = answer  # DNS now answers differently (rebinding)
        harness.publish(sample_envelope(aggregate_id=str(uuid.uuid4())))
        (blocked,) = harness.deliver()
        assert blocked.verdict.outcome == "failed", answer
        assert reason in blocked.verdict.reason and "destination refused" in blocked.verdict.reason
    assert len(receiver.received()) == 1

    strict = harness.make_engine(())  # no allow-list: loopback is refused even as a literal
    literal = harness.subscribe(url=receiver.url("/literal"))
    harness.publish(sample_envelope(aggregate_id=str(uuid.uuid4())))
    outcomes = {r.job.subscription_id: r for r in strict.deliver_due()}
    assert "127.0.0.1 is a loopback address" in outcomes[literal.id].verdict.reason
    assert receiver.received("/literal") == []
    assert ipaddress.ip_address("127.0.0.1") in harness.settings.allowed_networks[0]


def test_rotated_secret_signs_with_both_during_the_overlap(harness, receiver):
    subscription = harness.subscribe()
    new_secret = "whsec_rotated-secret-abcdefghijkl"
    harness.store.rotate_secret(
        subscription.id,
        new_ciphertext=harness.box.encrypt(new_secret, subscription.id),
        hint="x",
        overlap_seconds=3600,
        expected_version=1,
    )
    verify = python_verifier()
    harness.publish(sample_envelope())
    harness.deliver()
    request = receiver.received()[-1]
    signature = request["headers"]["X-MMS-Signature"]
    assert signature.count("v1=") == 2
    assert verify(signature, request["body"], [new_secret])
    assert verify(signature, request["body"], [SECRET])

    harness.clock.advance(3601)  # the overlap is over
    harness.publish(sample_envelope(aggregate_id=str(uuid.uuid4())))
    harness.deliver()
    request = receiver.received()[-1]
    signature = request["headers"]["X-MMS-Signature"]
    assert signature.count("v1=") == 1
    assert verify(signature, request["body"], [new_secret])
    assert not verify(signature, request["body"], [SECRET])


def test_secrets_are_encrypted_at_rest(harness):
    subscription = harness.subscribe()
    with harness.db.session() as session:
        row = session.execute(
            select(wt.subscriptions).where(wt.subscriptions.c.id == subscription.id)
        ).one()
    dump = json.dumps([str(v) for v in row], ensure_ascii=False)
    assert SECRET not in dump and SECRET[6:] not in dump
    assert harness.box.decrypt(row.secret, subscription.id) == SECRET
    other = SecretBox(["another-operator-key-" + "z" * 32])
    with pytest.raises(SecretUnreadable):
        other.decrypt(row.secret, subscription.id)
    with pytest.raises(SecretUnreadable):
        harness.box.decrypt(row.secret, str(uuid.uuid4()))  # bound to its subscription


def test_owner_permissions_are_checked_for_every_event(harness, receiver):
    from gateway.apikeys import new_api_key

    store = Store(harness.db)
    _plain, prefix, key_hash = new_api_key()
    key = store.create_api_key(
        name="erp",
        description=None,
        prefix=prefix,
        key_hash=key_hash,
        scopes=["webhooks:read", "webhooks:write", "orders:read"],
        created_by=harness.admin.id,
        expires_at=None,
    )
    # Saved below the API (which would refuse customer.*): the dispatcher checks again.
    subscription = harness.subscribe(
        ("sales.order.*", "customer.*"), owner=Owner("api_key", key.id, "erp")
    )
    order, customer = sample_envelope(), sample_envelope("customer.created")
    harness.publish(order, customer)
    assert [d["event_id"] for d in harness.deliveries(subscription.id)] == [order["event_id"]]

    store.revoke_api_key(key.id)
    harness.publish(sample_envelope())
    current = harness.store.get(subscription.id)
    assert current.active is False and "API key was revoked" in current.disabled_reason
    assert len(harness.deliveries(subscription.id)) == 1


def test_purge_and_rekey(harness, receiver):
    subscription = harness.subscribe()
    harness.publish(sample_envelope())
    harness.deliver()
    harness.publish(sample_envelope(aggregate_id=str(uuid.uuid4())))  # stays pending
    later = harness.clock.now + timedelta(days=harness.settings.archive_days + 1)
    counts = purge(harness.db, harness.settings, later)
    assert counts["deliveries"] == 1 and counts["attempts"] == 1
    assert counts["events"] == 1  # the pending delivery's event is kept
    assert [d["status"] for d in harness.deliveries(subscription.id)] == ["pending"]

    new_key = "a-brand-new-operator-key-" + "n" * 32
    both = SecretBox([new_key, *harness.settings.secret_keys])
    assert rekey(harness.db, both) == 1
    assert rekey(harness.db, both) == 0
    row = harness.store.get(subscription.id)
    assert SecretBox([new_key]).decrypt(row.secret, subscription.id) == SECRET
