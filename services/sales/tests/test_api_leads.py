"""Leads through the API: capture, assignment rules, transitions, conversion, visibility."""

from __future__ import annotations

import threading
import uuid
from collections import Counter

import pytest

pytestmark = pytest.mark.integration

CONTACT = {
    "first_name": "Mei",
    "last_name": "Lin",
    "email": "Mei.Lin@example.com",
    "phone": "+86 138 0013 8000",
    "country": "CN",
    "region": "Shanghai",
    "company": "Lin Trading",
}


def test_lead_with_inline_contact_is_captured_then_linked(kit, caller):
    form = caller(kind="api_key", scopes=("leads:write", "leads:read"))
    response = form.post(
        "/api/v1/leads",
        json={"source": "web_form", "contact": CONTACT, "utm": {"source": "google"}},
    )
    assert response.status_code == 201, response.get_json()
    lead = response.get_json()
    assert lead["link"] == {"status": "pending"}
    assert lead["region"] == "Shanghai" and lead["country"] == "CN"
    assert lead["owner_id"] is None  # no rules: unassigned, an API key owns nothing
    created = kit.outbox("sales.lead.created")[0]["data"]
    assert created["captured"] is True and "contact" not in created
    captured = kit.outbox("sales.lead.captured")[0]["data"]
    assert captured["lead_id"] == lead["id"]
    assert captured["contact"]["email"] == "Mei.Lin@example.com"

    customer_id = str(uuid.uuid4())
    kit.deliver(
        "customer.lead.matched",
        {"lead_id": lead["id"], "customer_id": customer_id, "created": True, "matched_on": None},
    )
    again = form.get(f"/api/v1/leads/{lead['id']}").get_json()
    assert again["customer_id"] == customer_id and again["link"]["status"] == "linked"
    linked = kit.outbox("sales.lead.linked")[0]["data"]
    assert linked["customer_id"] == customer_id and linked["customer_created"] is True


def test_lead_for_a_known_customer_is_linked_at_once(kit, admin, add_customer):
    owner = str(uuid.uuid4())
    customer = add_customer(owner_id=owner, owner_team="east", region="Bayern", country="DE")
    response = admin.post("/api/v1/leads", json={"source": "referral", "customer_id": customer})
    assert response.status_code == 201
    lead = response.get_json()
    assert lead["link"]["status"] == "linked" and lead["region"] == "Bayern"
    # A lead on a known customer goes to the customer's owner unless a rule or the caller says.
    assert (lead["owner_id"], lead["owner_team"]) == (owner, "east")
    assert kit.outbox("sales.lead.captured") == []
    unknown = admin.post("/api/v1/leads", json={"source": "x", "customer_id": str(uuid.uuid4())})
    assert unknown.status_code == 422


def test_round_robin_and_region_rules_route_new_leads(kit, admin, caller):
    rep_a, rep_b, rep_c = (str(uuid.uuid4()) for _ in range(3))
    region = admin.post(
        "/api/v1/leads/assignment-rules",
        json={"name": "Germany", "strategy": "region", "priority": 1,
              "region_map": [{"region": "DE", "user_id": rep_c, "team": "dach"}]},
    )  # fmt: skip
    assert region.status_code == 201, region.get_json()
    rr = admin.post(
        "/api/v1/leads/assignment-rules",
        json={"name": "Web", "strategy": "round_robin", "priority": 2, "team": "east",
              "sources": ["web_form"], "reps": [{"user_id": rep_a}, {"user_id": rep_b}]},
    )  # fmt: skip
    assert rr.status_code == 201
    manager = caller("sales_manager", team="east", scopes=("leads:read", "leads:write"))
    mine = {"name": "Mine", "strategy": "round_robin", "reps": [{"user_id": manager.id}]}
    assert manager.post("/api/v1/leads/assignment-rules", json=mine).status_code == 403

    form = caller(kind="api_key", scopes=("leads:write",))
    owners = []
    for i in range(4):
        response = form.post(
            "/api/v1/leads",
            json={"source": "web_form", "contact": {**CONTACT, "email": f"x{i}@example.com"}},
        )
        owners.append((response.get_json()["owner_id"], response.get_json()["owner_team"]))
    assert owners == [(rep_a, "east"), (rep_b, "east"), (rep_a, "east"), (rep_b, "east")]
    german = form.post(
        "/api/v1/leads",
        json={"source": "trade_fair", "contact": {**CONTACT, "country": "DE", "region": None}},
    ).get_json()
    assert (german["owner_id"], german["owner_team"]) == (rep_c, "dach")
    assert german["assignment_rule_id"] == region.get_json()["id"]
    other = form.post("/api/v1/leads", json={"source": "referral", "contact": CONTACT}).get_json()
    assert other["owner_id"] is None  # no rule takes a Chinese referral

    rules = admin.get("/api/v1/leads/assignment-rules").get_json()
    assert [r["name"] for r in rules] == ["Germany", "Web"]
    path = f"/api/v1/leads/assignment-rules/{rr.get_json()['id']}"
    paused = admin.patch(path, json={"active": False}, headers={"If-Match": '"1"'})
    assert paused.status_code == 200
    assert (
        form.post("/api/v1/leads", json={"source": "web_form", "contact": CONTACT}).get_json()[
            "owner_id"
        ]
        is None
    )
    assert admin.delete(path).status_code == 204
    assert admin.get(path).status_code == 404
    assert [e["event_type"] for e in kit.outbox() if "assignment_rule" in e["event_type"]] == [
        "sales.assignment_rule.created",
        "sales.assignment_rule.created",
        "sales.assignment_rule.updated",
        "sales.assignment_rule.deleted",
    ]


def test_round_robin_is_fair_under_concurrent_leads(rt, admin, app, minter):
    reps = [str(uuid.uuid4()) for _ in range(3)]
    admin.post(
        "/api/v1/leads/assignment-rules",
        json={"name": "All", "strategy": "round_robin", "reps": [{"user_id": r} for r in reps]},
    )
    headers = minter.headers(kind="api_key", roles=(), scopes=("leads:write",))
    owners, errors = [], []

    def worker(i):
        client = app.test_client()
        for j in range(4):
            response = client.post(
                "/api/v1/leads",
                headers=headers,
                json={"source": "web_form", "contact": {"name": "X", "email": f"{i}.{j}@x.io"}},
            )
            if response.status_code != 201:
                errors.append(response.get_json())
            else:
                owners.append(response.get_json()["owner_id"])

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Counter(owners) == dict.fromkeys(reps, 8)


def test_lead_transitions_and_conversion(kit, caller, add_customer):
    rep = caller("sales_rep", team="east")
    captured = rep.post("/api/v1/leads", json={"source": "cold_call", "contact": CONTACT})
    lead = captured.get_json()
    assert lead["owner_id"] == rep.id and lead["owner_team"] == "east"
    path = f"/api/v1/leads/{lead['id']}"
    assert rep.post(f"{path}/work").status_code == 200
    assert rep.post(f"{path}/work").status_code == 409
    assert rep.post(f"{path}/disqualify", json={}).status_code == 422
    assert rep.post(f"{path}/disqualify", json={"reason": "no budget"}).status_code == 200
    assert rep.post(f"{path}/reopen", headers={"If-Match": '"1"'}).status_code == 412
    assert rep.post(f"{path}/reopen").get_json()["status"] == "working"
    assert rep.post(f"{path}/qualify").get_json()["status"] == "qualified"

    early = rep.post(f"{path}/convert", json={"amount": "5000"})
    assert early.status_code == 409 and "not linked" in early.get_json()["error"]["message"]
    customer = add_customer()
    kit.deliver(
        "customer.lead.matched",
        {"lead_id": lead["id"], "customer_id": customer, "created": False, "matched_on": "email"},
    )
    converted = rep.post(
        f"{path}/convert", json={"amount": "5000", "expected_close_date": "2027-01-31"}
    )
    assert converted.status_code == 201, converted.get_json()
    body = converted.get_json()
    assert body["lead"]["status"] == "converted"
    deal = body["opportunity"]
    assert deal["lead_id"] == lead["id"] and deal["customer_id"] == customer
    assert deal["owner_id"] == rep.id and deal["name"] == "Lin Trading"
    assert deal["stage_name"] == "Qualification"  # the default pipeline, made on demand
    types = [e["event_type"] for e in kit.outbox() if e["event_type"].startswith("sales.lead")]
    assert types[-1] == "sales.lead.converted"
    assert kit.outbox("sales.lead.converted")[0]["data"]["opportunity_id"] == deal["id"]
    assert rep.patch(path, json={"score": 10}, headers={"If-Match": '"9"'}).status_code == 412


def test_lead_visibility_and_assignment_rights(admin, caller):
    rep_a = caller("sales_rep", team="east")
    rep_b = caller("sales_rep", team="east")
    manager = caller("sales_manager", team="east")
    other_manager = caller("sales_manager", team="west")
    lead = rep_a.post("/api/v1/leads", json={"source": "x", "contact": CONTACT}).get_json()
    path = f"/api/v1/leads/{lead['id']}"
    assert rep_b.get(path).status_code == 404
    assert rep_b.post(f"{path}/qualify").status_code == 404
    assert manager.get(path).status_code == 200
    assert other_manager.get(path).status_code == 404
    assert [x["id"] for x in rep_b.get("/api/v1/leads").get_json()["items"]] == []
    assert [x["id"] for x in manager.get("/api/v1/leads").get_json()["items"]] == [lead["id"]]

    to_b = {"owner_id": rep_b.id, "owner_team": "east"}
    assert rep_a.post(f"{path}/assign", json=to_b).status_code == 403
    assert other_manager.post(f"{path}/assign", json=to_b).status_code == 404
    moved = manager.post(f"{path}/assign", json=to_b)
    assert moved.status_code == 200 and moved.get_json()["owner_id"] == rep_b.id
    assert rep_b.get(path).status_code == 200 and rep_a.get(path).status_code == 404
    west = manager.post(f"{path}/assign", json={"owner_id": rep_a.id, "owner_team": "west"})
    assert west.status_code == 403
    assert admin.post(f"{path}/assign", json={"auto": True}).status_code == 422  # no rules


def test_managers_keep_records_in_their_team(caller, add_customer):
    manager = caller("sales_manager", team="east")
    west_customer = add_customer(owner_id=str(uuid.uuid4()), owner_team="west")
    lead = manager.post(
        "/api/v1/leads", json={"source": "referral", "customer_id": west_customer}
    ).get_json()
    assert (lead["owner_id"], lead["owner_team"]) == (manager.id, "east")
    unassigned = manager.post(f"/api/v1/leads/{lead['id']}/assign", json={"owner_id": None})
    assert unassigned.status_code == 200
    assert (unassigned.get_json()["owner_id"], unassigned.get_json()["owner_team"]) == (
        None,
        "east",
    )
    assert manager.get(f"/api/v1/leads/{lead['id']}").status_code == 200
