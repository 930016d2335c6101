"""The customer service as an operator runs it: gunicorn with two workers plus its worker
process, real HTTP, the real broker."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest
import requests

from servicekit.amqp import connect
from servicekit.testing import wait_for
from servicekit.testing.identities import IdentityMinter
from servicekit.testing.processes import Suite, SuiteKeys

pytestmark = pytest.mark.e2e


@pytest.fixture
def suite(tmp_path, amqp_url):
    keys = SuiteKeys.generate()
    with Suite(tmp_path, amqp_url, keys=keys) as suite:
        suite.setup("customer")
        suite.start_api("customer", workers=2)
        suite.start_worker("customer")
        yield suite


def test_metrics_logs_correlation_and_worker_health(suite, amqp_url):
    minter = IdentityMinter(suite.keys.private_pem, suite.keys.public_pem)
    headers = minter.headers()
    api = suite.processes["customer-api"].url
    with connect(amqp_url) as conn:
        conn.default_channel.queue_declare("probe", durable=True, auto_delete=False)
        conn.default_channel.queue_bind("probe", "mms.events", "customer.created")
    session = requests.Session()
    for _ in range(20):
        response = session.get(f"{api}/api/v1/customers?limit=1", headers=headers)
        assert response.status_code == 200
    created = session.post(
        f"{api}/api/v1/customers",
        json={"kind": "person", "name": "E2E"},
        headers={**headers, "X-Correlation-ID": "corr-e2e-42"},
    )
    assert created.status_code == 201, created.text
    request_id = created.headers["X-Request-ID"]

    # /metrics adds up every gunicorn worker's counts.
    def list_requests():
        text = session.get(f"{api}/metrics").text
        found = re.search(
            r'mms_http_requests_total\{endpoint="/api/v1/customers",'
            r'method="GET",service="customer",status="200"\} (\d+)',
            text,
        )
        return found and int(found.group(1)) == 20

    wait_for(list_requests, message="20 GETs counted across both workers")

    # The event carries the request's correlation id through the outbox and the relay.
    def event():
        with connect(amqp_url) as conn:
            message = conn.default_channel.basic_get("probe", no_ack=True)
        return json.loads(message.body) if message else None

    body = wait_for(event, message="customer.created on the broker")
    assert body["correlation_id"] == "corr-e2e-42"
    assert body["causation_id"] == request_id

    # JSON logs carry the request id.
    log_lines = suite.processes["customer-api"].output(200_000).splitlines()
    entries = [json.loads(line) for line in log_lines if line.startswith("{")]
    assert any(e.get("request_id") == request_id and e.get("status") == 201 for e in entries)

    # The worker answers its health checks: database, relay, consumer, scheduler.
    worker_port = suite.worker_ports["customer-worker"]
    with urllib.request.urlopen(f"http://127.0.0.1:{worker_port}/health/ready") as response:
        ready = json.loads(response.read())
    assert ready["status"] == "ready"
    assert set(ready["checks"]) == {"database", "relay", "consumer", "scheduler"}
    with urllib.request.urlopen(f"http://127.0.0.1:{worker_port}/metrics") as response:
        assert b"mms_outbox_published_total" in response.read()


def test_operator_cli_on_a_running_service(suite):
    out = suite.group.run([suite.cli("customer"), "outbox", "status"], suite.env())
    assert json.loads(out)["unpublished"] >= 0
    assert "no parked messages" in suite.group.run(
        [suite.cli("customer"), "dead", "list"], suite.env()
    )
