"""The SLA scan in the worker: warnings and breaches detected, stored, shown and published once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from support_helpers import customer_data, feed, open_ticket, outbox

from servicekit.scheduler import Scheduler
from support_service.service import sla_jobs

pytestmark = pytest.mark.integration


def scan(rt) -> int:
    return sla_jobs.scan_sla(rt.uow, rt.extras["support"])


def sla_events(rt) -> list[tuple[str, str]]:
    found = []
    for name in ("support.ticket.sla_warning", "support.ticket.sla_breached"):
        for event in outbox(rt, name):
            found.append((name.rsplit("_", 1)[-1], event["data"]["target"]))
    return sorted(found)


def test_warning_then_breach_once_each_in_business_time(
    rt, admin, customer, standard_policy, clock
):
    clock.set(datetime(2026, 1, 16, 17, 0, tzinfo=UTC))  # Friday 18:00 in Berlin: closing
    ticket = open_ticket(admin, customer, category="question")
    # 60 business minutes: due Monday 10:00 Berlin; warning at 80% = Monday 09:48.
    first = ticket["sla"]["targets"]["first_response"]
    assert first["due_at"] == "2026-01-19T09:00:00+00:00"
    assert first["warn_at"] == "2026-01-19T08:48:00+00:00"
    clock.set(datetime(2026, 1, 18, 12, 0, tzinfo=UTC))  # Sunday: nothing is due
    assert scan(rt) == 0
    clock.set(datetime(2026, 1, 19, 8, 50, tzinfo=UTC))
    assert scan(rt) == 1
    assert scan(rt) == 0  # once
    warned = admin.get(f"/api/v1/tickets/{ticket['id']}").json["sla"]["targets"]
    assert warned["first_response"]["warned"] and not warned["first_response"]["breached"]
    clock.set(datetime(2026, 1, 19, 9, 1, tzinfo=UTC))
    assert scan(rt) == 1
    assert scan(rt) == 0
    shown = admin.get(f"/api/v1/tickets/{ticket['id']}").json
    assert shown["sla"]["breached"] is True
    assert shown["sla"]["targets"]["first_response"]["remaining_business_seconds"] == -60
    assert sla_events(rt) == [("breached", "first_response"), ("warning", "first_response")]
    breach = outbox(rt, "support.ticket.sla_breached")[0]["data"]
    assert breach["due_at"] == "2026-01-19T09:00:00Z"
    assert breach["policy_name"] == "Standard" and breach["target_minutes"] == 60
    assert breach["elapsed_business_seconds"] == 61 * 60
    warning = outbox(rt, "support.ticket.sla_warning")[0]["data"]
    assert warning["threshold_percent"] == 80 and warning["cycle"] == 1
    listed = admin.get("/api/v1/tickets?sla_breached=true").json["items"]
    assert [t["id"] for t in listed] == [ticket["id"]]
    # Replying late does not publish the breach a second time.
    admin.post(f"/api/v1/tickets/{ticket['id']}/reply", json={"body": "Sorry for the wait"})
    assert len(outbox(rt, "support.ticket.sla_breached")) == 1
    first_responded = outbox(rt, "support.ticket.first_responded")[0]["data"]
    assert first_responded["met"] is False
    assert first_responded["business_seconds"] == 61 * 60


def test_pending_tickets_are_not_breached_while_the_customer_keeps_them_waiting(
    rt, admin, customer, standard_policy, clock
):
    ticket = open_ticket(admin, customer, category="question")
    path = f"/api/v1/tickets/{ticket['id']}"
    admin.post(path + "/reply", json={"body": "Could you send a photo?"})
    clock.advance(minutes=30)
    admin.post(path + "/pending", json={"reason": "photo"})
    clock.advance(days=10)
    assert scan(rt) == 0
    paused = admin.get(path).json["sla"]["targets"]["resolution"]
    assert paused["paused"] is True and paused["due_at"] is None
    assert paused["remaining_business_seconds"] == (480 - 30) * 60
    admin.post(path + "/reply", json={"body": "Here it is", "author": "customer"})
    resumed = admin.get(path).json["sla"]["targets"]
    assert resumed["resolution"]["running"] is True
    assert resumed["next_response"]["cycle"] == 1
    assert scan(rt) == 0
    assert sla_events(rt) == []


def test_the_scan_runs_as_a_scheduled_job_of_the_worker(
    rt, admin, customer, standard_policy, clock
):
    open_ticket(admin, customer, category="question")
    clock.advance(days=3)
    job = next(j for j in rt.jobs if j.name == "sla-scan")
    assert Scheduler(rt.db, "support", [job]).run_if_due(job)
    # first response and resolution both breached; warnings are skipped when already overdue
    assert sla_events(rt) == [("breached", "first_response"), ("breached", "resolution")]


def test_the_scan_reads_only_what_is_due(rt, admin, standard_policy, clock):
    data = customer_data()
    feed(rt, "customer.created", data)
    for _ in range(12):
        open_ticket(admin, data["customer_id"], category="question")
    clock.advance(minutes=49)
    before = clock.current
    assert sla_jobs.scan_sla(rt.uow, rt.extras["support"], batch=5) == 12
    assert clock.current == before
    assert scan(rt) == 0
    with rt.db.session() as session:
        from sqlalchemy import func, select

        from support_service.adapters import tables as t

        due = session.execute(
            select(func.count())
            .select_from(t.tickets)
            .where(t.tickets.c.sla_next_check_at <= clock.current)
        ).scalar_one()
    assert due == 0


def test_resolved_tickets_close_after_the_reopen_window(rt, admin, customer, clock):
    ticket = open_ticket(admin, customer, category="question")
    admin.post(f"/api/v1/tickets/{ticket['id']}/resolve", json={})
    clock.advance(days=6)
    assert sla_jobs.close_expired_resolutions(rt.uow, rt.extras["support"]) == 0
    clock.advance(days=2)
    assert sla_jobs.close_expired_resolutions(rt.uow, rt.extras["support"]) == 1
    closed = admin.get(f"/api/v1/tickets/{ticket['id']}").json
    assert closed["status"] == "closed" and closed["close_reason"] == "auto"
    assert outbox(rt, "support.ticket.closed")[0]["data"]["close_reason"] == "auto"
    assert clock.current - datetime.fromisoformat(closed["closed_at"]) < timedelta(seconds=1)


def test_deadlines_follow_an_edited_calendar(rt, admin, customer, standard_policy, berlin, clock):
    clock.set(datetime(2026, 1, 16, 17, 0, tzinfo=UTC))  # Friday 18:00 in Berlin: closing
    ticket = open_ticket(admin, customer, category="question")
    assert ticket["sla"]["targets"]["first_response"]["due_at"] == "2026-01-19T09:00:00+00:00"
    path = f"/api/v1/business-calendars/{berlin}"
    response = admin.patch(
        path,
        json={"custom_days": [{"date": "2026-01-19", "open": False, "name": "Inventory"}]},
        headers={"If-Match": admin.get(path).headers["ETag"]},
    )
    assert response.status_code == 200
    assert sla_jobs.follow_calendar_changes(rt.uow, rt.extras["support"]) == 1
    assert sla_jobs.follow_calendar_changes(rt.uow, rt.extras["support"]) == 0
    moved = admin.get(f"/api/v1/tickets/{ticket['id']}").json["sla"]["targets"]
    assert moved["first_response"]["due_at"] == "2026-01-20T09:00:00+00:00"  # Tuesday 10:00
    assert outbox(rt, "support.ticket.updated")[-1]["data"]["changed_fields"] == ["sla_deadlines"]
