"""Sign-in, refresh rotation, sign-out, password changes, /me, and what reaches a service."""

from __future__ import annotations

import pytest
from gateway_testkit import PASSWORD, fast_passwords
from sqlalchemy import select

from gateway import tables as t

pytestmark = pytest.mark.integration


def bearer(tokens: dict) -> dict:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def test_login_me_and_forwarded_identity(gateway):
    user = gateway.create_user(("sales_rep",), team="east", name="Rep A")
    tokens = gateway.login(user.email.upper())  # emails are case-insensitive
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 900
    assert tokens["user"]["email"] == user.email and "password_hash" not in tokens["user"]
    me = gateway.get("/api/v1/me", headers=bearer(tokens)).json()
    assert me["kind"] == "user" and me["team"] == "east" and me["roles"] == ["sales_rep"]
    assert "customers:read" in me["scopes"] and "campaigns:write" not in me["scopes"]
    echoed = gateway.get(
        "/api/v1/orders?customer_id=1",
        headers={
            **bearer(tokens),
            "X-MMS-Identity": "forged",
            "X-MMS-Anything": "x",
            "X-User-Id": "admin",
            "X-Request-ID": "req-123",
            "X-Correlation-ID": "corr-9",
            "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "Cookie": "session=1",
        },
    ).json()
    assert echoed["identity"]["subject"] == f"user:{user.id}"
    assert echoed["identity"]["team"] == "east" and echoed["identity"]["roles"] == ["sales_rep"]
    assert "orders:write" in echoed["identity"]["scopes"]
    headers = echoed["headers"]
    for stripped in ("authorization", "x-mms-anything", "x-user-id", "cookie"):
        assert stripped not in headers
    assert headers["x-mms-identity"] != "forged"
    assert headers["x-request-id"] == "req-123" and headers["x-correlation-id"] == "corr-9"
    assert headers["traceparent"].startswith("00-0af7651916cd43dd8448eb211c80319c-")
    assert not headers["traceparent"].endswith("b7ad6b7169203331-01")  # a child span


def test_wrong_password_and_unknown_account_look_the_same(gateway):
    user = gateway.create_user()
    wrong = gateway.post("/api/v1/auth/login", json={"email": user.email, "password": "nope"})
    unknown = gateway.post(
        "/api/v1/auth/login", json={"email": "ghost@example.com", "password": "nope"}
    )
    inactive = gateway.create_user(active=False)
    deactivated = gateway.post(
        "/api/v1/auth/login", json={"email": inactive.email, "password": PASSWORD}
    )
    for response in (wrong, unknown, deactivated):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_credentials"
        assert response.json()["error"]["message"] == "Email or password is wrong."


def test_login_validates_its_body(gateway):
    response = gateway.post("/api/v1/auth/login", json={"email": "a@b.c", "password": "x", "r": 1})
    assert response.status_code == 422 and "r" in response.json()["error"]["details"]
    response = gateway.post(
        "/api/v1/auth/login", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_json"
    response = gateway.post(
        "/api/v1/auth/login",
        data="email=a",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 415


def test_failed_logins_are_throttled_per_account_without_revealing_it(start_gateway):
    from gateway.settings import Rate

    gateway = start_gateway(login_failures_account=Rate(3, 300, 3))
    user = gateway.create_user()
    for email in (user.email, "nobody@example.com"):
        codes = [
            gateway.post("/api/v1/auth/login", json={"email": email, "password": "bad"}).status_code
            for _ in range(4)
        ]
        assert codes == [401, 401, 401, 429]
    # Throttled means throttled: even the right password waits, for both kinds of account.
    response = gateway.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
    assert response.json()["error"]["code"] == "rate_limited"
    # Another account from the same IP is not affected by this account's failures.
    other = gateway.create_user()
    assert (
        gateway.post(
            "/api/v1/auth/login", json={"email": other.email, "password": PASSWORD}
        ).status_code
        == 200
    )


def test_failed_logins_are_throttled_per_ip(start_gateway):
    from gateway.settings import Rate

    gateway = start_gateway(login_failures_ip=Rate(3, 300, 3))
    codes = [
        gateway.post(
            "/api/v1/auth/login", json={"email": f"x{i}@example.com", "password": "bad"}
        ).status_code
        for i in range(4)
    ]
    assert codes == [401, 401, 401, 429]


def test_password_is_rehashed_when_parameters_change(gateway):
    from argon2 import PasswordHasher

    from gateway.passwords import Passwords

    user = gateway.create_user()
    gateway.rt.passwords = Passwords(PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1))
    gateway.login(user.email)
    stored = gateway.rt.store.user(user.id).password_hash
    assert stored != user.password_hash and "m=2048,t=2" in stored
    gateway.rt.passwords = fast_passwords()
    gateway.login(user.email)  # the new hash still verifies


def test_refresh_rotates_and_reuse_revokes_the_family(gateway):
    user = gateway.create_user()
    first = gateway.login(user.email)
    second = gateway.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    second = second.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert gateway.get("/api/v1/me", headers=bearer(second)).status_code == 200
    # The spent token comes back: theft. The whole session dies, including the new tokens.
    reused = gateway.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "refresh_token_reused"
    again = gateway.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert again.status_code == 401
    gateway.rt.auth.forget_user(user.id)  # another worker would notice within the cache time
    assert gateway.get("/api/v1/me", headers=bearer(second)).status_code == 401
    # Other sessions of the same user are untouched.
    assert gateway.get("/api/v1/me", headers=bearer(gateway.login(user.email))).status_code == 200
    with gateway.rt.db.session() as session:
        rows = session.execute(select(t.refresh_tokens.c.token_hash)).scalars().all()
    assert first["refresh_token"] not in rows and len(rows[0]) == 64  # stored hashed


def test_unknown_refresh_token(gateway):
    response = gateway.post("/api/v1/auth/refresh", json={"refresh_token": "mmsr_nothing"})
    assert (
        response.status_code == 401 and response.json()["error"]["code"] == "invalid_refresh_token"
    )


def test_logout_ends_the_session_and_its_access_token(gateway):
    user = gateway.create_user()
    tokens = gateway.login(user.email)
    other = gateway.login(user.email)
    assert gateway.get("/api/v1/me", headers=bearer(tokens)).status_code == 200
    assert gateway.post("/api/v1/auth/logout", headers=bearer(tokens)).status_code == 204
    assert gateway.get("/api/v1/me", headers=bearer(tokens)).status_code == 401
    assert (
        gateway.post(
            "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        ).status_code
        == 401
    )
    assert gateway.get("/api/v1/me", headers=bearer(other)).status_code == 200
    assert (
        gateway.post(
            "/api/v1/auth/logout", json={"all_sessions": True}, headers=bearer(other)
        ).status_code
        == 204
    )
    assert gateway.get("/api/v1/me", headers=bearer(other)).status_code == 401


def test_logout_with_a_refresh_token_only(gateway):
    user = gateway.create_user()
    tokens = gateway.login(user.email)
    response = gateway.post("/api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    assert response.status_code == 204
    assert (
        gateway.post(
            "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        ).status_code
        == 401
    )


def test_change_my_password(gateway):
    user = gateway.create_user()
    tokens = gateway.login(user.email)
    wrong = gateway.post(
        "/api/v1/me/password",
        json={"current_password": "wrong", "new_password": "a brand new passphrase"},
        headers=bearer(tokens),
    )
    assert wrong.status_code == 422 and "current_password" in wrong.json()["error"]["details"]
    weak = gateway.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "short"},
        headers=bearer(tokens),
    )
    assert weak.status_code == 422 and "new_password" in weak.json()["error"]["details"]
    changed = gateway.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "a brand new passphrase"},
        headers=bearer(tokens),
    )
    assert changed.status_code == 200
    assert gateway.get("/api/v1/me", headers=bearer(changed.json())).status_code == 200
    assert (
        gateway.post(
            "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        ).status_code
        == 401
    )
    assert gateway.login(user.email, "a brand new passphrase")["access_token"]


def test_deactivation_and_role_changes_reach_live_tokens(gateway, admin_headers):
    user = gateway.create_user(("sales_rep",))
    tokens = gateway.login(user.email)
    assert gateway.post("/api/v1/orders", json={}, headers=bearer(tokens)).status_code == 200
    patched = gateway.patch(
        f"/api/v1/users/{user.id}", json={"roles": ["analyst"]}, headers=admin_headers
    )
    assert patched.status_code == 200 and patched.json()["roles"] == ["analyst"]
    denied = gateway.post("/api/v1/orders", json={}, headers=bearer(tokens))
    assert denied.status_code == 403
    gateway.patch(f"/api/v1/users/{user.id}", json={"active": False}, headers=admin_headers)
    assert gateway.get("/api/v1/me", headers=bearer(tokens)).status_code == 401


def test_me_cannot_change_roles_team_or_status(gateway):
    headers, _user = gateway.user_headers(("sales_rep",), team="east")
    for field, value in (
        ("roles", ["admin"]),
        ("team", "west"),
        ("active", True),
        ("email", "x@y.z"),
    ):
        response = gateway.patch("/api/v1/me", json={field: value}, headers=headers)
        assert response.status_code == 422, field
        assert field in response.json()["error"]["details"]
    renamed = gateway.patch("/api/v1/me", json={"name": "New Name"}, headers=headers)
    assert renamed.status_code == 200 and renamed.json()["name"] == "New Name"
    assert renamed.json()["roles"] == ["sales_rep"] and renamed.json()["team"] == "east"
