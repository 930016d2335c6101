"""Products, channels, price lists and exchange rates through the API."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


def test_products_crud_with_etags_and_idempotency(kit, admin, product):
    body = {"sku": "tea-001", "name": "Longjing", "list_price": "24.50", "category": "Tea"}
    first = admin.post("/api/v1/products", json=body, headers={"Idempotency-Key": "k1"})
    assert first.status_code == 201
    replay = admin.post("/api/v1/products", json=body, headers={"Idempotency-Key": "k1"})
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.get_json()["id"] == first.get_json()["id"]
    duplicate = admin.post("/api/v1/products", json={**body, "sku": "TEA-001"})
    assert duplicate.status_code == 409
    item = first.get_json()
    assert item["list_price"] == kit.money("24.50") and item["unit"] == "unit"
    path = f"/api/v1/products/{item['id']}"

    assert admin.patch(path, json={"name": "x"}).status_code == 428
    assert admin.patch(path, json={"name": "x"}, headers={"If-Match": '"9"'}).status_code == 412
    changed = admin.patch(path, json={"active": False}, headers={"If-Match": '"1"'})
    assert changed.status_code == 200 and changed.headers["ETag"] == '"2"'
    assert changed.get_json()["active"] is False
    updated = kit.outbox("sales.product.updated")[-1]["data"]
    assert updated["changed_fields"] == ["active"] and updated["revision"] == 2

    product(sku="COF-1", category="Coffee")
    listing = admin.get("/api/v1/products?category=Tea").get_json()
    assert [p["sku"] for p in listing["items"]] == ["tea-001"]
    categories = admin.get("/api/v1/products/categories").get_json()
    assert {c["category"]: c["active_products"] for c in categories} == {"Coffee": 1, "Tea": 0}


def test_product_list_pages_with_a_cursor(admin, product):
    for i in range(5):
        product(sku=f"P{i}", name=f"Product {i}")
    seen, cursor = [], None
    while True:
        url = "/api/v1/products?limit=2&sort=sku" + (f"&cursor={cursor}" if cursor else "")
        page = admin.get(url).get_json()
        seen += [p["sku"] for p in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ["P0", "P1", "P2", "P3", "P4"]


def test_channels_and_price_lists_decide_the_price(kit, admin, product, add_customer):
    tea = product(sku="TEA", price="20.00")
    dist = admin.post(
        "/api/v1/channels",
        json={"kind": "distributor", "name": "East", "code": "D-E", "region": "CN-East",
              "partner_name": "Huadong", "commission_rate": "0.08"},
    )  # fmt: skip
    assert dist.status_code == 201, dist.get_json()
    channel = dist.get_json()
    assert admin.post("/api/v1/channels", json={"kind": "direct", "name": "x", "code": "D-E"})
    lists = admin.post(
        "/api/v1/price-lists",
        json={"name": "Distributors", "channel_id": channel["id"],
              "items": [{"product_id": tea["id"], "unit_price": "16.00"},
                        {"product_id": tea["id"], "unit_price": "15.00", "min_quantity": "100"}]},
    )  # fmt: skip
    assert lists.status_code == 201, lists.get_json()
    admin.post(
        "/api/v1/price-lists",
        json={"name": "Gold", "customer_tier": "gold",
              "items": [{"product_id": tea["id"], "unit_price": "18.00"}]},
    )  # fmt: skip
    gold = add_customer(attributes={"tier": "gold"})

    def price(**params):
        query = "&".join(f"{k}={v}" for k, v in {"product_id": tea["id"], **params}.items())
        response = admin.get(f"/api/v1/price-lists/price?{query}")
        assert response.status_code == 200, response.get_json()
        return response.get_json()["unit_price"]["amount"]

    assert price() == "20.00"
    assert price(channel_id=channel["id"]) == "16.00"
    assert price(channel_id=channel["id"], quantity="150") == "15.00"
    assert price(customer_id=gold) == "18.00"
    assert (
        admin.get(f"/api/v1/price-lists/price?product_id={tea['id']}&currency=USD").status_code
        == 422
    )

    order = admin.post(
        "/api/v1/orders",
        json={"customer_id": gold, "channel_id": channel["id"],
              "lines": [{"product_id": tea["id"], "quantity": "100"}]},
    )  # fmt: skip
    assert order.status_code == 201, order.get_json()
    body = order.get_json()
    assert body["channel"] == "distributor" and body["region"] == "CN-East"
    assert body["lines"][0]["unit_price"] == kit.money("15.00")
    assert body["lines"][0]["price_source"] == "price_list"

    listing = admin.get(f"/api/v1/price-lists?product_id={tea['id']}").get_json()
    assert len(listing["items"]) == 2 and listing["items"][0]["items"]
    changed = admin.patch(
        f"/api/v1/price-lists/{lists.get_json()['id']}",
        json={"items": [{"product_id": tea["id"], "unit_price": "14.00"}]},
        headers={"If-Match": '"1"'},
    )
    assert changed.status_code == 200 and len(changed.get_json()["items"]) == 1
    assert kit.outbox("sales.price_list.updated")[-1]["data"]["items"][0]["unit_price"] == (
        kit.money("14.00")
    )


def test_fx_rates_are_history(kit, admin, caller):
    rep = caller("sales_rep", scopes=("products:read",))
    body = {"currency": "USD", "rate": "0.921500", "effective_from": "2026-01-01T00:00:00Z"}
    assert rep.post("/api/v1/fx-rates", json=body).status_code == 403
    assert admin.post("/api/v1/fx-rates", json=body).status_code == 201
    assert admin.post("/api/v1/fx-rates", json=body).status_code == 409
    later = {**body, "rate": "0.95", "effective_from": "2026-06-01T00:00:00Z"}
    assert admin.post("/api/v1/fx-rates", json=later).status_code == 201
    assert admin.post("/api/v1/fx-rates", json={**body, "rate": "1.1234567"}).status_code == 422
    assert admin.post("/api/v1/fx-rates", json={**body, "currency": "EUR"}).status_code == 422

    def convert(at):
        return rep.get(f"/api/v1/fx-rates/convert?amount=100&currency=USD&at={at}").get_json()

    assert convert("2026-03-01T00:00:00Z")["base_amount"] == kit.money("92.15")
    assert convert("2026-07-01T00:00:00Z")["base_amount"] == kit.money("95.00")
    missing = rep.get("/api/v1/fx-rates/convert?amount=1&currency=USD&at=2025-01-01T00:00:00Z")
    assert missing.status_code == 422
    assert missing.get_json()["error"]["code"] == "fx_rate_missing"
    assert rep.get("/api/v1/fx-rates?currency=USD").get_json()["items"][0]["rate"] == "0.95"
    assert kit.outbox("sales.fx_rate.set")[0]["data"]["rate"] == "0.9215"
