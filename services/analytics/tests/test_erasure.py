"""GDPR erasure: personal data leaves the projections and the archived payloads (also when it
arrives after the erasure), anonymous figures stay, and a rebuild does not bring anything back."""

from __future__ import annotations

import json

import pytest
from analytics_test_factories import at, ts
from sqlalchemy import select

from analytics_service.adapters import tables as t
from analytics_service.service.rebuild import rebuild

pytestmark = pytest.mark.integration
CUSTOMER = "e5000000-0000-4000-8000-000000000001"
LEAD = "e5000000-0000-4000-8000-000000000002"
P = "aaaaaaaa-0000-4000-8000-000000000001"


def payloads(rt) -> dict[str, list[dict]]:
    with rt.db.session() as session:
        rows = session.execute(select(t.event_archive.c.event_type, t.event_archive.c.payload))
        found: dict[str, list[dict]] = {}
        for event_type, payload in rows:
            found.setdefault(event_type, []).append(json.loads(payload)["data"])
        return found


def test_erasure_scrubs_projections_and_archive(rt, feed, events):
    profile = dict(
        first_name="Mei",
        last_name="Lin",
        emails=[{"address": "mei@example.com", "label": None, "primary": True}],
        primary_email="mei@example.com",
        city="Shanghai",
    )
    order = events.placed(
        "e5000000-0000-4000-8000-000000000003", CUSTOMER, at("2026-01-05"), [(P, "Tea", 1, "50.00")]
    )
    feed(
        [
            events.customer(CUSTOMER, at("2026-01-01"), name="Mei Lin", country="CN", **profile),
            events.make(
                "sales.lead.captured",
                at("2026-01-01"),
                lead_id=LEAD,
                contact={"name": "Mei Lin", "email": "mei@example.com", "country": "CN"},
            ),
            events.make(
                "customer.lead.matched",
                at("2026-01-01", 11),
                lead_id=LEAD,
                customer_id=CUSTOMER,
                created=False,
            ),
            events.make(
                "customer.interaction.logged",
                at("2026-01-02"),
                customer_id=CUSTOMER,
                outcome="Mei wants a call on her mobile",
                next_step="call Mei",
            ),
            order,
            events.paid(order, at("2026-01-05", 11)),
            events.make("customer.erased", at("2026-02-01"), customer_id=CUSTOMER, revision=5),
            # a late profile update of the erased customer, with personal data again
            events.customer(
                CUSTOMER,
                at("2026-01-20"),
                name="Mei Lin",
                revision=4,
                country="CN",
                event="customer.updated",
                **profile,
            ),
        ]
    )

    def assert_scrubbed():
        found = payloads(rt)
        text = json.dumps(found)
        assert "Mei" not in text and "mei@example.com" not in text, text[:500]
        assert all(p["name"] == "(erased)" for p in found["customer.created"])
        assert all(p["name"] == "(erased)" for p in found["customer.updated"])
        assert found["sales.lead.captured"][0]["contact"]["country"] == "CN"
        with rt.db.session() as session:
            customer = session.execute(
                select(t.customers).where(t.customers.c.customer_id == CUSTOMER)
            ).one()
            assert (customer.status, customer.name, customer.city) == ("erased", None, None)
            assert customer.country == "CN"  # anonymous aggregates stay
            sales = session.execute(
                select(t.customer_sales).where(t.customer_sales.c.customer_id == CUSTOMER)
            ).one()
            assert sales.orders == 1

    assert_scrubbed()
    rebuild(rt.db, rt.uow, batch_size=3)
    assert_scrubbed()


def test_scores_of_an_erased_customer_are_gone(rt, feed, events, analyst):
    feed(
        [
            events.customer(CUSTOMER, at("2026-01-01")),
            events.make(
                "customer.erased",
                at("2026-02-01"),
                customer_id=CUSTOMER,
                revision=2,
                erased_at=ts(at("2026-02-01")),
            ),
        ]
    )
    response = analyst.get(f"/api/v1/analytics/customers/{CUSTOMER}/scores")
    assert response.status_code == 404
