"""Orders through the API: placing, the status machine, cancellation, returns, money."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


def place(admin, customer_id, lines, **extra):
    response = admin.post(
        "/api/v1/orders", json={"customer_id": customer_id, "lines": lines, **extra}
    )
    return response


def test_order_lifecycle_publishes_every_step(kit, admin, add_customer, product):
    customer = add_customer()
    tea = product(sku="TEA-001", price="24.50", tax_rate="0.19", category="Tea")
    response = place(admin, customer, [{"product_id": tea["id"], "quantity": "2"}])
    assert response.status_code == 201, response.get_json()
    order = response.get_json()
    assert order["status"] == "placed"
    assert order["number"].startswith("SO-")
    assert order["subtotal"] == kit.money("49.00")
    assert order["tax_total"] == kit.money("9.31")
    assert order["total"] == kit.money("58.31")
    assert order["base_total"] == kit.money("58.31")
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"] == f"/api/v1/orders/{order['id']}"

    for action, status in (("pay", "paid"), ("fulfil", "fulfilled"), ("deliver", "delivered")):
        response = admin.post(f"/api/v1/orders/{order['id']}/{action}", json={})
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["status"] == status

    line_id = order["lines"][0]["line_id"]
    response = admin.post(
        f"/api/v1/orders/{order['id']}/returns",
        json={"lines": [{"line_id": line_id, "quantity": "1"}], "reason": "damaged"},
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["return"]["amount"] == kit.money("29.16")  # half of 58.31, half-even
    assert body["return"]["full"] is False
    assert body["order"]["status"] == "delivered"

    response = admin.post(f"/api/v1/orders/{order['id']}/returns", json={"full": True})
    assert response.status_code == 201
    body = response.get_json()
    assert body["return"]["amount"] == kit.money("29.15")  # the rest, exactly
    assert body["order"]["returned_amount"] == kit.money("58.31")
    assert body["order"]["status"] == "returned"

    types = [e["event_type"] for e in kit.outbox() if e["event_type"].startswith("sales.order")]
    assert types == [
        "sales.order.placed",
        "sales.order.paid",
        "sales.order.fulfilled",
        "sales.order.delivered",
        "sales.order.returned",
        "sales.order.returned",
    ]
    placed = kit.outbox("sales.order.placed")[0]["data"]
    assert placed["lines"][0]["tax"] == kit.money("9.31")
    assert placed["lines"][0]["category"] == "Tea"


def test_coupon_applies_and_cancel_releases_it(kit, admin, add_customer, product):
    customer = add_customer()
    kit.coupon(code="spring10", max_per_customer=1)
    item = product(price="24.50", tax_rate="0.19")
    response = place(
        admin, customer, [{"product_id": item["id"], "quantity": "2"}], coupon_code=" Spring10 "
    )
    assert response.status_code == 201, response.get_json()
    order = response.get_json()
    assert order["coupon_code"] == "SPRING10"
    assert order["discount_total"] == kit.money("4.90")
    assert order["lines"][0]["line_total"] == kit.money("44.10")
    assert order["total"] == kit.money("52.48")  # the golden sample's arithmetic
    again = place(
        admin, customer, [{"product_id": item["id"], "quantity": "2"}], coupon_code="SPRING10"
    )
    assert again.status_code == 422
    assert again.get_json()["error"]["details"]["reason"] == "customer_limit"

    response = admin.post(f"/api/v1/orders/{order['id']}/cancel", json={"reason": "changed mind"})
    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled"
    released = kit.outbox("sales.coupon.released")
    assert len(released) == 1 and released[0]["data"]["order_id"] == order["id"]
    third = place(
        admin, customer, [{"product_id": item["id"], "quantity": "2"}], coupon_code="SPRING10"
    )
    assert third.status_code == 201, third.get_json()
