"""After-sales across services: a ticket about an order, a reply, resolution, the satisfaction
email answered on the public page, analytics; a return approved in support and booked in sales,
which lowers what the customer service says the customer spent."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal

import pytest
import requests

from servicekit.testing import wait_for

pytestmark = pytest.mark.e2e


def test_ticket_reply_resolve_csat_and_return(api, mail, shop, suite):
    admin = api.admin
    gateway = suite.processes["gateway-api"].url
    agent = api.user("support_agent", name="Ada Agent")
    group = admin.ok(
        "POST",
        "/api/v1/agent-groups",
        json={
            "name": f"Kettles {uuid.uuid4().hex[:6]}",
            "members": [{"agent_id": agent.id, "name": "Ada Agent"}],
        },
    )
    customer = shop.customer(name="Lars Berg", first_name="Lars")
    product = shop.product(price="30.00", tax_rate="0.00")
    shop.known_to_sales(customer["id"], product["id"])
    order = shop.order(customer["id"], product["id"], quantity="2")
    for action in ("pay", "fulfil", "deliver"):
        admin.ok("POST", f"/api/v1/orders/{order['id']}/{action}", json={})
    wait_for(
        lambda: (
            Decimal(
                admin.ok("GET", f"/api/v1/customers/{customer['id']}")["behaviour"]["total_spent"]
            )
            == Decimal("60.00")
        ),
        timeout=30,
        message="the customer service to count the paid order",
    )

    ticket = shop.ticket(
        customer["id"],
        client=agent,
        subject="Kettle lid broken",
        category="return",
        order_id=order["id"],
        group_id=group["id"],
        agent_id=agent.id,
    )
    assert ticket["group_id"] == group["id"] and ticket["agent_id"] == agent.id
    agent.ok(
        "POST",
        f"/api/v1/tickets/{ticket['id']}/reply",
        json={"body": "Sorry about the lid - we take the kettles back."},
    )
    comments = agent.ok("GET", f"/api/v1/tickets/{ticket['id']}/comments")["items"]
    assert [c["body"] for c in comments][-1].startswith("Sorry about the lid")

    # The return request waits for support to know the order (sales.order.placed).
    def requested():
        response = agent.post(
            f"/api/v1/tickets/{ticket['id']}/returns", json={"full": True, "reason": "broken lid"}
        )
        if response.status_code == 201:
            return response.json()
        assert response.status_code == 422, response.text
        return None

    request = wait_for(requested, timeout=30, message="a return request on the order")
    assert request["status"] == "requested"
    approved = admin.ok(
        "POST", f"/api/v1/tickets/{ticket['id']}/returns/{request['id']}/approve", json={}
    )
    assert approved["status"] == "approved"

    returned = wait_for(
        lambda: (o := admin.ok("GET", f"/api/v1/orders/{order['id']}"))["returns"] and o,
        timeout=30,
        message="sales to book the approved return",
    )
    assert returned["status"] == "returned"
    assert returned["returned_amount"]["amount"] == "60.00"
    (booked,) = returned["returns"]
    assert booked["ticket_id"] == ticket["id"] and booked["return_request_id"] == request["id"]
    wait_for(
        lambda: (
            Decimal(
                admin.ok("GET", f"/api/v1/customers/{customer['id']}")["behaviour"]["total_spent"]
            )
            == Decimal("0")
        ),
        timeout=30,
        message="the customer's total spent to drop by the return",
    )

    resolved = agent.ok(
        "POST", f"/api/v1/tickets/{ticket['id']}/resolve", json={"resolution": "Refunded"}
    )
    assert resolved["status"] == "resolved"

    csat = re.compile(re.escape(gateway) + r"/csat/[A-Za-z0-9_-]+")

    def survey_links():
        return [m for m in mail.to(customer["primary_email"]) if csat.search(m.body())]

    (survey_mail,) = wait_for(survey_links, timeout=30, message="the satisfaction email")
    link = csat.search(survey_mail.body()).group(0)
    assert csat.search(survey_mail.body("html"))
    # The agent's reply reaches the customer by email too (public messages only). Replies and
    # surveys are sent by separate jobs, so the survey may well arrive first.
    wait_for(
        lambda: any(
            "we take the kettles back" in m.body()
            for m in mail.to(customer["primary_email"])
            if m is not survey_mail
        ),
        timeout=30,
        message="the agent's reply by email",
    )
    page = requests.get(link, timeout=10)
    assert page.status_code == 200 and page.text.count('type="radio"') == 5
    answered = requests.post(link, data={"score": "4", "comment": "Fair enough"}, timeout=10)
    assert answered.status_code == 200 and "Thank you" in answered.text
    assert requests.post(link, data={"score": "1"}, timeout=10).status_code == 409

    satisfaction = agent.ok("GET", f"/api/v1/tickets/{ticket['id']}")["satisfaction"]
    assert satisfaction["score"] == 4 and satisfaction["kind"] == "csat"

    def analytics_answer():
        rows = admin.ok(
            "GET",
            "/api/v1/analytics/satisfaction",
            params={"group": group["id"], "granularity": "year"},
        )["rows"]
        answers = [r for r in rows if r.get("csat_answers")]
        return answers and answers

    rows = wait_for(analytics_answer, timeout=30, message="analytics satisfaction by group")
    assert sum(r["csat_answers"] for r in rows) == 1
    # 4 on a 1-5 scale: satisfied, three quarters of the way up the scale.
    assert Decimal(rows[0]["csat"]) == 1
    assert Decimal(rows[0]["csat_average"]) == Decimal("0.75")
