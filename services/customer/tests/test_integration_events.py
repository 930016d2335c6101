"""The customer service's events in and out, with the real broker and a real database."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from customer_service.entrypoints.runtime import jobs_for
from servicekit import tables
from servicekit.testing import wait_for
from servicekit.testing.contracts import check_consumer
from servicekit.testing.events import envelope, publish
from servicekit.testing.workers import running_worker

pytestmark = pytest.mark.integration


@pytest.fixture
def live(rt, amqp_url):
    """The runtime wired to a fresh vhost, with its worker running."""
    from dataclasses import replace

    rt.settings = replace(rt.settings, amqp_url=amqp_url, retry_delays=(0.2, 0.4))
    with running_worker(rt) as worker:
        wait_for(lambda: worker.consumer.connected, message="consumer connected")
        yield rt


def customer_json(admin, customer_id):
    return admin.get(f"/api/v1/customers/{customer_id}").get_json()


def outbox(rt, event_type):
    with rt.db.session() as s:
        return [
            json.loads(r.payload)
            for r in s.execute(
                select(tables.outbox.c.payload)
                .where(tables.outbox.c.event_type == event_type)
                .order_by(tables.outbox.c.id)
            )
        ]


def money(amount):
    return {"amount": amount, "currency": "EUR"}


def test_contract_harness_runs_every_golden_sample_through_our_handlers(rt):
    exercised = check_consumer(rt.registry, rt.uow, "customer")
    assert ("campaign.recipient.unsubscribed", 1) in exercised
    assert ("sales.order.placed", 1) in exercised
    assert ("sales.lead.captured", 1) in exercised


def test_unsubscribe_from_a_campaign_withdraws_consent(live, admin, amqp_url):
    c = admin.post(
        "/api/v1/customers",
        json={"kind": "person", "name": "Subscriber", "emails": [{"address": "s@example.com"}]},
    ).get_json()
    admin.post(
        f"/api/v1/customers/{c['id']}/consents",
        json={"channel": "email", "status": "granted", "source": "web_form"},
    )
    publish(
        amqp_url,
        envelope(
            "campaign.recipient.unsubscribed",
            {
                "customer_id": c["id"],
                "channel": "email",
                "campaign_id": str(uuid.uuid4()),
                "message_id": str(uuid.uuid4()),
                "method": "one_click",
                "unsubscribed_at": datetime.now(UTC).isoformat(),
            },
        ),
    )
    wait_for(
        lambda: customer_json(admin, c["id"])["consents"]["email"]["status"] == "withdrawn",
        message="consent withdrawn",
    )
    history = admin.get(f"/api/v1/customers/{c['id']}/consents").get_json()["history"]
    assert history[0]["source"] == "campaign:one_click"
    assert history[0]["recorded_by"] == "campaign"


def test_order_events_keep_behaviour_and_segments_current(live, admin, amqp_url):
    c = admin.post("/api/v1/customers", json={"kind": "person", "name": "Buyer"}).get_json()
    segment = admin.post(
        "/api/v1/segments",
        json={
            "name": "Repeat buyers",
            "kind": "dynamic",
            "rules": {"field": "orders_count", "op": "gte", "value": 2},
        },
    ).get_json()
    next(j for j in jobs_for(live) if j.name == "evaluate-segments").run()
    placed_at = datetime(2026, 11, 1, 10, tzinfo=UTC)
    orders = [str(uuid.uuid4()) for _ in range(3)]

    def placed(order_id, total, when):
        return envelope(
            "sales.order.placed",
            {
                "order_id": order_id,
                "number": "SO-1",
                "customer_id": c["id"],
                "channel": "online_store",
                "lines": [],
                "subtotal": money(total),
                "discount_total": money("0"),
                "tax_total": money("0"),
                "total": money(total),
                "base_total": money(total),
                "fx_rate": "1",
                "placed_at": when.isoformat(),
                "revision": 1,
            },
        )

    def paid(order_id, total, when):
        return envelope(
            "sales.order.paid",
            {
                "order_id": order_id,
                "customer_id": c["id"],
                "total": money(total),
                "base_total": money(total),
                "channel": "online_store",
                "placed_at": when.isoformat(),
                "paid_at": when.isoformat(),
                "revision": 2,
            },
        )

    # Out of order on purpose: a payment before its placement, then the rest.
    publish(
        amqp_url,
        paid(orders[0], "100.00", placed_at),
        placed(orders[0], "100.00", placed_at),
        placed(orders[1], "40.50", placed_at + timedelta(days=3)),
        paid(orders[1], "40.50", placed_at + timedelta(days=3)),
        placed(orders[2], "10.00", placed_at + timedelta(days=5)),
    )
    wait_for(
        lambda: customer_json(admin, c["id"])["behaviour"]["orders_count"] == 3,
        message="three orders counted",
    )
    behaviour = customer_json(admin, c["id"])["behaviour"]
    assert behaviour["total_spent"] == "140.5000"
    assert behaviour["last_order_at"].startswith("2026-11-06")
    members = admin.get(f"/api/v1/segments/{segment['id']}/members").get_json()["items"]
    assert [m["id"] for m in members] == [c["id"]]
    publish(
        amqp_url,
        envelope(
            "sales.order.cancelled",
            {
                "order_id": orders[1],
                "customer_id": c["id"],
                "total": money("40.50"),
                "base_total": money("40.50"),
                "was_paid": True,
                "reason": "changed mind",
                "cancelled_at": datetime.now(UTC).isoformat(),
                "revision": 3,
            },
        ),
        envelope(
            "sales.order.cancelled",
            {
                "order_id": orders[2],
                "customer_id": c["id"],
                "total": money("10.00"),
                "base_total": money("10.00"),
                "was_paid": False,
                "reason": None,
                "cancelled_at": datetime.now(UTC).isoformat(),
                "revision": 2,
            },
        ),
        envelope(
            "sales.order.returned",
            {
                "order_id": orders[0],
                "customer_id": c["id"],
                "return_id": str(uuid.uuid4()),
                "full": False,
                "lines": [],
                "amount": money("25.00"),
                "base_amount": money("25.00"),
                "returned_at": datetime.now(UTC).isoformat(),
                "revision": 4,
            },
        ),
    )
    wait_for(
        lambda: customer_json(admin, c["id"])["behaviour"]["orders_count"] == 1,
        message="cancelled orders no longer count",
    )
    wait_for(
        lambda: customer_json(admin, c["id"])["behaviour"]["total_spent"] == "75.0000",
        message="refunds deducted",
    )
    wait_for(
        lambda: admin.get(f"/api/v1/segments/{segment['id']}/members").get_json()["items"] == [],
        message="left the repeat-buyers segment",
    )


def test_a_web_form_lead_ends_linked_to_a_deduplicated_customer(live, admin, amqp_url, rt):
    existing = admin.post(
        "/api/v1/customers",
        json={"kind": "person", "name": "Mei Lin", "emails": [{"address": "mei.lin@example.com"}]},
    ).get_json()
    matched_lead, new_lead = str(uuid.uuid4()), str(uuid.uuid4())
    publish(
        amqp_url,
        envelope(
            "sales.lead.captured",
            {
                "lead_id": matched_lead,
                "source": "web_form",
                "contact": {"name": "Mei L.", "email": "MEI.LIN@example.com"},
                "captured_at": datetime.now(UTC).isoformat(),
            },
        ),
        envelope(
            "sales.lead.captured",
            {
                "lead_id": new_lead,
                "source": "web_form",
                "contact": {
                    "name": "Hao Chen",
                    "first_name": "Hao",
                    "last_name": "Chen",
                    "company": "Chen Tea House",
                    "email": "hao@chen-tea.cn",
                    "phone": "+86 137 2222 3333",
                    "country": "CN",
                    "city": "Hangzhou",
                },
                "captured_at": datetime.now(UTC).isoformat(),
            },
        ),
    )
    wait_for(lambda: len(outbox(rt, "customer.lead.matched")) == 2, message="two leads matched")
    answers = {e["data"]["lead_id"]: e["data"] for e in outbox(rt, "customer.lead.matched")}
    assert answers[matched_lead] == {
        "lead_id": matched_lead,
        "customer_id": existing["id"],
        "created": False,
        "matched_on": "email",
    }
    created = answers[new_lead]
    assert created["created"] is True
    person = customer_json(admin, created["customer_id"])
    assert person["primary_phone"] == "+8613722223333"
    assert person["lifecycle_stage"] == "lead"
    company = customer_json(admin, person["company_id"])
    assert company["name"] == "Chen Tea House"
    assert company["kind"] == "company"


def test_scores_from_analytics_are_stored_for_segmentation(live, admin, amqp_url):
    c = admin.post("/api/v1/customers", json={"kind": "person", "name": "Scored"}).get_json()
    computed = datetime.now(UTC).isoformat()
    publish(
        amqp_url,
        envelope(
            "analytics.customer.scored",
            {
                "customer_id": c["id"],
                "rfm": {
                    "recency": 5,
                    "frequency": 4,
                    "monetary": 5,
                    "score": "545",
                    "segment": "champions",
                },
                "clv_historic": money("1200.00"),
                "clv_predicted": money("2000.00"),
                "churn_risk": 0.05,
                "computed_at": computed,
            },
        ),
    )
    wait_for(
        lambda: customer_json(admin, c["id"])["scores"].get("rfm_segment") == "champions",
        message="scores stored",
    )
    preview = admin.post(
        "/api/v1/segments/preview",
        json={"rules": {"field": "scores.rfm_segment", "op": "eq", "value": "champions"}},
    ).get_json()
    assert preview["count"] == 1


def test_created_customers_reach_the_broker_through_the_outbox(
    live, admin, amqp_url, broker, amqp_vhost
):
    from servicekit.amqp import connect

    with connect(amqp_url) as conn:
        channel = conn.default_channel
        channel.queue_declare("probe", durable=True, auto_delete=False)
        channel.queue_bind("probe", "mms.events", "customer.#")
    c = admin.post("/api/v1/customers", json={"kind": "person", "name": "Relayed"}).get_json()
    wait_for(lambda: broker.depth(amqp_vhost[0], "probe") >= 1, message="event on the broker")
    with connect(amqp_url) as conn:
        message = conn.default_channel.basic_get("probe", no_ack=True)
    body = json.loads(message.body)
    assert body["event_type"] == "customer.created"
    assert body["data"]["customer_id"] == c["id"]
    assert body["aggregate_version"] == 1
