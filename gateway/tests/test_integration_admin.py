"""Users, teams, API keys, roles, the merged OpenAPI document and the docs page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from gateway import tables as t
from gateway.scopes import ALL_SCOPES
from servicekit.testing import wait_for

pytestmark = pytest.mark.integration


def test_admin_manages_users_and_teams(gateway, admin_headers):
    team = gateway.post(
        "/api/v1/teams", json={"name": "east", "description": "East"}, headers=admin_headers
    )
    assert team.status_code == 201 and team.json()["members"] == 0
    assert (
        gateway.post("/api/v1/teams", json={"name": "east"}, headers=admin_headers).status_code
        == 409
    )
    created = gateway.post(
        "/api/v1/users",
        json={
            "email": "Rep@Example.com",
            "name": "Rep",
            "password": "a long passphrase here",
            "roles": ["sales_rep"],
            "team": "east",
        },
        headers=admin_headers,
    )
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["email"] == "rep@example.com" and created.headers["ETag"] == '"1"'
    assert created.headers["Location"] == f"/api/v1/users/{user['id']}"
    assert "password" not in user and "password_hash" not in user
    duplicate = gateway.post(
        "/api/v1/users",
        json={
            "email": "rep@example.com",
            "name": "R",
            "password": "a long passphrase here",
            "roles": ["sales_rep"],
        },
        headers=admin_headers,
    )
    assert duplicate.status_code == 409 and duplicate.json()["error"]["code"] == "email_taken"
    bad = gateway.post(
        "/api/v1/users",
        json={
            "email": "x@example.com",
            "name": "X",
            "password": "short",
            "roles": ["king"],
            "team": "nowhere",
        },
        headers=admin_headers,
    )
    assert bad.status_code == 422 and "roles" in bad.json()["error"]["details"]
    no_team = gateway.post(
        "/api/v1/users",
        json={
            "email": "y@example.com",
            "name": "Y",
            "password": "a long passphrase here",
            "roles": ["analyst"],
            "team": "nowhere",
        },
        headers=admin_headers,
    )
    assert no_team.status_code == 422 and "team" in no_team.json()["error"]["details"]
    stale = gateway.patch(
        f"/api/v1/users/{user['id']}",
        json={"name": "R2"},
        headers={**admin_headers, "If-Match": '"7"'},
    )
    assert stale.status_code == 412
    patched = gateway.patch(
        f"/api/v1/users/{user['id']}",
        json={"roles": ["sales_manager"], "team": "east"},
        headers={**admin_headers, "If-Match": '"1"'},
    )
    assert patched.status_code == 200 and patched.json()["version"] == 2
    listed = gateway.get("/api/v1/users?role=sales_manager&limit=1", headers=admin_headers).json()
    assert [u["id"] for u in listed["items"]] == [user["id"]]
    assert gateway.get("/api/v1/teams/east", headers=admin_headers).json()["members"] == 1
    assert gateway.delete("/api/v1/teams/east", headers=admin_headers).status_code == 409
    reset = gateway.post(
        f"/api/v1/users/{user['id']}/password",
        json={"password": "another passphrase"},
        headers=admin_headers,
    )
    assert reset.status_code == 204
    assert gateway.login("rep@example.com", "another passphrase")["access_token"]


def test_user_list_paginates_with_a_cursor(gateway, admin_headers):
    for _ in range(5):
        gateway.create_user(("analyst",))
    seen, cursor = [], None
    while True:
        url = "/api/v1/users?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = gateway.get(url, headers=admin_headers).json()
        seen += [u["email"] for u in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 6 and seen == sorted(seen)
    assert gateway.get("/api/v1/users?limit=201", headers=admin_headers).status_code == 422
    assert gateway.get("/api/v1/users?cursor=garbage", headers=admin_headers).status_code == 400


@pytest.mark.parametrize("path", ["/api/v1/users", "/api/v1/api-keys"])
def test_a_garbage_cursor_is_a_documented_400(gateway, admin_headers, path):
    response = gateway.get(f"{path}?cursor=garbage", headers=admin_headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_cursor"
    document = gateway.get("/api/v1/openapi.json").json()
    assert "400" in document["paths"][path]["get"]["responses"]


def test_last_admin_cannot_be_removed(gateway):
    headers, admin = gateway.user_headers(("admin",))
    response = gateway.patch(
        f"/api/v1/users/{admin.id}", json={"roles": ["analyst"]}, headers=headers
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "last_admin"


def test_sales_manager_sees_only_their_team(gateway):
    headers, _ = gateway.user_headers(("sales_manager",), team="east")
    mate = gateway.create_user(("sales_rep",), team="east")
    stranger = gateway.create_user(("sales_rep",), team="west")
    listed = gateway.get("/api/v1/users", headers=headers).json()["items"]
    assert mate.id in {u["id"] for u in listed} and stranger.id not in {u["id"] for u in listed}
    assert gateway.get(f"/api/v1/users/{mate.id}", headers=headers).status_code == 200
    assert gateway.get(f"/api/v1/users/{stranger.id}", headers=headers).status_code == 404
    assert (
        gateway.post(
            "/api/v1/users",
            json={
                "email": "z@example.com",
                "name": "Z",
                "password": "a long passphrase here",
                "roles": ["admin"],
            },
            headers=headers,
        ).status_code
        == 403
    )


def test_api_keys_lifecycle(gateway, admin_headers):
    created = gateway.post(
        "/api/v1/api-keys",
        json={"name": "BI tool", "scopes": ["customers:read", "orders:read"]},
        headers=admin_headers,
    )
    assert created.status_code == 201
    key = created.json()
    plaintext = key["key"]
    assert plaintext.startswith(f"mms_{key['prefix']}_") and key["status"] == "active"
    with gateway.rt.db.session() as session:
        stored = session.execute(select(t.api_keys)).first()
    assert plaintext not in str(tuple(stored)) and len(stored.key_hash) == 64
    listed = gateway.get("/api/v1/api-keys", headers=admin_headers).json()["items"]
    assert "key" not in listed[0] and listed[0]["id"] == key["id"]

    with_key = {"X-API-Key": plaintext}
    echoed = gateway.get("/api/v1/orders", headers=with_key).json()
    assert echoed["identity"]["kind"] == "api_key"
    assert echoed["identity"]["subject"] == f"key:{key['id']}"
    assert echoed["identity"]["scopes"] == ["customers:read", "orders:read"]
    assert "x-api-key" not in echoed["headers"]
    assert gateway.post("/api/v1/orders", json={}, headers=with_key).status_code == 403
    assert gateway.get("/api/v1/tickets", headers=with_key).status_code == 403
    # Keys cannot manage the gateway, even with "*".
    assert gateway.get("/api/v1/api-keys", headers=with_key).status_code == 403
    # Only in the header: a key in the query string authenticates nothing.
    assert gateway.get(f"/api/v1/orders?api_key={plaintext}").status_code == 401
    wait_for(
        lambda: gateway.rt.store.api_key(key["id"]).last_used_at is not None,
        timeout=10,
        message="last_used_at to be recorded",
    )

    revoked = gateway.post(f"/api/v1/api-keys/{key['id']}/revoke", headers=admin_headers)
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    refused = gateway.get("/api/v1/orders", headers=with_key)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_api_key"


def test_api_key_validation_and_expiry(gateway, admin_headers):
    bad = gateway.post(
        "/api/v1/api-keys", json={"name": "x", "scopes": ["root:all"]}, headers=admin_headers
    )
    assert bad.status_code == 422 and "scopes" in bad.json()["error"]["details"]
    past = gateway.post(
        "/api/v1/api-keys",
        json={"name": "x", "scopes": ["orders:read"], "expires_at": "2020-01-01T00:00:00Z"},
        headers=admin_headers,
    )
    assert past.status_code == 422
    soon = datetime.now(UTC) + timedelta(seconds=4)
    key = gateway.post(
        "/api/v1/api-keys",
        json={"name": "x", "scopes": ["orders:read"], "expires_at": soon.isoformat()},
        headers=admin_headers,
    ).json()
    assert gateway.get("/api/v1/orders", headers={"X-API-Key": key["key"]}).status_code == 200
    wait_for(
        lambda: gateway.get("/api/v1/orders", headers={"X-API-Key": key["key"]}).status_code == 401,
        timeout=15,
        message="the key to expire",
    )
    assert datetime.now(UTC) >= soon - timedelta(seconds=1)
    assert gateway.get("/api/v1/orders", headers={"X-API-Key": "mms_garbage"}).status_code == 401
    both = gateway.get(
        "/api/v1/orders", headers={"X-API-Key": key["key"], "Authorization": "Bearer x"}
    )
    assert both.status_code == 401


def test_roles_catalogue(gateway, admin_headers):
    body = gateway.get("/api/v1/roles", headers=admin_headers).json()
    assert body["roles"]["analyst"] == ["analytics:read"] and body["scopes"] == list(ALL_SCOPES)


def test_merged_openapi_and_docs(gateway):
    spec = gateway.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    document = spec.json()
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    assert "/api/v1/auth/login" in paths and paths["/api/v1/auth/login"]["post"]["security"] == []
    assert "/api/v1/customers/{customer_id}/360" in paths
    assert "get" in paths["/api/v1/orders"]  # from the (fake) service
    assert "/internal/only" not in paths  # not routed by the gateway: not documented
    assert paths["/r/{token}"]["get"]["security"] == []
    schemas = document["components"]["schemas"]
    assert any(name.endswith(".Page") for name in schemas) and "Error" in schemas
    assert {"bearerAuth", "apiKeyAuth"} <= set(document["components"]["securitySchemes"])
    assert document["security"]
    login_body = paths["/api/v1/auth/login"]["post"]["requestBody"]["content"]
    assert "$ref" in login_body["application/json"]["schema"]
    page = gateway.get("/api/v1/docs")
    assert page.status_code == 200 and "swagger-ui-bundle.js" in page.text
    assert "https://" not in page.text  # nothing from a CDN
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    asset = gateway.get("/api/v1/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.content) > 100_000
    assert gateway.get("/api/v1/docs/assets/init.js").text.count("/api/v1/openapi.json") == 1
    assert gateway.get("/api/v1/docs/assets/../../etc/passwd").status_code == 404


def test_openapi_leaves_out_unreachable_services(start_gateway):
    from servicekit.testing.servers import free_port

    gateway = start_gateway(upstream_url=f"http://127.0.0.1:{free_port()}")
    document = gateway.get("/api/v1/openapi.json").json()
    assert "customer" in document["info"]["description"]
    assert "/api/v1/auth/login" in document["paths"]


def test_maintenance_purges_expired_sessions(gateway):
    from sqlalchemy import update

    from gateway.cli import maintenance_jobs

    user = gateway.create_user()
    old = gateway.login(user.email)
    gateway.post("/api/v1/auth/logout", json={"refresh_token": old["refresh_token"]})
    fresh = gateway.login(user.email)
    with gateway.rt.store.uow() as uow:
        long_ago = datetime.now(UTC) - timedelta(days=30)
        uow.session.execute(
            update(t.refresh_tokens)
            .where(t.refresh_tokens.c.revoked_at.is_not(None))
            .values(expires_at=long_ago)
        )
        uow.session.execute(update(t.revoked_sessions).values(expires_at=long_ago))
        uow.commit()
    jobs = {job.name: job for job in maintenance_jobs(gateway.rt.store, gateway.rt.limiter)}
    assert jobs["purge-refresh-tokens"].run() == {"refresh_tokens": 1, "revoked_sessions": 1}
    refreshed = gateway.post("/api/v1/auth/refresh", json={"refresh_token": fresh["refresh_token"]})
    assert refreshed.status_code == 200
    assert jobs["purge-rate-limits"].run() >= 0


def test_team_and_key_reads_and_small_admin_paths(gateway, admin_headers):
    assert gateway.post("/api/v1/teams", json={"name": "west"}, headers=admin_headers).ok
    patched = gateway.patch(
        "/api/v1/teams/west", json={"description": "West coast"}, headers=admin_headers
    )
    assert patched.status_code == 200 and patched.json()["description"] == "West coast"
    assert gateway.patch("/api/v1/teams/west", json={}, headers=admin_headers).status_code == 422
    assert gateway.delete("/api/v1/teams/west", headers=admin_headers).status_code == 204
    assert gateway.get("/api/v1/teams/west", headers=admin_headers).status_code == 404
    assert gateway.delete("/api/v1/teams/west", headers=admin_headers).status_code == 404
    key = gateway.post(
        "/api/v1/api-keys", json={"name": "k", "scopes": ["orders:read"]}, headers=admin_headers
    ).json()
    one = gateway.get(f"/api/v1/api-keys/{key['id']}", headers=admin_headers)
    assert one.status_code == 200 and "key" not in one.json() and one.json()["name"] == "k"
    missing = gateway.get(
        "/api/v1/api-keys/00000000-0000-4000-8000-000000000000", headers=admin_headers
    )
    assert missing.status_code == 404
    headers, user = gateway.user_headers(("analyst",))
    assert gateway.get(f"/api/v1/users/{user.id}", headers=headers).status_code == 200
    other = gateway.create_user(("analyst",))
    assert gateway.get(f"/api/v1/users/{other.id}", headers=headers).status_code == 404
    assert gateway.get("/api/v1/users", headers=headers).status_code == 403
    api_key = {"X-API-Key": key["key"]}
    assert gateway.post("/api/v1/auth/logout", headers=api_key).status_code == 401
    assert gateway.get("/api/v1/me", headers=api_key).json()["kind"] == "api_key"
    assert gateway.patch("/api/v1/me", json={"name": "x"}, headers=api_key).status_code == 403
    head = gateway.request("HEAD", "/api/v1/orders", headers=admin_headers)
    assert head.status_code == 200 and head.content == b""
