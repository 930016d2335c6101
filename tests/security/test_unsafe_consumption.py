"""API10 Unsafe consumption of APIs: what the suite consumes from others is not trusted.

- The gateway's customer 360 composes the answers of five services; with the campaign and
  analytics services replaced by a rogue server (invalid JSON, wrong types, a huge body, a 500
  with a stack trace and markup), the 360 still answers with the sound sections, names the bad
  ones, and passes none of the rogue content on.
- The services consume each other's events; malformed ones published straight to the exchange
  (by anyone holding broker credentials) are parked or ignored, never crash or block a consumer,
  and what follows is still handled.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pika
import pytest
import requests

from servicekit.testing import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.security]

MARKUP = '<script>alert("rogue")</script>'
TRACE = 'Traceback (most recent call last):\n  File "/srv/rogue.py", line 1, in <module>'


class Rogue(BaseHTTPRequestHandler):
    def do_GET(self):
        path = self.path
        if path.startswith("/api/v1/touchpoints"):
            self._send(200, json.dumps({"items": f"oops {MARKUP}"}).encode())
        elif path.startswith("/api/v1/campaigns/messages"):
            self._send(500, f"{TRACE}\n{MARKUP}".encode(), "text/plain")
        elif "/scores" in path:
            self._send(200, b'{"customer_id": "x", "rfm": ' + b"[" * 2_000_000)
        else:
            self._send(200, b'{"openapi": "3.0.3", "info": {"title": "r", "version": "1"}, '
                            b'"paths": {}}')  # fmt: skip

    def _send(self, status, body: bytes, content_type="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def rogue():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Rogue)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def composed(api, shop, extra_gateway, rogue):
    """A 360 through a gateway whose campaign and analytics services are the rogue."""
    base = extra_gateway("gateway-rogue", MMS_CAMPAIGN_URL=rogue, MMS_ANALYTICS_URL=rogue)
    customer = shop.customer(name="Composed despite a rogue")
    product = shop.product()
    shop.known_to_sales(customer["id"], product["id"])
    order = shop.order(customer["id"], product["id"])
    token = api.admin.session.headers["Authorization"]
    response = requests.get(
        f"{base}/api/v1/customers/{customer['id']}/360", headers={"Authorization": token},
        timeout=60,
    )  # fmt: skip
    return base, token, customer, order, response


def test_the_360_survives_a_rogue_upstream_and_names_what_it_could_not_use(composed):
    _, _, customer, order, response = composed
    assert response.status_code == 200, response.text[:300]
    assert "rogue.py" not in response.text and "Traceback" not in response.text
    body = response.json()
    assert body["profile"]["id"] == customer["id"]
    assert [o["id"] for o in body["recent_orders"]] == [order["id"]]
    missing = {m["section"]: m["reason"] for m in body["missing"]}
    assert body["messages"] is None and "messages" in missing
    assert body["scores"] is None and "scores" in missing


def test_the_360_passes_on_no_section_of_the_wrong_shape(composed):
    body = composed[4].json()
    assert body["touchpoints"] is None or isinstance(body["touchpoints"], list)
    assert "alert(" not in json.dumps(body)


GARBAGE = [
    b"not json at all",
    b'{"event_id": "x"}',
    json.dumps({"event_id": str(uuid.uuid4()), "event_type": "sales.order.placed", "version": 1,
                "occurred_at": "yesterday", "producer": "sales", "data": {"order_id": 7}}).encode(),
    json.dumps({"event_id": str(uuid.uuid4()), "event_type": "customer.created", "version": 99,
                "occurred_at": "2026-01-01T00:00:00Z", "producer": "customer",
                "data": {}}).encode(),
    json.dumps({"event_id": str(uuid.uuid4()), "event_type": "customer.created", "version": 1,
                "occurred_at": "2026-01-01T00:00:00Z", "producer": "customer",
                "data": {"customer_id": "' OR 1=1 --", "name": MARKUP * 1000}}).encode(),
]  # fmt: skip
CONSUMERS = ("customer", "sales", "campaign", "support", "analytics")


def test_malformed_events_are_parked_or_ignored_and_consumption_goes_on(api, shop, suite, broker):
    vhost = urllib.parse.unquote(suite.amqp_url.rstrip("/").rsplit("/", 1)[1])
    parked_before = {c: broker.depth(vhost, f"{c}.events.dead") for c in CONSUMERS}
    params = pika.URLParameters(suite.amqp_url)
    with pika.BlockingConnection(params) as connection:
        channel = connection.channel()
        for routing_key in ("sales.order.placed", "customer.created", "support.return.approved"):
            for body in GARBAGE:
                channel.basic_publish(
                    "mms.events",
                    routing_key,
                    body,
                    pika.BasicProperties(content_type="application/json", delivery_mode=2,
                                         message_id=str(uuid.uuid4()), type=routing_key),
                )  # fmt: skip
    # What comes next is still handled by every consumer of it.
    customer = shop.customer(name="After the garbage")
    product = shop.product()
    shop.known_to_sales(customer["id"], product["id"])
    shop.ticket(customer["id"])

    def drained():
        return all(broker.depth(vhost, f"{c}.events") == 0 for c in CONSUMERS)

    wait_for(drained, timeout=60, message="every consumer's queue drained (no poison loop)")
    for name in (f"{c}-worker" for c in CONSUMERS):
        assert suite.processes[name].alive(), name
    parked = {c: broker.depth(vhost, f"{c}.events.dead") - parked_before[c] for c in CONSUMERS}
    sent = len(GARBAGE) * 3
    assert all(0 <= n <= sent for n in parked.values()), parked
    assert sum(parked.values()) >= 1, "malformed events should be parked for an operator"
