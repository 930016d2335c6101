"""/api/v1/webhooks through the real gateway app: input checks, scopes, object-level access,
If-Match, the delivery log, redelivery, replay and ping against a real receiver."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from gateway_testkit import Receiver, sample_envelope, webhook_settings
from sqlalchemy import select

from gateway.apikeys import new_api_key
from gateway.webhooks.dispatch import Dispatcher
from gateway.webhooks.settings import WebhookSettings
from gateway.webhooks.signing import verify
from gateway.webhooks.worker import WebhookWorker
from servicekit import tables
from servicekit.events import Envelope
from servicekit.uow import UnitOfWorkFactory

pytestmark = pytest.mark.integration

HOOKS = "/api/v1/webhooks"


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def gw(start_gateway):
    return start_gateway(webhooks=webhook_settings())


def api_key(gw, *scopes: str) -> dict:
    plaintext, prefix, key_hash = new_api_key()
    gw.rt.store.create_api_key(
        name=f"tool-{prefix}",
        description=None,
        prefix=prefix,
        key_hash=key_hash,
        scopes=list(scopes),
        created_by="system",
        expires_at=None,
    )
    return {"X-API-Key": plaintext}


def create(gw, headers, receiver, **body):
    payload = {"url": receiver.url(), "event_types": ["sales.order.*"], **body}
    response = gw.post(HOOKS, json=payload, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def publish(gw, *envelopes: dict) -> None:
    dispatcher = Dispatcher(gw.rt.settings.webhooks)
    with UnitOfWorkFactory(gw.rt.db, "gateway")() as uow:
        for body in envelopes:
            dispatcher.handle(Envelope.from_dict(body), uow)
        uow.commit()


def deliver(gw, **overrides):
    settings = gw.rt.settings.webhooks.replace(**overrides)
    return WebhookWorker.build(gw.rt.db, settings).engine.deliver_due()


def test_create_read_list_and_the_secret_shown_once(gw, admin_headers, receiver):
    created = create(gw, admin_headers, receiver, description="ERP", filters={"data.x": 1})
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 40
    assert created["secret_hint"] == "whsec_…" + created["secret"][-4:]
    assert created["active"] and created["ordered"] and created["version"] == 1
    assert created["owner"]["kind"] == "user" and created["filters"] == {"data.x": 1}
    response = gw.get(f"{HOOKS}/{created['id']}", headers=admin_headers)
    assert response.status_code == 200 and response.headers["ETag"] == '"1"'
    assert "secret" not in response.json()
    assert response.json()["health"]["consecutive_failures"] == 0
    listed = gw.get(HOOKS, headers=admin_headers).json()
    assert [s["id"] for s in listed["items"]] == [created["id"]]
    assert all("secret" not in s for s in listed["items"])

    own = create(gw, admin_headers, receiver, secret="my-own-secret-value-0123456789")
    assert own["secret"] == "my-own-secret-value-0123456789" and own["secret_hint"] == "…6789"

    types = gw.get(f"{HOOKS}/event-types", headers=admin_headers).json()["items"]
    placed = next(t for t in types if t["event_type"] == "sales.order.placed")
    assert placed == {
        "event_type": "sales.order.placed",
        "producer": "sales",
        "versions": [1],
        "scope": "orders:read",
        "permitted": True,
    }


BAD_BODIES = [
    ({"url": None}, "url"),
    ({"url": "ftp://127.0.0.1/x"}, "url"),
    ({"url": "http://user:pw@127.0.0.1/hook"}, "url"),
    ({"url": "http://127.0.0.1/hook#frag"}, "url"),
    ({"url": "http://10.0.0.8/hook"}, "url"),
    ({"url": "http://169.254.169.254/latest/meta-data"}, "url"),
    ({"url": "http://[::1]/hook"}, "url"),
    ({"url": "http://[::ffff:10.0.0.1]/hook"}, "url"),
    ({"url": "http://[64:ff9b::a00:1]/hook"}, "url"),
    ({"url": "http://100.64.1.1/hook"}, "url"),
    ({"url": "http://2130706433/hook"}, "url"),
    ({"url": "http://0x7f.1/hook"}, "url"),
    ({"url": "http://no-such-host.invalid/hook"}, "url"),
    ({"url": "x" * 3000}, "url"),
    ({"event_types": []}, "event_types"),
    ({"event_types": ["sales..order"]}, "event_types"),
    ({"event_types": ["sales.order.payed"]}, "event_types"),
    ({"event_types": ["Sales.Order.*"]}, "event_types"),
    ({"event_types": ["x"] * 51}, "event_types"),
    ({"filters": {"total": 1}}, "filters"),
    ({"filters": {"data.x": {"between": [1, 2]}}}, "filters"),
    ({"filters": {"data.x": {"gt": "5"}}}, "filters"),
    ({"filters": {"data.x": {"in": []}}}, "filters"),
    ({"filters": {"data.x": 0.1234567890123456789}}, "filters"),
    ({"filters": {f"data.f{i}": i for i in range(21)}}, "filters"),
    ({"filters": ["data.x"]}, "filters"),
    ({"secret": "short"}, "secret"),
    ({"description": "d" * 1001}, "description"),
    ({"active": "maybe"}, "active"),
    ({"owner": "someone"}, "owner"),
]


def test_bad_input_is_a_clear_422(gw, admin_headers, receiver):
    for body, field in BAD_BODIES:
        payload = {"url": receiver.url(), "event_types": ["sales.order.*"], **body}
        response = gw.post(HOOKS, json=payload, headers=admin_headers)
        assert response.status_code == 422, (body, response.text)
        error = response.json()["error"]
        assert error["code"] == "validation_failed" and field in error["details"], (body, error)
    assert gw.get(HOOKS, headers=admin_headers).json()["items"] == []


def test_malformed_requests(gw, admin_headers):
    headers = {**admin_headers, "Content-Type": "application/json"}
    assert gw.post(HOOKS, data="{nope", headers=headers).status_code == 400
    assert gw.post(HOOKS, data="[]", headers=headers).status_code == 422
    assert gw.post(HOOKS, data="x", headers={**admin_headers}).status_code == 415
    assert gw.get(f"{HOOKS}?limit=500", headers=admin_headers).status_code == 422
    assert gw.get(f"{HOOKS}?cursor=garbage", headers=admin_headers).status_code == 400
    assert gw.get(f"{HOOKS}?owner=me", headers=admin_headers).status_code == 422
    assert gw.get(f"{HOOKS}/{uuid.uuid4()}", headers=admin_headers).status_code == 404
    assert gw.get(f"{HOOKS}/not-a-uuid", headers=admin_headers).status_code == 404
    assert gw.get(HOOKS).status_code == 401


def test_scopes_and_object_level_access(gw, admin_headers, receiver):
    key_a = api_key(gw, "webhooks:read", "webhooks:write", "orders:read")
    key_b = api_key(gw, "webhooks:read", "webhooks:write", "orders:read")
    reader = api_key(gw, "webhooks:read", "orders:read")
    no_webhooks = api_key(gw, "orders:read")
    mine = create(gw, key_a, receiver)
    assert mine["owner"]["kind"] == "api_key"
    theirs = create(gw, key_b, receiver)

    for method, suffix in (
        ("GET", ""),
        ("PATCH", ""),
        ("DELETE", ""),
        ("GET", "/deliveries"),
        ("POST", "/enable"),
        ("POST", "/disable"),
        ("POST", "/rotate-secret"),
        ("POST", "/ping"),
        ("POST", "/replay"),
    ):
        response = gw.request(
            method,
            f"{HOOKS}/{theirs['id']}{suffix}",
            headers={**key_a, "If-Match": '"1"'},
            json={"since": "2026-01-01T00:00:00Z"} if suffix == "/replay" else {"ordered": True},
        )
        assert response.status_code == 404, (method, suffix, response.text)
    assert [s["id"] for s in gw.get(HOOKS, headers=key_a).json()["items"]] == [mine["id"]]
    everyone = gw.get(HOOKS, headers=admin_headers).json()["items"]
    assert {s["id"] for s in everyone} == {mine["id"], theirs["id"]}
    owner = f"key:{theirs['owner']['id']}"
    only_b = gw.get(f"{HOOKS}?owner={owner}", headers=admin_headers).json()["items"]
    assert [s["id"] for s in only_b] == [theirs["id"]]
    assert gw.get(f"{HOOKS}/{theirs['id']}", headers=admin_headers).status_code == 200

    assert gw.get(HOOKS, headers=reader).status_code == 200
    refused = gw.post(HOOKS, json={"url": receiver.url(), "event_types": ["#"]}, headers=reader)
    assert refused.status_code == 403 and "webhooks:write" in refused.json()["error"]["message"]
    assert gw.get(HOOKS, headers=no_webhooks).status_code == 403
    rep_headers, _ = gw.user_headers(("sales_rep",))
    assert gw.get(HOOKS, headers=rep_headers).status_code == 403

    customers = gw.post(
        HOOKS, json={"url": receiver.url(), "event_types": ["customer.*"]}, headers=key_a
    )
    assert customers.status_code == 403
    error = customers.json()["error"]
    assert error["code"] == "missing_permission" and "customers:read" in error["message"]
    assert error["details"]["event_types"]["customer.created"] == "customers:read"
    widen = gw.patch(
        f"{HOOKS}/{mine['id']}",
        json={"event_types": ["sales.#"]},
        headers={**key_a, "If-Match": '"1"'},
    )
    assert widen.status_code == 403


def test_patch_needs_if_match(gw, admin_headers, receiver):
    created = create(gw, admin_headers, receiver)
    path = f"{HOOKS}/{created['id']}"
    change = {"description": "now with filters", "filters": {"data.channel": "retail"}}
    assert gw.patch(path, json=change, headers=admin_headers).status_code == 428
    stale = gw.patch(path, json=change, headers={**admin_headers, "If-Match": '"7"'})
    assert stale.status_code == 412
    bad = gw.patch(path, json=change, headers={**admin_headers, "If-Match": "7"})
    assert bad.status_code == 412
    ok = gw.patch(path, json=change, headers={**admin_headers, "If-Match": '"1"'})
    assert ok.status_code == 200 and ok.headers["ETag"] == '"2"'
    assert ok.json()["filters"] == {"data.channel": "retail"}
    for body in ({}, {"active": False}, {"secret": "x" * 30}, {"url": "http://10.1.1.1/"}):
        response = gw.patch(path, json=body, headers={**admin_headers, "If-Match": '"2"'})
        assert response.status_code == 422, body
    again = gw.patch(path, json=change, headers={**admin_headers, "If-Match": '"1"'})
    assert again.status_code == 412


def test_disable_enable_rotate_delete(gw, admin_headers, receiver):
    created = create(gw, admin_headers, receiver)
    path = f"{HOOKS}/{created['id']}"
    disabled = gw.post(f"{path}/disable", json={"reason": "maintenance"}, headers=admin_headers)
    body = disabled.json()
    assert disabled.status_code == 200 and body["active"] is False
    assert "maintenance" in body["disabled_reason"] and body["disabled_by"].startswith("user:")
    no_body = gw.post(f"{path}/disable", headers=admin_headers)
    assert no_body.status_code == 200
    enabled = gw.post(f"{path}/enable", headers=admin_headers).json()
    assert enabled["active"] and enabled["disabled_reason"] is None

    rotated = gw.post(f"{path}/rotate-secret", json={"overlap_seconds": 600}, headers=admin_headers)
    assert rotated.status_code == 200
    payload = rotated.json()
    assert payload["secret"] != created["secret"]
    assert payload["subscription"]["previous_secret_expires_at"] is not None
    assert payload["subscription"]["secret_hint"].endswith(payload["secret"][-4:])
    too_long = gw.post(
        f"{path}/rotate-secret", json={"overlap_seconds": 10**7}, headers=admin_headers
    )
    assert too_long.status_code == 422

    assert gw.delete(path, headers={**admin_headers, "If-Match": '"1"'}).status_code == 412
    assert gw.delete(path, headers=admin_headers).status_code == 204
    assert gw.get(path, headers=admin_headers).status_code == 404


def test_delivery_log_redelivery_replay_and_ping(gw, receiver):
    headers = api_key(gw, "webhooks:read", "webhooks:write", "orders:read")
    created = create(gw, headers, receiver)
    path = f"{HOOKS}/{created['id']}"
    hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    first = sample_envelope(occurred_at=hour_ago)
    second = sample_envelope("sales.order.paid", occurred_at=hour_ago)
    receiver.plan_event(second["event_id"], 500)
    publish(gw, first, second)
    deliver(gw)

    log = gw.get(f"{path}/deliveries", headers=headers).json()["items"]
    assert [d["event_id"] for d in log] == [second["event_id"], first["event_id"]]
    assert [d["status"] for d in log] == ["pending", "succeeded"]
    pending = gw.get(f"{path}/deliveries?status=pending", headers=headers).json()["items"]
    assert [d["event_id"] for d in pending] == [second["event_id"]]
    by_type = gw.get(f"{path}/deliveries?event_type=sales.order.placed", headers=headers).json()
    assert [d["event_id"] for d in by_type["items"]] == [first["event_id"]]
    page = gw.get(f"{path}/deliveries?limit=1", headers=headers).json()
    rest = gw.get(f"{path}/deliveries?limit=1&cursor={page['next_cursor']}", headers=headers)
    assert [d["event_id"] for d in rest.json()["items"]] == [first["event_id"]]
    assert gw.get(f"{path}/deliveries?status=lost", headers=headers).status_code == 422
    window = "since=2030-01-02T00:00:00Z&until=2030-01-01T00:00:00Z"
    assert gw.get(f"{path}/deliveries?{window}", headers=headers).status_code == 422

    detail = gw.get(f"{path}/deliveries/{log[0]['id']}", headers=headers).json()
    (attempt,) = detail["attempt_log"]
    assert attempt["status_code"] == 500 and attempt["outcome"] == "retry"
    assert attempt["response_excerpt"] == "ok" and attempt["remote_address"] == "127.0.0.1"
    attempts = gw.get(f"{path}/deliveries/{log[0]['id']}/attempts", headers=headers).json()
    assert [a["number"] for a in attempts["items"]] == [1]
    missing = gw.get(f"{path}/deliveries/{uuid.uuid4()}", headers=headers)
    assert missing.status_code == 404

    redone = gw.post(f"{path}/deliveries/{log[1]['id']}/redeliver", headers=headers)
    assert redone.status_code == 202
    assert redone.json()["origin"] == "redelivery" and redone.json()["status"] == "pending"
    deliver(gw)
    assert receiver.received()[-1]["headers"]["X-MMS-Delivery-Origin"] == "redelivery"

    now = datetime.now(UTC)
    bad_range = {"since": (now + timedelta(hours=1)).isoformat()}
    assert gw.post(f"{path}/replay", json=bad_range, headers=headers).status_code == 422
    too_old = {"since": (now - timedelta(days=90)).isoformat()}
    assert gw.post(f"{path}/replay", json=too_old, headers=headers).status_code == 422
    since = (now - timedelta(hours=2)).isoformat()
    forbidden = {"since": since, "event_types": ["customer.*"]}
    assert gw.post(f"{path}/replay", json=forbidden, headers=headers).status_code == 403
    replay = gw.post(f"{path}/replay", json={"since": since}, headers=headers)
    assert replay.status_code == 202, replay.text
    result = replay.json()
    assert result["deliveries_created"] == 2 and result["filters_applied"] is True
    replayed = gw.get(f"{path}/deliveries?replay_id={result['replay_id']}", headers=headers).json()[
        "items"
    ]
    assert {d["event_id"] for d in replayed} == {first["event_id"], second["event_id"]}

    pinged = gw.post(f"{path}/ping", headers=headers)
    assert pinged.status_code == 200, pinged.text
    ping = pinged.json()
    assert ping["origin"] == "ping" and ping["status"] == "succeeded"
    request = receiver.received()[-1]
    assert request["headers"]["X-MMS-Event-Type"] == "gateway.webhook.pinged"
    assert json.loads(request["body"])["data"]["subscription_id"] == created["id"]
    assert verify(request["headers"]["X-MMS-Signature"], request["body"], [created["secret"]])
    no_ping_redelivery = gw.post(f"{path}/deliveries/{ping['id']}/redeliver", headers=headers)
    assert no_ping_redelivery.status_code == 409

    receiver.plan("/hook", 418)
    failed_ping = gw.post(f"{path}/ping", headers=headers).json()
    assert failed_ping["status"] == "failed" and failed_ping["last_status_code"] == 418

    gw.post(f"{path}/disable", headers=headers)
    assert gw.post(f"{path}/replay", json={"since": since}, headers=headers).status_code == 409
    again = gw.post(f"{path}/deliveries/{log[1]['id']}/redeliver", headers=headers)
    assert again.status_code == 409 and again.json()["error"]["code"] == "subscription_disabled"


def test_automatic_disabling_is_visible_to_the_owner(gw, receiver):
    headers = api_key(gw, "webhooks:read", "webhooks:write", "orders:read")
    created = create(gw, headers, receiver)
    receiver.always("/hook", 400)
    publish(gw, *[sample_envelope(aggregate_id=str(uuid.uuid4())) for _ in range(2)])
    deliver(gw, disable_after_failures=2)
    seen = gw.get(f"{HOOKS}/{created['id']}", headers=headers).json()
    assert seen["active"] is False and seen["disabled_by"] == "system"
    assert "2 deliveries in a row" in seen["disabled_reason"]
    assert seen["health"]["consecutive_failures"] == 2
    assert seen["health"]["last_failure_reason"] == "HTTP 400"
    enabled = gw.post(f"{HOOKS}/{created['id']}/enable", headers=headers).json()
    assert enabled["active"] and enabled["health"]["consecutive_failures"] == 0


def test_replays_are_rate_limited(start_gateway, receiver):
    gw = start_gateway(webhooks=webhook_settings(replays_per_hour=1))
    headers, _ = gw.user_headers(("admin",))
    created = create(gw, headers, receiver)
    since = {"since": (datetime.now(UTC) - timedelta(hours=1)).isoformat()}
    path = f"{HOOKS}/{created['id']}/replay"
    assert gw.post(path, json=since, headers=headers).status_code == 202
    limited = gw.post(path, json=since, headers=headers)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1


def test_without_an_at_rest_key_webhooks_answer_503(start_gateway):
    gw = start_gateway(webhooks=WebhookSettings())
    headers, _ = gw.user_headers(("admin",))
    response = gw.get(HOOKS, headers=headers)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "webhooks_unavailable"
    assert gw.get(HOOKS).status_code == 401


def test_openapi_documents_the_webhook_operations(gw):
    spec = gw.get("/api/v1/openapi.json").json()
    assert "post" in spec["paths"]["/api/v1/webhooks"]
    replay = spec["paths"]["/api/v1/webhooks/{subscription_id}/replay"]["post"]
    assert replay["tags"] == ["webhooks"] and "202" in replay["responses"]
    assert any(t["name"] == "webhooks" for t in spec["tags"])


def test_idempotency_keys_make_creation_and_replay_safe_to_retry(gw, admin_headers, receiver):
    body = {"url": receiver.url(), "event_types": ["sales.order.*"]}
    keyed = {**admin_headers, "Idempotency-Key": "create-erp-hook-1"}
    first = gw.post(HOOKS, json=body, headers=keyed)
    again = gw.post(HOOKS, json=body, headers=keyed)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["secret"] == first.json()["secret"]  # kept encrypted, not in clear
    assert len(gw.get(HOOKS, headers=admin_headers).json()["items"]) == 1
    other = gw.post(HOOKS, json={**body, "description": "x"}, headers=keyed)
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"
    bad_key = gw.post(HOOKS, json=body, headers={**admin_headers, "Idempotency-Key": "a b"})
    assert bad_key.status_code == 400
    with gw.rt.db.session() as session:
        stored = session.execute(select(tables.idempotency_keys.c.response_body)).scalars().all()
    assert stored and all(first.json()["secret"] not in text for text in stored)

    publish(
        gw, sample_envelope(occurred_at=(datetime.now(UTC) - timedelta(minutes=30)).isoformat())
    )
    path = f"{HOOKS}/{first.json()['id']}"
    replay_headers = {**admin_headers, "Idempotency-Key": "replay-1"}
    since = {"since": (datetime.now(UTC) - timedelta(hours=1)).isoformat()}
    one = gw.post(f"{path}/replay", json=since, headers=replay_headers)
    two = gw.post(f"{path}/replay", json=since, headers=replay_headers)
    assert one.status_code == two.status_code == 202
    assert one.json() == two.json() and two.headers["Idempotent-Replayed"] == "true"
    replayed = gw.get(f"{path}/deliveries?origin=replay", headers=admin_headers).json()["items"]
    assert len(replayed) == one.json()["deliveries_created"] == 1
