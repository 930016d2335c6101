"""Fixtures for the customer service's tests: a runtime on a fresh database per test."""

from __future__ import annotations

import pytest

from customer_service.entrypoints import runtime as runtime_module
from customer_service.entrypoints.wsgi import create_app
from servicekit.testing.callers import caller_factory


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


@pytest.fixture
def caller(client, minter):
    return caller_factory(client, minter)


@pytest.fixture
def admin(caller):
    return caller("admin")
