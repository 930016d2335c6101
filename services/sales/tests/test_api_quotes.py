"""Quotes through the API: drafting at list prices, revising, sending, accepting into an order,
rejecting, and expiry by the scheduler job."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sales_service.service import quotes as quote_use

pytestmark = pytest.mark.integration


def draft(who, customer, lines, **extra):
    response = who.post("/api/v1/quotes", json={"customer_id": customer, "lines": lines, **extra})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_quote_becomes_an_order_at_the_quoted_prices(kit, admin, product, add_customer):
    customer = add_customer(region="Shanghai")
    tea = product(price="24.50", tax_rate="0.07")
    pot = product(price="65.00", tax_rate="0.19")
    quote = draft(
        admin,
        customer,
        [
            {"product_id": tea["id"], "quantity": "10", "discount_percent": "5"},
            {"product_id": pot["id"], "quantity": "1", "unit_price": "60.00"},
        ],
        valid_until="2099-12-31",
    )
    assert quote["number"].startswith("QT-") and quote["status"] == "draft"
    assert quote["lines"][0]["discount"] == kit.money("12.25")
    assert quote["lines"][1]["price_source"] == "manual"
    assert quote["total"] == kit.money("320.44")  # 232.75 + 16.29 tax, 60.00 + 11.40 tax
    path = f"/api/v1/quotes/{quote['id']}"

    revised = admin.patch(
        path,
        json={"lines": [{"product_id": tea["id"], "quantity": "20"}], "notes": "bigger"},
        headers={"If-Match": '"1"'},
    )
    assert revised.status_code == 200
    assert revised.get_json()["total"] == kit.money("524.30")
    assert kit.outbox("sales.quote.updated")[0]["data"]["changed_fields"] == ["notes", "lines"]

    # The list price rises after the quote went out: the customer still pays the quoted price.
    admin.patch(f"/api/v1/products/{tea['id']}", json={"list_price": "30.00"},
                headers={"If-Match": '"1"'})  # fmt: skip
    assert admin.post(f"{path}/accept", json={}).status_code == 409  # not sent yet
    assert admin.post(f"{path}/send", json={}).get_json()["status"] == "sent"
    assert admin.patch(path, json={"notes": "x"}, headers={"If-Match": '"3"'}).status_code == 409
    accepted = admin.post(f"{path}/accept", json={"notes": "via phone"})
    assert accepted.status_code == 201, accepted.get_json()
    order = accepted.get_json()
    assert order["quote_id"] == quote["id"] and order["total"] == kit.money("524.30")
    assert order["lines"][0]["unit_price"] == kit.money("24.50")
    assert order["region"] == "Shanghai" and order["notes"] == "via phone"
    assert admin.get(path).get_json()["order_id"] == order["id"]
    accepted_event = kit.outbox("sales.quote.accepted")[0]["data"]
    assert accepted_event["order_id"] == order["id"] and accepted_event["status"] == "accepted"
    assert kit.outbox("sales.order.placed")[0]["data"]["quote_id"] == quote["id"]
    assert admin.post(f"{path}/accept", json={}).status_code == 409


def test_reject_and_expire(kit, rt, admin, clock, product, add_customer):
    customer = add_customer()
    item = product(price="5.00")
    lines = [{"product_id": item["id"], "quantity": "1"}]
    rejected = draft(admin, customer, lines)
    admin.post(f"/api/v1/quotes/{rejected['id']}/send", json={})
    response = admin.post(f"/api/v1/quotes/{rejected['id']}/reject", json={"reason": "price"})
    assert response.get_json()["status"] == "rejected"

    valid_until = (clock.now + timedelta(days=3)).date().isoformat()
    expiring = draft(admin, customer, lines, valid_until=valid_until)
    admin.post(f"/api/v1/quotes/{expiring['id']}/send", json={})
    assert quote_use.expire_due(rt.uow, clock.advance(days=3)) == 0
    assert quote_use.expire_due(rt.uow, clock.advance(days=1)) == 1
    assert quote_use.expire_due(rt.uow, clock.now) == 0
    assert admin.get(f"/api/v1/quotes/{expiring['id']}").get_json()["status"] == "expired"
    assert len(kit.outbox("sales.quote.expired")) == 1
    late = admin.post(f"/api/v1/quotes/{expiring['id']}/accept", json={})
    assert late.status_code == 409


def test_quotes_follow_the_opportunity_and_stay_private(admin, caller, product, add_customer):
    customer = add_customer()
    rep = caller("sales_rep", team="east")
    peer = caller("sales_rep", team="east")
    deal = rep.post(
        "/api/v1/opportunities", json={"name": "D", "customer_id": customer, "amount": "10"}
    ).get_json()
    item = product(price="5.00")
    quote = draft(
        rep, customer, [{"product_id": item["id"], "quantity": "1"}], opportunity_id=deal["id"]
    )
    assert quote["owner_id"] == rep.id
    assert peer.get(f"/api/v1/quotes/{quote['id']}").status_code == 404
    assert peer.post(f"/api/v1/quotes/{quote['id']}/send", json={}).status_code == 404
    other = add_customer()
    wrong = rep.post(
        "/api/v1/quotes",
        json={"customer_id": other, "opportunity_id": deal["id"],
              "lines": [{"product_id": item["id"], "quantity": "1"}]},
    )  # fmt: skip
    assert wrong.status_code == 422
    mine = rep.get(f"/api/v1/quotes?opportunity_id={deal['id']}").get_json()["items"]
    assert [q["id"] for q in mine] == [quote["id"]]
