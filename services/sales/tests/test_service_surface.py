"""The service as a whole: every sales contract is produced by some use case, the demo data
loads once, the OpenAPI document and health answer."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from event_contracts import all_contracts
from sales_service.adapters import tables as t
from sales_service.entrypoints.demo import seed
from sales_service.service import contracts as contract_use
from sales_service.service import quotes as quote_use
from sales_service.service import tasks as task_use

pytestmark = pytest.mark.integration


def test_every_sales_contract_is_produced(kit, rt, admin, clock, product, add_customer):
    """A working day touching every feature; each published event was checked against its
    contract on commit, and none of the sales contracts goes unused."""
    rep = str(uuid.uuid4())
    customer = add_customer(owner_id=rep, owner_team="east")
    kit.coupon(code="DAY")

    channel = admin.post("/api/v1/channels", json={"kind": "online_store", "name": "Web"})
    admin.patch(f"/api/v1/channels/{channel.get_json()['id']}", json={"region": "EU"},
                headers={"If-Match": '"1"'})  # fmt: skip
    item = product(price="10.00")
    admin.patch(f"/api/v1/products/{item['id']}", json={"name": "Tea"}, headers={"If-Match": '"1"'})
    plist = admin.post("/api/v1/price-lists", json={"name": "P", "items": []}).get_json()
    admin.patch(f"/api/v1/price-lists/{plist['id']}", json={"active": False},
                headers={"If-Match": '"1"'})  # fmt: skip
    admin.post("/api/v1/fx-rates", json={"currency": "USD", "rate": "0.9"})
    rule = admin.post(
        "/api/v1/leads/assignment-rules",
        json={"name": "R", "strategy": "round_robin", "reps": [{"user_id": rep}]},
    ).get_json()
    rule_path = f"/api/v1/leads/assignment-rules/{rule['id']}"
    admin.patch(rule_path, json={"priority": 5}, headers={"If-Match": '"1"'})
    admin.delete(rule_path)

    web = admin.post("/api/v1/leads", json={"source": "web", "contact": {
        "name": "N", "email": "n@example.com"}}).get_json()  # fmt: skip
    kit.deliver("customer.lead.matched",
                {"lead_id": web["id"], "customer_id": customer, "created": False})  # fmt: skip
    admin.post(f"/api/v1/leads/{web['id']}/assign", json={"owner_id": rep})
    admin.post(f"/api/v1/leads/{web['id']}/work")
    admin.post(f"/api/v1/leads/{web['id']}/qualify")
    deal = admin.post(f"/api/v1/leads/{web['id']}/convert", json={"amount": "100"}).get_json()[
        "opportunity"
    ]
    other = admin.post("/api/v1/leads", json={"source": "x", "customer_id": customer}).get_json()
    admin.post(f"/api/v1/leads/{other['id']}/disqualify", json={"reason": "no"})

    pipeline = admin.get(f"/api/v1/pipelines/{deal['pipeline_id']}").get_json()
    admin.patch(f"/api/v1/pipelines/{pipeline['id']}", json={"name": "Renamed"},
                headers={"If-Match": f'"{pipeline["version"]}"'})  # fmt: skip
    deal_path = f"/api/v1/opportunities/{deal['id']}"
    admin.patch(deal_path, json={"next_step": "call"}, headers={"If-Match": '"1"'})
    admin.post(f"{deal_path}/move", json={"stage_id": pipeline["stages"][1]["id"]})
    admin.post(f"{deal_path}/lose", json={"reason": "price"})
    admin.post(f"{deal_path}/reopen", json={})
    admin.post(f"{deal_path}/win", json={})

    lines = [{"product_id": item["id"], "quantity": "2"}]
    quotes = [admin.post("/api/v1/quotes", json={"customer_id": customer, "lines": lines,
              "valid_until": (clock.now + timedelta(days=1)).date().isoformat()}).get_json()
              for _ in range(3)]  # fmt: skip
    admin.patch(
        f"/api/v1/quotes/{quotes[0]['id']}", json={"notes": "n"}, headers={"If-Match": '"1"'}
    )
    for quote in quotes:
        admin.post(f"/api/v1/quotes/{quote['id']}/send", json={})
    admin.post(f"/api/v1/quotes/{quotes[1]['id']}/reject", json={})
    order = admin.post(f"/api/v1/quotes/{quotes[0]['id']}/accept", json={}).get_json()
    for action in ("pay", "fulfil", "deliver"):
        admin.post(f"/api/v1/orders/{order['id']}/{action}", json={})
    admin.post(f"/api/v1/orders/{order['id']}/returns", json={"full": True})
    coupon_order = admin.post("/api/v1/orders", json={"customer_id": customer, "lines": lines,
                                                      "coupon_code": "DAY"}).get_json()  # fmt: skip
    admin.post(f"/api/v1/orders/{coupon_order['id']}/cancel", json={})

    contract = admin.post("/api/v1/contracts", json={
        "customer_id": customer, "title": "C", "start_date": clock.now.date().isoformat(),
        "end_date": (clock.now + timedelta(days=20)).date().isoformat(), "value": "100"},
    ).get_json()  # fmt: skip
    path = f"/api/v1/contracts/{contract['id']}"
    admin.patch(path, json={"title": "C2"}, headers={"If-Match": '"1"'})
    admin.post(f"{path}/sign", json={})
    contract_use.send_renewal_reminders(rt.uow, clock.now)
    renewal = admin.post(f"{path}/renew", json={}).get_json()["renewal"]
    admin.post(f"/api/v1/contracts/{renewal['id']}/terminate", json={"reason": "r"})
    short = admin.post("/api/v1/contracts", json={
        "customer_id": customer, "title": "S", "start_date": clock.now.date().isoformat(),
        "end_date": clock.now.date().isoformat(), "value": "1"}).get_json()  # fmt: skip
    admin.post(f"/api/v1/contracts/{short['id']}/sign", json={})

    goal = {"subject": "team", "team": "east", "period": "2026-11", "metric": "orders",
            "value": "3"}  # fmt: skip
    target = admin.post("/api/v1/targets", json=goal).get_json()
    admin.delete(f"/api/v1/targets/{target['id']}")
    task = admin.post("/api/v1/tasks", json={"kind": "call", "subject": "s",
                      "due_at": clock.now.isoformat()}).get_json()  # fmt: skip
    admin.patch(f"/api/v1/tasks/{task['id']}", json={"subject": "t"}, headers={"If-Match": '"1"'})
    task_use.remind_due(rt.uow, clock.now)
    admin.post(f"/api/v1/tasks/{task['id']}/complete", json={})
    other_task = admin.post("/api/v1/tasks", json={"kind": "visit", "subject": "v"}).get_json()
    admin.post(f"/api/v1/tasks/{other_task['id']}/cancel", json={})

    clock.advance(days=2)
    quote_use.expire_due(rt.uow, clock.now)
    contract_use.expire_ended(rt.uow, clock.now)

    produced = {e["event_type"] for e in kit.outbox()}
    expected = {c.event_type for c in all_contracts() if c.producer == "sales"}
    assert expected - produced == set()


def test_demo_data_loads_once_with_and_without_customers(kit, rt, add_customer):
    seed(rt)  # empty replica: web-form leads with inline contacts
    with rt.db.session() as session:
        assert session.execute(select(func.count()).select_from(t.products)).scalar_one() == 10
        assert session.execute(select(func.count()).select_from(t.leads)).scalar_one() == 5
    assert len(kit.outbox("sales.lead.captured")) == 5
    seed(rt)
    with rt.db.session() as session:
        assert session.execute(select(func.count()).select_from(t.products)).scalar_one() == 10
        assert session.execute(select(func.count()).select_from(t.leads)).scalar_one() == 5


def test_demo_data_uses_the_replicated_customers(rt, add_customer):
    for i in range(6):
        add_customer(name=f"Customer {i}", owner_id=str(uuid.uuid4()), owner_team="east")
    seed(rt)
    with rt.db.session() as session:
        counts = {
            table.name: session.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (t.leads, t.opportunities, t.quotes, t.orders, t.contracts, t.tasks)
        }
    assert counts["leads"] == 6 and counts["opportunities"] == 4 and counts["orders"] >= 4
    assert counts["quotes"] == 4 and counts["contracts"] >= 1 and counts["tasks"] >= 4
    seed(rt)
    with rt.db.session() as session:
        assert session.execute(select(func.count()).select_from(t.leads)).scalar_one() == 6


def test_openapi_and_health(client):
    spec = client.get("/openapi.json")
    assert spec.status_code == 200
    paths = spec.get_json()["paths"]
    for path in ("/api/v1/orders", "/api/v1/leads/assignment-rules", "/api/v1/forecasts",
                 "/api/v1/fx-rates", "/api/v1/orders/{order_id}/returns"):  # fmt: skip
        assert path in paths, path

    def bounds(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("minimum", "maximum"):
                    yield value
                yield from bounds(value)
        elif isinstance(node, list):
            for value in node:
                yield from bounds(value)

    # Fuzzers reject a document whose bounds are not numbers (Decimal bounds print as text).
    assert all(isinstance(b, int | float) for b in bounds(spec.get_json()))
    assert client.get("/health/ready").status_code == 200
    assert client.get("/health/live").get_json()["service"] == "sales"
