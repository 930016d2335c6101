"""Coupon limits hold when many orders arrive at the same moment (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from sales_service.adapters import tables as t

pytestmark = pytest.mark.integration


def race(app, headers, bodies):
    """POST every body at once from its own thread; return (status, reason) per body."""
    barrier = threading.Barrier(len(bodies))
    results = [None] * len(bodies)

    def run(i, body):
        client = app.test_client()
        barrier.wait()
        response = client.post("/api/v1/orders", json=body, headers=headers)
        error = (response.get_json() or {}).get("error") or {}
        results[i] = (response.status_code, (error.get("details") or {}).get("reason"))

    threads = [threading.Thread(target=run, args=(i, b)) for i, b in enumerate(bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return Counter(results)


@pytest.fixture
def setup(rt, kit, admin, product, add_customer, minter):
    item = product(price="30.00", tax_rate="0")
    headers = minter.headers(kind="api_key", roles=(), scopes=("orders:write",))

    def body(customer, code):
        return {
            "customer_id": customer,
            "coupon_code": code,
            "lines": [{"product_id": item["id"], "quantity": "1"}],
        }

    return body, headers


def redeemed(rt, coupon_id):
    with rt.db.session() as session:
        counter = session.execute(
            select(t.coupons.c.redeemed).where(t.coupons.c.id == coupon_id)
        ).scalar_one()
        rows = session.execute(
            select(func.count())
            .select_from(t.coupon_redemptions)
            .where(t.coupon_redemptions.c.coupon_id == coupon_id)
        ).scalar_one()
    return counter, rows


def test_total_limit_holds_under_concurrent_orders(rt, app, kit, setup, add_customer):
    body, headers = setup
    coupon = kit.coupon(code="FIVE-ONLY", max_redemptions=5)
    customers = [add_customer() for _ in range(12)]
    outcome = race(app, headers, [body(c, "five-only") for c in customers])
    assert outcome == {(201, None): 5, (422, "exhausted"): 7}
    assert redeemed(rt, coupon["coupon_id"]) == (5, 5)
    assert len(kit.outbox("sales.coupon.redeemed")) == 5


def test_per_customer_limit_holds_under_concurrent_orders(rt, app, kit, setup, add_customer):
    body, headers = setup
    coupon = kit.coupon(code="TWICE", max_per_customer=2, max_redemptions=100)
    customer = add_customer()
    outcome = race(app, headers, [body(customer, "TWICE") for _ in range(8)])
    assert outcome == {(201, None): 2, (422, "customer_limit"): 6}
    # A refused order takes nothing: the total counter saw only the two that went through.
    assert redeemed(rt, coupon["coupon_id"]) == (2, 2)


def test_a_unique_code_is_used_once_under_concurrent_orders(rt, app, kit, setup, add_customer):
    body, headers = setup
    coupon = kit.coupon(code=None, mode="unique")
    kit.deliver(
        "campaign.coupon.codes_issued",
        {"coupon_id": coupon["coupon_id"], "batch": 1, "codes": ["ONE-OF-A-KIND"]},
    )
    customers = [add_customer() for _ in range(6)]
    outcome = race(app, headers, [body(c, "one-of-a-kind") for c in customers])
    assert outcome == {(201, None): 1, (422, "code_used"): 5}
    assert redeemed(rt, coupon["coupon_id"]) == (1, 1)
