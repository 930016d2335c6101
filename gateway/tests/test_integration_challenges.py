"""Every 401 names how to authenticate (RFC 9110 section 11.6.1): a ``Bearer realm="mms"``
challenge (RFC 6750 error codes when a bearer token was sent and refused) and an ``ApiKey``
challenge naming the X-API-Key header, on the gateway's own operations, on proxied ones and on
a service's own 401 passed on, always with the standard error body."""

from __future__ import annotations

import time

import jwt
import pytest
from aiohttp.test_utils import make_mocked_request
from gateway_testkit import JWT_SECRET

from gateway.openapi import gateway_spec, merge
from gateway.security import API_KEY_CHALLENGE, challenges
from servicekit.identity import generate_keypair

pytestmark = pytest.mark.integration

PLAIN = ['Bearer realm="mms"', API_KEY_CHALLENGE]
API_KEY = 'ApiKey realm="mms", header="X-API-Key"'


def challenges_of(response) -> list[str]:
    assert response.status_code == 401, (response.status_code, response.text[:200])
    body = response.json()
    assert set(body) == {"error"} and body["error"]["status"] == 401
    assert body["error"]["code"] and body["error"]["request_id"]
    return response.raw.headers.getlist("WWW-Authenticate")


def test_no_credentials_name_both_schemes_without_an_error_code(gateway):
    for method, path in (
        ("GET", "/api/v1/orders"),
        ("POST", "/api/v1/customers"),
        ("GET", "/api/v1/me"),
        ("GET", "/api/v1/users"),
        ("GET", "/api/v1/webhooks"),
        ("GET", "/api/v1/customers/00000000-0000-4000-8000-000000000000/360"),
    ):
        response = gateway.request(method, path)
        assert challenges_of(response) == PLAIN, path
        assert API_KEY in response.headers["WWW-Authenticate"]


def test_a_refused_bearer_token_is_invalid_token(gateway):
    headers, _ = gateway.user_headers(("admin",))
    token = headers["Authorization"].split(" ", 1)[1]
    claims = jwt.decode(token, options={"verify_signature": False})
    now = int(time.time())
    expired = jwt.encode({**claims, "iat": now - 7200, "exp": now - 3600}, JWT_SECRET, "HS256")
    for what, value, description in (
        ("garbage", "not-a-token", None),
        ("expired", expired, "expired"),
        ("other key", jwt.encode(claims, "another-secret-" + "y" * 40, "HS256"), None),
    ):
        for path in ("/api/v1/orders", "/api/v1/me"):
            response = gateway.get(path, headers={"Authorization": f"Bearer {value}"})
            bearer, api_key = challenges_of(response)
            assert bearer.startswith('Bearer realm="mms", error="invalid_token"'), (what, bearer)
            assert 'error_description="' in bearer
            if description:
                assert description in bearer.split("error_description=", 1)[1]
            assert api_key == API_KEY
    # A deactivated user's (well-signed) token is refused as invalid too.
    rep_headers, rep = gateway.user_headers(("sales_rep",))
    assert gateway.get("/api/v1/me", headers=rep_headers).status_code == 200
    gateway.rt.store.update_user(rep.id, {"active": False})
    gateway.rt.auth.forget_user(rep.id)
    deactivated = gateway.get("/api/v1/me", headers=rep_headers)
    assert challenges_of(deactivated)[0].startswith('Bearer realm="mms", error="invalid_token"')


def test_malformed_or_other_schemes(gateway):
    headers, _ = gateway.user_headers(("admin",))
    key = gateway.post(
        "/api/v1/api-keys", json={"name": "k", "scopes": ["orders:read"]}, headers=headers
    ).json()["key"]
    basic = challenges_of(gateway.get("/api/v1/orders", headers={"Authorization": "Basic eDp5"}))
    assert basic == PLAIN  # no bearer token was sent: no error code (RFC 6750 section 3.1)
    empty = challenges_of(gateway.get("/api/v1/orders", headers={"Authorization": "Bearer"}))
    assert empty[0].startswith('Bearer realm="mms", error="invalid_request"'), empty
    both = gateway.get("/api/v1/orders", headers={**headers, "X-API-Key": key})
    assert challenges_of(both)[0].startswith('Bearer realm="mms", error="invalid_request"')
    assert both.json()["error"]["code"] == "ambiguous_auth"
    bad_key = gateway.get("/api/v1/orders", headers={"X-API-Key": "mms_garbage"})
    assert challenges_of(bad_key) == PLAIN
    assert bad_key.json()["error"]["code"] == "invalid_api_key"
    assert gateway.get("/api/v1/orders", headers={"X-API-Key": key}).status_code == 200


def test_sign_in_refresh_and_sign_out_401s_name_the_schemes(gateway):
    user = gateway.create_user(("admin",))
    wrong = gateway.post("/api/v1/auth/login", json={"email": user.email, "password": "nope"})
    assert challenges_of(wrong) == PLAIN
    refresh = gateway.post("/api/v1/auth/refresh", json={"refresh_token": "x" * 40})
    assert challenges_of(refresh) == PLAIN
    logout = gateway.post("/api/v1/auth/logout", headers={"Authorization": "Bearer nope"})
    assert challenges_of(logout)[0].startswith('Bearer realm="mms", error="invalid_token"')


def test_a_services_own_401_passed_on_names_the_schemes(start_gateway):
    # The gateway signs identities with a key the (fake) service does not trust: it answers
    # 401 itself, without a challenge; the gateway adds one.
    gateway = start_gateway(identity_private_key=generate_keypair()[0])
    headers, _ = gateway.user_headers(("admin",))
    response = gateway.get("/api/v1/orders", headers=headers)
    assert response.status_code == 401
    assert response.raw.headers.getlist("WWW-Authenticate") == PLAIN


def test_successes_carry_no_challenge_and_cors_exposes_it(gateway, admin_headers):
    ok = gateway.get("/api/v1/orders", headers=admin_headers)
    assert ok.status_code == 200 and "WWW-Authenticate" not in ok.headers
    assert "WWW-Authenticate" not in gateway.get("/api/v1/me", headers=admin_headers).headers
    origin = {"Origin": "https://crm.example.com"}
    refused = gateway.get("/api/v1/orders", headers=origin)
    assert refused.status_code == 401
    assert "WWW-Authenticate" in refused.headers["Access-Control-Expose-Headers"]


@pytest.mark.parametrize(
    ("headers", "code", "message", "expected"),
    [
        ({}, "unauthenticated", "Sign in.", 'Bearer realm="mms"'),
        (
            {"Authorization": "Bearer x"},
            "token_expired",
            'The "access" token \\ has expired; ça.',
            'Bearer realm="mms", error="invalid_token", '
            "error_description=\"The 'access' token  has expired; a.\"",
        ),
        (
            {"Authorization": "bearer x"},
            "unauthenticated",
            "",
            'Bearer realm="mms", error="invalid_token"',
        ),
        (
            {"Authorization": "Bearer "},
            "invalid_token",
            "Use Bearer.",
            'Bearer realm="mms", error="invalid_request", error_description="Use Bearer."',
        ),
        ({"Authorization": "Bearer x"}, "invalid_credentials", "Wrong.", 'Bearer realm="mms"'),
        ({"Authorization": "Basic x"}, "invalid_token", "Use Bearer.", 'Bearer realm="mms"'),
        ({"X-API-Key": "k"}, "invalid_api_key", "Bad key.", 'Bearer realm="mms"'),
        ({}, None, "", 'Bearer realm="mms"'),
    ],
)
def test_challenge_values(headers, code, message, expected):
    request = make_mocked_request("GET", "/api/v1/orders", headers=headers)
    assert challenges(request, code, message) == [expected, API_KEY]


def test_the_merged_document_names_the_challenge_on_every_401():
    from gateway.app import OWN_ROUTES, build_spec

    own = build_spec()
    for *_, op in OWN_ROUTES:
        responses = own["paths"][op.path][op.method]["responses"]
        if "401" in responses:
            assert "WWW-Authenticate" in responses["401"]["headers"], (op.method, op.path)
        else:
            assert op.public, (op.method, op.path)  # only public operations may omit it
    login = own["paths"]["/api/v1/auth/login"]["post"]["responses"]["401"]
    assert login["headers"]["WWW-Authenticate"]["required"] is True
    service = {
        "openapi": "3.0.3",
        "info": {"title": "sales", "version": "v1"},
        "paths": {
            "/api/v1/orders": {"get": {"responses": {"200": {"description": "OK"}}}},
            "/r/{token}": {"get": {"responses": {"302": {"description": "redirect"}}}},
        },
    }
    merged = merge(gateway_spec([]), {"sales": service, "campaign": service})
    orders = merged["paths"]["/api/v1/orders"]["get"]["responses"]
    assert set(orders) == {"200", "401"}
    assert orders["401"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    assert "WWW-Authenticate" in orders["401"]["headers"]
    assert "401" not in merged["paths"]["/r/{token}"]["get"]["responses"]  # public link
    assert "401" not in service["paths"]["/api/v1/orders"]["get"]["responses"]  # not mutated
