"""Two workers of one service on one queue share the work, and each event has its effect once.

The real path end to end: web-form leads posted to the sales api become ``sales.lead.captured``
events (outbox, relay, exchange); two customer workers compete on ``customer.events``; each event
creates one customer and answers ``customer.lead.matched``, which the sales worker uses to link the
lead. Creating a customer is not idempotent by itself, so a second handling of any event would
show as a second customer.
"""

from __future__ import annotations

import uuid

import pytest
from scaling_support import (
    bind_probe,
    counter,
    drain,
    duplicates,
    get,
    post,
    service_session,
)

from servicekit.testing import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LEADS = 40


def test_two_customer_workers_share_one_queue_without_duplicate_effects(
    make_suite, amqp_url, db_backend
):
    # A small prefetch so that neither worker can take the whole burst on its own.
    suite = make_suite("sales", "customer", extra_env={"MMS_CONSUMER_PREFETCH": "4"})
    bind_probe(amqp_url, "probe.lead-matched", "customer.lead.matched")
    suite.setup_all("customer", "sales")
    suite.start_api("sales", workers=2, wait=False)
    suite.start_api("customer", workers=1, wait=False)
    suite.start_worker("sales", wait=False)
    workers = ("customer-worker-1", "customer-worker-2")
    for name in workers:
        suite.start_worker("customer", name=name, wait=False)
    suite.wait_ready("sales-api", "customer-api", "sales-worker", *workers)

    sales = service_session(suite, "sales")
    run = uuid.uuid4().hex[:8]
    lead_ids = []
    for n in range(LEADS):
        response = post(
            sales,
            "/api/v1/leads",
            {
                "source": "web_form",
                "contact": {"name": f"Lead {n}", "email": f"lead-{run}-{n}@example.com"},
            },
        )
        assert response.status_code == 201, response.text
        lead_ids.append(response.json()["id"])

    def all_linked():
        leads = get(sales, "/api/v1/leads", params={"limit": 200}).json()["items"]
        linked = {lead["id"]: lead["customer_id"] for lead in leads if lead["customer_id"]}
        return linked if len(linked) == LEADS else None

    linked = wait_for(all_linked, timeout=90, message=f"{LEADS} leads linked to customers")
    assert set(linked) == set(lead_ids)

    # Exactly one customer per lead: none twice, none missing.
    customer = service_session(suite, "customer")
    customers = get(customer, "/api/v1/customers", params={"limit": 200}).json()["items"]
    assert len(customers) == LEADS, suite.group.report()
    assert set(linked.values()) == {c["id"] for c in customers}

    # Each answer was published once, whichever worker's relay sent it.
    answers = drain(amqp_url, "probe.lead-matched")
    assert not duplicates([a["event_id"] for a in answers])
    assert sorted(a["data"]["lead_id"] for a in answers) == sorted(lead_ids)

    # Both workers took part, and between them handled each event exactly once.
    handled = {
        name: counter(
            suite.metrics(name),
            "mms_events_handled",
            event_type="sales.lead.captured",
            outcome="ok",
        )
        for name in workers
    }
    assert all(n > 0 for n in handled.values()), handled
    assert sum(handled.values()) == LEADS, handled
