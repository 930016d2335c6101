"""A department's own tool reads the suite's events with its own AMQP client (pika), its own
queue and the exported JSON Schemas — no suite code on its side."""

from __future__ import annotations

import json

import jsonschema
import pika
import pytest

from event_contracts import export_json_schemas
from servicekit.relay import OutboxRelay
from servicekit.testing import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def customer_rt(databases, db_backend, amqp_url, minter):
    from customer_service.entrypoints import runtime

    rt = runtime.build(
        database_url=databases.url(runtime.MIGRATIONS),
        amqp_url=amqp_url,
        identity_public_keys=(minter.public_pem,),
    )
    yield rt
    rt.db.dispose()


def test_pika_client_binds_its_own_queue_and_reads_customer_events(
    customer_rt, amqp_url, tmp_path, minter
):
    from customer_service.entrypoints.wsgi import create_app

    schemas = tmp_path / "schemas"
    export_json_schemas(schemas)
    params = pika.URLParameters(amqp_url)
    connection = pika.BlockingConnection(params)
    channel = connection.channel()
    channel.exchange_declare("mms.events", exchange_type="topic", durable=True)
    channel.queue_declare("crm-export-tool", durable=True)
    channel.queue_bind("crm-export-tool", "mms.events", routing_key="customer.#")

    client = create_app(customer_rt).test_client()
    headers = minter.headers()
    created = client.post(
        "/api/v1/customers",
        headers=headers,
        json={"kind": "person", "name": "Seen Elsewhere", "emails": [{"address": "x@example.com"}]},
    )
    customer_id = created.get_json()["id"]
    client.post(
        f"/api/v1/customers/{customer_id}/consents",
        headers=headers,
        json={"channel": "email", "status": "granted", "source": "web_form"},
    )
    relay = OutboxRelay(customer_rt.db, amqp_url, "mms.events", "customer")
    relay.run_once()
    relay.publisher.close()

    received = []

    def take():
        method, properties, body = channel.basic_get("crm-export-tool", auto_ack=True)
        if method is not None:
            received.append((method, properties, json.loads(body)))
        return len(received) == 2

    wait_for(take, message="two events for the foreign client")
    connection.close()
    envelope_schema = json.loads((schemas / "envelope.v1.json").read_text())
    for method, properties, body in received:
        jsonschema.validate(body, envelope_schema)
        data_schema = json.loads(
            (schemas / "customer" / f"{body['event_type']}.v{body['version']}.json").read_text()
        )
        jsonschema.validate(body["data"], data_schema)
        assert properties.message_id == body["event_id"]
        assert properties.type == body["event_type"] == method.routing_key
        assert properties.content_type == "application/json"
        assert properties.delivery_mode == 2
    assert [b["event_type"] for _, _, b in received] == [
        "customer.created",
        "customer.consent.changed",
    ]
    assert received[0][2]["data"]["customer_id"] == customer_id
