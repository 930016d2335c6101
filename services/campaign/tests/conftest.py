"""Fixtures for the campaign service's tests: a runtime on a fresh database per test."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from campaign_service.config import CampaignSettings
from campaign_service.entrypoints import runtime as runtime_module
from campaign_service.entrypoints.wsgi import create_app
from servicekit.consumer import handle_envelope
from servicekit.events import Envelope
from servicekit.mail import MailSettings

SECRET = b"test-tracking-secret-0123456789abcdef"


def campaign_settings(**overrides) -> CampaignSettings:
    values = dict(
        tracking_secret=SECRET,
        frequency_cap=3,
        retry_delays=(0.0, 0.0),
        machine_min_seconds=0.0,
        send_run_seconds=30.0,
        send_chunk=20,
    )
    values.update(overrides)
    return CampaignSettings(**values)


@pytest.fixture
def settings_overrides():
    """Override per test module/test to change CampaignSettings."""
    return {}


@pytest.fixture
def rt(databases, db_backend, minter, settings_overrides):
    rt = runtime_module.build(
        campaign=campaign_settings(**settings_overrides),
        mail=MailSettings(host="127.0.0.1", port=1, timeout=2, sender="Suite <news@mms.test>"),
        database_url=databases.url(runtime_module.MIGRATIONS),
        identity_public_keys=(minter.public_pem,),
        amqp_url="amqp://guest:guest@127.0.0.1:1//",
        public_base_url="https://mms.example.com",
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


@pytest.fixture
def marketer(caller):
    return caller("marketer", scopes=("campaigns:*", "coupons:*", "research:*", "touchpoints:*"))


def now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class Feeder:
    """Delivers other services' events to the service's handlers, as the consumer would."""

    def __init__(self, rt):
        self.rt = rt
        self.revisions: dict[str, int] = {}

    def event(self, event_type: str, data: dict, *, event_id: str | None = None) -> Envelope:
        envelope = Envelope.from_dict(
            {
                "event_id": event_id or str(uuid.uuid4()),
                "event_type": event_type,
                "version": 1,
                "occurred_at": now_iso(),
                "producer": event_type.split(".", 1)[0],
                "correlation_id": str(uuid.uuid4()),
                "causation_id": None,
                "data": data,
            }
        )
        from event_contracts import validate_event

        validate_event(event_type, 1, data)
        handler = self.rt.registry.resolve(event_type, 1)
        handle_envelope("campaign", envelope, handler, self.rt.uow)
        return envelope

    def _rev(self, customer_id: str) -> int:
        self.revisions[customer_id] = self.revisions.get(customer_id, 0) + 1
        return self.revisions[customer_id]

    def customer(
        self,
        *,
        email: str | None = None,
        first_name: str = "Mei",
        last_name: str = "Lin",
        consent: str | None = "granted",
        customer_id: str | None = None,
        segments: tuple[str, ...] = (),
        company_id: str | None = None,
        language: str | None = None,
    ) -> str:
        customer_id = customer_id or str(uuid.uuid4())
        self.event(
            "customer.created",
            {
                "customer_id": customer_id,
                "kind": "person",
                "name": f"{first_name} {last_name}",
                "first_name": first_name,
                "last_name": last_name,
                "company_id": company_id,
                "emails": [{"address": email, "label": None, "primary": True}] if email else [],
                "phones": [],
                "primary_email": email,
                "tags": [],
                "demographics": {"language": language} if language else {},
                "status": "active",
                "created_at": now_iso(),
                "updated_at": now_iso(),
                "revision": self._rev(customer_id),
            },
        )
        if consent:
            self.consent(customer_id, consent)
        for segment_id in segments:
            self.member(segment_id, customer_id)
        return customer_id

    def company(self, name: str) -> str:
        company_id = str(uuid.uuid4())
        self.event(
            "customer.created",
            {
                "customer_id": company_id,
                "kind": "company",
                "name": name,
                "emails": [],
                "phones": [],
                "tags": [],
                "status": "active",
                "created_at": now_iso(),
                "updated_at": now_iso(),
                "revision": self._rev(company_id),
            },
        )
        return company_id

    def consent(self, customer_id: str, status: str) -> None:
        self.event(
            "customer.consent.changed",
            {
                "customer_id": customer_id,
                "channel": "email",
                "status": status,
                "source": "test",
                "changed_at": now_iso(),
                "revision": self._rev(customer_id),
            },
        )

    def segment(self, name: str = "Test segment", segment_id: str | None = None) -> str:
        segment_id = segment_id or str(uuid.uuid4())
        self.event(
            "customer.segment.created",
            {
                "segment_id": segment_id,
                "name": name,
                "kind": "static",
                "status": "active",
                "revision": 1,
            },
        )
        return segment_id

    def member(self, segment_id: str, customer_id: str, *, added: bool = True, at=None) -> None:
        self.event(
            f"customer.segment.member_{'added' if added else 'removed'}",
            {"segment_id": segment_id, "customer_id": customer_id, "at": at or now_iso()},
        )


@pytest.fixture
def feed(rt):
    return Feeder(rt)


@pytest.fixture
def outbox(rt):
    """``outbox("campaign.message.sent")`` -> the data of every such event written so far."""
    import json

    from sqlalchemy import select

    from servicekit import tables

    def read(event_type: str | None = None) -> list[dict]:
        query = select(tables.outbox.c.event_type, tables.outbox.c.payload).order_by(
            tables.outbox.c.id
        )
        with rt.db.session() as session:
            rows = session.execute(query).all()
        return [
            json.loads(payload)["data"]
            for kind, payload in rows
            if event_type is None or kind == event_type
        ]

    return read


@pytest.fixture
def send_job(rt, smtp_sink):
    """Run the send job once against the SMTP sink; returns messages handled."""
    from campaign_service.service import sending

    def run(*, mailer=None, now=None):
        mail = MailSettings(host=smtp_sink.host, port=smtp_sink.port, sender="Lin Tea <n@mms.test>")
        return sending.run_send_job(
            rt.uow,
            rt.extras["campaign"],
            mail,
            rt.extras["signer"],
            rt.settings.public_base_url,
            mailer=mailer,
        )

    return run


@pytest.fixture
def email_campaign(admin):
    """Create (and optionally launch) an email campaign through the API."""

    def make(segment_ids, *, launch=True, template=None, variants=None, **extra):
        if variants is None:
            template_id = (
                template
                or admin.post(
                    "/api/v1/templates",
                    json={
                        "name": "T",
                        "subject": "Hello {{ first_name }}",
                        "html": '<p>Hi {{ first_name }} <a href="https://shop.example.com/a">a</a>'
                        ' <a href="https://shop.example.com/b">b</a> {{ coupon_code }}</p>',
                        "defaults": {"first_name": "friend", "coupon_code": ""},
                    },
                ).json["id"]
            )
            variants = [{"name": "A", "split_percent": 100, "template_id": template_id}]
        response = admin.post(
            "/api/v1/campaigns",
            json={
                "name": extra.pop("name", "Campaign"),
                "channel": extra.pop("channel", "email"),
                "segment_ids": segment_ids,
                "variants": variants,
                **extra,
            },
        )
        assert response.status_code == 201, response.json
        campaign = response.json
        if launch:
            launched = admin.post(f"/api/v1/campaigns/{campaign['id']}/launch")
            assert launched.status_code == 200, launched.json
            campaign = launched.json
        return campaign

    return make
