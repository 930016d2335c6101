"""Helpers shared by the support tests (importable: conftest puts this folder on the path)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from servicekit.consumer import handle_envelope
from servicekit.events import Envelope
from servicekit.mail import MailSettings
from support_service.entrypoints import runtime as runtime_module
from support_service.integration.incoming import registry
from support_service.service.settings import SupportSettings

# A Monday, 10:00 in Berlin (CET), inside working hours.
MONDAY_10_BERLIN = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)


class Clock:
    """Now, as the test says; ``advance`` moves it."""

    def __init__(self, start: datetime = MONDAY_10_BERLIN) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **kwargs) -> datetime:
        self.current += timedelta(**kwargs)
        return self.current

    def set(self, value: datetime) -> datetime:
        self.current = value
        return value


def build_runtime(
    url, minter, clock=None, amqp_url="amqp://guest:guest@127.0.0.1:1//", mail=None, **support
):
    settings = SupportSettings(**{"reply_emails": False, **support})
    return runtime_module.build(
        database_url=url,
        identity_public_keys=(minter.public_pem,),
        amqp_url=amqp_url,
        support=settings,
        mail=mail or MailSettings(host="127.0.0.1", port=1),
        clock=clock,
    )


class Caller:
    """A user calling the service through the gateway (a minted identity)."""

    def __init__(self, client, minter, roles, team=None, scopes=("*",), user_id=None, kind="user"):
        self.client = client
        self.id = user_id or str(uuid.uuid4())
        self.team = team
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

    def patch(self, path, **kw):
        return self._call("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self._call("DELETE", path, **kw)


AGENT_SCOPES = (
    "tickets:read",
    "tickets:write",
    "sla:read",
    "satisfaction:read",
    "customers:read",
)


def envelope(event_type: str, data: dict, *, producer: str | None = None) -> Envelope:
    return Envelope(
        event_id=str(uuid.uuid4()),
        event_type=event_type,
        version=1,
        occurred_at=datetime.now(UTC).isoformat(),
        producer=producer or event_type.split(".")[0],
        correlation_id=str(uuid.uuid4()),
        causation_id=None,
        data=data,
    )


def feed(rt, event_type: str, data: dict) -> Envelope:
    """Hand one event to the service's handler as the consumer would (inbox and all)."""
    from event_contracts import validate_event

    validate_event(event_type, 1, data)
    env = envelope(event_type, data)
    handle_envelope("support", env, registry.resolve(event_type, 1), rt.uow)
    return env


def customer_data(
    customer_id: str | None = None,
    *,
    name: str = "Mei Lin",
    email: str | None = "mei.lin@example.com",
    country: str | None = "DE",
    tags=(),
    tier: str | None = None,
    revision: int = 1,
    status: str = "active",
) -> dict:
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    return {
        "customer_id": customer_id or str(uuid.uuid4()),
        "kind": "person",
        "name": name,
        "emails": [{"address": email, "primary": True}] if email else [],
        "phones": [],
        "primary_email": email,
        "country": country,
        "tags": list(tags),
        "attributes": {"tier": tier} if tier else {},
        "status": status,
        "created_at": now,
        "updated_at": now,
        "revision": revision,
    }


def order_data(customer_id: str, lines: list[tuple[str, str]], **over) -> dict:
    order_id = over.pop("order_id", None) or str(uuid.uuid4())
    money = {"amount": "10.00", "currency": "EUR"}
    data = {
        "order_id": order_id,
        "number": over.pop("number", "SO-1"),
        "customer_id": customer_id,
        "channel": "online_store",
        "lines": [
            {
                "product_id": product,
                "sku": f"SKU-{i}",
                "name": f"Product {i}",
                "quantity": qty,
                "unit_price": money,
                "line_total": money,
            }
            for i, (product, qty) in enumerate(lines)
        ],
        "subtotal": money,
        "discount_total": money,
        "tax_total": money,
        "total": money,
        "base_total": money,
        "fx_rate": "1",
        "placed_at": "2026-01-05T10:00:00Z",
        "revision": 1,
    }
    data.update(over)
    return data


BERLIN_HOURS = {
    d: [{"start": "09:00", "end": "18:00"}] for d in ("mon", "tue", "wed", "thu", "fri")
}


def open_ticket(caller, customer_id: str, **over) -> dict:
    body = {
        "customer_id": customer_id,
        "subject": "Parcel arrived damaged",
        "description": "The box was crushed.",
        "category": "complaint",
        "channel": "email",
        "priority": "normal",
        **over,
    }
    response = caller.post("/api/v1/tickets", json=body)
    assert response.status_code == 201, response.json
    return response.json


def outbox(rt, event_type: str | None = None) -> list[dict]:
    """Envelopes written to the outbox (oldest first), optionally of one type."""
    import json

    from sqlalchemy import select

    from servicekit import tables

    with rt.db.session() as session:
        rows = session.execute(select(tables.outbox).order_by(tables.outbox.c.id)).all()
    found = [json.loads(r.payload) for r in rows]
    return [e for e in found if event_type is None or e["event_type"] == event_type]


def add_group(caller, name: str, members: list[str], **over) -> dict:
    response = caller.post(
        "/api/v1/agent-groups",
        json={
            "name": name,
            "members": [{"agent_id": m, "name": f"Agent {m[:4]}"} for m in members],
            **over,
        },
    )
    assert response.status_code == 201, response.json
    return response.json
