"""Fixtures for the customer service's tests: a runtime on a fresh database per test."""

from __future__ import annotations

import uuid

import pytest

from customer_service.entrypoints import runtime as runtime_module
from customer_service.entrypoints.wsgi import create_app


@pytest.fixture
def rt(databases, db_backend, minter):
    rt = runtime_module.build(
        database_url=databases.url(runtime_module.MIGRATIONS),
        identity_public_keys=(minter.public_pem,),
        amqp_url="amqp://guest:guest@127.0.0.1:1//",
    )
    yield rt
    rt.db.dispose()


@pytest.fixture
def app(rt):
    return create_app(rt)


@pytest.fixture
def client(app):
    return app.test_client()


class Caller:
    """A user calling the service through the gateway (a minted identity)."""

    def __init__(self, client, minter, roles, team=None, scopes=("*",)):
        self.client = client
        self.id = str(uuid.uuid4())
        self.team = team
        self.headers = minter.headers(roles=roles, scopes=scopes, team=team, user_id=self.id)

    def _call(self, method, path, headers=None, **kwargs):
        return self.client.open(
            path, method=method, headers={**self.headers, **(headers or {})}, **kwargs
        )

    def get(self, path, **kw):
        return self._call("GET", path, **kw)

    def post(self, path, **kw):
        return self._call("POST", path, **kw)

    def patch(self, path, **kw):
        return self._call("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self._call("DELETE", path, **kw)


@pytest.fixture
def caller(client, minter):
    def make(*roles, team=None, scopes=("*",)):
        return Caller(client, minter, roles or ("admin",), team, scopes)

    return make


@pytest.fixture
def admin(caller):
    return caller("admin")
