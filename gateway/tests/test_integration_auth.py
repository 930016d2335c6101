"""Sign-in, refresh rotation, sign-out, /me, and what a bearer token or API key gets forwarded."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


def test_login_me_and_forwarded_identity(gateway):
    user = gateway.create_user(("sales_rep",), team="east", name="Rep A")
    tokens = gateway.login(user.email)
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 900
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    me = gateway.get("/api/v1/me", headers=auth).json()
    assert me["kind"] == "user" and me["team"] == "east" and me["roles"] == ["sales_rep"]
    assert "customers:read" in me["scopes"] and "campaigns:write" not in me["scopes"]
    echoed = gateway.get("/api/v1/orders?customer_id=1", headers=auth).json()
    assert echoed["identity"]["subject"] == f"user:{user.id}"
    assert echoed["identity"]["team"] == "east"
    assert "orders:write" in echoed["identity"]["scopes"]
    assert "authorization" not in echoed["headers"]
