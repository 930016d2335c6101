"""Object-level access through the gateway across every service: reps see their own records,
managers their team's, agents their groups' tickets, analysts analytics only."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.e2e


def _ids(client, path, **params):
    return {item["id"] for item in client.ok("GET", path, params={"limit": 200, **params})["items"]}


def _book(api, shop, rep, product):
    """A customer of ``rep`` with a lead, an opportunity and an order, all made by the rep."""
    customer = shop.customer(client=rep, name=f"Customer of {rep.user['email']}")
    shop.known_to_sales(customer["id"], product["id"])
    lead = rep.ok(
        "POST",
        "/api/v1/leads",
        json={"source": "referral", "customer_id": customer["id"], "company": "Rep Co"},
    )
    deal = rep.ok(
        "POST",
        "/api/v1/opportunities",
        json={"name": "Deal", "customer_id": customer["id"], "amount": "500"},
    )
    order = shop.order(customer["id"], product["id"], client=rep)
    return {
        "customers": customer["id"],
        "leads": lead["id"],
        "opportunities": deal["id"],
        "orders": order["id"],
    }


def test_reps_and_managers_see_only_their_reach_in_every_sales_and_customer_list(api, shop):
    team = f"east{uuid.uuid4().hex[:6]}"
    alice = api.user("sales_rep", team=team)
    bob = api.user("sales_rep", team=team)
    manager = api.user("sales_manager", team=team)
    outsider = api.user("sales_manager", team=f"west{uuid.uuid4().hex[:6]}")
    product = shop.product()
    alices = _book(api, shop, alice, product)
    bobs = _book(api, shop, bob, product)

    for resource, record in alices.items():
        path = f"/api/v1/{resource}"
        assert alice.ok("GET", f"{path}/{record}")["id"] == record
        # Same team, other rep: it does not exist for Bob - not in his lists either.
        response = bob.get(f"{path}/{record}")
        assert response.status_code == 404, (resource, response.text)
        assert response.json()["error"]["code"] == "not_found"
        assert record not in _ids(bob, path)
        assert bobs[resource] in _ids(bob, path)
        # The team's manager sees both reps' records; another team's manager neither.
        assert {record, bobs[resource]} <= _ids(manager, path)
        assert outsider.get(f"{path}/{record}").status_code == 404
        assert record not in _ids(outsider, path)

    # Filters cannot widen the reach: asking for Alice's customer's orders gives Bob nothing.
    assert _ids(bob, "/api/v1/orders", customer_id=alices["customers"]) == set()
    assert _ids(bob, "/api/v1/opportunities", customer_id=alices["customers"]) == set()
    assert _ids(bob, "/api/v1/customers", owner_id=alice.id) == set()
    # Nor can search: Bob's customer search never finds Alice's customer.
    name = alice.ok("GET", f"/api/v1/customers/{alices['customers']}")["name"]
    assert alices["customers"] not in _ids(bob, "/api/v1/customers", q=name)


def test_agents_see_their_groups_tickets_and_analysts_only_analytics(api, shop):
    admin = api.admin
    first, second = api.user("support_agent"), api.user("support_agent")
    groups = [
        admin.ok(
            "POST",
            "/api/v1/agent-groups",
            json={"name": f"Group {uuid.uuid4().hex[:6]}", "members": [{"agent_id": agent.id}]},
        )
        for agent in (first, second)
    ]
    customer = shop.customer(name="Two tickets")
    tickets = [
        shop.ticket(customer["id"], group_id=group["id"], subject=f"For {group['name']}")
        for group in groups
    ]
    assert first.ok("GET", f"/api/v1/tickets/{tickets[0]['id']}")["id"] == tickets[0]["id"]
    assert first.get(f"/api/v1/tickets/{tickets[1]['id']}").status_code == 404
    assert second.get(f"/api/v1/tickets/{tickets[0]['id']}").status_code == 404
    mine = _ids(first, "/api/v1/tickets", customer_id=customer["id"])
    assert mine == {tickets[0]["id"]}
    assert _ids(second, "/api/v1/tickets", customer_id=customer["id"]) == {tickets[1]["id"]}
    assert (
        first.post(f"/api/v1/tickets/{tickets[1]['id']}/note", json={"body": "x"}).status_code
        == 404
    )
    assert _ids(admin, "/api/v1/tickets", customer_id=customer["id"]) == {t["id"] for t in tickets}

    analyst = api.user("analyst")
    assert analyst.get("/api/v1/analytics/revenue").status_code == 200
    assert analyst.get("/api/v1/analytics/satisfaction").status_code == 200
    for path in (
        "/api/v1/customers",
        f"/api/v1/customers/{customer['id']}",
        "/api/v1/orders",
        "/api/v1/leads",
        "/api/v1/tickets",
        f"/api/v1/tickets/{tickets[0]['id']}",
        "/api/v1/campaigns",
        "/api/v1/segments",
        "/api/v1/products",
    ):
        response = analyst.get(path)
        assert response.status_code == 403, (path, response.status_code)
        assert response.json()["error"]["code"] == "missing_permission"
