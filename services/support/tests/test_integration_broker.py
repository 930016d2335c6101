"""Support on the real broker: customer and order events in (published by a foreign AMQP client),
ticket and survey events out through the outbox relay."""

from __future__ import annotations

import json
import uuid

import pika
import pytest
from support_helpers import Caller, build_runtime, customer_data, order_data

from servicekit.testing import wait_for
from servicekit.testing.workers import running_worker
from support_service.entrypoints import runtime as runtime_module
from support_service.entrypoints.wsgi import create_app
from support_service.service.surveys import answer_survey

pytestmark = pytest.mark.integration


def publish(amqp_url: str, event_type: str, data: dict, producer: str) -> str:
    """Publish like any department tool would: pika, plain JSON, the suite's envelope."""
    event_id = str(uuid.uuid4())
    body = {
        "event_id": event_id,
        "event_type": event_type,
        "version": 1,
        "occurred_at": "2026-01-12T09:00:00Z",
        "producer": producer,
        "correlation_id": str(uuid.uuid4()),
        "causation_id": None,
        "data": data,
    }
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        channel.basic_publish(
            exchange="mms.events",
            routing_key=event_type,
            body=json.dumps(body),
            properties=pika.BasicProperties(
                content_type="application/json",
                delivery_mode=2,
                message_id=event_id,
                type=event_type,
            ),
        )
    finally:
        connection.close()
    return event_id


def probe(amqp_url: str, pattern: str) -> str:
    name = f"probe-{uuid.uuid4().hex[:8]}"
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    try:
        channel = connection.channel()
        channel.exchange_declare("mms.events", "topic", durable=True)
        channel.queue_declare(name, durable=True)
        channel.queue_bind(name, "mms.events", pattern)
    finally:
        connection.close()
    return name


def drain(amqp_url: str, queue: str) -> list[dict]:
    out = []
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    try:
        channel = connection.channel()
        while True:
            method, properties, body = channel.basic_get(queue, auto_ack=True)
            if method is None:
                break
            assert properties.message_id and properties.type
            out.append(json.loads(body))
    finally:
        connection.close()
    return out


def known(rt, repository: str, key: str):
    with rt.uow() as uow:
        return getattr(uow, repository).get(key)


def duplicates() -> float:
    from servicekit import metrics

    return metrics.EVENTS_HANDLED.labels("support", "customer.created", "duplicate")._value.get()


@pytest.fixture
def live(databases, db_backend, minter, clock, amqp_url):
    rt = build_runtime(databases.url(runtime_module.MIGRATIONS), minter, clock, amqp_url=amqp_url)
    yield rt
    rt.db.dispose()


def test_events_in_from_customer_and_sales_and_events_out_to_everyone(live, amqp_url, minter):
    rt = live
    admin = Caller(create_app(rt).test_client(), minter, ("admin",))
    outgoing = probe(amqp_url, "support.#")
    received: list[dict] = []
    customer = customer_data(name="Wei Zhang", email="wei@example.com", country="CN", tags=["VIP"])
    product = str(uuid.uuid4())
    order = order_data(customer["customer_id"], [(product, "2")])
    with running_worker(rt, relay=True, consumer=True) as worker:
        assert worker.consumer is not None
        publish(amqp_url, "customer.created", customer, "customer")
        publish(amqp_url, "sales.order.placed", order, "sales")
        wait_for(lambda: known(rt, "orders", order["order_id"]), message="the order replica")
        ticket = admin.post(
            "/api/v1/tickets",
            json={
                "customer_id": customer["customer_id"],
                "subject": "Two cups arrived broken",
                "category": "return",
                "channel": "email",
                "order_id": order["order_id"],
            },
        )
        assert ticket.status_code == 201, ticket.json
        ticket_id = ticket.json["id"]
        request = admin.post(
            f"/api/v1/tickets/{ticket_id}/returns",
            json={"lines": [{"product_id": product, "quantity": "2"}]},
        ).json
        admin.post(f"/api/v1/tickets/{ticket_id}/returns/{request['id']}/approve")
        admin.post(f"/api/v1/tickets/{ticket_id}/resolve", json={})
        ctx = rt.extras["support"]
        with rt.uow() as uow:
            (survey,) = uow.surveys.of_ticket(ticket_id)
            token = survey.issue_token("wei@example.com", "Wei")
            survey.mark_sent(ctx.now(), ctx.settings.survey_ttl)
            uow.surveys.save(survey)
            uow.commit()
        with rt.uow() as uow:
            answer_survey(uow, ctx, token, 4, None)
            uow.commit()
        # A later profile change arrives through the broker too.
        changed = {**customer, "name": "Wei Zhang-Li", "revision": 2, "changed_fields": ["name"]}
        publish(amqp_url, "customer.updated", changed, "customer")

        def delivered():
            received.extend(drain(amqp_url, outgoing))
            return {e["event_type"] for e in received} >= {
                "support.ticket.opened",
                "support.return.requested",
                "support.return.approved",
                "support.ticket.resolved",
                "support.survey.sent",
                "support.survey.answered",
            }

        wait_for(
            delivered, message=lambda: f"support events, got {[e['event_type'] for e in received]}"
        )
        wait_for(
            lambda: (
                admin.get(f"/api/v1/tickets/{ticket_id}").json["customer_name"] == "Wei Zhang-Li"
            ),
            message="the customer update",
        )
    approved = next(e for e in received if e["event_type"] == "support.return.approved")
    assert approved["producer"] == "support"
    assert approved["data"]["lines"] == [{"product_id": product, "sku": "SKU-0", "quantity": "2"}]
    opened = next(e for e in received if e["event_type"] == "support.ticket.opened")
    assert opened["data"]["customer_id"] == customer["customer_id"]
    answered = next(e for e in received if e["event_type"] == "support.survey.answered")
    assert answered["data"]["score"] == 4 and answered["data"]["satisfied"] is True
    revisions = [
        e["data"]["revision"]
        for e in received
        if e["event_type"].startswith("support.ticket.") and e["data"].get("ticket_id") == ticket_id
    ]
    assert revisions == sorted(revisions) and len(set(revisions)) == len(revisions)


def test_a_duplicate_delivery_has_no_second_effect(live, amqp_url):
    rt = live
    customer = customer_data()
    with running_worker(rt, relay=False, consumer=True) as worker:
        event_id = publish(amqp_url, "customer.created", customer, "customer")
        wait_for(lambda: known(rt, "customers", customer["customer_id"]), message="the customer")
        before = duplicates()
        connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
        try:
            channel = connection.channel()
            body = {
                "event_id": event_id,
                "event_type": "customer.created",
                "version": 1,
                "occurred_at": "2026-01-12T09:00:00Z",
                "producer": "customer",
                "correlation_id": str(uuid.uuid4()),
                "causation_id": None,
                "data": {**customer, "name": "Changed by a replay"},
            }
            channel.basic_publish(
                "mms.events",
                "customer.created",
                json.dumps(body),
                pika.BasicProperties(content_type="application/json", message_id=event_id),
            )
        finally:
            connection.close()

        wait_for(lambda: duplicates() > before, message="the duplicate to be seen")
        assert worker.consumer.connected
    assert known(rt, "customers", customer["customer_id"]).name == "Mei Lin"
