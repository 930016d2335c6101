"""Auth primitives, the routing table, scopes, GCRA arithmetic and the circuit breaker."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from argon2 import PasswordHasher

from gateway.apikeys import looks_like_key, new_api_key
from gateway.openapi import merge
from gateway.passwords import Passwords, password_problem
from gateway.ratelimit import decide
from gateway.routing import resolve
from gateway.scopes import ROLE_SCOPES, has_scope, required_scope, scopes_for_roles
from gateway.settings import GatewaySettings, Rate, default_ratelimit_url
from gateway.tokens import AccessTokens, hash_token, new_refresh_token
from gateway.upstream import CircuitBreaker
from servicekit.config import ConfigError
from servicekit.errors import Unauthenticated

pytestmark = pytest.mark.unit

SECRET = "s" * 48


def settings(**overrides) -> GatewaySettings:
    values = dict(
        database_url="sqlite:///x.sqlite3",
        ratelimit_database_url="sqlite:///y.sqlite3",
        upstreams={},
        jwt_secret=SECRET,
    )
    values.update(overrides)
    return GatewaySettings(**values)


# -- routing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "service", "public"),
    [
        ("/api/v1/customers", "customer", False),
        ("/api/v1/customers/abc/360", "customer", False),
        ("/api/v1/customer-attributes/x", "customer", False),
        ("/api/v1/imports", "customer", False),
        ("/api/v1/price-lists/1", "sales", False),
        ("/api/v1/fx-rates", "sales", False),
        ("/api/v1/orders", "sales", False),
        ("/api/v1/suppressions", "campaign", False),
        ("/api/v1/competitors", "campaign", False),
        ("/api/v1/sla-policies", "support", False),
        ("/api/v1/support-reports/x", "support", False),
        ("/api/v1/analytics/revenue", "analytics", False),
        ("/r/o/abc.gif", "campaign", True),
        ("/unsubscribe/tok", "campaign", True),
        ("/f/survey-token", "campaign", True),
        ("/csat/tok", "support", True),
    ],
)
def test_routes_by_first_segment(path, service, public):
    route = resolve(path)
    assert route is not None and route.service == service and route.public is public


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nothing",
        "/api/v1/",
        "/api/v2/customers",
        "/r",
        "/admin/x",
        "/",
        "/api/v1/customersx",
    ],
)
def test_unknown_paths_have_no_route(path):
    assert resolve(path) is None


# -- scopes ---------------------------------------------------------------------------------


def test_role_mapping_is_as_documented():
    assert ROLE_SCOPES["admin"] == {"*"}
    assert ROLE_SCOPES["analyst"] == {"analytics:read"}
    rep = scopes_for_roles(["sales_rep"])
    assert {"customers:write", "orders:write", "targets:read"} <= rep
    assert "targets:write" not in rep and "customers:export" not in rep
    assert "sales:admin" in scopes_for_roles(["sales_manager"])
    assert {"campaigns:write", "research:read", "touchpoints:write"} <= scopes_for_roles(
        ["marketer"]
    )
    support = scopes_for_roles(["support_agent"])
    assert {"tickets:write", "satisfaction:write", "sla:read"} <= support
    assert "orders:write" not in support
    assert scopes_for_roles(["nonsense"]) == frozenset()


def test_scope_wildcards():
    assert has_scope(frozenset({"*"}), "orders:write")
    assert has_scope(frozenset({"orders:*"}), "orders:write")
    assert not has_scope(frozenset({"orders:read"}), "orders:write")


@pytest.mark.parametrize(
    ("method", "segment", "rest", "scope"),
    [
        ("GET", "customers", "", "customers:read"),
        ("POST", "customers", "", "customers:write"),
        ("GET", "customers", "/export", "customers:export"),
        ("POST", "customers", "/1/erase", "customers:erase"),
        ("PATCH", "customer-attributes", "/k", "customers:admin"),
        ("POST", "orders", "", "orders:write"),
        ("HEAD", "orders", "/1", "orders:read"),
        ("POST", "pipelines", "", "opportunities:write"),
        ("GET", "competitors", "", "research:read"),
        ("PUT", "sla-policies", "/1", "sla:write"),
        ("GET", "satisfaction-surveys", "", "satisfaction:read"),
        ("POST", "analytics", "/reports", "analytics:read"),
    ],
)
def test_required_scope_per_route(method, segment, rest, scope):
    assert required_scope(method, segment, rest) == scope


# -- passwords, tokens, keys ----------------------------------------------------------------


def test_argon2id_verifies_and_flags_parameter_changes():
    weak = Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    stored = weak.hash("a long enough password")
    assert stored.startswith("$argon2id$")
    assert weak.verify(stored, "a long enough password")
    assert not weak.verify(stored, "a long enough passwore")
    assert not weak.verify(None, "anything")  # unknown account: same work, always false
    assert not weak.verify("not-a-hash", "x")
    stronger = Passwords(PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1))
    assert stronger.verify(stored, "a long enough password")
    assert stronger.needs_rehash(stored) and not weak.needs_rehash(stored)


def test_password_rules():
    assert password_problem("short") is not None
    assert password_problem("aaaaaaaaaaaaaaaa") is not None
    assert password_problem("me@example.com", email="me@example.com") is not None
    assert password_problem("a decent passphrase") is None


def test_access_token_round_trip_and_required_claims():
    tokens = AccessTokens(settings())
    token, ttl = tokens.issue("user-1", "family-1")
    assert ttl == 900
    claims = tokens.verify(token)
    assert (claims.user_id, claims.session_id) == ("user-1", "family-1")
    raw = jwt.decode(token, options={"verify_signature": False})
    assert {"iss", "aud", "exp", "iat", "sub", "sid"} <= set(raw)
    for missing in ("iss", "aud", "exp", "iat", "sub", "sid"):
        partial = {k: v for k, v in raw.items() if k != missing}
        forged = jwt.encode(partial, SECRET, algorithm="HS256")
        with pytest.raises(Unauthenticated):
            tokens.verify(forged)


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_access_token_attacks_are_refused():
    tokens = AccessTokens(settings())
    good, _ = tokens.issue("user-1", "family-1")
    header, payload, signature = good.split(".")
    claims = jwt.decode(good, options={"verify_signature": False})
    attacks = {
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "tampered": f"{header}.{_b64({**claims, 'sub': 'someone-else'})}.{signature}",
        "wrong key": jwt.encode(claims, "k" * 48, algorithm="HS256"),
        "wrong audience": jwt.encode({**claims, "aud": "other"}, SECRET, algorithm="HS256"),
        "wrong issuer": jwt.encode({**claims, "iss": "other"}, SECRET, algorithm="HS256"),
        "expired": jwt.encode(
            {**claims, "iat": time.time() - 4000, "exp": time.time() - 3000},
            SECRET,
            algorithm="HS256",
        ),
        "other algorithm": jwt.encode(claims, SECRET, algorithm="HS512"),
    }
    for name, token in attacks.items():
        with pytest.raises(Unauthenticated):
            tokens.verify(token)
        assert name


def test_eddsa_access_tokens():
    from servicekit.identity import generate_keypair

    private_pem, public_pem = generate_keypair()
    tokens = AccessTokens(
        settings(jwt_algorithm="EdDSA", jwt_private_key=private_pem, jwt_public_key=public_pem)
    )
    token, _ = tokens.issue("u", "f")
    assert jwt.get_unverified_header(token)["alg"] == "EdDSA"
    assert tokens.verify(token).user_id == "u"
    with pytest.raises(Unauthenticated):
        AccessTokens(settings()).verify(token)  # an HS256 gateway refuses EdDSA tokens


def test_refresh_tokens_and_api_keys_are_random_and_hashed():
    token, digest = new_refresh_token()
    assert token.startswith("mmsr_") and digest == hash_token(token) and token not in digest
    key, prefix, key_hash = new_api_key()
    assert looks_like_key(key) and key.startswith(f"mms_{prefix}_")
    assert key_hash == hash_token(key) and len(key_hash) == 64
    assert new_api_key()[0] != key
    assert not looks_like_key("mms_short_x")


# -- settings -------------------------------------------------------------------------------


def test_rate_parsing_and_gcra_parameters():
    rate = Rate.parse("600/60/100", "X")
    assert (rate.limit, rate.period, rate.burst) == (600, 60.0, 100)
    assert rate.interval == pytest.approx(0.1) and rate.tolerance == pytest.approx(9.9)
    assert Rate.parse("10/1", "X").burst == 10
    with pytest.raises(ConfigError):
        Rate.parse("ten per minute", "X")
    with pytest.raises(ConfigError):
        Rate.parse("0/60", "X")


def test_ratelimit_database_sits_beside_the_main_sqlite_file():
    assert default_ratelimit_url("sqlite:////v/gateway.sqlite3") == (
        "sqlite:////v/gateway-ratelimit.sqlite3"
    )
    assert default_ratelimit_url("postgresql://h/db") == "postgresql://h/db"


def test_missing_secrets_are_named():
    with pytest.raises(ConfigError, match="IDENTITY_PRIVATE_KEY"):
        settings().require_secrets()
    with pytest.raises(ConfigError, match="JWT_SECRET"):
        settings(identity_private_key="x", jwt_secret="short").require_secrets()


def test_gcra_decision_arithmetic():
    rate = Rate(10, 10, 3)  # one per second, bursts of three
    allowed = decide(rate, tat=101.0, allowed=True, now=100.0)
    assert allowed.allowed and allowed.remaining == 2
    refused = decide(rate, tat=103.0, allowed=False, now=100.0)
    assert not refused.allowed and refused.retry_after == pytest.approx(1.0)


# -- circuit breaker ------------------------------------------------------------------------


def test_circuit_breaker_opens_fails_fast_and_half_opens():
    now = [0.0]
    breaker = CircuitBreaker(3, 5.0, clock=lambda: now[0])
    for _ in range(2):
        assert breaker.allow()
        breaker.failed()
    assert breaker.state == "closed"
    breaker.failed()
    assert breaker.state == "open" and not breaker.allow()
    assert breaker.retry_after() == 5
    now[0] = 5.1
    assert breaker.state == "half_open"
    assert breaker.allow() and not breaker.allow()  # one trial at a time
    breaker.failed()
    assert breaker.state == "open"
    now[0] = 10.2
    assert breaker.allow()
    breaker.succeeded()
    assert breaker.state == "closed" and breaker.allow()


# -- OpenAPI merge --------------------------------------------------------------------------


def test_merge_prefixes_components_and_reports_missing_services():
    base = {"openapi": "3.0.3", "info": {"title": "t", "version": "v1"}, "paths": {}}
    service_doc = {
        "paths": {
            "/api/v1/orders": {
                "get": {
                    "tags": ["Orders"],
                    "operationId": "list",
                    "responses": {
                        "200": {
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Page"}
                                }
                            }
                        }
                    },
                }
            },
            "/health/live": {"get": {}},
            "/r/{token}": {"get": {"responses": {}}},
        },
        "components": {"schemas": {"Page": {"type": "object"}, "Error": {}}},
        "tags": [{"name": "Orders"}],
    }
    merged = merge(base, {"sales": service_doc, "campaign": service_doc, "support": None})
    ref = merged["paths"]["/api/v1/orders"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]["$ref"]
    assert ref == "#/components/schemas/sales.Page"
    assert {"sales.Page", "sales.Error", "campaign.Page"} <= set(merged["components"]["schemas"])
    assert "/health/live" not in merged["paths"]
    assert merged["paths"]["/r/{token}"]["get"]["security"] == []  # campaign's public link
    assert {"bearerAuth", "apiKeyAuth"} <= set(merged["components"]["securitySchemes"])
    assert merged["security"]
    assert "support" in merged["info"]["description"]


def test_every_own_operation_with_a_query_or_a_body_documents_400():
    """A garbage cursor (a query) or a body that is not JSON answers 400: both are documented."""
    from gateway.app import OWN_ROUTES, build_spec

    paths = build_spec()["paths"]
    taking = [op for *_, op in OWN_ROUTES if op.query is not None or op.request is not None]
    assert {("get", "/api/v1/users"), ("get", "/api/v1/api-keys")} <= {
        (op.method, op.path) for op in taking
    }
    for op in taking:
        assert "400" in paths[op.path][op.method]["responses"], (op.method, op.path)
    for op in (op for *_, op in OWN_ROUTES if op.request is not None):
        assert "415" in paths[op.path][op.method]["responses"], (op.method, op.path)
        assert "413" in paths[op.path][op.method]["responses"], (op.method, op.path)
