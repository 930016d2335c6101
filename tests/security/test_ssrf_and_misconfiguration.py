"""API7 Server-side request forgery and API8 security misconfiguration across the services.

SSRF: every field that takes a URL (template links and images, touchpoint landing pages,
competitor websites) is stored and shown, and redirected to by the click tracker, but never
fetched by a server: a listener those URLs point at sees no connection while the records are
created, previewed, sent to a customer and clicked. (The gateway has no webhooks yet: when they
come, they need SSRF tests of their own.)

Misconfiguration: errors of every service, through the gateway and on their own ports, carry
the standard shape and no stack trace, file path or debug page; security headers are on every
answer; CORS admits no origin that is not configured; TRACE is not served.
"""

from __future__ import annotations

import re
import socket
import threading
import uuid

import pytest
import requests

from servicekit.testing import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.security]


class Listener:
    """Counts TCP connections to 127.0.0.1:<port> (a server-side fetch would make one)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def listener():
    listener = Listener()
    yield listener
    listener.sock.close()


def test_no_url_a_caller_gives_is_ever_fetched_by_a_server(api, shop, mail, suite, listener):
    admin = api.admin
    internal = [listener.url("/latest/meta-data/"), listener.url("/admin?x=1")]
    html = (
        f'<p>Hi {{{{ first_name }}}}, <a href="{internal[0]}">offer</a>'
        f'<img src="{internal[1]}" alt="x"> <a href="{listener.url("/more")}">more</a></p>'
    )
    template = shop.template(html=html)
    customer = shop.customer(name="SSRF target", consent=True)
    shop.known_to_campaign(template["id"], customer["id"])
    preview = admin.ok(
        "POST", f"/api/v1/templates/{template['id']}/preview", json={"customer_id": customer["id"]}
    )
    assert listener.url("/latest/meta-data/") in preview["html"]
    admin.ok("POST", "/api/v1/touchpoints", json={
        "customer_id": customer["id"], "source": "ssrf", "landing_url": internal[0],
        "referrer": internal[1]})  # fmt: skip
    admin.ok("POST", "/api/v1/competitors", json={"name": f"Rival {uuid.uuid4().hex[:6]}",
                                                  "website": internal[1]})  # fmt: skip
    segment = admin.ok("POST", "/api/v1/segments", json={"name": "SSRF", "kind": "static"})
    admin.ok("POST", f"/api/v1/segments/{segment['id']}/members", json={"add": [customer["id"]]})
    shop.wait_segment(segment["id"], 1)
    shop.known_to_campaign(template["id"], customer["id"])
    variant = {"name": "A", "split_percent": 100, "template_id": template["id"]}
    campaign = admin.ok("POST", "/api/v1/campaigns", json={
        "name": "SSRF send", "channel": "email", "segment_ids": [segment["id"]],
        "variants": [variant]})  # fmt: skip
    admin.ok("POST", f"/api/v1/campaigns/{campaign['id']}/launch")
    (message,) = wait_for(lambda: mail.to(customer["primary_email"]), timeout=60, message="email")
    gateway = suite.processes["gateway-api"].url
    tracked = re.findall(r'href="(' + re.escape(gateway) + r'/r/c/[^"]+)"', message.body("html"))
    # Links go through the tracker (images stay: the reader's mail client loads them).
    assert tracked and f'href="{listener.url("/")}' not in message.body("html")
    browser = {"User-Agent": "Mozilla/5.0 (X11; Linux) Firefox/128.0"}
    click = requests.get(tracked[0], allow_redirects=False, timeout=10, headers=browser)
    assert click.status_code == 302 and click.headers["Location"] == internal[0]
    # The send finished and every record is stored: a fetch would have happened by now.
    wait_for(
        lambda: admin.ok("GET", f"/api/v1/campaigns/{campaign['id']}/send")["phase"] == "finished",
        timeout=60,
        message="the send to finish",
    )
    assert listener.connections == 0, "a server fetched a URL a caller supplied"


INTERNAL_TARGETS = [
    "http://127.0.0.1:{port}/hook",
    "http://localhost:{port}/hook",
    "http://[::1]:{port}/hook",
    "http://[::ffff:127.0.0.1]:{port}/hook",
    "http://2130706433:{port}/hook",
    "http://0x7f000001:{port}/hook",
    "http://0:{port}/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/hook",
    "http://192.168.1.1/hook",
    "http://100.64.0.1/hook",
    "http://user:pass@example.com/hook",
    "file:///etc/passwd",
    "gopher://127.0.0.1:{port}/_x",
]


def test_webhooks_refuse_internal_targets_and_events_never_reach_them(api, shop, listener, figures):
    """The shared suite has no webhook allow-list (production's default): a subscription to any
    internal address form is refused when it is made, and the services' events that follow
    (a customer, an order) reach no internal address."""
    refused = []
    for target in INTERNAL_TARGETS:
        url = target.format(port=listener.port)
        response = api.admin.post(
            "/api/v1/webhooks", json={"url": url, "event_types": ["customer.*", "sales.order.*"]}
        )
        assert response.status_code in (400, 422), (url, response.status_code, response.text)
        refused.append(url)
    customer = shop.customer(name="Webhook bait")
    product = shop.product()
    shop.known_to_sales(customer["id"], product["id"])
    shop.order(customer["id"], product["id"])
    assert listener.connections == 0
    figures(refused_targets=len(refused))


ERRORS = [
    ("GET", "/api/v1/customers/00000000-0000-4000-8000-000000000000", None, 404),
    ("GET", "/api/v1/orders/not-a-uuid", None, 404),
    ("POST", "/api/v1/tickets", {"unknown": 1}, 422),
    ("GET", "/api/v1/campaigns?limit=abc", None, 422),
    ("GET", "/api/v1/analytics/revenue?from=2026-13-45", None, 422),
    ("DELETE", "/api/v1/customers", None, 405),
    ("POST", "/api/v1/leads", "{not json", 400),
]
LEAKS = re.compile(r"Traceback|File \"/|\.py\", line|werkzeug|sqlalchemy|psycopg|Debugger", re.I)


@pytest.mark.parametrize(("method", "path", "body", "status"), ERRORS)
def test_errors_are_plain_and_answers_are_hardened(api, method, path, body, status):
    kwargs = (
        {"data": body, "headers": {"Content-Type": "application/json"}}
        if isinstance(body, str)
        else {"json": body}
    )
    response = api.admin.request(method, path, **kwargs)
    assert response.status_code == status, (method, path, response.status_code)
    error = response.json()["error"]
    assert error["status"] == status and error["code"] and error["message"] and error["request_id"]
    assert not LEAKS.search(response.text), response.text[:300]
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert "no-store" in headers["Cache-Control"]
    assert "default-src" in headers["Content-Security-Policy"]
    assert not re.search(r"\d+\.\d+", headers.get("Server", "")), headers.get("Server")


@pytest.mark.parametrize("service", ["customer", "sales", "campaign", "support", "analytics"])
def test_services_on_their_own_ports_leak_nothing_either(service, service_urls, mint):
    base = service_urls[service]
    for method, path, body in [
        ("GET", "/api/v1/nothing-here", None),
        ("GET", "/api/v1/customers/00000000-0000-4000-8000-000000000000", None),
        ("POST", "/api/v1/orders", "{broken"),
        ("PUT", "/api/v1/tickets", "{}"),
    ]:
        response = requests.request(
            method, base + path, data=body, timeout=30,
            headers={**mint(), "Content-Type": "application/json"},
        )  # fmt: skip
        assert 400 <= response.status_code < 500, (service, path, response.status_code)
        assert not LEAKS.search(response.text), (service, path, response.text[:300])
        assert response.json()["error"]["request_id"]
    assert requests.get(f"{base}/console", timeout=10).status_code in (401, 404)


def test_cors_admits_only_configured_origins(api, extra_gateway):
    evil = {"Origin": "https://evil.example"}
    plain = api.admin.get("/api/v1/customers", headers=evil)
    assert "Access-Control-Allow-Origin" not in plain.headers
    preflight = requests.options(
        api.base + "/api/v1/customers", timeout=10,
        headers={**evil, "Access-Control-Request-Method": "DELETE"},
    )  # fmt: skip
    assert "Access-Control-Allow-Origin" not in preflight.headers
    base = extra_gateway("gateway-cors", MMS_CORS_ORIGINS="https://app.example")
    token = api.admin.session.headers["Authorization"]
    allowed = {"Origin": "https://app.example", "Authorization": token}
    good = requests.get(base + "/api/v1/customers", timeout=10, headers=allowed)
    assert good.headers.get("Access-Control-Allow-Origin") == "https://app.example"
    bad = requests.get(base + "/api/v1/customers", timeout=10,
                       headers={**evil, "Authorization": token})  # fmt: skip
    assert "Access-Control-Allow-Origin" not in bad.headers
    assert bad.headers.get("Access-Control-Allow-Origin") != "*"


def test_trace_is_not_served(api):
    response = requests.request("TRACE", api.base + "/api/v1/customers", timeout=10,
                                headers={"X-Secret": "echo-me"})  # fmt: skip
    assert response.status_code in (404, 405) and "echo-me" not in response.text
