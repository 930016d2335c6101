"""A whole send with the real broker, the real worker and a real SMTP server.

Customer, consent and segment events arrive over RabbitMQ (published by a foreign AMQP client,
as the customer service would); the campaign is launched through the API; the worker's send job
delivers to the SMTP sink; open, click and one-click unsubscribe go through the public endpoints;
``campaign.recipient.unsubscribed`` comes out on the broker for the customer service.
"""

from __future__ import annotations

import json
import re
import uuid
from urllib.parse import urlsplit

import pika
import pytest
from sqlalchemy import func, select

from campaign_service.adapters import tables as t
from campaign_service.entrypoints import runtime as runtime_module
from campaign_service.entrypoints.wsgi import create_app
from servicekit.mail import MailSettings
from servicekit.testing import wait_for
from servicekit.testing.workers import running_worker

from .conftest import campaign_settings, now_iso

pytestmark = pytest.mark.integration

HUMAN = {"User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/124.0 Safari/537.36"}


@pytest.fixture
def live(databases, db_backend, minter, amqp_url, smtp_sink):
    rt = runtime_module.build(
        campaign=campaign_settings(),
        mail=MailSettings(host=smtp_sink.host, port=smtp_sink.port, sender="Tea <news@mms.test>"),
        database_url=databases.url(runtime_module.MIGRATIONS),
        identity_public_keys=(minter.public_pem,),
        amqp_url=amqp_url,
        public_base_url="https://mms.example.com",
        retry_delays=(0.2, 0.5),
    )
    yield rt
    rt.db.dispose()


class ForeignClient:
    """pika, not kombu: proves the events are plain AMQP + JSON anyone can speak."""

    def __init__(self, url: str):
        self.connection = pika.BlockingConnection(pika.URLParameters(url))
        self.channel = self.connection.channel()
        self.channel.exchange_declare("mms.events", exchange_type="topic", durable=True)
        self.capture = self.channel.queue_declare("", exclusive=True).method.queue
        self.channel.queue_bind(self.capture, "mms.events", routing_key="campaign.#")

    def publish(self, event_type: str, data: dict) -> None:
        event_id = str(uuid.uuid4())
        body = {
            "event_id": event_id,
            "event_type": event_type,
            "version": 1,
            "occurred_at": now_iso(),
            "producer": event_type.split(".")[0],
            "correlation_id": event_id,
            "causation_id": None,
            "data": data,
        }
        self.channel.basic_publish(
            "mms.events",
            event_type,
            json.dumps(body).encode(),
            pika.BasicProperties(
                content_type="application/json",
                delivery_mode=2,
                message_id=event_id,
                type=event_type,
            ),
        )

    def captured(self) -> list[dict]:
        found = []
        while True:
            method, _props, body = self.channel.basic_get(self.capture, auto_ack=True)
            if method is None:
                return found
            found.append(json.loads(body))

    def close(self):
        self.connection.close()


def customer_created(customer_id: str, email: str, first_name: str) -> dict:
    return {
        "customer_id": customer_id,
        "kind": "person",
        "name": f"{first_name} Example",
        "first_name": first_name,
        "last_name": "Example",
        "emails": [{"address": email, "label": None, "primary": True}],
        "phones": [],
        "primary_email": email,
        "tags": [],
        "status": "active",
        "created_at": now_iso(),
        "updated_at": now_iso(),
        "revision": 1,
    }


def test_whole_send_over_the_broker_and_smtp(live, minter, smtp_sink, amqp_url):
    client = create_app(live).test_client()
    headers = minter.headers(roles=("marketer",), scopes=("campaigns:read", "campaigns:write"))
    foreign = ForeignClient(amqp_url)
    captured: list[dict] = []
    try:
        with running_worker(live, jobs=True):
            segment = str(uuid.uuid4())
            mei, lars, ana = (str(uuid.uuid4()) for _ in range(3))
            foreign.publish(
                "customer.segment.created",
                {
                    "segment_id": segment,
                    "name": "Newsletter",
                    "kind": "static",
                    "status": "active",
                    "revision": 1,
                },
            )
            for customer_id, email, name, consent in (
                (mei, "mei@example.com", "Mei", "granted"),
                (lars, "lars@example.com", "Lars", "granted"),
                (ana, "ana@example.com", "Ana", "withdrawn"),
            ):
                foreign.publish("customer.created", customer_created(customer_id, email, name))
                foreign.publish(
                    "customer.consent.changed",
                    {
                        "customer_id": customer_id,
                        "channel": "email",
                        "status": consent,
                        "source": "web_form",
                        "changed_at": now_iso(),
                        "revision": 2,
                    },
                )
                foreign.publish(
                    "customer.segment.member_added",
                    {"segment_id": segment, "customer_id": customer_id, "at": now_iso()},
                )

            def replica_ready():
                with live.db.session() as session:
                    members = session.execute(
                        select(func.count()).select_from(t.segment_members)
                    ).scalar_one()
                    consents = session.execute(
                        select(func.count()).select_from(t.consents)
                    ).scalar_one()
                return members == 3 and consents == 3

            wait_for(replica_ready, timeout=30, message="customer events in the replica")
            template = client.post(
                "/api/v1/templates",
                headers=headers,
                json={
                    "name": "News",
                    "subject": "News for {{ first_name }}",
                    "html": '<p>Hi {{ first_name }}, <a href="https://shop.example.com/new">'
                    "see what is new</a>.</p>",
                },
            ).json["id"]
            campaign = client.post(
                "/api/v1/campaigns",
                headers=headers,
                json={
                    "name": "News",
                    "channel": "email",
                    "segment_ids": [segment],
                    "variants": [{"name": "A", "split_percent": 100, "template_id": template}],
                },
            ).json
            launched = client.post(f"/api/v1/campaigns/{campaign['id']}/launch", headers=headers)
            assert launched.status_code == 200, launched.json

            wait_for(lambda: len(smtp_sink.messages) >= 2, timeout=30, message="two emails")
            wait_for(
                lambda: (
                    client.get(f"/api/v1/campaigns/{campaign['id']}/send", headers=headers).json[
                        "phase"
                    ]
                    == "finished"
                ),
                timeout=30,
                message="the send to finish",
            )
            assert sorted(m.rcpt_tos[0] for m in smtp_sink.messages) == [
                "lars@example.com",
                "mei@example.com",
            ]
            (received,) = smtp_sink.to("mei@example.com")
            assert received.subject == "News for Mei"
            assert received.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
            https_unsubscribe = re.search(
                r"<(https://mms\.example\.com/unsubscribe/[^>]+)>",
                received.message["List-Unsubscribe"],
            ).group(1)
            assert "mailto:unsubscribe@mms.test" in received.message["List-Unsubscribe"]
            html = received.body("html")
            assert https_unsubscribe in html  # the footer link in the body
            click = re.search(r'href="https://mms\.example\.com(/r/c/[^"]+)"', html).group(1)
            pixel = re.search(r'src="https://mms\.example\.com(/r/o/[^"]+)"', html).group(1)

            assert client.get(pixel, headers=HUMAN).status_code == 200
            redirect = client.get(click, headers=HUMAN)
            assert redirect.status_code == 302
            assert redirect.headers["Location"] == "https://shop.example.com/new"
            unsubscribe_path = urlsplit(https_unsubscribe).path
            assert client.get(unsubscribe_path, headers=HUMAN).status_code == 200
            scanner = client.post(
                unsubscribe_path,
                data={"List-Unsubscribe": "One-Click"},
                headers={"User-Agent": "Mimecast Link Scanner"},
            )
            assert scanner.status_code == 403
            done = client.post(
                unsubscribe_path, data={"List-Unsubscribe": "One-Click"}, headers=HUMAN
            )
            assert done.status_code == 200

            def unsubscribed_published():
                captured.extend(foreign.captured())
                return [e for e in captured if e["event_type"] == "campaign.recipient.unsubscribed"]

            (event,) = wait_for(
                unsubscribed_published, timeout=30, message="campaign.recipient.unsubscribed"
            )
            assert event["data"]["customer_id"] == mei
            assert event["data"]["method"] == "one_click"
            assert event["data"]["campaign_id"] == campaign["id"]
            types = {e["event_type"] for e in captured}
            assert {
                "campaign.launched",
                "campaign.audience.resolved",
                "campaign.message.sent",
                "campaign.message.delivered",
                "campaign.message.opened",
                "campaign.message.clicked",
                "campaign.touchpoint.recorded",
                "campaign.send.finished",
            } <= types
            report = client.get(f"/api/v1/campaigns/{campaign['id']}/report", headers=headers)
            totals = report.json["totals"]
            assert (totals["delivered"], totals["opened_human"], totals["clicked_human"]) == (
                2,
                1,
                1,
            )
            assert totals["unsubscribed"] == 1
            assert report.json["audience"]["excluded"]["no_consent"] == 1
    finally:
        foreign.close()
