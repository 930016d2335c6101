"""Sales with a real RabbitMQ node: the lead-capture choreography with the customer service's
real handlers, events seen by a foreign consumer, parked returns, and the worker's jobs."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from decimal import Decimal

import kombu
import pika
import pytest
from sqlalchemy import select

from customer_service.entrypoints import runtime as customer_runtime
from customer_service.entrypoints.wsgi import create_app as customer_app
from sales_service.adapters import tables as t
from sales_service.entrypoints import runtime as sales_runtime
from sales_service.entrypoints.wsgi import create_app
from sales_service.service.config import SalesConfig
from servicekit.amqp import connect, events_exchange
from servicekit.testing import wait_for
from servicekit.testing.workers import running_worker

pytestmark = pytest.mark.integration


@pytest.fixture
def sales(databases, db_backend, minter, amqp_url, clock):
    rt = sales_runtime.build(
        config=SalesConfig(base_currency="EUR", clock=clock),
        database_url=databases.url(sales_runtime.MIGRATIONS),
        identity_public_keys=(minter.public_pem,),
        amqp_url=amqp_url,
        retry_delays=(0.2,),
    )
    yield rt
    rt.db.dispose()


@pytest.fixture
def customers(databases, minter, amqp_url):
    rt = customer_runtime.build(
        database_url=databases.url(customer_runtime.MIGRATIONS),
        identity_public_keys=(minter.public_pem,),
        amqp_url=amqp_url,
    )
    yield rt
    rt.db.dispose()


def test_web_form_lead_ends_linked_to_a_deduplicated_customer(sales, customers, minter):
    form = minter.headers(kind="api_key", roles=(), scopes=("leads:write", "leads:read"))
    admin = minter.headers()
    sales_client = create_app(sales).test_client()
    customer_client = customer_app(customers).test_client()
    contact = {"first_name": "Mei", "last_name": "Lin", "email": "mei.lin@example.com",
               "phone": "+86 138 0013 8000", "country": "CN", "company": "Lin Trading"}  # fmt: skip
    with running_worker(customers), running_worker(sales):
        first = sales_client.post(
            "/api/v1/leads", headers=form, json={"source": "web_form", "contact": contact}
        ).get_json()
        assert first["link"]["status"] == "pending"

        def linked(lead_id):
            body = sales_client.get(f"/api/v1/leads/{lead_id}", headers=form).get_json()
            return body if body["link"]["status"] == "linked" else None

        lead = wait_for(lambda: linked(first["id"]), timeout=30, message="the lead's link")
        customer_id = lead["customer_id"]
        assert lead["link"]["customer_created"] is True
        person = customer_client.get(f"/api/v1/customers/{customer_id}", headers=admin)
        assert person.status_code == 200 and person.get_json()["primary_email"] == (
            "mei.lin@example.com"
        )
        # The same person fills in another form: matched, not created again.
        again = sales_client.post(
            "/api/v1/leads",
            headers=form,
            json={"source": "web_form", "contact": {**contact, "email": "MEI.LIN@example.com"}},
        ).get_json()
        second = wait_for(lambda: linked(again["id"]), timeout=30, message="the second link")
        assert second["customer_id"] == customer_id
        assert second["link"] == {
            **second["link"],
            "matched_on": "email",
            "customer_created": False,
        }
        # The customer's own events reached the sales replica too.
        with sales.db.session() as session:
            replica = wait_for(
                lambda: session.execute(
                    select(t.customers).where(t.customers.c.id == customer_id)
                ).first(),
                timeout=30,
                message="the replicated customer",
            )
        assert replica.name == "Mei Lin" and replica.country == "CN"

        # Orders flow back into the customer's behaviour for segmentation.
        product = sales_client.post(
            "/api/v1/products", headers=admin, json={"sku": "T1", "name": "Tea",
                                                     "list_price": "20.00"},
        ).get_json()  # fmt: skip
        order = sales_client.post(
            "/api/v1/orders",
            headers=admin,
            json={"customer_id": customer_id,
                  "lines": [{"product_id": product["id"], "quantity": "2"}]},
        ).get_json()  # fmt: skip
        sales_client.post(f"/api/v1/orders/{order['id']}/pay", headers=admin, json={})

        def spent():
            body = customer_client.get(f"/api/v1/customers/{customer_id}", headers=admin)
            behaviour = body.get_json()["behaviour"]
            return behaviour if Decimal(behaviour["total_spent"]) > 0 else None

        behaviour = wait_for(spent, timeout=30, message="the customer's behaviour")
        assert Decimal(behaviour["total_spent"]) == Decimal("40")
        assert behaviour["orders_count"] == 1


def test_a_foreign_client_reads_sales_events(sales, minter, amqp_url, kit_rt_customer):
    """Events are plain JSON on the topic exchange: pika binds its own queue and reads them."""
    params = pika.URLParameters(amqp_url)
    connection = pika.BlockingConnection(params)
    channel = connection.channel()
    channel.exchange_declare("mms.events", exchange_type="topic", durable=True)
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, "mms.events", routing_key="sales.order.*")
    client = create_app(sales).test_client()
    admin = minter.headers()
    product = client.post(
        "/api/v1/products", headers=admin, json={"sku": "P", "name": "P", "list_price": "5"}
    ).get_json()
    kit_rt_customer(sales)
    with running_worker(sales, consumer=False):
        order = client.post(
            "/api/v1/orders",
            headers=admin,
            json={"customer_id": kit_rt_customer.customer_id,
                  "lines": [{"product_id": product["id"], "quantity": "1"}]},
        ).get_json()  # fmt: skip

        def received():
            method, properties, body = channel.basic_get(queue, auto_ack=True)
            return (method, properties, body) if method else None

        method, properties, body = wait_for(received, timeout=20, message="sales.order.placed")
    connection.close()
    envelope = json.loads(body)
    assert method.routing_key == "sales.order.placed"
    assert properties.message_id == envelope["event_id"]
    assert envelope["data"]["order_id"] == order["id"]
    assert envelope["data"]["total"] == {"amount": "5.00", "currency": "EUR"}


@pytest.fixture
def kit_rt_customer():
    """Put one customer into a runtime's replica through the real handler."""
    from servicekit.consumer import handle_envelope
    from servicekit.events import Envelope

    class Seed:
        customer_id = str(uuid.uuid4())

        def __call__(self, rt):
            data = {
                "customer_id": self.customer_id, "kind": "person", "name": "Anna",
                "emails": [], "phones": [], "tags": [], "status": "active",
                "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
                "revision": 1,
            }  # fmt: skip
            env = Envelope(str(uuid.uuid4()), "customer.created", 1, "2026-01-01T00:00:00Z",
                           "customer", "c", None, data)  # fmt: skip
            handle_envelope("sales", env, rt.registry.resolve("customer.created", 1), rt.uow)

    return Seed()


def publish(url: str, event_type: str, data: dict) -> str:
    event_id = str(uuid.uuid4())
    body = {
        "event_id": event_id,
        "event_type": event_type,
        "version": 1,
        "occurred_at": "2026-11-29T10:00:00Z",
        "producer": event_type.split(".")[0],
        "correlation_id": str(uuid.uuid4()),
        "causation_id": None,
        "data": data,
    }
    with connect(url) as conn:
        producer = kombu.Producer(conn.default_channel, exchange=events_exchange("mms.events"))
        producer.publish(
            json.dumps(body),
            routing_key=event_type,
            content_type="application/json",
            message_id=event_id,
            type=event_type,
            delivery_mode=2,
        )
    return event_id


def test_an_impossible_return_is_parked_for_an_operator(sales, amqp_url, amqp_vhost, broker):
    vhost = amqp_vhost[0]
    with running_worker(sales, relay=False):
        wait_for(lambda: broker.depth(vhost, "sales.events") == 0, message="sales queue")
        publish(
            amqp_url,
            "support.return.approved",
            {"ticket_id": str(uuid.uuid4()), "return_request_id": str(uuid.uuid4()),
             "order_id": str(uuid.uuid4()), "customer_id": str(uuid.uuid4()), "full": True,
             "lines": [], "approved_at": "2026-11-29T10:00:00Z"},
        )  # fmt: skip
        wait_for(lambda: broker.depth(vhost, "sales.events.dead") == 1, timeout=30,
                 message="the parked return")  # fmt: skip


def test_the_worker_runs_the_reminder_jobs(sales, clock, minter, kit_rt_customer):
    client = create_app(sales).test_client()
    rep = minter.headers(roles=("sales_rep",), user_id=str(uuid.uuid4()))
    due = (clock.now - timedelta(minutes=1)).isoformat()
    task = client.post(
        "/api/v1/tasks", headers=rep, json={"kind": "call", "subject": "Call", "due_at": due}
    ).get_json()
    with running_worker(sales, jobs=True, consumer=False):

        def reminded():
            body = client.get(f"/api/v1/tasks/{task['id']}", headers=rep).get_json()
            return body["reminded_at"]

        wait_for(reminded, timeout=30, message="the task reminder")
