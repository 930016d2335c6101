"""Fixtures for the support service's tests: a runtime on a fresh database per test, a clock the
test controls, callers with minted identities, calendars and policies."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from support_helpers import (
    BERLIN_HOURS,
    Caller,
    Clock,
    build_runtime,
    customer_data,
    feed,
)

from support_service.entrypoints import runtime as runtime_module
from support_service.entrypoints.wsgi import create_app


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def rt(databases, db_backend, minter, clock):
    rt = build_runtime(databases.url(runtime_module.MIGRATIONS), minter, clock)
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
    def make(*roles, team=None, scopes=("*",), user_id=None, kind="user"):
        return Caller(client, minter, roles or ("admin",), team, scopes, user_id, kind)

    return make


@pytest.fixture
def admin(caller):
    return caller("admin")


@pytest.fixture
def customer(rt):
    data = customer_data()
    feed(rt, "customer.created", data)
    return data["customer_id"]


@pytest.fixture
def berlin(admin):
    response = admin.post(
        "/api/v1/business-calendars",
        json={
            "name": "Berlin",
            "timezone": "Europe/Berlin",
            "hours": BERLIN_HOURS,
            "holiday_country": "DE",
            "holiday_subdivision": "BE",
            "is_default": True,
        },
    )
    assert response.status_code == 201, response.json
    return response.json["id"]


@pytest.fixture
def standard_policy(admin, berlin):
    response = admin.post(
        "/api/v1/sla-policies",
        json={
            "name": "Standard",
            "calendar_id": berlin,
            "first_response_minutes": 60,
            "next_response_minutes": 120,
            "resolution_minutes": 480,
        },
    )
    assert response.status_code == 201, response.json
    return response.json["id"]
