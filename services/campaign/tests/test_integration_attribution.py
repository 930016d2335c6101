"""Attribution from sales events, costs and ROI, end to end through handlers and the API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from servicekit.uow import DuplicateEvent

pytestmark = pytest.mark.integration


def iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


class Orders:
    def __init__(self, feed):
        self.feed = feed
        self.revisions: dict[str, int] = {}

    def _rev(self, order_id):
        self.revisions[order_id] = self.revisions.get(order_id, 0) + 1
        return self.revisions[order_id]

    def placed(self, order_id, customer_id, placed_at, *, utm=None, coupon=None, total="90.00"):
        money = {"amount": total, "currency": "EUR"}
        return self.feed.event(
            "sales.order.placed",
            {
                "order_id": order_id,
                "number": "SO-1",
                "customer_id": customer_id,
                "channel": "online_store",
                "lines": [],
                "subtotal": money,
                "discount_total": {"amount": "0", "currency": "EUR"},
                "tax_total": {"amount": "0", "currency": "EUR"},
                "total": money,
                "base_total": money,
                "fx_rate": "1",
                "coupon_code": coupon["code"] if coupon else None,
                "coupon_id": coupon["id"] if coupon else None,
                "utm": utm,
                "placed_at": iso(placed_at),
                "revision": self._rev(order_id),
            },
        )

    def paid(
        self,
        order_id,
        customer_id,
        placed_at,
        *,
        total="90.00",
        coupon=None,
        event_id=None,
        revision=None,
    ):
        money = {"amount": total, "currency": "EUR"}
        return self.feed.event(
            "sales.order.paid",
            {
                "order_id": order_id,
                "customer_id": customer_id,
                "total": money,
                "base_total": money,
                "coupon_id": coupon["id"] if coupon else None,
                "coupon_code": coupon["code"] if coupon else None,
                "channel": "online_store",
                "placed_at": iso(placed_at),
                "paid_at": iso(placed_at + timedelta(minutes=5)),
                "revision": revision or self._rev(order_id),
            },
            event_id=event_id,
        )

    def returned(self, order_id, customer_id, amount):
        money = {"amount": amount, "currency": "EUR"}
        return self.feed.event(
            "sales.order.returned",
            {
                "order_id": order_id,
                "customer_id": customer_id,
                "return_id": str(uuid.uuid4()),
                "full": False,
                "lines": [],
                "amount": money,
                "base_amount": money,
                "returned_at": iso(datetime.now(UTC)),
                "revision": self._rev(order_id),
            },
        )

    def cancelled(self, order_id, customer_id):
        money = {"amount": "90.00", "currency": "EUR"}
        return self.feed.event(
            "sales.order.cancelled",
            {
                "order_id": order_id,
                "customer_id": customer_id,
                "total": money,
                "base_total": money,
                "was_paid": True,
                "cancelled_at": iso(datetime.now(UTC)),
                "revision": self._rev(order_id),
            },
        )


@pytest.fixture
def orders(feed):
    return Orders(feed)


def campaign(admin, name, utm, **extra):
    response = admin.post(
        "/api/v1/campaigns",
        json={"name": name, "channel": "social", "utm_campaign": utm, **extra},
    )
    assert response.status_code == 201, response.json
    return response.json


def visit(admin, utm, when, **who):
    response = admin.post(
        "/api/v1/touchpoints",
        json={
            "source": "wechat",
            "medium": "social",
            "campaign": utm,
            "occurred_at": iso(when),
            **who,
        },
    )
    assert response.status_code == 201, response.json
    return response.json


def test_touchpoint_models_returns_and_cancellation(admin, feed, orders, outbox):
    a = campaign(admin, "Spring A", "spring-a")
    b = campaign(admin, "Spring B", "spring-b")
    customer = feed.customer(email="buyer@example.com")
    placed = datetime.now(UTC) - timedelta(hours=1)
    visit(admin, "spring-b", placed - timedelta(days=10), customer_id=customer)
    tp = visit(admin, "Spring-A", placed - timedelta(days=2), customer_id=customer)
    assert tp["campaign_id"] == a["id"]
    visit(admin, "spring-b", placed - timedelta(days=45), customer_id=customer)  # too old
    order_id = str(uuid.uuid4())
    orders.placed(order_id, customer, placed)
    assert outbox("campaign.attribution.recorded") == []  # not paid yet
    paid = orders.paid(order_id, customer, placed)
    (recorded,) = outbox("campaign.attribution.recorded")
    assert recorded["method"] == "touchpoint" and recorded["revision"] == 1
    rows = {
        (r["model"], r["campaign_id"]): (r["share"], r["revenue"]["amount"])
        for r in recorded["attributions"]
    }
    assert rows == {
        ("last_touch", a["id"]): ("1", "90.00"),
        ("first_touch", b["id"]): ("1", "90.00"),
        ("linear", b["id"]): ("0.500000", "45.00"),
        ("linear", a["id"]): ("0.500000", "45.00"),
    }
    # The same event again is absorbed by the inbox; a re-sent copy changes nothing.
    with pytest.raises(DuplicateEvent):
        orders.paid(order_id, customer, placed, event_id=paid.event_id, revision=2)
    orders.paid(order_id, customer, placed, revision=2)
    assert len(outbox("campaign.attribution.recorded")) == 1

    report = admin.get(f"/api/v1/campaigns/{a['id']}/report").json
    assert report["totals"]["conversions"] == 1 and report["totals"]["revenue"] == "90.00"
    assert report["not_via_message"] == {"conversions": 1, "revenue": "90.00"}
    first = admin.get(f"/api/v1/campaigns/{a['id']}/report?model=first_touch").json
    assert first["totals"]["conversions"] == 0
    linear = admin.get(f"/api/v1/campaigns/{b['id']}/report?model=linear").json
    assert linear["totals"]["revenue"] == "45.00"
    (row,) = admin.get(f"/api/v1/campaigns/{b['id']}/attributions?model=linear").json["items"]
    assert (row["order_id"], row["share"], row["revenue"]) == (order_id, "0.500000", "45.00")
    assert admin.get(f"/api/v1/campaigns/{b['id']}/attributions").json["items"] == []

    orders.returned(order_id, customer, "30.00")
    latest = outbox("campaign.attribution.recorded")[-1]
    assert latest["revision"] == 2 and latest["revenue"]["amount"] == "60.00"
    assert admin.get(f"/api/v1/campaigns/{a['id']}/report").json["totals"]["revenue"] == "60.00"

    orders.cancelled(order_id, customer)
    latest = outbox("campaign.attribution.recorded")[-1]
    assert latest["status"] == "reversed" and latest["revenue"]["amount"] == "0.00"
    assert {r["revenue"]["amount"] for r in latest["attributions"]} == {"0.00"}
    assert admin.get(f"/api/v1/campaigns/{a['id']}/report").json["totals"]["revenue"] == "0.00"


def test_coupon_wins_and_roi_uses_costs(admin, feed, orders, outbox):
    a = campaign(admin, "Coupon campaign", "coupon-camp")
    other = campaign(admin, "Other", "other-camp")
    coupon = admin.post(
        "/api/v1/coupons",
        json={
            "name": "C",
            "mode": "shared",
            "code": "SAVE5",
            "discount_kind": "percent",
            "value": "5",
            "campaign_id": a["id"],
        },
    ).json
    customer = feed.customer(email="c@example.com")
    placed = datetime.now(UTC) - timedelta(minutes=30)
    visit(admin, "other-camp", placed - timedelta(days=1), customer_id=customer)
    order_id = str(uuid.uuid4())
    orders.paid(order_id, customer, placed, total="150.00", coupon=coupon)
    (recorded,) = outbox("campaign.attribution.recorded")
    assert recorded["method"] == "coupon"
    assert {r["campaign_id"] for r in recorded["attributions"]} == {a["id"]}
    cost = admin.post(
        f"/api/v1/campaigns/{a['id']}/costs",
        json={"category": "media", "amount": {"amount": "100.00", "currency": "EUR"}},
    )
    assert cost.status_code == 201, cost.json
    report = admin.get(f"/api/v1/campaigns/{a['id']}/report").json
    assert report["totals"]["cost"] == "100.00" and report["totals"]["roi"] == "0.5000"
    none_spent = admin.get(f"/api/v1/campaigns/{other['id']}/report").json
    assert none_spent["totals"]["roi"] is None


def test_anonymous_visits_count_once_the_visitor_is_linked(admin, feed, orders, outbox):
    a = campaign(admin, "Anon", "anon-camp")
    customer = feed.customer(email="anon@example.com")
    placed = datetime.now(UTC) - timedelta(minutes=10)
    visit(admin, "anon-camp", placed - timedelta(days=3), anonymous_id="cookie-123")
    linked = admin.post(
        "/api/v1/touchpoints/link", json={"anonymous_id": "cookie-123", "customer_id": customer}
    )
    assert linked.status_code == 200 and linked.json["touchpoints"] == 1
    later = visit(admin, "anon-camp", placed - timedelta(days=1), anonymous_id="cookie-123")
    assert later["customer_id"] == customer  # known from then on
    orders.paid(str(uuid.uuid4()), customer, placed)
    (recorded,) = outbox("campaign.attribution.recorded")
    assert {r["campaign_id"] for r in recorded["attributions"]} == {a["id"]}
    listed = admin.get(f"/api/v1/touchpoints?customer_id={customer}").json["items"]
    assert len(listed) == 2
    other = feed.customer(email="other@example.com")
    clash = admin.post(
        "/api/v1/touchpoints/link", json={"anonymous_id": "cookie-123", "customer_id": other}
    )
    assert clash.status_code == 422


def test_order_utm_tags_are_a_touchpoint_and_late_placed_events_reattribute(
    admin, feed, orders, outbox
):
    a = campaign(admin, "Newsletter", "newsletter-1")
    customer = feed.customer(email="late@example.com")
    placed = datetime.now(UTC) - timedelta(minutes=10)
    order_id = str(uuid.uuid4())
    orders.revisions[order_id] = 1  # paid (revision 2) overtakes placed (revision 1)
    orders.paid(order_id, customer, placed)
    assert outbox("campaign.attribution.recorded") == []
    orders.revisions[order_id] = 0
    orders.placed(
        order_id,
        customer,
        placed,
        utm={"source": "newsletter", "medium": "email", "campaign": "newsletter-1"},
    )
    (recorded,) = outbox("campaign.attribution.recorded")
    assert {r["campaign_id"] for r in recorded["attributions"]} == {a["id"]}
    kinds = [tp["kind"] for tp in outbox("campaign.touchpoint.recorded")]
    assert kinds == ["order"]


def test_costs_convert_currencies_and_warn_once_over_budget(admin, feed, outbox):
    a = campaign(admin, "Budgeted", "budgeted", budget={"amount": "1000.00", "currency": "EUR"})
    path = f"/api/v1/campaigns/{a['id']}/costs"
    no_rate = admin.post(
        path, json={"category": "media", "amount": {"amount": "100", "currency": "JPY"}}
    )
    assert no_rate.status_code == 422 and "fx_rate" in no_rate.json["error"]["message"]
    feed.event(
        "sales.fx_rate.set",
        {
            "fx_rate_id": str(uuid.uuid4()),
            "currency": "CNY",
            "base_currency": "EUR",
            "rate": "0.128500",
            "effective_from": iso(datetime.now(UTC) - timedelta(days=1)),
            "created_at": iso(datetime.now(UTC)),
        },
    )
    wechat = admin.post(
        path,
        json={
            "category": "media",
            "description": "WeChat ads",
            "amount": {"amount": "8000.00", "currency": "CNY"},
        },
    )
    assert wechat.status_code == 201, wechat.json
    assert wechat.json["base_amount"] == {"amount": "1028.00", "currency": "EUR"}
    assert Decimal(wechat.json["fx_rate"]) == Decimal("0.1285")  # sales' rate of the day
    given = admin.post(
        path,
        json={
            "category": "fees",
            "fx_rate": "0.92",
            "amount": {"amount": "10.00", "currency": "USD"},
        },
    )
    assert given.json["base_amount"]["amount"] == "9.20"
    (exceeded,) = outbox("campaign.budget.exceeded")
    assert exceeded["exceeded_by"] == {"amount": "28.00", "currency": "EUR"}
    assert exceeded["cost_id"] == wechat.json["id"]
    recorded = outbox("campaign.cost.recorded")
    assert [r["spend"]["amount"] for r in recorded] == ["1028.00", "1037.20"]
    view = admin.get(f"/api/v1/campaigns/{a['id']}").json
    assert view["spend"]["amount"] == "1037.20" and view["budget_burn"] == "1.0372"
    assert admin.delete(f"{path}/{wechat.json['id']}").status_code == 204
    assert outbox("campaign.cost.removed")[0]["spend"]["amount"] == "9.20"
    assert admin.get(f"/api/v1/campaigns/{a['id']}").json["budget_exceeded_at"] is None
    assert len(admin.get(path).json["items"]) == 1
    assert admin.delete(f"{path}/{wechat.json['id']}").status_code == 404


def test_revenue_per_variant_follows_the_message_received(
    admin, feed, orders, email_campaign, send_job, outbox
):
    segment = feed.segment()
    customer = feed.customer(email="v@example.com", segments=(segment,))
    camp = email_campaign([segment], utm_campaign="variant-camp")
    send_job()
    placed = datetime.now(UTC)
    visit(admin, "variant-camp", placed - timedelta(hours=1), customer_id=customer)
    orders.paid(str(uuid.uuid4()), customer, placed, total="40.00")
    report = admin.get(f"/api/v1/campaigns/{camp['id']}/report").json
    assert report["variants"][0]["revenue"] == "40.00"
    assert report["variants"][0]["conversions"] == 1
    assert report["totals"]["rates"]["conversion"] == "1.0000"


def test_touchpoints_reported_late_still_attribute_earlier_orders(admin, feed, orders, outbox):
    a = campaign(admin, "Late", "late-camp")
    customer = feed.customer(email="late-tp@example.com")
    placed = datetime.now(UTC) - timedelta(hours=2)
    orders.paid(str(uuid.uuid4()), customer, placed)
    assert outbox("campaign.attribution.recorded") == []
    visit(admin, "late-camp", placed - timedelta(hours=3), anonymous_id="late-cookie")
    assert outbox("campaign.attribution.recorded") == []  # not known to be this customer yet
    admin.post(
        "/api/v1/touchpoints/link", json={"anonymous_id": "late-cookie", "customer_id": customer}
    )
    (recorded,) = outbox("campaign.attribution.recorded")
    assert {r["campaign_id"] for r in recorded["attributions"]} == {a["id"]}
    visit(admin, "late-camp", placed + timedelta(minutes=30), customer_id=customer)
    assert len(outbox("campaign.attribution.recorded")) == 1  # after the order: no change
