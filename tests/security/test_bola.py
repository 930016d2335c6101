"""API1 Broken object level authorization, on every owned resource type of every service: a
record the caller may not see is a 404 for every read, change and action, and stays unchanged;
lists, filters and searches never show it."""

from __future__ import annotations

import uuid

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.security]

IF_MATCH = {"If-Match": '"1"'}


def attacks(r: dict, bob_id: str) -> dict[str, list[tuple]]:
    """resource -> (method, path, body, headers) an intruder tries on Alice's record."""
    c, o = r["customers"], r["opportunities"]
    return {
        "customers": [
            ("GET", f"/api/v1/customers/{c}", None, {}),
            ("PATCH", f"/api/v1/customers/{c}", {"name": "Taken"}, IF_MATCH),
            ("POST", f"/api/v1/customers/{c}/assign", {"owner_id": bob_id}, {}),
            ("POST", f"/api/v1/customers/{c}/tags", {"add": ["stolen"]}, {}),
            ("GET", f"/api/v1/customers/{c}/consents", None, {}),
            ("POST", f"/api/v1/customers/{c}/consents",
             {"channel": "email", "status": "withdrawn", "source": "intruder"}, {}),
            ("GET", f"/api/v1/customers/{c}/contacts", None, {}),
            ("GET", f"/api/v1/customers/{c}/duplicates", None, {}),
            ("GET", f"/api/v1/customers/{c}/interactions", None, {}),
            ("POST", f"/api/v1/customers/{c}/interactions", {"kind": "note"}, {}),
            ("GET", f"/api/v1/customers/{c}/360", None, {}),
        ],
        "interactions": [
            ("GET", f"/api/v1/customers/{c}/interactions/{r['interactions']}", None, {}),
            ("PATCH", f"/api/v1/customers/{c}/interactions/{r['interactions']}",
             {"subject": "Taken"}, IF_MATCH),
        ],
        "leads": [
            ("GET", f"/api/v1/leads/{r['leads']}", None, {}),
            ("PATCH", f"/api/v1/leads/{r['leads']}", {"notes": "taken"}, IF_MATCH),
            ("POST", f"/api/v1/leads/{r['leads']}/assign", {"owner_id": bob_id}, {}),
            ("POST", f"/api/v1/leads/{r['leads']}/work", {}, {}),
            ("POST", f"/api/v1/leads/{r['leads']}/qualify", {}, {}),
            ("POST", f"/api/v1/leads/{r['leads']}/disqualify", {"reason": "x"}, {}),
            ("POST", f"/api/v1/leads/{r['leads']}/convert", {}, {}),
        ],
        "opportunities": [
            ("GET", f"/api/v1/opportunities/{o}", None, {}),
            ("GET", f"/api/v1/opportunities/{o}/history", None, {}),
            ("PATCH", f"/api/v1/opportunities/{o}", {"name": "Taken"}, IF_MATCH),
            ("POST", f"/api/v1/opportunities/{o}/assign", {"owner_id": bob_id}, {}),
            ("POST", f"/api/v1/opportunities/{o}/move", {"stage_id": r["stage"]}, {}),
            ("POST", f"/api/v1/opportunities/{o}/win", {}, {}),
            ("POST", f"/api/v1/opportunities/{o}/lose", {"reason": "x"}, {}),
        ],
        "quotes": [
            ("GET", f"/api/v1/quotes/{r['quotes']}", None, {}),
            ("PATCH", f"/api/v1/quotes/{r['quotes']}", {"notes": "x"}, IF_MATCH),
            ("POST", f"/api/v1/quotes/{r['quotes']}/send", {}, {}),
            ("POST", f"/api/v1/quotes/{r['quotes']}/accept", {}, {}),
            ("POST", f"/api/v1/quotes/{r['quotes']}/reject", {}, {}),
        ],
        "orders": [
            ("GET", f"/api/v1/orders/{r['orders']}", None, {}),
            ("POST", f"/api/v1/orders/{r['orders']}/pay", {}, {}),
            ("POST", f"/api/v1/orders/{r['orders']}/cancel", {"reason": "x"}, {}),
            ("GET", f"/api/v1/orders/{r['orders']}/returns", None, {}),
            ("POST", f"/api/v1/orders/{r['orders']}/returns", {"full": True}, {}),
        ],
        "contracts": [
            ("GET", f"/api/v1/contracts/{r['contracts']}", None, {}),
            ("PATCH", f"/api/v1/contracts/{r['contracts']}", {"title": "Taken"}, IF_MATCH),
            ("POST", f"/api/v1/contracts/{r['contracts']}/sign", {}, {}),
            ("POST", f"/api/v1/contracts/{r['contracts']}/terminate", {"reason": "x"}, {}),
        ],
        "tasks": [
            ("GET", f"/api/v1/tasks/{r['tasks']}", None, {}),
            ("PATCH", f"/api/v1/tasks/{r['tasks']}", {"subject": "Taken"}, IF_MATCH),
            ("POST", f"/api/v1/tasks/{r['tasks']}/complete", {}, {}),
            ("POST", f"/api/v1/tasks/{r['tasks']}/cancel", {}, {}),
        ],
    }  # fmt: skip


OWNED = ["customers", "interactions", "leads", "opportunities", "quotes", "orders", "contracts",
         "tasks"]  # fmt: skip


def _version(client, resource, r):
    if resource == "interactions":
        path = f"/api/v1/customers/{r['customers']}/interactions/{r['interactions']}"
    else:
        path = f"/api/v1/{resource}/{r[resource]}"
    return client.ok("GET", path)["version"]


@pytest.mark.parametrize("resource", OWNED)
def test_another_rep_meets_only_404s_and_changes_nothing(books, resource):
    r = books.records
    before = _version(books.alice, resource, r)
    for intruder in (books.bob, books.outsider):
        for method, path, body, headers in attacks(r, intruder.id)[resource]:
            response = intruder.request(method, path, json=body, headers=headers)
            assert response.status_code == 404, (method, path, response.status_code, response.text)
            error = response.json()["error"]
            assert error["code"] == "not_found" and error["request_id"], error
    assert _version(books.alice, resource, r) == before, f"{resource} changed by an intruder"
    # The team's manager does see it (the 404 is about reach, not existence).
    assert _version(books.manager, resource, r) == before


@pytest.mark.parametrize(
    ("resource", "filters"),
    [
        ("customers", {}),
        ("customers", {"q": "Alice"}),
        ("leads", {"customer_id": "customers"}),
        ("opportunities", {"customer_id": "customers"}),
        ("quotes", {"customer_id": "customers"}),
        ("orders", {"customer_id": "customers"}),
        ("contracts", {"customer_id": "customers"}),
        ("tasks", {"sort": "-created_at"}),  # the default lists tasks with a due date
    ],
)
def test_lists_filters_and_searches_never_show_another_reps_records(books, resource, filters):
    r = books.records
    params = {k: r.get(v, v) for k, v in filters.items()}
    params["limit"] = 200
    mine = {i["id"] for i in books.alice.ok("GET", f"/api/v1/{resource}", params=params)["items"]}
    assert r[resource] in mine
    theirs = {i["id"] for i in books.bob.ok("GET", f"/api/v1/{resource}", params=params)["items"]}
    assert r[resource] not in theirs


def test_segment_members_show_a_rep_only_their_own_customers(api, books):
    segment = api.admin.ok(
        "POST", "/api/v1/segments", json={"name": f"Both reps {uuid.uuid4().hex[:6]}",
                                          "kind": "static"}
    )  # fmt: skip
    both = [books.records["customers"], books.bobs_customer]
    api.admin.ok("POST", f"/api/v1/segments/{segment['id']}/members", json={"add": both})
    path = f"/api/v1/segments/{segment['id']}/members"
    everyone = {m["id"] for m in api.admin.ok("GET", path)["items"]}
    assert everyone == set(both)
    seen = {m["id"] for m in books.bob.ok("GET", path)["items"]}
    assert seen == {books.bobs_customer}, "a rep sees another rep's customer through a segment"
    assert books.records["customers"] not in {
        c["id"]
        for c in books.bob.ok("GET", "/api/v1/customers", params={"segment_id": segment["id"]})[
            "items"
        ]
    }


def test_campaigns_beyond_a_managers_team_are_404(api, books):
    marketer = api.user("marketer")
    theirs = marketer.ok("POST", "/api/v1/campaigns", json={"name": "Marketing's own",
                                                            "channel": "email"})  # fmt: skip
    ours = api.admin.ok(
        "POST",
        "/api/v1/campaigns",
        json={"name": "Team push", "channel": "email", "owner_id": books.manager.id,
              "owner_team": books.team},
    )  # fmt: skip
    for suffix in ("", "/report", "/messages", "/send", "/costs"):
        response = books.manager.get(f"/api/v1/campaigns/{theirs['id']}{suffix}")
        assert response.status_code == 404, (suffix, response.status_code)
        if suffix != "/send":  # a draft has no send yet: 404 for everyone
            assert books.manager.get(f"/api/v1/campaigns/{ours['id']}{suffix}").status_code == 200
    listed = {c["id"] for c in books.manager.ok("GET", "/api/v1/campaigns")["items"]}
    assert ours["id"] in listed and theirs["id"] not in listed
    assert books.outsider.get(f"/api/v1/campaigns/{ours['id']}").status_code == 404
    assert marketer.get(f"/api/v1/campaigns/{ours['id']}").status_code == 200  # marketers: all


def test_tickets_of_another_group_are_404_for_every_action(api, shop):
    admin = api.admin
    agent, intruder = api.user("support_agent"), api.user("support_agent")
    mine = admin.ok(
        "POST", "/api/v1/agent-groups",
        json={"name": f"Own {uuid.uuid4().hex[:6]}", "members": [{"agent_id": agent.id}]},
    )  # fmt: skip
    admin.ok(
        "POST", "/api/v1/agent-groups",
        json={"name": f"Other {uuid.uuid4().hex[:6]}", "members": [{"agent_id": intruder.id}]},
    )  # fmt: skip
    customer = shop.customer(name="Ticket owner")
    ticket = shop.ticket(customer["id"], group_id=mine["id"], agent_id=agent.id)
    t = f"/api/v1/tickets/{ticket['id']}"
    for method, path, body, headers in [
        ("GET", t, None, {}),
        ("PATCH", t, {"subject": "Taken"}, IF_MATCH),
        ("POST", f"{t}/assign", {"agent_id": intruder.id}, {}),
        ("POST", f"{t}/pending", {}, {}),
        ("POST", f"{t}/hold", {}, {}),
        ("POST", f"{t}/resolve", {}, {}),
        ("POST", f"{t}/close", {}, {}),
        ("POST", f"{t}/reply", {"body": "hi"}, {}),
        ("POST", f"{t}/note", {"body": "hi"}, {}),
        ("GET", f"{t}/comments", None, {}),
        ("GET", f"{t}/returns", None, {}),
        ("POST", f"{t}/complaint", {"root_cause_category": "service", "root_cause": "x",
                                    "corrective_action": "y"}, {}),
    ]:  # fmt: skip
        response = intruder.request(method, path, json=body, headers=headers)
        assert response.status_code == 404, (method, path, response.status_code, response.text)
    after = agent.ok("GET", t)
    assert after["version"] == ticket["version"] and after["status"] == ticket["status"]
    listed = intruder.ok("GET", "/api/v1/tickets", params={"customer_id": customer["id"]})
    assert listed["items"] == []
