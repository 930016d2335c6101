"""Fixtures for the sales service's tests: a runtime on a fresh database per test, callers with
minted identities, a movable clock, and a way to feed it other services' events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from event_contracts import validate_event
from sales_service.entrypoints import runtime as runtime_module
from sales_service.entrypoints.wsgi import create_app
from sales_service.service.config import SalesConfig
from servicekit.consumer import handle_envelope
from servicekit.events import Envelope
from servicekit.jsonutil import isoformat
from servicekit.testing.callers import caller_factory


class Clock:
    """A clock tests can move; starts at the real now."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def rt(databases, db_backend, minter, clock):
    rt = runtime_module.build(
        config=SalesConfig(base_currency="EUR", clock=clock),
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


def envelope(event_type: str, data: dict, *, producer: str | None = None, at=None) -> Envelope:
    validate_event(event_type, 1, data)
    return Envelope(
        event_id=str(uuid.uuid4()),
        event_type=event_type,
        version=1,
        occurred_at=isoformat(at or datetime.now(UTC)),
        producer=producer or event_type.split(".", 1)[0],
        correlation_id=str(uuid.uuid4()),
        causation_id=None,
        data=data,
    )


def deliver(rt, event_type: str, data: dict, **kwargs) -> Envelope:
    """Run the sales handler for one event the way the consumer does (inbox, commit)."""
    env = envelope(event_type, data, **kwargs)
    handle_envelope("sales", env, rt.registry.resolve(event_type, 1), rt.uow)
    return env


def customer_event(customer_id=None, revision=1, **fields) -> dict:
    data = {
        "customer_id": customer_id or str(uuid.uuid4()),
        "kind": "company",
        "name": "Lin Trading Co., Ltd.",
        "country": "CN",
        "region": "Shanghai",
        "city": "Shanghai",
        "owner_id": None,
        "owner_team": None,
        "status": "active",
        "attributes": {},
        "emails": [],
        "phones": [],
        "tags": [],
        "changed_fields": ["name"],
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
        "revision": revision,
    }
    data.update(fields)
    return data


@pytest.fixture
def add_customer(rt):
    """Put a customer in the replica, as customer.created would."""

    def make(**fields) -> str:
        data = customer_event(**fields)
        deliver(rt, "customer.created", data)
        return data["customer_id"]

    return make


@pytest.fixture
def product(admin):
    """Make products through the API; returns the created body."""

    def make(sku=None, price="10.00", tax_rate="0.19", **extra):
        body = {
            "sku": sku or f"SKU-{uuid.uuid4().hex[:8]}",
            "name": extra.pop("name", "Test product"),
            "list_price": price,
            "tax_rate": tax_rate,
            **extra,
        }
        response = admin.post("/api/v1/products", json=body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return make


def coupon_event(coupon_id=None, revision=1, **fields) -> dict:
    data = {
        "coupon_id": coupon_id or str(uuid.uuid4()),
        "campaign_id": str(uuid.uuid4()),
        "name": "Ten off",
        "mode": "shared",
        "code": "TENOFF",
        "discount_kind": "percent",
        "value": "10",
        "currency": None,
        "valid_from": None,
        "valid_until": None,
        "max_redemptions": None,
        "max_per_customer": None,
        "min_order": None,
        "active": True,
        "revision": revision,
    }
    data.update(fields)
    return data


def outbox_events(rt, event_type: str | None = None) -> list[dict]:
    """The envelopes the service wrote to its outbox, oldest first."""
    import json

    from sqlalchemy import select

    from servicekit import tables

    with rt.db.session() as session:
        rows = session.execute(
            select(tables.outbox.c.payload).order_by(tables.outbox.c.id)
        ).scalars()
        found = [json.loads(p) for p in rows]
    return [e for e in found if event_type is None or e["event_type"] == event_type]


def money(amount: str, currency: str = "EUR") -> dict:
    return {"amount": amount, "currency": currency}


class Kit:
    """Helpers tests reach through the ``kit`` fixture (test modules cannot import conftest)."""

    envelope = staticmethod(envelope)
    customer_event = staticmethod(customer_event)
    coupon_event = staticmethod(coupon_event)
    money = staticmethod(money)

    def __init__(self, rt) -> None:
        self.rt = rt

    def deliver(self, event_type: str, data: dict, **kwargs) -> Envelope:
        return deliver(self.rt, event_type, data, **kwargs)

    def outbox(self, event_type: str | None = None) -> list[dict]:
        return outbox_events(self.rt, event_type)

    def coupon(self, **fields) -> dict:
        data = coupon_event(**fields)
        self.deliver("campaign.coupon.issued", data)
        return data


@pytest.fixture
def kit(rt):
    return Kit(rt)
