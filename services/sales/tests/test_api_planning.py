"""Contracts (with renewal reminders and expiry), targets with attainment, tasks with
due reminders."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from sales_service.service import contracts as contract_use
from sales_service.service import tasks as task_use

pytestmark = pytest.mark.integration


def test_contract_lifecycle_reminder_and_renewal(kit, rt, admin, caller, clock, add_customer):
    rep = caller("sales_rep", team="east")
    customer = add_customer()
    start = clock.now.date()
    end = start + timedelta(days=90)
    response = rep.post(
        "/api/v1/contracts",
        json={"customer_id": customer, "title": "Supply", "start_date": start.isoformat(),
              "end_date": end.isoformat(), "value": "12000", "renewal_notice_days": 30},
    )  # fmt: skip
    assert response.status_code == 201, response.get_json()
    contract = response.get_json()
    assert contract["status"] == "draft" and contract["owner_id"] == rep.id
    assert contract["renewal_due_on"] == (end - timedelta(days=30)).isoformat()
    path = f"/api/v1/contracts/{contract['id']}"
    changed = rep.patch(path, json={"value": "15000"}, headers={"If-Match": '"1"'})
    assert changed.get_json()["base_value"] == kit.money("15000.00")
    assert rep.post(f"{path}/sign", json={}).get_json()["status"] == "active"
    assert rep.patch(path, json={"value": "1"}, headers={"If-Match": '"3"'}).status_code == 409

    assert contract_use.send_renewal_reminders(rt.uow, clock.advance(days=59)) == 0
    assert contract_use.send_renewal_reminders(rt.uow, clock.advance(days=1)) == 1
    assert contract_use.send_renewal_reminders(rt.uow, clock.advance(hours=1)) == 0  # once
    due = kit.outbox("sales.contract.renewal_due")
    assert len(due) == 1 and due[0]["data"]["days_left"] == 30
    task_id = due[0]["data"]["task_id"]
    task = rep.get(f"/api/v1/tasks/{task_id}").get_json()  # the owner's task, visible to them
    assert task["related_id"] == contract["id"] and task["assignee_id"] == rep.id
    assert task["priority"] == "high" and task["kind"] == "follow_up"

    renewed = rep.post(f"{path}/renew", json={"value": "16000"})
    assert renewed.status_code == 201, renewed.get_json()
    body = renewed.get_json()
    assert body["contract"]["status"] == "renewed"
    successor = body["renewal"]
    assert successor["status"] == "active" and successor["renewed_from_id"] == contract["id"]
    assert successor["start_date"] == (end + timedelta(days=1)).isoformat()
    assert successor["value"] == kit.money("16000.00")
    assert kit.outbox("sales.contract.renewed")[0]["data"]["renewal_contract_id"] == successor["id"]
    assert [e["data"]["contract_id"] for e in kit.outbox("sales.contract.signed")] == [
        contract["id"],
        successor["id"],
    ]


def test_contract_expiry_and_auto_renewal(kit, rt, admin, clock, add_customer):
    customer = add_customer()
    today = clock.now.date()

    def signed(auto_renew):
        made = admin.post(
            "/api/v1/contracts",
            json={"customer_id": customer, "title": "T", "start_date": today.isoformat(),
                  "end_date": (today + timedelta(days=9)).isoformat(), "value": "100",
                  "auto_renew": auto_renew},
        ).get_json()  # fmt: skip
        admin.post(f"/api/v1/contracts/{made['id']}/sign", json={})
        return made

    plain, automatic = signed(False), signed(True)
    assert contract_use.expire_ended(rt.uow, clock.advance(days=9)) == 0
    assert contract_use.expire_ended(rt.uow, clock.advance(days=1)) == 2
    assert admin.get(f"/api/v1/contracts/{plain['id']}").get_json()["status"] == "expired"
    renewed = admin.get(f"/api/v1/contracts/{automatic['id']}").get_json()
    assert renewed["status"] == "renewed" and renewed["renewal_contract_id"]
    assert len(kit.outbox("sales.contract.expired")) == 1
    terminate = admin.post(
        f"/api/v1/contracts/{renewed['renewal_contract_id']}/terminate", json={"reason": "moved"}
    )
    assert terminate.get_json()["status"] == "terminated"


def test_targets_and_attainment(kit, admin, caller, clock, add_customer, product):
    customer = add_customer()
    item = product(price="100.00", tax_rate="0")
    rep_id = str(uuid.uuid4())
    period = f"{clock.now.year}-{clock.now.month:02d}"
    revenue = admin.post(
        "/api/v1/targets",
        json={"subject": "rep", "owner_id": rep_id, "team": "east", "period": period,
              "metric": "revenue", "value": "1000"},
    )  # fmt: skip
    assert revenue.status_code == 201, revenue.get_json()
    duplicate = admin.post(
        "/api/v1/targets",
        json={"subject": "rep", "owner_id": rep_id, "period": period, "metric": "revenue",
              "value": "5"},
    )  # fmt: skip
    assert duplicate.status_code == 409
    team = admin.post(
        "/api/v1/targets",
        json={"subject": "team", "team": "east", "period": period, "metric": "orders",
              "value": "10"},
    ).get_json()  # fmt: skip
    orders = []
    for quantity in ("3", "2"):
        order = admin.post(
            "/api/v1/orders",
            json={"customer_id": customer, "owner_id": rep_id, "owner_team": "east",
                  "lines": [{"product_id": item["id"], "quantity": quantity}]},
        ).get_json()  # fmt: skip
        admin.post(f"/api/v1/orders/{order['id']}/pay", json={})
        orders.append(order)
    unpaid = admin.post(
        "/api/v1/orders",
        json={"customer_id": customer, "owner_id": rep_id, "owner_team": "east",
              "lines": [{"product_id": item["id"], "quantity": "9"}]},
    )  # fmt: skip
    assert unpaid.status_code == 201
    admin.post(f"/api/v1/orders/{orders[1]['id']}/cancel", json={})  # paid, then cancelled
    target = admin.get(f"/api/v1/targets/{revenue.get_json()['id']}").get_json()
    assert target["attainment"] == {
        "achieved": "300",
        "target": "1000",
        "remaining": "700",
        "ratio": "0.3",
        "currency": "EUR",
    }
    team_target = admin.get(f"/api/v1/targets/{team['id']}").get_json()
    assert team_target["attainment"]["achieved"] == "1"
    set_events = kit.outbox("sales.target.set")
    assert set_events[0]["data"]["value"] == "1000.00" and set_events[1]["data"]["value"] == "10"

    rep = caller("sales_rep", team="east", scopes=("targets:read", "targets:write"))
    manager = caller("sales_manager", team="east")
    assert rep.get(f"/api/v1/targets/{team['id']}").status_code == 200  # the team's target
    assert rep.patch(f"/api/v1/targets/{team['id']}", json={"value": "1"},
                     headers={"If-Match": '"1"'}).status_code == 403  # fmt: skip
    changed = manager.patch(f"/api/v1/targets/{team['id']}", json={"value": "12"},
                            headers={"If-Match": '"1"'})  # fmt: skip
    assert changed.status_code == 200 and changed.get_json()["value"] == "12"
    west = manager.post(
        "/api/v1/targets",
        json={"subject": "team", "team": "west", "period": period, "metric": "orders",
              "value": "1"},
    )  # fmt: skip
    assert west.status_code == 403
    assert manager.delete(f"/api/v1/targets/{team['id']}").status_code == 204
    assert kit.outbox("sales.target.removed")[0]["data"]["target_id"] == team["id"]
    assert [t["metric"] for t in admin.get(f"/api/v1/targets?period={period}").get_json()[
        "items"]] == ["revenue"]  # fmt: skip


def test_tasks_and_due_reminders(kit, rt, caller, clock, add_customer):
    rep = caller("sales_rep", team="east")
    peer = caller("sales_rep", team="east")
    customer = add_customer()
    lead = rep.post("/api/v1/leads", json={"source": "x", "customer_id": customer}).get_json()
    due = (clock.now + timedelta(hours=2)).isoformat()
    made = rep.post(
        "/api/v1/tasks",
        json={"kind": "call", "subject": "Call Mei", "due_at": due, "related_type": "lead",
              "related_id": lead["id"]},
    )  # fmt: skip
    assert made.status_code == 201, made.get_json()
    task = made.get_json()
    assert task["customer_id"] == customer and task["assignee_id"] == rep.id
    hidden = peer.post(
        "/api/v1/tasks",
        json={"kind": "call", "subject": "x", "related_type": "lead", "related_id": lead["id"]},
    )
    assert hidden.status_code == 404  # cannot hang a task on a record one cannot see
    assert peer.get(f"/api/v1/tasks/{task['id']}").status_code == 404

    assert task_use.remind_due(rt.uow, clock.advance(hours=1)) == 0
    assert task_use.remind_due(rt.uow, clock.advance(hours=1)) == 1
    assert task_use.remind_due(rt.uow, clock.advance(minutes=5)) == 0  # once per due date
    assert kit.outbox("sales.task.due")[0]["data"]["task_id"] == task["id"]
    path = f"/api/v1/tasks/{task['id']}"
    later = (clock.now + timedelta(days=1)).isoformat()
    moved = rep.patch(path, json={"due_at": later}, headers={"If-Match": '"2"'})
    assert moved.status_code == 200 and moved.get_json()["reminded_at"] is None
    assert task_use.remind_due(rt.uow, clock.advance(days=1)) == 1  # the new date reminds again
    overdue = rep.get("/api/v1/tasks?overdue=true").get_json()["items"]
    assert [t["id"] for t in overdue] == [task["id"]]
    done = rep.post(f"{path}/complete", json={"outcome": "interested"})
    assert done.get_json()["status"] == "completed"
    assert rep.post(f"{path}/complete", json={}).status_code == 409
    assert rep.post(f"{path}/reopen", json={}).get_json()["status"] == "open"
    assert rep.post(f"{path}/cancel", json={}).get_json()["status"] == "cancelled"
    assert [e["event_type"] for e in kit.outbox() if e["event_type"].startswith("sales.task")] == [
        "sales.task.created",
        "sales.task.due",
        "sales.task.updated",
        "sales.task.due",
        "sales.task.completed",
        "sales.task.updated",
        "sales.task.cancelled",
    ]
    assert date.fromisoformat(kit.outbox("sales.task.due")[1]["data"]["due_at"][:10])


def test_reopen_refuses_a_body_that_is_not_json_before_its_precondition(caller):
    """The full fuzz found POST /tasks/{id}/reopen answering 412 to bytes that are not UTF-8:
    they were read as no body, so the stale If-Match decided. A malformed request is a 400
    whatever its If-Match; an empty body is still no body."""
    rep = caller("sales_rep", team="east")
    task = rep.post("/api/v1/tasks", json={"kind": "call", "subject": "Call back"}).get_json()
    path = f"/api/v1/tasks/{task['id']}"
    assert rep.post(f"{path}/cancel", json={}).get_json()["status"] == "cancelled"
    for body in (b"\xff", b"\x80{}", b"{not json"):
        for if_match in ('"1"', '"2"', "garbage"):
            response = rep.post(
                f"{path}/reopen",
                data=body,
                content_type="application/json",
                headers={"If-Match": if_match},
            )
            assert response.status_code == 400, response.get_json()
            assert response.get_json()["error"]["code"] == "invalid_json"
    assert rep.get(path).get_json()["status"] == "cancelled"
    empty = {"data": b"", "content_type": "application/json"}
    assert rep.post(f"{path}/reopen", **empty, headers={"If-Match": '"1"'}).status_code == 412
    reopened = rep.post(f"{path}/reopen", **empty, headers={"If-Match": '"2"'})
    assert reopened.status_code == 200 and reopened.get_json()["status"] == "open"
