"""The documented body cap (MMS_MAX_BODY_BYTES, 1 MiB) holds for the gateway's own operations
before anything is parsed: a Content-Length over it is a 413 at once (nothing read, no
authentication, no login budget spent), a chunked body is a 413 one byte past it, and an
``Expect: 100-continue`` over it gets the 413 instead of a 100. Proxied bodies keep their
per-route caps (uploads larger, streamed)."""

from __future__ import annotations

import json
import socket
import time
from urllib.parse import urlsplit

import pytest
import requests
from aiohttp import web
from gateway_testkit import AppThread

from gateway.http import BODY_CAP, read_body
from gateway.middleware import build_middleware
from gateway.security import POLICY, SecurityPolicy
from gateway.settings import Rate

pytestmark = pytest.mark.integration

CAP = 1000


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"status", "code", "message", "request_id"} <= set(body["error"])
    assert body["error"]["status"] == response.status_code
    return body["error"]


def raw(url: str, head: str, body: bytes = b"", timeout: float = 5.0) -> bytes:
    """Send ``head`` (request line and headers) and ``body`` on a fresh connection, keep it open
    (nothing more is sent) and return what the server answers within ``timeout``."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as conn:
        conn.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        received = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and b"\r\n\r\n" not in received:
            try:
                chunk = conn.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            received += chunk
        return received


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def test_own_operations_refuse_a_body_over_the_cap_before_parsing(start_gateway):
    gateway = start_gateway(max_body_bytes=CAP)
    headers = gateway.user_headers(("admin",))[0]
    json_type = {"Content-Type": "application/json"}
    over = json.dumps({"name": "x" * CAP, "email": "a@example.com", "password": "x"})
    for method, path in (
        ("POST", "/api/v1/users"),
        ("PATCH", "/api/v1/me"),
        ("POST", "/api/v1/teams"),
        ("POST", "/api/v1/api-keys"),
        ("POST", "/api/v1/webhooks"),
        ("POST", "/api/v1/auth/login"),
        ("POST", "/api/v1/auth/refresh"),
    ):
        response = gateway.request(method, path, data=over, headers={**headers, **json_type})
        assert response.status_code == 413, (path, response.status_code, response.text[:200])
        error = error_of(response)
        assert error["code"] == "payload_too_large"
        assert f"at most {CAP} bytes" in error["message"]
        assert response.headers["X-Request-ID"] == error["request_id"]
    # Not even authentication is looked at: the size decides first.
    anonymous = gateway.post("/api/v1/users", data=over, headers=json_type)
    assert anonymous.status_code == 413
    # Within the cap the same operations parse and validate as before.
    within = gateway.post("/api/v1/users", data=b"{}", headers={**headers, **json_type})
    assert within.status_code == 422


def test_the_default_cap_is_the_documented_mebibyte(gateway, admin_headers):
    body = json.dumps({"name": "x" * (1024 * 1024 + 10), "email": "a@b.c", "password": "x"})
    for path in ("/api/v1/users", "/api/v1/auth/login"):
        response = gateway.post(
            path, data=body, headers={**admin_headers, "Content-Type": "application/json"}
        )
        assert response.status_code == 413, path
        assert error_of(response)["code"] == "payload_too_large"
    assert gateway.server.app[BODY_CAP] == gateway.rt.settings.max_body_bytes == 1024 * 1024


def test_a_huge_login_is_refused_without_spending_the_login_budget(start_gateway):
    gateway = start_gateway(rate_login_ip=Rate(2, 3600, 2))
    user = gateway.create_user(("admin",))
    huge = b'{"email": "' + b"x" * (5 * 1024 * 1024) + b'", "password": "x"}'

    def chunked():
        yield b'{"email": "'
        for _ in range(5):
            yield b"x" * (1024 * 1024)
        yield b'", "password": "x"}'

    for data in (huge, huge, chunked(), chunked(), huge):
        response = gateway.post(
            "/api/v1/auth/login", data=data, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 413, response.status_code
        assert error_of(response)["code"] == "payload_too_large"
    # The budget (2 per hour) is untouched: a sign-in still works.
    gateway.login(user.email)


def test_chunked_bodies_are_read_up_to_the_cap_only(start_gateway):
    gateway = start_gateway(max_body_bytes=CAP)
    user = gateway.create_user(("admin",))
    login = json.dumps({"email": user.email, "password": "correct horse battery staple"})

    def pieces(text: str):
        yield text[:10].encode()
        yield text[10:].encode()

    ok = gateway.post(
        "/api/v1/auth/login", data=pieces(login), headers={"Content-Type": "application/json"}
    )
    assert ok.status_code == 200, ok.text
    token = ok.json()["access_token"]
    # One byte past the cap is enough; the rest of the body is never waited for.
    head = (
        "POST /api/v1/users HTTP/1.1\nHost: gateway\nContent-Type: application/json\n"
        f"Authorization: Bearer {token}\nTransfer-Encoding: chunked\n"
    )
    answer = raw(gateway.url, head, b"%x\r\n%s\r\n" % (CAP + 1, b"x" * (CAP + 1)))
    assert status_of(answer) == 413, answer[:300]
    exact = raw(gateway.url, head, b"%x\r\n%s\r\n" % (CAP, b"x" * CAP), timeout=1.0)
    assert exact == b""  # at the cap the gateway waits for the end of the body


def test_a_declared_length_over_the_cap_is_refused_before_any_byte_arrives(start_gateway):
    gateway = start_gateway(max_body_bytes=CAP)
    for path in ("/api/v1/auth/login", "/api/v1/users", "/api/v1/customers"):
        head = (
            f"POST {path} HTTP/1.1\nHost: gateway\nContent-Type: application/json\n"
            f"Content-Length: {5 * 1024 * 1024}\n"
        )
        answer = raw(gateway.url, head)
        # Own operations: 413 before authentication; proxied: 401 (who asks decides first).
        assert status_of(answer) == (401 if path == "/api/v1/customers" else 413), answer[:300]
        assert b"payload_too_large" in answer or path == "/api/v1/customers"


def test_expect_100_continue_over_the_cap_gets_the_413_instead(start_gateway):
    gateway = start_gateway(max_body_bytes=CAP, max_upload_bytes=4 * CAP)
    headers = gateway.user_headers(("admin",))[0]
    auth = f"Authorization: {headers['Authorization']}\n"
    for path, length, status in (
        ("/api/v1/users", CAP + 1, 413),
        ("/api/v1/auth/login", 5 * 1024 * 1024, 413),
        ("/api/v1/orders", CAP + 1, 413),
        ("/api/v1/imports", 4 * CAP + 1, 413),
    ):
        head = (
            f"POST {path} HTTP/1.1\nHost: gateway\nContent-Type: application/json\n{auth}"
            f"Content-Length: {length}\nExpect: 100-continue\n"
        )
        answer = raw(gateway.url, head)
        assert status_of(answer) == status, (path, answer[:300])
        assert b"100 Continue" not in answer
    for path, length in (("/api/v1/users", CAP), ("/api/v1/imports", 2 * CAP)):
        head = (
            f"POST {path} HTTP/1.1\nHost: gateway\nContent-Type: application/json\n{auth}"
            f"Content-Length: {length}\nExpect: 100-continue\n"
        )
        assert raw(gateway.url, head).startswith(b"HTTP/1.1 100 Continue"), path


def test_proxied_bodies_keep_their_per_route_caps(start_gateway, upstream):
    gateway = start_gateway(max_body_bytes=CAP, max_upload_bytes=300 * 1024)
    headers = gateway.user_headers(("admin",))[0]
    json_type = {**headers, "Content-Type": "application/json"}
    small = gateway.post("/api/v1/orders", data=b"{" + b" " * (CAP - 2) + b"}", headers=json_type)
    assert small.status_code == 200 and small.json()["body_bytes"] == CAP
    over = gateway.post("/api/v1/orders", data=b"{" + b" " * CAP + b"}", headers=json_type)
    assert over.status_code == 413 and error_of(over)["code"] == "payload_too_large"

    def chunked(size: int):
        for _ in range(size // 100):
            yield b"x" * 100

    streamed = gateway.post("/api/v1/orders", data=chunked(2 * CAP), headers=json_type)
    assert streamed.status_code == 413 and error_of(streamed)["code"] == "payload_too_large"
    # Uploads: a larger cap, bigger bodies streamed through (over the 256 KiB buffer).
    csv = {**headers, "Content-Type": "text/csv"}
    upload = gateway.post("/api/v1/imports", data=b"a,b\n" * (70 * 1024), headers=csv)
    assert upload.status_code == 200 and upload.json()["body_bytes"] == 280 * 1024
    chunked_upload = gateway.post("/api/v1/imports", data=chunked(200 * 1024), headers=csv)
    assert chunked_upload.status_code == 200
    assert chunked_upload.json()["body_bytes"] == 200 * 1024
    too_big = gateway.post("/api/v1/imports", data=b"a,b\n" * (80 * 1024), headers=csv)
    assert too_big.status_code == 413 and error_of(too_big)["code"] == "payload_too_large"


def test_aiohttps_own_limit_is_answered_in_the_standard_shape():
    """Defence in depth: ``request.read()`` past ``client_max_size`` (HTTPRequestEntityTooLarge)
    is the standard 413 too, like read_body past the cap."""

    async def reads(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({})

    async def bounded(request: web.Request) -> web.Response:
        return web.json_response({"bytes": len(await read_body(request))})

    def make() -> web.Application:
        app = web.Application(middlewares=[build_middleware(False, "console", 100)],
                              client_max_size=100)  # fmt: skip
        app[POLICY] = SecurityPolicy((), False)
        app[BODY_CAP] = 100
        app.router.add_post("/reads", reads)
        app.router.add_post("/bounded", bounded)
        return app

    server = AppThread(make).start()
    try:
        for path in ("/reads", "/bounded"):
            gen = (b"x" * 60 for _ in range(3))
            response = requests.post(server.url + path, data=gen, timeout=30)
            assert response.status_code == 413, path
            error = error_of(response)
            assert error["code"] == "payload_too_large"
            assert "at most 100 bytes" in error["message"]
        fits = requests.post(
            server.url + "/bounded", data=(b"x" * 50 for _ in range(2)), timeout=30
        )
        assert fits.json() == {"bytes": 100}
    finally:
        server.stop()
