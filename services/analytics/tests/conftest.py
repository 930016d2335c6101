"""Fixtures for the analytics service's tests: a runtime on a fresh database per test, a way to
feed events through the consumer's real handling path, and callers with minted identities."""

from __future__ import annotations

import importlib.util
import json
import sys
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from analytics_service.adapters import tables as t
from analytics_service.api.rendering import report_body
from analytics_service.domain.errors import InvalidQuery, NotFound
from analytics_service.entrypoints import runtime as runtime_module
from analytics_service.entrypoints.wsgi import create_app
from analytics_service.integration.incoming import registry
from analytics_service.service.reports.base import ReportQuery
from analytics_service.service.reports.customers import customer_scores
from analytics_service.service.reports.registry import REPORTS
from analytics_service.service.scoring import recompute_scores
from servicekit.consumer import handle_envelope
from servicekit.uow import DuplicateEvent

_spec = importlib.util.spec_from_file_location(
    "analytics_test_factories", Path(__file__).with_name("factories.py")
)
factories = importlib.util.module_from_spec(_spec)
sys.modules["analytics_test_factories"] = factories
_spec.loader.exec_module(factories)


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
def events():
    return factories.Events()


def deliver(rt, envelopes) -> int:
    """Hand envelopes to the consumer's handler (inbox, archive, projections), one by one as the
    broker would; duplicates are absorbed by the inbox, and types analytics does not bind never
    reach it. Returns how many were handled."""
    handled = 0
    for envelope in envelopes:
        handler = registry.resolve(envelope.event_type, envelope.version)
        if handler is None:
            continue
        try:
            handle_envelope("analytics", envelope, handler, rt.uow)
            handled += 1
        except DuplicateEvent:
            pass
    return handled


@pytest.fixture
def feed(rt):
    return lambda envelopes: deliver(rt, envelopes)


@pytest.fixture
def deliver_to():
    return deliver


@pytest.fixture
def load(rt):
    """Bulk path: archive and project many envelopes in one unit of work (as the bench does)."""
    from analytics_service.service.ingest import ingest

    def run(envelopes) -> int:
        with rt.uow() as uow:
            count = ingest(uow.session, list(envelopes))
            uow.commit()
        return count

    return run


@pytest.fixture
def new_runtime(databases, db_backend, minter):
    """More runtimes on fresh databases of the test's backend (to compare two histories)."""
    made = []

    def make():
        built = runtime_module.build(
            database_url=databases.url(runtime_module.MIGRATIONS),
            identity_public_keys=(minter.public_pem,),
            amqp_url="amqp://guest:guest@127.0.0.1:1//",
        )
        made.append(built)
        return built

    yield make
    for built in made:
        built.db.dispose()


TODAY = date(2026, 1, 15)
NOW = datetime(2026, 1, 15, 3, 0, tzinfo=UTC)


def snapshot_reports(rt) -> str:
    """All reports in every dimension, and the scores of every customer, as one JSON text."""
    recompute_scores(rt.db, rt.uow, "EUR", as_of=TODAY, now=NOW)
    found = {}
    with rt.db.session() as session:
        for spec in REPORTS:
            for dimension in spec.dimensions:
                options = {o.name: o.default for o in spec.options}
                options.update(today=TODAY, as_of=TODAY)
                query = ReportQuery(
                    start=date(2025, 1, 1) if spec.name != "forecast" else date(2024, 12, 1),
                    end=date(2026, 3, 31) if spec.name != "forecast" else date(2025, 12, 31),
                    granularity=spec.default_granularity or "month",
                    dimension=dimension,
                    options=options,
                )
                try:
                    body = report_body(spec.run(session, query, "EUR"))
                except InvalidQuery as exc:
                    body = {"error": str(exc)}
                found[f"{spec.name}/{dimension}"] = body
        customers = sorted(
            set(session.execute(select(t.customers.c.customer_id)).scalars())
            | set(session.execute(select(t.customer_sales.c.customer_id)).scalars())
        )
        for customer_id in customers:
            try:
                found[f"scores/{customer_id}"] = customer_scores(session, customer_id, "EUR")
            except NotFound as exc:
                found[f"scores/{customer_id}"] = str(exc)
    return json.dumps(found, sort_keys=True, default=str)


@pytest.fixture
def every_report():
    return snapshot_reports


@pytest.fixture
def app(rt):
    return create_app(rt)


@pytest.fixture
def client(app):
    return app.test_client()


class Caller:
    """A user calling the service through the gateway (a minted identity)."""

    def __init__(self, client, minter, roles, scopes=("analytics:read",)):
        self.client = client
        self.id = str(uuid.uuid4())
        self.headers = minter.headers(roles=roles, scopes=scopes, user_id=self.id)

    def get(self, path, headers=None, **kwargs):
        return self.client.get(path, headers={**self.headers, **(headers or {})}, **kwargs)


@pytest.fixture
def analyst(client, minter):
    return Caller(client, minter, ("analyst",))


@pytest.fixture
def caller(client, minter):
    def make(*roles, scopes=("analytics:read",)):
        return Caller(client, minter, roles or ("analyst",), scopes)

    return make
