"""What other services tell sales: the customer replica (revisions, merges, erasure), coupon
rules and codes, linked leads and approved returns."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from event_contracts import golden_samples
from sales_service.adapters import tables as t
from sales_service.integration.incoming import registry
from servicekit.consumer import Reject, handle_envelope
from servicekit.uow import DuplicateEvent

pytestmark = pytest.mark.integration


def replica(rt, customer_id):
    with rt.db.session() as session:
        return session.execute(select(t.customers).where(t.customers.c.id == customer_id)).first()


def test_newest_revision_wins_and_duplicates_have_no_effect(kit, rt):
    data = kit.customer_event(name="Old name", revision=2)
    env = kit.deliver("customer.created", data)
    with pytest.raises(DuplicateEvent):
        handle_envelope("sales", env, rt.registry.resolve("customer.created", 1), rt.uow)
    kit.deliver("customer.updated", {**data, "name": "Stale", "revision": 1})
    assert replica(rt, data["customer_id"]).name == "Old name"
    kit.deliver("customer.updated", {**data, "name": "New name", "revision": 3,
                                     "attributes": {"loyalty_tier": "gold"}})  # fmt: skip
    row = replica(rt, data["customer_id"])
    assert (row.name, row.revision, row.tier) == ("New name", 3, "gold")


def test_merge_rekeys_every_sales_record_to_the_survivor(kit, rt, admin, add_customer, product):
    survivor, duplicate = add_customer(), add_customer()
    item = product(price="10.00")
    kit.coupon(code="ONCE", max_per_customer=1)
    order = admin.post(
        "/api/v1/orders",
        json={"customer_id": duplicate, "coupon_code": "ONCE",
              "lines": [{"product_id": item["id"], "quantity": "1"}]},
    ).get_json()  # fmt: skip
    lead = admin.post("/api/v1/leads", json={"source": "x", "customer_id": duplicate}).get_json()
    deal = admin.post(
        "/api/v1/opportunities", json={"name": "D", "customer_id": duplicate}
    ).get_json()
    kit.deliver(
        "customer.merged",
        {"survivor_id": survivor, "merged_ids": [duplicate], "merged_at": "2026-11-26T10:00:00Z",
         "revision": 2},
    )  # fmt: skip
    assert admin.get(f"/api/v1/orders/{order['id']}").get_json()["customer_id"] == survivor
    assert admin.get(f"/api/v1/leads/{lead['id']}").get_json()["customer_id"] == survivor
    assert admin.get(f"/api/v1/opportunities/{deal['id']}").get_json()["customer_id"] == survivor
    assert replica(rt, duplicate).merged_into == survivor
    kit.deliver("customer.updated", kit.customer_event(customer_id=duplicate, revision=9))
    late = replica(rt, duplicate)
    assert (late.status, late.merged_into) == ("merged", survivor)  # a late update never revives
    # An old id still works for new records and means the survivor, limits included.
    again = admin.post(
        "/api/v1/orders",
        json={"customer_id": duplicate, "coupon_code": "ONCE",
              "lines": [{"product_id": item["id"], "quantity": "1"}]},
    )  # fmt: skip
    assert again.get_json()["error"]["details"]["reason"] == "customer_limit"
    listing = admin.get(f"/api/v1/orders?customer_id={survivor}").get_json()["items"]
    assert [o["id"] for o in listing] == [order["id"]]


def test_erasure_drops_personal_details_but_keeps_money(kit, rt, admin, add_customer, product):
    customer = add_customer(name="Mei Lin", kind="person", city="Shanghai")
    lead = admin.post(
        "/api/v1/leads",
        json={"source": "web_form", "contact": {"name": "Mei Lin", "email": "mei@example.com"}},
    ).get_json()
    kit.deliver(
        "customer.lead.matched",
        {"lead_id": lead["id"], "customer_id": customer, "created": False, "matched_on": "email"},
    )
    item = product(price="10.00", tax_rate="0")
    order = admin.post(
        "/api/v1/orders",
        json={"customer_id": customer, "lines": [{"product_id": item["id"], "quantity": "2"}]},
    ).get_json()
    kit.deliver(
        "customer.erased",
        {"customer_id": customer, "erased_at": "2026-11-26T10:00:00Z", "revision": 5},
    )
    row = replica(rt, customer)
    assert row.status == "erased" and row.city is None and row.region == "Shanghai"
    assert "Mei" not in row.name
    scrubbed = admin.get(f"/api/v1/leads/{lead['id']}").get_json()
    assert scrubbed["contact"]["email"] is None and scrubbed["contact"]["name"] == "Erased contact"
    kept = admin.get(f"/api/v1/orders/{order['id']}").get_json()
    assert kept["customer_id"] == customer and kept["total"] == kit.money("20.00")
    refused = admin.post(
        "/api/v1/orders",
        json={"customer_id": customer, "lines": [{"product_id": item["id"], "quantity": "1"}]},
    )
    assert refused.status_code == 422
    kit.deliver("customer.updated", kit.customer_event(customer_id=customer, revision=4))
    assert replica(rt, customer).status == "erased"  # an older update never revives it


def test_codes_may_arrive_before_their_coupon(kit, admin, add_customer, product):
    coupon_id = str(uuid.uuid4())
    kit.deliver(
        "campaign.coupon.codes_issued", {"coupon_id": coupon_id, "batch": 1, "codes": ["EARLY"]}
    )
    kit.deliver("campaign.coupon.codes_issued",
                {"coupon_id": coupon_id, "batch": 1, "codes": ["EARLY"]})  # fmt: skip
    item = product(price="10.00", tax_rate="0")
    body = {"customer_id": add_customer(), "coupon_code": "EARLY",
            "lines": [{"product_id": item["id"], "quantity": "1"}]}  # fmt: skip
    assert admin.post("/api/v1/orders", json=body).status_code == 422
    kit.coupon(coupon_id=coupon_id, mode="unique", code=None, value="50")
    placed = admin.post("/api/v1/orders", json=body)
    assert placed.status_code == 201 and placed.get_json()["total"] == kit.money("5.00")


def delivered_order(admin, customer, product):
    first = product(price="10.00", tax_rate="0")
    second = product(price="4.00", tax_rate="0")
    order = admin.post(
        "/api/v1/orders",
        json={"customer_id": customer,
              "lines": [{"product_id": first["id"], "quantity": "3"},
                        {"product_id": second["id"], "quantity": "1"}]},
    ).get_json()  # fmt: skip
    for action in ("pay", "fulfil", "deliver"):
        admin.post(f"/api/v1/orders/{order['id']}/{action}", json={})
    return order, first, second


def approved(order, lines, full=False, request_id=None):
    return {
        "ticket_id": str(uuid.uuid4()),
        "return_request_id": request_id or str(uuid.uuid4()),
        "order_id": order["id"],
        "customer_id": order["customer_id"],
        "full": full,
        "lines": lines,
        "reason": "damaged",
        "approved_by": None,
        "approved_at": "2026-11-29T10:00:00Z",
    }


def test_approved_returns_are_recorded_once(kit, admin, add_customer, product):
    order, first, _second = delivered_order(admin, add_customer(), product)
    data = approved(order, [{"product_id": first["id"], "quantity": "2"}])
    kit.deliver("support.return.approved", data)
    kit.deliver("support.return.approved", data)  # the same request again, a new event id
    after = admin.get(f"/api/v1/orders/{order['id']}").get_json()
    assert len(after["returns"]) == 1 and after["returned_amount"] == kit.money("20.00")
    assert after["returns"][0]["ticket_id"] == data["ticket_id"]
    event = kit.outbox("sales.order.returned")[0]["data"]
    assert event["return_request_id"] == data["return_request_id"]
    assert event["base_amount"] == kit.money("20.00") and event["full"] is False
    kit.deliver("support.return.approved", approved(order, [], full=True))
    after = admin.get(f"/api/v1/orders/{order['id']}").get_json()
    assert after["status"] == "returned" and after["returned_amount"] == kit.money("34.00")


@pytest.mark.parametrize(
    "make",
    [
        lambda order, first: {**approved(order, []), "order_id": str(uuid.uuid4())},
        lambda order, first: approved(order, [{"product_id": first["id"], "quantity": "4"}]),
        lambda order, first: approved(order, [{"product_id": str(uuid.uuid4()), "quantity": "1"}]),
    ],
    ids=["unknown order", "too many", "unknown product"],
)
def test_impossible_returns_are_rejected_for_an_operator(kit, admin, add_customer, product, make):
    order, first, _ = delivered_order(admin, add_customer(), product)
    with pytest.raises(Reject):
        kit.deliver("support.return.approved", make(order, first))
    assert admin.get(f"/api/v1/orders/{order['id']}").get_json()["returns"] == []


CONSUMED = [(c, s) for c, s in golden_samples() if registry.resolve(c.event_type, c.version)]


def test_sales_consumes_what_the_design_says():
    assert {c.event_type for c, _ in CONSUMED} == {
        "customer.created",
        "customer.updated",
        "customer.merged",
        "customer.erased",
        "customer.lead.matched",
        "campaign.coupon.issued",
        "campaign.coupon.updated",
        "campaign.coupon.codes_issued",
        "support.return.approved",
    }


@pytest.mark.parametrize(("item", "sample"), CONSUMED, ids=lambda v: getattr(v, "event_type", ""))
def test_every_golden_sample_goes_through_its_handler(kit, rt, item, sample):
    """Contract check: each consumed event's golden sample is accepted by the handler."""
    handler = rt.registry.resolve(item.event_type, item.version)
    env = kit.envelope(item.event_type, sample["data"])
    if item.event_type == "support.return.approved":
        with pytest.raises(Reject, match="unknown order"):
            handle_envelope("sales", env, handler, rt.uow)
        return
    handle_envelope("sales", env, handler, rt.uow)
