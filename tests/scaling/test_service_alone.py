"""One service started alone by an operator: its api and its worker, a broker and its own
database, and no other service or gateway running. It serves its API (callers bring the signed
identity the gateway would add), publishes its events, and its operator commands work."""

from __future__ import annotations

import json
import uuid

import pytest
from scaling_support import bind_probe, drain, get, post, service_session

from servicekit.testing import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# service -> (a write, the event it publishes, the list that shows the written record)
CASES = {
    "sales": (
        "/api/v1/products",
        lambda: {"sku": f"SKU-{uuid.uuid4().hex[:8]}", "name": "Alone", "list_price": "12.50"},
        "sales.product.created",
        "/api/v1/products",
    ),
    "campaign": (
        "/api/v1/competitors",
        lambda: {"name": f"Rival {uuid.uuid4().hex[:6]}"},
        "campaign.competitor.created",
        "/api/v1/competitors",
    ),
}


@pytest.mark.parametrize("service", sorted(CASES))
def test_a_service_runs_alone(make_suite, amqp_url, db_backend, service):
    path, body, event_type, listing = CASES[service]
    suite = make_suite(service)
    bind_probe(amqp_url, "probe.alone", f"{service}.#")
    suite.setup(service)
    suite.start_api(service, workers=1, wait=False)
    suite.start_worker(service, wait=False)
    suite.wait_ready(f"{service}-api", f"{service}-worker")

    api = service_session(suite, service)
    created = post(api, path, body())
    assert created.status_code == 201, created.text
    record_id = created.json()["id"]
    listed = get(api, listing, params={"limit": 50})
    assert listed.status_code == 200, listed.text
    assert record_id in {item["id"] for item in listed.json()["items"]}

    received: list[dict] = []

    def published():
        received.extend(drain(amqp_url, "probe.alone"))
        return [e for e in received if e["event_type"] == event_type]

    events = wait_for(published, timeout=30, message=f"{event_type} on the broker")
    assert len(events) == 1 and events[0]["producer"] == service
    assert record_id in json.dumps(events[0]["data"])

    def outbox_empty():
        out = suite.group.run([suite.cli(service), "outbox", "status"], suite.env())
        return json.loads(out)["unpublished"] == 0

    wait_for(outbox_empty, timeout=30, message="outbox status: nothing left to publish")
    assert "no parked messages" in suite.group.run(
        [suite.cli(service), "dead", "list"], suite.env()
    )
