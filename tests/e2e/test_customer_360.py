"""The customer 360 the gateway composes from every service, whole and with a service down."""

from __future__ import annotations

import pytest

from servicekit.testing import wait_for

pytestmark = pytest.mark.e2e


def _three_sixty(admin, customer_id):
    return admin.ok("GET", f"/api/v1/customers/{customer_id}/360")


def test_the_360_shows_every_department_and_names_a_missing_one(api, shop, suite):
    admin = api.admin
    customer = shop.customer(name="Ines Ortega", first_name="Ines", consent=True)
    product = shop.product(price="12.00")
    shop.known_to_sales(customer["id"], product["id"])
    order = shop.order(customer["id"], product["id"], quantity="3")
    admin.ok("POST", f"/api/v1/orders/{order['id']}/pay", json={})
    deal = admin.ok(
        "POST",
        "/api/v1/opportunities",
        json={"name": "Office tea subscription", "customer_id": customer["id"], "amount": "900"},
    )
    ticket = shop.ticket(customer["id"], subject="Where is my parcel?")
    campaign = shop.send_campaign([customer["id"]])

    def complete():
        body = _three_sixty(admin, customer["id"])
        return (
            body["open_opportunities"]
            and body["recent_orders"]
            and body["open_tickets"]
            and body["messages"]
            and body["scores"]
            and body
        )

    body = wait_for(complete, timeout=45, message="every section of the 360 filled")
    assert body["missing"] == []
    assert body["profile"]["id"] == customer["id"]
    assert body["profile"]["name"] == "Ines Ortega"
    assert [o["id"] for o in body["recent_orders"]] == [order["id"]]
    assert body["recent_orders"][0]["status"] == "paid"
    assert [d["id"] for d in body["open_opportunities"]] == [deal["id"]]
    assert [t["id"] for t in body["open_tickets"]] == [ticket["id"]]
    assert [m["campaign_id"] for m in body["messages"]] == [campaign["id"]]
    assert body["messages"][0]["status"] == "delivered"
    assert body["scores"]["customer_id"] == customer["id"]
    assert body["touchpoints"] == [] or isinstance(body["touchpoints"], list)

    # Support goes away: the 360 still answers, with the tickets named as missing.
    support = suite.processes["support-api"]
    suite.group.stop(support)
    try:
        partial = _three_sixty(admin, customer["id"])
        assert partial["profile"]["id"] == customer["id"]
        assert partial["open_tickets"] is None
        assert [(m["section"], m["service"]) for m in partial["missing"]] == [
            ("open_tickets", "support")
        ]
        assert partial["missing"][0]["reason"] in ("service_unavailable", "bad_gateway")
        assert [o["id"] for o in partial["recent_orders"]] == [order["id"]]
        assert partial["messages"] and partial["scores"]
        # A caller of the support API itself gets the standard error shape, naming the service.
        down = admin.get("/api/v1/tickets")
        assert down.status_code == 503
        error = down.json()["error"]
        assert error["code"] == "service_unavailable" and "support" in error["message"]
    finally:
        suite.processes["support-api"] = suite.group.restart(support)
    wait_for(
        lambda: admin.get(f"/api/v1/tickets/{ticket['id']}").status_code == 200,
        timeout=30,
        message="support back behind the gateway",
    )
    assert _three_sixty(admin, customer["id"])["missing"] == []


def test_the_360_follows_the_callers_reach(api, shop):
    rep = api.user("sales_rep", team="north")
    other = api.user("sales_rep", team="north")
    mine = shop.customer(client=rep, name="Rep's own customer")
    assert mine["owner_id"] == rep.id
    assert rep.ok("GET", f"/api/v1/customers/{mine['id']}/360")["profile"]["id"] == mine["id"]
    assert other.get(f"/api/v1/customers/{mine['id']}/360").status_code == 404
    analyst = api.user("analyst")
    assert analyst.get(f"/api/v1/customers/{mine['id']}/360").status_code == 403
    agent = api.user("support_agent")
    seen = agent.ok("GET", f"/api/v1/customers/{mine['id']}/360")
    denied = {m["section"] for m in seen["missing"] if m["reason"] == "not_permitted"}
    # Agents read customers, tickets and orders, not deals, campaigns or analytics.
    assert {"open_opportunities", "messages", "touchpoints", "scores"} <= denied
    assert seen["open_tickets"] == [] and seen["recent_orders"] == []
