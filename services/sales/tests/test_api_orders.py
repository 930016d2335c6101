"""Orders through the API: placing, the status machine, cancellation, returns, money."""

from __future__ import annotations

from datetime import timedelta

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


def test_multi_currency_keeps_the_original_and_the_rate(kit, admin, add_customer, product):
    customer = add_customer()
    admin.post(
        "/api/v1/fx-rates",
        json={"currency": "USD", "rate": "0.921500", "effective_from": "2020-01-01T00:00:00Z"},
    )
    item = product(price="100.00", tax_rate="0")
    usd = place(admin, customer, [{"product_id": item["id"], "quantity": "1", "unit_price": "80"}],
                currency="USD")  # fmt: skip
    assert usd.status_code == 201, usd.get_json()
    body = usd.get_json()
    assert body["total"] == kit.money("80.00", "USD")
    assert body["base_total"] == kit.money("73.72") and body["fx_rate"] == "0.9215"
    placed = kit.outbox("sales.order.placed")[0]["data"]
    assert placed["fx_rate"] == "0.9215" and placed["base_total"] == kit.money("73.72")
    missing = place(admin, customer, [{"product_id": item["id"], "quantity": "1"}], currency="CNY")
    assert missing.status_code == 422
    error = missing.get_json()["error"]
    assert error["code"] == "fx_rate_missing" and "CNY" in error["message"]
    no_price = place(admin, customer, [{"product_id": item["id"], "quantity": "1"}], currency="USD")
    assert no_price.status_code == 422 and "no USD price" in no_price.get_json()["error"]["message"]


def test_orders_need_known_customers_and_sellable_products(admin, add_customer, product):
    customer = add_customer()
    item = product()
    admin.patch(f"/api/v1/products/{item['id']}", json={"active": False},
                headers={"If-Match": '"1"'})  # fmt: skip
    stopped = place(admin, customer, [{"product_id": item["id"], "quantity": "1"}])
    assert stopped.status_code == 422 and "not sold" in stopped.get_json()["error"]["message"]
    unknown = place(admin, "7b0e6a52-3f7d-4c1e-9a61-2f4f1f0f6d11", [
        {"product_id": product()["id"], "quantity": "1"}])  # fmt: skip
    assert unknown.status_code == 422
    assert unknown.get_json()["error"]["details"] == {"customer_id": ["unknown customer"]}


def test_preview_prices_without_writing(kit, admin, add_customer, product):
    customer = add_customer()
    kit.coupon(code="BIG", min_order={"amount": "100.00", "currency": "EUR"})
    item = product(price="10.00", tax_rate="0.19")
    body = {"customer_id": customer, "lines": [{"product_id": item["id"], "quantity": "3"}],
            "coupon_code": "big"}  # fmt: skip
    preview = admin.post("/api/v1/orders/preview", json=body)
    assert preview.status_code == 200, preview.get_json()
    result = preview.get_json()
    assert result["total"] == kit.money("35.70")
    assert result["coupon"]["valid"] is False and result["coupon"]["reason"] == "below_minimum"
    body["lines"][0]["quantity"] = "10"
    result = admin.post("/api/v1/orders/preview", json=body).get_json()
    assert result["coupon"]["valid"] is True
    assert result["coupon"]["discount"] == kit.money("10.00")
    assert result["total"] == kit.money("107.10")
    assert kit.outbox() == [
        e for e in kit.outbox() if not e["event_type"].startswith("sales.order")
    ]
    first = place(admin, customer, body["lines"])
    assert first.get_json()["number"].endswith("-000001")  # previews take no numbers


def test_coupon_rules_at_order_time(kit, admin, add_customer, product, clock):
    customer = add_customer()
    item = product(price="50.00", tax_rate="0")
    lines = [{"product_id": item["id"], "quantity": "1"}]
    soon = (clock.now + timedelta(days=1)).isoformat()
    past = (clock.now - timedelta(days=1)).isoformat()
    kit.coupon(code="LATER", valid_from=soon)
    kit.coupon(code="GONE", valid_until=past)
    off = kit.coupon(code="OFF", active=True)
    kit.coupon(code="FIVE", discount_kind="amount", value="5.00", currency="EUR")

    def reason(code):
        response = place(admin, customer, lines, coupon_code=code)
        assert response.status_code == 422, response.get_json()
        assert response.get_json()["error"]["code"] == "coupon_rejected"
        return response.get_json()["error"]["details"]["reason"]

    assert reason("LATER") == "not_yet_valid"
    assert reason("GONE") == "expired"
    assert reason("NOPE") == "unknown"
    kit.deliver("campaign.coupon.updated", {**off, "active": False, "revision": 2})
    kit.deliver("campaign.coupon.updated", {**off, "active": True, "revision": 1})  # stale
    assert reason("OFF") == "inactive"
    five = place(admin, customer, lines, coupon_code="FIVE").get_json()
    assert five["total"] == kit.money("45.00") and five["coupon_discount"] == kit.money("5.00")
    redeemed = kit.outbox("sales.coupon.redeemed")[0]["data"]
    assert redeemed["code"] == "FIVE" and redeemed["discount"] == kit.money("5.00")
    assert kit.outbox("sales.order.placed")[0]["data"]["campaign_id"] == redeemed["campaign_id"]


def test_unique_codes_are_single_use_until_released(kit, admin, add_customer, product):
    first, second = add_customer(), add_customer()
    coupon = kit.coupon(mode="unique", code=None)
    codes = {"coupon_id": coupon["coupon_id"], "batch": 1, "codes": ["u-1", "U-2"]}
    kit.deliver("campaign.coupon.codes_issued", codes)
    item = product(price="20.00", tax_rate="0")
    lines = [{"product_id": item["id"], "quantity": "1"}]
    used = place(admin, first, lines, coupon_code="u-1")
    assert used.status_code == 201 and used.get_json()["total"] == kit.money("18.00")
    again = place(admin, second, lines, coupon_code="U-1")
    assert again.get_json()["error"]["details"]["reason"] == "code_used"
    admin.post(f"/api/v1/orders/{used.get_json()['id']}/cancel", json={})
    assert place(admin, second, lines, coupon_code="U-1").status_code == 201


def test_cancel_and_return_rules(kit, admin, add_customer, product):
    customer = add_customer()
    item = product(price="10.00", tax_rate="0")
    order = place(admin, customer, [{"product_id": item["id"], "quantity": "2"}]).get_json()
    path = f"/api/v1/orders/{order['id']}"
    line = order["lines"][0]["line_id"]
    assert admin.post(f"{path}/returns", json={"full": True}).status_code == 409
    admin.post(f"{path}/pay", json={"payment_reference": "PAY-1"})
    admin.post(f"{path}/fulfil", json={"carrier": "DHL", "tracking_number": "123"})
    too_many = admin.post(f"{path}/returns", json={"lines": [{"line_id": line, "quantity": "3"}]})
    assert too_many.status_code == 422 and "only 2" in too_many.get_json()["error"]["message"]
    wrong = admin.post(
        f"{path}/returns", json={"lines": [{"line_id": order["id"], "quantity": "1"}]}
    )
    assert wrong.status_code == 422
    admin.post(f"{path}/deliver", json={})
    assert admin.post(f"{path}/cancel", json={}).status_code == 409
    assert admin.post(f"{path}/pay", json={}).status_code == 409
    fulfilled = kit.outbox("sales.order.fulfilled")[0]["data"]
    assert fulfilled["carrier"] == "DHL" and fulfilled["tracking_number"] == "123"

    paid = place(admin, customer, [{"product_id": item["id"], "quantity": "1"}]).get_json()
    admin.post(f"/api/v1/orders/{paid['id']}/pay", json={})
    cancelled = admin.post(f"/api/v1/orders/{paid['id']}/cancel", json={"reason": "oops"})
    assert cancelled.get_json()["was_paid"] is True
    event = kit.outbox("sales.order.cancelled")[0]["data"]
    assert event["was_paid"] is True and event["previous_status"] == "paid"
    assert event["reason"] == "oops"


def test_order_visibility_and_listing(admin, caller, add_customer, product, clock):
    customer = add_customer()
    item = product()
    rep = caller("sales_rep", team="east")
    agent = caller("support_agent", scopes=("orders:read",))
    analyst = caller("analyst", scopes=("analytics:read",))
    mine = place(rep, customer, [{"product_id": item["id"], "quantity": "1"}]).get_json()
    clock.advance(seconds=1)
    other = place(admin, customer, [{"product_id": item["id"], "quantity": "1"}],
                  owner_id="7b0e6a52-3f7d-4c1e-9a61-2f4f1f0f6d12").get_json()  # fmt: skip
    assert mine["owner_id"] == rep.id
    assert rep.get(f"/api/v1/orders/{other['id']}").status_code == 404
    assert [o["id"] for o in rep.get("/api/v1/orders").get_json()["items"]] == [mine["id"]]
    newest_first = agent.get(f"/api/v1/orders?customer_id={customer}").get_json()["items"]
    assert [o["id"] for o in newest_first] == [other["id"], mine["id"]]
    assert agent.post(f"/api/v1/orders/{mine['id']}/pay", json={}).status_code == 403
    assert analyst.get("/api/v1/orders").status_code == 403
    by_number = admin.get(f"/api/v1/orders?q={mine['number'][-6:]}").get_json()["items"]
    assert [o["id"] for o in by_number] == [mine["id"]]
