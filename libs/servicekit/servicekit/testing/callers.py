"""A caller of one service's Flask app as the gateway would forward it (a minted identity)."""

from __future__ import annotations

import uuid

from servicekit.testing.identities import IdentityMinter


class Caller:
    """``caller.get/post/patch/delete(path, ...)`` on a Flask test client with the identity of a
    user (or API key) holding ``roles``, ``scopes`` and ``team``."""

    def __init__(
        self,
        client,
        minter: IdentityMinter,
        roles=("admin",),
        team: str | None = None,
        scopes=("*",),
        kind: str = "user",
        user_id: str | None = None,
    ):
        self.client = client
        self.id = user_id or str(uuid.uuid4())
        self.team = team
        self.roles = tuple(roles)
        self.headers = minter.headers(
            roles=roles, scopes=scopes, team=team, user_id=self.id, kind=kind
        )

    def _call(self, method, path, headers=None, **kwargs):
        return self.client.open(
            path, method=method, headers={**self.headers, **(headers or {})}, **kwargs
        )

    def get(self, path, **kw):
        return self._call("GET", path, **kw)

    def post(self, path, **kw):
        return self._call("POST", path, **kw)

    def put(self, path, **kw):
        return self._call("PUT", path, **kw)

    def patch(self, path, **kw):
        return self._call("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self._call("DELETE", path, **kw)


def caller_factory(client, minter: IdentityMinter):
    """``make(*roles, team=None, scopes=("*",), kind="user")`` → Caller (admin by default)."""

    def make(*roles, team=None, scopes=("*",), kind="user"):
        default = ("admin",) if kind == "user" else ()
        return Caller(client, minter, roles or default, team, scopes, kind)

    return make
