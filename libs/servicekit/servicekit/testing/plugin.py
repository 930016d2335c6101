"""pytest fixtures for every test layer.

- ``broker``: the test RabbitMQ node (``MMS_TEST_AMQP_URL`` from ``make test``, else a private one)
- ``amqp_url``: a fresh vhost on it for one test
- ``postgres_dsn``: the test PostgreSQL server (``MMS_TEST_POSTGRES_DSN``, else a private one)
- ``db_backend`` / ``databases``: a migrated database per test on every backend in
  ``MMS_TEST_BACKENDS`` (default ``sqlite``; ``make test`` sets ``sqlite,postgres``); a test that
  takes ``db_backend`` runs once per backend, and its postgres run carries the ``postgres`` mark
- ``smtp_sink``: a real SMTP server keeping what it receives (``servicekit.testing.smtp``)
- ``minter``: mints internal identities (the gateway's signed header) with a per-run key pair
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from servicekit.testing.broker import BrokerAccess
from servicekit.testing.databases import DatabaseFactory
from servicekit.testing.identities import IdentityMinter
from servicekit.testing.servers import PostgresCluster, RabbitNode


def _backends() -> list[str]:
    return [
        b.strip() for b in os.environ.get("MMS_TEST_BACKENDS", "sqlite").split(",") if b.strip()
    ]


def pytest_configure(config):
    os.environ.setdefault("MMS_LOG_FORMAT", "console")
    os.environ.setdefault("MMS_LOG_LEVEL", "WARNING")


def pytest_generate_tests(metafunc):
    if "db_backend" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("postgres")
        backends = ["postgres"] if marker else _backends()
        metafunc.parametrize(
            "db_backend",
            [
                pytest.param(b, marks=[pytest.mark.postgres] if b == "postgres" else [], id=b)
                for b in backends
            ],
            scope="function",
        )


@pytest.fixture(scope="session")
def shared_tmp(tmp_path_factory) -> Path:
    """A directory shared by all xdist workers of this run."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def broker(tmp_path_factory):
    url, api = os.environ.get("MMS_TEST_AMQP_URL"), os.environ.get("MMS_TEST_AMQP_API")
    if url and api:
        yield BrokerAccess(url, api)
        return
    node = RabbitNode.create(tmp_path_factory.mktemp("rabbitmq")).start()
    try:
        yield BrokerAccess(node.url, node.api, node)
    finally:
        node.destroy()


@pytest.fixture
def amqp_vhost(broker):
    name, url = broker.new_vhost()
    try:
        yield name, url
    finally:
        broker.delete_vhost(name)


@pytest.fixture
def amqp_url(amqp_vhost) -> str:
    return amqp_vhost[1]


@pytest.fixture(scope="session")
def postgres_dsn(tmp_path_factory):
    dsn = os.environ.get("MMS_TEST_POSTGRES_DSN")
    if dsn:
        yield dsn
        return
    cluster = PostgresCluster.create(tmp_path_factory.mktemp("postgres")).start()
    try:
        yield cluster.dsn
    finally:
        cluster.destroy()


@pytest.fixture
def databases(request, shared_tmp, tmp_path):
    backend = (
        request.getfixturevalue("db_backend") if "db_backend" in request.fixturenames else "sqlite"
    )
    dsn = request.getfixturevalue("postgres_dsn") if backend == "postgres" else None
    factory = DatabaseFactory(backend, shared_tmp, tmp_path, dsn)
    try:
        yield factory
    finally:
        factory.cleanup()


@pytest.fixture
def smtp_sink():
    """A real SMTP server (aiosmtpd) on a free port, keeping what it receives."""
    from servicekit.testing.smtp import SmtpSink

    sink = SmtpSink().start()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture(scope="session")
def minter() -> IdentityMinter:
    return IdentityMinter.generate()
