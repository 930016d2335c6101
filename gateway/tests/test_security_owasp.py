"""OWASP API Security Top 10 battery, through the real gateway in front of the real customer
service (and a fake for the other services).

API1 BOLA · API2 broken authentication · API3 mass assignment (property level) · API4 resource
consumption · API5 function level · API8 misconfiguration · bypassing the gateway.
"""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
import requests
from gateway_testkit import JWT_SECRET, SEEN, WsgiThread

from customer_service.entrypoints import runtime as customer_runtime
from customer_service.entrypoints.wsgi import create_app as customer_app
from gateway.settings import SERVICE_PORTS, Rate
from servicekit.identity import IDENTITY_HEADER, generate_keypair

pytestmark = [pytest.mark.integration, pytest.mark.security]


@pytest.fixture
def customer_service(databases, minter):
    rt = customer_runtime.build(
        database_url=databases.url(customer_runtime.MIGRATIONS),
        identity_public_keys=(minter.public_pem,),
        amqp_url="amqp://guest:guest@127.0.0.1:1//",
    )
    server = WsgiThread(customer_app(rt)).start()
    yield server
    server.stop()
    rt.db.dispose()


@pytest.fixture
def suite(start_gateway, customer_service, upstream):
    upstreams = dict.fromkeys(SERVICE_PORTS, upstream.url)
    upstreams["customer"] = customer_service.url
    return start_gateway(upstreams=upstreams)


def bearer(gateway, roles, team=None) -> tuple[dict, object]:
    return gateway.user_headers(roles, team)


def new_customer(gateway, headers, name="Acme Trading") -> dict:
    response = gateway.post(
        "/api/v1/customers?force=true", json={"kind": "company", "name": name}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


# -- API1: broken object level authorisation ------------------------------------------------


def test_bola_rep_cannot_read_or_change_another_reps_customer(suite):
    rep_a, user_a = bearer(suite, ("sales_rep",), "east")
    rep_b, _ = bearer(suite, ("sales_rep",), "east")
    rep_west, _ = bearer(suite, ("sales_rep",), "west")
    manager, _ = bearer(suite, ("sales_manager",), "east")
    customer = new_customer(suite, rep_a)
    assert customer["owner_id"] == user_a.id
    path = f"/api/v1/customers/{customer['id']}"
    assert suite.get(path, headers=rep_a).status_code == 200
    for other in (rep_b, rep_west):
        response = suite.get(path, headers=other)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
        changed = suite.patch(path, json={"name": "Mine now"}, headers={**other, "If-Match": '"1"'})
        assert changed.status_code == 404
        assert suite.get(path + "/360", headers=other).status_code == 404
        listed = suite.get("/api/v1/customers", headers=other).json()["items"]
        assert customer["id"] not in {c["id"] for c in listed}
    assert suite.get(path, headers=manager).status_code == 200  # the team's manager sees it


# -- API2: broken authentication ------------------------------------------------------------


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_forged_and_stale_tokens_are_refused(suite):
    headers, _ = bearer(suite, ("admin",))
    good = headers["Authorization"].split(" ", 1)[1]
    head, payload, signature = good.split(".")
    claims = jwt.decode(good, options={"verify_signature": False})
    forged = {
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "alg none, no dot": f"{_b64({'alg': 'none'})}.{payload}",
        "tampered": f"{head}.{_b64({**claims, 'sub': 'x'})}.{signature}",
        "expired": jwt.encode(
            {**claims, "iat": int(time.time()) - 7200, "exp": int(time.time()) - 3600},
            JWT_SECRET,
            algorithm="HS256",
        ),
        "wrong audience": jwt.encode({**claims, "aud": "mms-services"}, JWT_SECRET, "HS256"),
        "no expiry": jwt.encode(
            {k: v for k, v in claims.items() if k != "exp"}, JWT_SECRET, "HS256"
        ),
        "other key": jwt.encode(claims, "another-secret-" + "y" * 40, "HS256"),
        "EdDSA identity key": jwt.encode(
            claims,
            __import__(
                "cryptography.hazmat.primitives.serialization", fromlist=["x"]
            ).load_pem_private_key(generate_keypair()[0].encode(), None),
            "EdDSA",
        ),
    }
    for name, token in forged.items():
        response = suite.get("/api/v1/customers", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, name
        assert response.json()["error"]["code"] in ("invalid_token", "token_expired"), name
    assert suite.get("/api/v1/customers", headers=headers).status_code == 200


def test_refresh_token_reuse_revokes_the_family(suite):
    user = suite.create_user(("sales_rep",))
    first = suite.login(user.email)
    second = suite.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    assert (
        suite.post(
            "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
        ).status_code
        == 401
    )
    assert (
        suite.post(
            "/api/v1/auth/refresh", json={"refresh_token": second.json()["refresh_token"]}
        ).status_code
        == 401
    )


# -- API5: broken function level authorisation ----------------------------------------------


def test_function_level_checks_at_the_gateway(suite, upstream):
    analyst, _ = bearer(suite, ("analyst",))
    before = len(upstream.app[SEEN])
    order = suite.post("/api/v1/orders", json={"customer_id": "x"}, headers=analyst)
    assert order.status_code == 403 and order.json()["error"]["code"] == "missing_permission"
    assert "orders:write" in order.json()["error"]["message"]
    assert suite.get("/api/v1/customers", headers=analyst).status_code == 403
    assert suite.get("/api/v1/tickets", headers=analyst).status_code == 403
    assert len(upstream.app[SEEN]) == before  # refused before reaching any service
    assert suite.get("/api/v1/analytics/revenue", headers=analyst).status_code == 200
    rep, _ = bearer(suite, ("sales_rep",), "east")
    assert suite.get("/api/v1/customers/export", headers=rep).status_code == 403
    assert suite.post("/api/v1/campaigns", json={}, headers=rep).status_code == 403
    marketer, _ = bearer(suite, ("marketer",))
    assert suite.post("/api/v1/orders", json={}, headers=marketer).status_code == 403
    assert suite.get("/api/v1/users", headers=marketer).status_code == 403
    assert suite.post("/api/v1/api-keys", json={}, headers=rep).status_code == 403


# -- API3: mass assignment ------------------------------------------------------------------


def test_mass_assignment_of_roles_and_ownership(suite):
    rep_a, user_a = bearer(suite, ("sales_rep",), "east")
    _, user_b = bearer(suite, ("sales_rep",), "east")
    for body in ({"roles": ["admin"]}, {"team": "west"}, {"active": False}, {"id": "x"}):
        assert suite.patch("/api/v1/me", json=body, headers=rep_a).status_code == 422
    assert (
        suite.patch(
            f"/api/v1/users/{user_a.id}", json={"roles": ["admin"]}, headers=rep_a
        ).status_code
        == 403
    )
    assert (
        suite.patch(f"/api/v1/users/{user_b.id}", json={"team": "x"}, headers=rep_a).status_code
        == 403
    )
    me = suite.get("/api/v1/me", headers=rep_a).json()
    assert me["roles"] == ["sales_rep"]
    # A rep's new customer is theirs even when the body names someone else as owner...
    created = suite.post(
        "/api/v1/customers?force=true",
        json={"kind": "company", "name": "Owner Test", "owner_id": user_b.id},
        headers=rep_a,
    )
    assert created.status_code == 201 and created.json()["owner_id"] == user_a.id
    # ...and a rep cannot hand it to another rep.
    handed = suite.post(
        f"/api/v1/customers/{created.json()['id']}/assign",
        json={"owner_id": user_b.id, "owner_team": "east"},
        headers=rep_a,
    )
    assert handed.status_code == 404
    unknown = suite.post(
        "/api/v1/customers?force=true",
        json={"kind": "company", "name": "X", "created_by": user_b.id},
        headers=rep_a,
    )
    assert unknown.status_code == 422


# -- API4: unrestricted resource consumption ------------------------------------------------


def test_page_size_body_size_and_rate_limits(start_gateway, customer_service, upstream):
    upstreams = dict.fromkeys(SERVICE_PORTS, upstream.url)
    upstreams["customer"] = customer_service.url
    gateway = start_gateway(upstreams=upstreams, rate_identity=Rate(20, 3600, 20))
    headers, _ = bearer(gateway, ("admin",))
    too_many = gateway.get("/api/v1/customers?limit=1000", headers=headers)
    assert too_many.status_code == 422 and "limit" in too_many.json()["error"]["details"]
    body = json.dumps({"kind": "company", "name": "x" * (2 * 1024 * 1024)})
    big = gateway.post(
        "/api/v1/customers", data=body, headers={**headers, "Content-Type": "application/json"}
    )
    assert big.status_code == 413
    codes = [gateway.get("/api/v1/customers", headers=headers).status_code for _ in range(25)]
    assert 429 in codes and codes.count(200) <= 20
    refused = gateway.get("/api/v1/customers", headers=headers)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1


# -- API8: security misconfiguration --------------------------------------------------------


def test_no_stack_traces_no_debug_and_security_headers(suite):
    headers, _ = bearer(suite, ("admin",))

    def explode():
        raise RuntimeError("secret internals at /etc/passwd")

    suite.rt.store.teams = explode
    response = suite.get("/api/v1/teams", headers=headers)
    assert response.status_code == 500
    text = response.text
    assert "secret internals" not in text and "Traceback" not in text and "RuntimeError" not in text
    assert response.json()["error"]["code"] == "internal_error"
    for path in ("/api/v1/customers", "/api/v1/nothing", "/api/v1/me"):
        response = suite.get(path, headers=headers)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Cache-Control"] == "no-store"
        assert "aiohttp" not in response.headers.get("Server", "").lower()
        assert "python" not in response.headers.get("Server", "").lower()
    trace = suite.request("TRACE", "/api/v1/customers", headers=headers)
    assert trace.status_code == 405
    malformed = suite.post(
        "/api/v1/customers",
        data="{oops",
        headers={**headers, "Content-Type": "application/json"},
    )
    assert malformed.status_code == 400 and "Traceback" not in malformed.text


# -- bypassing the gateway ------------------------------------------------------------------


def test_direct_calls_to_a_service_without_the_gateways_identity_are_401(suite, customer_service):
    headers, _ = bearer(suite, ("admin",))
    direct = customer_service.url + "/api/v1/customers"
    assert requests.get(direct, timeout=10).status_code == 401
    # The user's own access token is not an internal identity...
    token = headers["Authorization"].split(" ", 1)[1]
    assert requests.get(direct, headers={IDENTITY_HEADER: token}, timeout=10).status_code == 401
    assert requests.get(direct, headers=headers, timeout=10).status_code == 401
    # ...and neither is an identity signed with any key but the gateway's.
    from servicekit.testing.identities import IdentityMinter

    rogue = IdentityMinter.generate().headers(roles=("admin",), scopes=("*",))
    assert requests.get(direct, headers=rogue, timeout=10).status_code == 401
    assert suite.get("/api/v1/customers", headers=headers).status_code == 200


# -- the customer 360 -----------------------------------------------------------------------


def test_customer_360_composes_and_reports_missing_sections(
    start_gateway, customer_service, upstream
):
    from servicekit.testing.servers import free_port

    upstreams = dict.fromkeys(SERVICE_PORTS, upstream.url)
    upstreams["customer"] = customer_service.url
    upstreams["support"] = f"http://127.0.0.1:{free_port()}"  # down
    gateway = start_gateway(upstreams=upstreams, retries=0)
    headers, _ = bearer(gateway, ("sales_manager",), "east")
    customer = new_customer(gateway, headers, "Three Sixty Ltd")
    response = gateway.get(f"/api/v1/customers/{customer['id']}/360", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["profile"]["id"] == customer["id"]
    assert body["open_opportunities"] == [] and body["recent_orders"] == []
    missing = {m["section"]: m for m in body["missing"]}
    assert missing["open_tickets"]["reason"] == "service_unavailable"
    assert missing["touchpoints"]["reason"] == "not_permitted"  # managers lack touchpoints:read
    assert body["open_tickets"] is None
    seen = [s["path"] for s in upstream.app[SEEN]]
    assert f"/api/v1/opportunities?customer_id={customer['id']}&status=open&limit=50" in seen
    assert f"/api/v1/orders?customer_id={customer['id']}&limit=10" in seen
    assert f"/api/v1/analytics/customers/{customer['id']}/scores" in seen
    unknown = gateway.get(
        "/api/v1/customers/00000000-0000-4000-8000-000000000000/360", headers=headers
    )
    assert unknown.status_code == 404


def test_customer_360_with_the_customer_service_down(start_gateway, upstream):
    from servicekit.testing.servers import free_port

    upstreams = dict.fromkeys(SERVICE_PORTS, upstream.url)
    upstreams["customer"] = f"http://127.0.0.1:{free_port()}"
    gateway = start_gateway(upstreams=upstreams, retries=0)
    headers, _ = bearer(gateway, ("admin",))
    body = gateway.get(
        "/api/v1/customers/00000000-0000-4000-8000-000000000000/360", headers=headers
    ).json()
    assert body["profile"] is None
    assert {m["section"] for m in body["missing"]} == {"profile"}
    assert body["messages"] == []
