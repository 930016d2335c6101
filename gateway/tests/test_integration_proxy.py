"""Routing, streaming, body caps, resilience (503/504/502, retries, breaker), headers, metrics."""

from __future__ import annotations

import pytest
import requests
from gateway_testkit import SEEN

from servicekit.testing.servers import free_port

pytestmark = pytest.mark.integration


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"status", "code", "message", "request_id"} <= set(body["error"])
    assert body["error"]["status"] == response.status_code
    return body["error"]


def test_unknown_api_paths_are_404_in_the_standard_shape(gateway, admin_headers):
    for path in ("/api/v1/nothing", "/api/v1/webhooks-x", "/whatever", "/api/v2/customers"):
        response = gateway.get(path, headers=admin_headers)
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"


def test_dot_segments_are_refused(gateway, admin_headers):
    response = gateway.request(
        "GET", "/api/v1/customers/%2e%2e/users", headers=admin_headers, allow_redirects=False
    )
    assert response.status_code in (400, 404)
    assert response.json()["error"]["code"] in ("bad_request", "not_found")


def test_public_links_need_no_authentication_and_get_no_identity(gateway):
    for path in ("/r/o/abc.gif", "/unsubscribe/tok", "/f/form-tok", "/csat/tok"):
        response = gateway.get(path, headers={"X-MMS-Identity": "forged"})
        assert response.status_code == 200, path
        assert "x-mms-identity" not in response.json()["headers"]


def test_api_paths_need_authentication(gateway):
    response = gateway.get("/api/v1/customers")
    assert response.status_code == 401 and error_of(response)["code"] == "unauthenticated"
    response = gateway.get("/api/v1/customers", headers={"Authorization": "Basic abc"})
    assert response.status_code == 401 and error_of(response)["code"] == "invalid_token"


def test_large_responses_are_streamed(gateway, admin_headers):
    with gateway.get(
        "/api/v1/customers/export/big.csv", headers=admin_headers, stream=True
    ) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/csv")
        assert response.headers.get("Transfer-Encoding") == "chunked"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        size = sum(len(chunk) for chunk in response.iter_content(65536))
    assert size == 3000 * (14 + 51 * 20)


def test_a_stream_broken_upstream_is_cut_short_not_truncated_silently(gateway, admin_headers):
    with gateway.get(
        "/api/v1/customers/export/broken.csv", headers=admin_headers, stream=True
    ) as response:
        assert response.status_code == 200
        with pytest.raises(requests.exceptions.RequestException):
            for _ in response.iter_content(65536):
                pass
    assert gateway.get("/api/v1/orders", headers=admin_headers).status_code == 200


def test_a_small_answer_broken_off_is_a_502(gateway, admin_headers):
    response = gateway.get("/api/v1/orders/half.json", headers=admin_headers)
    assert response.status_code == 502 and error_of(response)["code"] == "bad_gateway"


def test_body_cap_and_upload_cap(start_gateway):
    gateway = start_gateway(max_body_bytes=1000, max_upload_bytes=5000)
    headers = gateway.user_headers()[0]
    big = gateway.post(
        "/api/v1/orders",
        data=b"{" + b" " * 2000 + b"}",
        headers={**headers, "Content-Type": "application/json"},
    )
    assert big.status_code == 413 and error_of(big)["code"] == "payload_too_large"
    upload = gateway.post(
        "/api/v1/imports", data=b"a,b\n" * 1000, headers={**headers, "Content-Type": "text/csv"}
    )
    assert upload.status_code == 200 and upload.json()["body_bytes"] == 4000
    too_big = gateway.post(
        "/api/v1/imports", data=b"a,b\n" * 2000, headers={**headers, "Content-Type": "text/csv"}
    )
    assert too_big.status_code == 413

    def chunked():
        yield b"{" + b" " * 1500
        yield b"}"

    streamed = gateway.post(
        "/api/v1/orders", data=chunked(), headers={**headers, "Content-Type": "application/json"}
    )
    assert streamed.status_code == 413


def test_page_size_is_capped_at_the_gateway(gateway, admin_headers):
    response = gateway.get("/api/v1/orders?limit=500", headers=admin_headers)
    assert response.status_code == 422 and "limit" in error_of(response)["details"]
    assert gateway.get("/api/v1/orders?limit=200", headers=admin_headers).status_code == 200


def test_service_not_running_is_a_clear_503(start_gateway):
    gateway = start_gateway(upstream_url=f"http://127.0.0.1:{free_port()}", retries=1)
    headers = gateway.user_headers()[0]
    response = gateway.get("/api/v1/tickets", headers=headers)
    assert response.status_code == 503
    error = error_of(response)
    assert error["code"] == "service_unavailable" and "support" in error["message"]
    assert "not running" in error["message"] and response.headers["Retry-After"]


def test_slow_service_is_a_504(start_gateway):
    gateway = start_gateway(upstream_timeout=0.3)
    headers = gateway.user_headers()[0]
    response = gateway.get("/api/v1/orders/slow", headers=headers)
    assert response.status_code == 504 and error_of(response)["code"] == "gateway_timeout"


def test_breaker_opens_after_repeated_failures(start_gateway, upstream):
    gateway = start_gateway(breaker_failures=3, breaker_reset=30)
    headers = gateway.user_headers()[0]
    for _ in range(3):
        assert gateway.get("/api/v1/orders/boom", headers=headers).status_code == 503
    calls_before = len(upstream.app[SEEN])
    response = gateway.get("/api/v1/orders", headers=headers)
    assert response.status_code == 503 and "holds calls" in error_of(response)["message"]
    assert len(upstream.app[SEEN]) == calls_before  # failed fast
    # Another service's breaker is independent.
    assert gateway.get("/api/v1/customers", headers=headers).status_code == 200
    ready = gateway.get("/health/ready").json()
    assert ready["checks"]["upstream:sales"]["status"] == "open"


def test_reads_are_retried_but_writes_are_not(start_gateway, upstream):
    """A dropped connection is retried for GET only: the fake drops the first connection."""
    import asyncio

    from aiohttp import web
    from gateway_testkit import AppThread

    state = {"calls": 0}

    async def flaky(request):
        state["calls"] += 1
        if state["calls"] % 2 == 1:
            request.transport.close()  # drop the connection without an answer
            await asyncio.sleep(0)
            return web.Response()
        return web.json_response({"ok": True})

    def make():
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", flaky)
        return app

    server = AppThread(make).start()
    try:
        gateway = start_gateway(upstream_url=server.url)
        headers = gateway.user_headers()[0]
        assert gateway.get("/api/v1/orders", headers=headers).status_code == 200
        assert state["calls"] == 2
        response = gateway.post("/api/v1/orders", json={}, headers=headers)
        assert response.status_code == 502 and error_of(response)["code"] == "bad_gateway"
        assert state["calls"] == 3
    finally:
        server.stop()


def test_security_headers_and_no_server_banner(gateway, admin_headers):
    response = gateway.get("/api/v1/orders", headers=admin_headers)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Server"] == "mms-gateway"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP here
    assert response.headers["X-Request-ID"]


def test_hsts_behind_a_trusted_tls_proxy(start_gateway):
    gateway = start_gateway(trust_forwarded=True)
    response = gateway.get("/health/live", headers={"X-Forwarded-Proto": "https"})
    assert "max-age=" in response.headers["Strict-Transport-Security"]


def test_cors_for_configured_origins_only(gateway, admin_headers):
    allowed = {"Origin": "https://crm.example.com"}
    preflight = gateway.request(
        "OPTIONS",
        "/api/v1/customers",
        headers={**allowed, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://crm.example.com"
    assert "X-API-Key" in preflight.headers["Access-Control-Allow-Headers"]
    response = gateway.get("/api/v1/orders", headers={**admin_headers, **allowed})
    assert response.headers["Access-Control-Allow-Origin"] == "https://crm.example.com"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    other = gateway.get("/api/v1/orders", headers={**admin_headers, "Origin": "https://evil.test"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_health_and_metrics(gateway, admin_headers):
    assert gateway.get("/health/live").json()["status"] == "live"
    ready = gateway.get("/health/ready")
    assert ready.status_code == 200 and ready.json()["checks"]["database"]["status"] == "ok"
    gateway.get("/api/v1/orders", headers=admin_headers)
    gateway.get("/api/v1/orders")
    text = gateway.get("/metrics").text
    assert 'mms_http_requests_total{endpoint="/api/v1/orders",method="GET"' in text
    assert "mms_gateway_auth_failures_total" in text


def test_request_ids_are_kept_or_made(gateway):
    response = gateway.get("/api/v1/nothing", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    assert response.json()["error"]["request_id"] == "abc-123"
    made = gateway.get("/api/v1/nothing", headers={"X-Request-ID": "bad id with spaces"})
    assert made.headers["X-Request-ID"] != "bad id with spaces"


def test_path_and_query_are_forwarded_unchanged(gateway, admin_headers):
    raw = "/api/v1/customers/search%2Fthing?q=Caf%C3%A9%20Lin&tag=a%2Fb&tag=c&empty="
    echoed = gateway.get(raw, headers=admin_headers).json()
    assert echoed["raw_path"] == raw
