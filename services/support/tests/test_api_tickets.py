"""The ticket API on real databases: lifecycle, assignment, access, merges, returns, replicas."""

from __future__ import annotations

import threading
import uuid

import pytest
from support_helpers import (
    AGENT_SCOPES,
    add_group,
    customer_data,
    feed,
    open_ticket,
    order_data,
    outbox,
)

pytestmark = pytest.mark.integration


def types(rt) -> list[str]:
    return [e["event_type"] for e in outbox(rt)]


# -- opening, policies, assignment -----------------------------------------------------------------


def test_a_ticket_gets_its_policy_calendar_number_and_round_robin_agent(
    rt, admin, customer, standard_policy, berlin
):
    agents = [str(uuid.uuid4()) for _ in range(2)]
    group = add_group(admin, "Care", agents, is_default=True)
    first = open_ticket(admin, customer)
    second = open_ticket(admin, customer, category="question")
    third = open_ticket(admin, customer, category="question")
    assert [first["number"], second["number"]] == ["T-000001", "T-000002"]
    assert first["group_id"] == group["id"]
    assert [first["agent_id"], second["agent_id"], third["agent_id"]] == [*agents, agents[0]]
    assert first["status"] == "open"  # assigned to an agent
    assert first["sla"]["policy_name"] == "Standard"
    assert first["sla"]["calendar_id"] == berlin
    targets = first["sla"]["targets"]
    assert targets["first_response"]["due_at"] == "2026-01-12T10:00:00+00:00"
    assert targets["resolution"]["remaining_business_seconds"] == 480 * 60
    opened = outbox(rt, "support.ticket.opened")[0]
    assert opened["data"]["first_response_due_at"] == "2026-01-12T10:00:00Z"
    assert opened["data"]["status"] == "new" and opened["data"]["revision"] == 1
    assigned = outbox(rt, "support.ticket.assigned")[0]
    assert assigned["data"]["method"] == "round_robin" and assigned["data"]["revision"] == 2


def test_an_unknown_customer_or_foreign_order_is_refused(rt, admin, customer):
    response = admin.post(
        "/api/v1/tickets",
        json={
            "customer_id": str(uuid.uuid4()),
            "subject": "Hi",
            "category": "question",
            "channel": "web",
        },
    )
    assert response.status_code == 422
    assert "not known to support" in response.json["error"]["message"]
    other = customer_data(name="Someone else")
    feed(rt, "customer.created", other)
    order = order_data(other["customer_id"], [(str(uuid.uuid4()), "1")])
    feed(rt, "sales.order.placed", order)
    response = admin.post(
        "/api/v1/tickets",
        json={
            "customer_id": customer,
            "subject": "Hi",
            "category": "return",
            "channel": "web",
            "order_id": order["order_id"],
        },
    )
    assert response.status_code == 422
    assert response.json["error"]["details"] == {"order_id": ["belongs to another customer"]}


def test_round_robin_is_safe_under_concurrent_assignments(rt, app, admin, customer, minter):
    agents = [str(uuid.uuid4()) for _ in range(4)]
    add_group(admin, "Busy", agents, is_default=True)
    results, errors = [], []

    def create():
        client = app.test_client()
        headers = minter.headers(roles=("admin",), scopes=("*",))
        for _ in range(4):
            response = client.post(
                "/api/v1/tickets",
                headers=headers,
                json={
                    "customer_id": customer,
                    "subject": "Concurrent",
                    "category": "question",
                    "channel": "chat",
                },
            )
            if response.status_code == 201:
                results.append(response.json["agent_id"])
            else:
                errors.append(response.json)

    threads = [threading.Thread(target=create) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results.count(a) for a in agents) == [4, 4, 4, 4]
    group = admin.get("/api/v1/agent-groups").json["items"][0]
    assert sorted(m["assigned_count"] for m in group["members"]) == [4, 4, 4, 4]


def test_manual_assignment_and_unavailable_members(rt, admin, customer):
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    group = add_group(admin, "Care", [a, b], round_robin=False)
    ticket = open_ticket(admin, customer, group_id=group["id"])
    assert ticket["agent_id"] is None and ticket["status"] == "new"
    response = admin.post(f"/api/v1/tickets/{ticket['id']}/assign", json={"agent_id": b})
    assert response.status_code == 200 and response.json["agent_id"] == b
    stranger = str(uuid.uuid4())
    response = admin.post(f"/api/v1/tickets/{ticket['id']}/assign", json={"agent_id": stranger})
    assert response.status_code == 422
    response = admin.patch(
        f"/api/v1/agent-groups/{group['id']}",
        json={"round_robin": True},
        headers={"If-Match": f'"{group["version"]}"'},
    )
    assert response.status_code == 200, response.json
    response = admin.patch(
        f"/api/v1/agent-groups/{group['id']}/members/{a}",
        json={"available": False},
        headers={"If-Match": response.headers["ETag"]},
    )
    assert response.status_code == 200, response.json
    response = admin.post(f"/api/v1/tickets/{ticket['id']}/assign", json={"auto": True})
    assert response.json["agent_id"] == b  # a is away
    response = admin.post(f"/api/v1/tickets/{ticket['id']}/assign", json={"agent_id": None})
    assert response.json["agent_id"] is None and response.json["group_id"] == group["id"]


# -- lists and the customer 360 --------------------------------------------------------------------


def test_lists_filter_and_paginate_and_serve_the_customer_360(rt, admin, customer, clock):
    other = customer_data(name="Other")
    feed(rt, "customer.created", other)
    made = []
    for i in range(5):
        clock.advance(minutes=1)
        made.append(
            open_ticket(admin, customer, category="question", priority="high" if i else "low")
        )
    open_ticket(admin, other["customer_id"], category="question")
    admin.post(f"/api/v1/tickets/{made[0]['id']}/resolve", json={})
    open_list = admin.get(f"/api/v1/tickets?customer_id={customer}&status=open").json["items"]
    assert [t["id"] for t in open_list] == [t["id"] for t in reversed(made[1:])]  # newest first
    assert all(t["customer_name"] == "Mei Lin" for t in open_list)
    seen, cursor = [], None
    while True:
        query = f"/api/v1/tickets?customer_id={customer}&limit=2&total=true"
        page = admin.get(query + (f"&cursor={cursor}" if cursor else "")).json
        seen += [t["id"] for t in page["items"]]
        assert page["total"] == 5
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 5
    assert len(admin.get("/api/v1/tickets?priority=low&state=resolved").json["items"]) == 1
    assert (
        admin.get(f"/api/v1/tickets?q={made[2]['number']}").json["items"][0]["id"] == made[2]["id"]
    )
    assert len(admin.get("/api/v1/tickets?q=PARCEL%20arrived").json["items"]) == 6
    assert admin.get("/api/v1/tickets?q=refund").json["items"] == []


# -- edits, ETag, idempotency ----------------------------------------------------------------------


def test_patch_needs_if_match_and_reclassification_rematches_the_policy(
    rt, admin, customer, standard_policy
):
    admin.post(
        "/api/v1/sla-policies",
        json={
            "name": "Urgent",
            "position": 1,
            "conditions": {"priorities": ["urgent"]},
            "first_response_minutes": 15,
        },
    )
    ticket = open_ticket(admin, customer, category="question")
    path = f"/api/v1/tickets/{ticket['id']}"
    assert admin.patch(path, json={"priority": "urgent"}).status_code == 428
    stale = admin.patch(path, json={"priority": "urgent"}, headers={"If-Match": '"99"'})
    assert stale.status_code == 412
    etag = admin.get(path).headers["ETag"]
    response = admin.patch(path, json={"priority": "urgent"}, headers={"If-Match": etag})
    assert response.status_code == 200
    assert response.headers["ETag"] != etag
    assert response.json["sla"]["policy_name"] == "Urgent"
    assert response.json["sla"]["targets"]["first_response"]["target_minutes"] == 15
    updated = outbox(rt, "support.ticket.updated")
    assert [e["data"]["changed_fields"] for e in updated] == [["priority"], ["sla_policy"]]


def test_idempotency_key_gives_one_ticket(rt, admin, customer):
    body = {"customer_id": customer, "subject": "Once", "category": "question", "channel": "web"}
    headers = {"Idempotency-Key": "create-once-1"}
    first = admin.post("/api/v1/tickets", json=body, headers=headers)
    again = admin.post("/api/v1/tickets", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json["id"] == first.json["id"]
    assert len(outbox(rt, "support.ticket.opened")) == 1
    other = admin.post("/api/v1/tickets", json={**body, "subject": "Twice"}, headers=headers)
    assert other.status_code == 422


# -- conversation and status -----------------------------------------------------------------------


def test_the_conversation_keeps_notes_internal(databases, db_backend, minter, clock):
    from support_helpers import Caller, build_runtime

    from support_service.entrypoints import runtime as runtime_module
    from support_service.entrypoints.wsgi import create_app

    rt = build_runtime(databases.url(runtime_module.MIGRATIONS), minter, clock, reply_emails=True)
    try:
        admin = Caller(create_app(rt).test_client(), minter, ("admin",))
        data = customer_data(email="mei@example.com")
        feed(rt, "customer.created", data)
        ticket = open_ticket(admin, data["customer_id"])
        path = f"/api/v1/tickets/{ticket['id']}"
        assert admin.post(path + "/note", json={"body": "VIP, be gentle"}).status_code == 201
        assert admin.post(path + "/reply", json={"body": "We are on it"}).status_code == 201
        public = admin.get(path + "/comments?visibility=public").json["items"]
        assert [c["body"] for c in public] == ["The box was crushed.", "We are on it"]
        internal = admin.get(path + "/comments?visibility=internal").json["items"]
        assert [c["body"] for c in internal] == ["VIP, be gentle"]
        assert len(admin.get(path + "/comments").json["items"]) == 3
        from sqlalchemy import select

        from support_service.adapters import tables as t

        with rt.db.session() as session:
            mails = session.execute(select(t.outbound_mail)).all()
        assert len(mails) == 1 and mails[0].to_address == "mei@example.com"
        assert "We are on it" in mails[0].body and "gentle" not in mails[0].body
        first = outbox(rt, "support.ticket.first_responded")[0]["data"]
        assert first["business_seconds"] == 0 and first["met"] is None  # no policy: no target
    finally:
        rt.db.dispose()


def test_status_actions_follow_the_machine(rt, admin, customer, standard_policy, clock):
    ticket = open_ticket(admin, customer)
    path = f"/api/v1/tickets/{ticket['id']}"
    response = admin.post(path + "/close")
    assert response.status_code == 409 and response.json["error"]["code"] == "invalid_transition"
    response = admin.post(path + "/resolve", json={})
    assert response.status_code == 409 and "root cause" in response.json["error"]["message"]
    assert admin.post(path + "/pending", json={"reason": "photos"}).json["status"] == "pending"
    assert admin.post(path + "/hold", json={}).json["status"] == "on_hold"
    assert admin.post(path + "/open").json["status"] == "open"
    complaint = {
        "root_cause_category": "delivery",
        "root_cause": "Thin box",
        "corrective_action": "Double-wall boxes",
    }
    assert admin.post(path + "/complaint", json=complaint).status_code == 200
    resolved = admin.post(path + "/resolve", json={"resolution": "Replacement sent"})
    assert resolved.json["status"] == "resolved"
    clock.advance(days=2)
    assert admin.post(path + "/reopen", json={"reason": "still broken"}).json["status"] == "open"
    admin.post(path + "/resolve", json={})
    assert admin.post(path + "/close").json["status"] == "closed"
    response = admin.post(path + "/reply", json={"body": "Anything else?"})
    assert response.status_code == 409
    names = types(rt)
    for name in (
        "support.ticket.pending",
        "support.ticket.on_hold",
        "support.complaint.recorded",
        "support.ticket.resolved",
        "support.ticket.reopened",
        "support.ticket.closed",
    ):
        assert name in names
    recorded = outbox(rt, "support.complaint.recorded")[0]["data"]
    assert recorded["corrective_action"] == "Double-wall boxes"


def test_reopen_window_is_configurable(databases, db_backend, minter, clock):
    from support_helpers import Caller, build_runtime

    from support_service.entrypoints import runtime as runtime_module
    from support_service.entrypoints.wsgi import create_app

    rt = build_runtime(
        databases.url(runtime_module.MIGRATIONS), minter, clock, reopen_window_days=1
    )
    try:
        admin = Caller(create_app(rt).test_client(), minter, ("admin",))
        data = customer_data()
        feed(rt, "customer.created", data)
        ticket = open_ticket(admin, data["customer_id"], category="question")
        admin.post(f"/api/v1/tickets/{ticket['id']}/resolve", json={})
        clock.advance(days=2)
        response = admin.post(f"/api/v1/tickets/{ticket['id']}/reopen", json={})
        assert response.status_code == 409 and "follow-up" in response.json["error"]["message"]
    finally:
        rt.db.dispose()


# -- object-level access ---------------------------------------------------------------------------


def test_agents_see_their_groups_tickets_only(rt, admin, caller, customer):
    agent = caller("support_agent", scopes=AGENT_SCOPES)
    colleague = str(uuid.uuid4())
    mine = add_group(admin, "Mine", [agent.id, colleague], round_robin=False)
    theirs = add_group(admin, "Theirs", [str(uuid.uuid4())], round_robin=False)
    visible = open_ticket(admin, customer, group_id=mine["id"])
    hidden = open_ticket(admin, customer, group_id=theirs["id"])
    assigned = open_ticket(admin, customer, group_id=theirs["id"])
    admin.post(
        f"/api/v1/tickets/{assigned['id']}/assign",
        json={"agent_id": agent.id, "group_id": mine["id"]},
    )
    listed = {t["id"] for t in agent.get("/api/v1/tickets").json["items"]}
    assert listed == {visible["id"], assigned["id"]}
    for method, suffix, body in (
        ("get", "", None),
        ("get", "/comments", None),
        ("post", "/reply", {"body": "hi"}),
        ("post", "/note", {"body": "hi"}),
        ("post", "/pending", {}),
        ("post", "/assign", {"agent_id": agent.id}),
        ("get", "/returns", None),
    ):
        response = getattr(agent, method)(f"/api/v1/tickets/{hidden['id']}{suffix}", json=body)
        assert response.status_code == 404, (suffix, response.json)
    assert agent.get(f"/api/v1/tickets/{visible['id']}").status_code == 200
    own = agent.post(
        "/api/v1/tickets",
        json={"customer_id": customer, "subject": "Mine", "category": "question", "channel": "web"},
    )
    assert own.json["group_id"] == mine["id"]  # an agent's new ticket lands in their group
    manager = caller("support_agent", scopes=(*AGENT_SCOPES, "support:admin"))
    assert len(manager.get("/api/v1/tickets").json["items"]) == 4
    marketer = caller("marketer", scopes=("tickets:read",))
    assert marketer.get(f"/api/v1/tickets/{hidden['id']}").status_code == 200
    assert (
        marketer.post(f"/api/v1/tickets/{hidden['id']}/note", json={"body": "x"}).status_code == 403
    )
    analyst = caller("analyst", scopes=("analytics:read",))
    assert analyst.get("/api/v1/tickets").status_code == 403
    backlog = agent.get("/api/v1/support-reports/backlog").json
    assert backlog["total"] == 3


# -- merge -----------------------------------------------------------------------------------------


def test_merging_moves_the_conversation_and_closes_the_duplicate(rt, admin, customer):
    target = open_ticket(admin, customer, tags=["damaged"])
    source = open_ticket(admin, customer, tags=["urgent"], description="Same parcel, again")
    admin.post(f"/api/v1/tickets/{source['id']}/note", json={"body": "dup?"})
    response = admin.post(
        f"/api/v1/tickets/{target['id']}/merge", json={"duplicate_ids": [source["id"]]}
    )
    assert response.status_code == 200
    merged = response.json["merged"][0]
    assert merged["status"] == "closed" and merged["close_reason"] == "merged"
    assert merged["merged_into"] == target["id"]
    assert response.json["target"]["tags"] == ["damaged", "urgent"]
    bodies = [
        c["body"] for c in admin.get(f"/api/v1/tickets/{target['id']}/comments").json["items"]
    ]
    assert "Same parcel, again" in bodies and "dup?" in bodies
    assert admin.get(f"/api/v1/tickets/{source['id']}/comments").json["items"] == []
    event = outbox(rt, "support.ticket.merged")[0]["data"]
    assert event["source_ticket_id"] == source["id"] and event["moved_comments"] == 2
    closed = outbox(rt, "support.ticket.closed")[0]["data"]
    assert closed["close_reason"] == "merged" and closed["merged_into"] == target["id"]
    again = admin.post(
        f"/api/v1/tickets/{target['id']}/merge", json={"duplicate_ids": [source["id"]]}
    )
    assert again.status_code == 409
    other = customer_data(name="Other")
    feed(rt, "customer.created", other)
    foreign = open_ticket(admin, other["customer_id"])
    response = admin.post(
        f"/api/v1/tickets/{target['id']}/merge", json={"duplicate_ids": [foreign["id"]]}
    )
    assert response.status_code == 422
    response = admin.post(
        f"/api/v1/tickets/{target['id']}/merge", json={"duplicate_ids": [target["id"]]}
    )
    assert response.status_code == 422


# -- returns ---------------------------------------------------------------------------------------


def test_return_requests_are_checked_against_the_order_and_approval_is_published(
    rt, admin, customer
):
    tea, cup = str(uuid.uuid4()), str(uuid.uuid4())
    order = order_data(customer, [(tea, "3"), (cup, "1")])
    feed(rt, "sales.order.placed", order)
    feed(
        rt,
        "sales.order.returned",
        {
            "order_id": order["order_id"],
            "customer_id": customer,
            "return_id": str(uuid.uuid4()),
            "full": False,
            "lines": [
                {"product_id": tea, "quantity": "1", "amount": {"amount": "5", "currency": "EUR"}}
            ],
            "amount": {"amount": "5", "currency": "EUR"},
            "base_amount": {"amount": "5", "currency": "EUR"},
            "returned_at": "2026-01-10T10:00:00Z",
            "revision": 3,
        },
    )
    ticket = open_ticket(admin, customer, category="return", order_id=order["order_id"])
    path = f"/api/v1/tickets/{ticket['id']}/returns"
    too_many = admin.post(path, json={"lines": [{"product_id": tea, "quantity": "3"}]})
    assert too_many.status_code == 422 and "only 2" in too_many.json["error"]["message"]
    stranger = admin.post(path, json={"lines": [{"product_id": str(uuid.uuid4()), "quantity": 1}]})
    assert stranger.status_code == 422
    request = admin.post(
        path, json={"lines": [{"product_id": tea, "quantity": "2"}], "reason": "x"}
    )
    assert request.status_code == 201 and request.json["status"] == "requested"
    leftover = admin.post(path, json={"lines": [{"product_id": tea, "quantity": "1"}]})
    assert leftover.status_code == 422  # 3 ordered, 1 returned elsewhere, 2 requested
    rest = admin.post(path, json={"full": True})
    assert rest.status_code == 201
    assert [(li["product_id"], li["quantity"]) for li in rest.json["lines"]] == [(cup, "1")]
    approve = admin.post(f"{path}/{request.json['id']}/approve")
    assert approve.status_code == 200 and approve.json["status"] == "approved"
    assert admin.post(f"{path}/{request.json['id']}/approve").status_code == 409
    assert admin.post(f"{path}/{rest.json['id']}/reject", json={}).status_code == 422
    rejected = admin.post(f"{path}/{rest.json['id']}/reject", json={"reason": "used"})
    assert rejected.json["status"] == "rejected"
    approved = outbox(rt, "support.return.approved")[0]["data"]
    assert approved["order_id"] == order["order_id"] and approved["full"] is False
    assert approved["lines"] == [{"product_id": tea, "sku": "SKU-0", "quantity": "2"}]
    assert outbox(rt, "support.return.requested")[0]["data"]["ticket_id"] == ticket["id"]
    assert outbox(rt, "support.return.rejected")[0]["data"]["reason"] == "used"
    assert sorted(r["status"] for r in admin.get(path).json) == ["approved", "rejected"]


def test_returns_wait_for_the_order_and_refuse_cancelled_ones(rt, admin, customer):
    ticket = open_ticket(admin, customer, category="return")
    path = f"/api/v1/tickets/{ticket['id']}/returns"
    unknown = admin.post(path, json={"order_id": str(uuid.uuid4()), "full": True})
    assert unknown.status_code == 422
    assert admin.post(path, json={"full": True}).status_code == 422  # no order at all
    order = order_data(customer, [(str(uuid.uuid4()), "1")])
    cancelled = {
        "order_id": order["order_id"],
        "customer_id": customer,
        "total": order["total"],
        "base_total": order["base_total"],
        "was_paid": False,
        "cancelled_at": "2026-01-06T10:00:00Z",
        "revision": 2,
    }
    feed(rt, "sales.order.cancelled", cancelled)  # arrives before the placement
    feed(rt, "sales.order.placed", order)
    response = admin.post(path, json={"order_id": order["order_id"], "full": True})
    assert response.status_code == 409 and "cancelled" in response.json["error"]["message"]


# -- replicas --------------------------------------------------------------------------------------


def test_a_customer_merge_rekeys_tickets_and_erasure_forgets_personal_data(rt, admin, customer):
    survivor = customer_data(name="Mei Lin (main)")
    feed(rt, "customer.created", survivor)
    ticket = open_ticket(admin, customer, contact={"name": "Mei", "email": "mei@example.com"})
    feed(
        rt,
        "customer.merged",
        {
            "survivor_id": survivor["customer_id"],
            "merged_ids": [customer],
            "merged_at": "2026-01-12T09:00:00Z",
            "revision": 2,
        },
    )
    moved = admin.get(f"/api/v1/tickets/{ticket['id']}").json
    assert moved["customer_id"] == survivor["customer_id"]
    updated = outbox(rt, "support.ticket.updated")[-1]["data"]
    assert updated["changed_fields"] == ["customer_id"]
    # A stale update about the merged duplicate does not bring it back.
    feed(rt, "customer.updated", {**customer_data(customer, revision=5), "changed_fields": []})
    listed = admin.get(f"/api/v1/tickets?customer_id={survivor['customer_id']}").json["items"]
    assert [t["id"] for t in listed] == [ticket["id"]]
    # Tickets for the merged id land on the survivor.
    again = open_ticket(admin, customer)
    assert again["customer_id"] == survivor["customer_id"]
    feed(
        rt,
        "customer.erased",
        {
            "customer_id": survivor["customer_id"],
            "erased_at": "2026-01-12T09:00:00Z",
            "revision": 3,
        },
    )
    erased = admin.get(f"/api/v1/tickets/{ticket['id']}").json
    assert erased["contact"] == {"name": None, "email": None, "phone": None}
    assert erased["customer_name"] == "Erased customer"
    bodies = [
        c["body"] for c in admin.get(f"/api/v1/tickets/{ticket['id']}/comments").json["items"]
    ]
    assert bodies == ["[erased]"]
    response = admin.post(
        "/api/v1/tickets",
        json={
            "customer_id": survivor["customer_id"],
            "subject": "x",
            "category": "question",
            "channel": "web",
        },
    )
    assert response.status_code == 422


def test_replica_handlers_ignore_replays_and_stale_events(rt):
    from sqlalchemy import select

    from support_service.adapters import tables as t

    data = customer_data(name="New name", revision=3, tags=["VIP"], tier="Gold")
    feed(rt, "customer.updated", {**data, "changed_fields": ["name"]})
    feed(rt, "customer.created", {**data, "name": "Old name", "revision": 1})
    with rt.db.session() as session:
        row = session.execute(
            select(t.customers).where(t.customers.c.id == data["customer_id"])
        ).one()
    assert (row.name, row.tier, row.tags, row.revision) == ("New name", "gold", ["vip"], 3)
