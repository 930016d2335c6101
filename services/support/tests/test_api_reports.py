"""Reports: backlog, SLA compliance, response and resolution times, CSAT and NPS."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from support_helpers import open_ticket

from support_service.service.surveys import answer_survey

pytestmark = pytest.mark.integration

COMPLAINT_FIX = {
    "root_cause_category": "delivery",
    "root_cause": "Carrier dropped it",
    "corrective_action": "Changed carrier",
}


def at(clock, day, hour, minute=0):
    """Berlin wall clock in January 2026 (CET = UTC+1)."""
    return clock.set(datetime(2026, 1, day, hour - 1, minute, tzinfo=UTC))


def answer(rt, survey_id: str, score: int) -> None:
    ctx = rt.extras["support"]
    with rt.uow() as uow:
        survey = uow.surveys.get(survey_id)
        token = survey.issue_token("mei@example.com", "Mei")
        survey.mark_sent(ctx.now(), ctx.settings.survey_ttl)
        uow.surveys.save(survey)
        uow.commit()
    with rt.uow() as uow:
        answer_survey(uow, ctx, token, score, None)
        uow.commit()


def test_reports_count_and_measure_what_happened(rt, admin, customer, standard_policy, clock):
    at(clock, 12, 10)  # Monday 10:00
    fast = open_ticket(admin, customer, category="question")
    slow = open_ticket(admin, customer)
    waiting = open_ticket(admin, customer, category="question", priority="high")
    open_ticket(admin, customer, category="billing", priority="urgent")
    at(clock, 12, 10, 30)
    admin.post(f"/api/v1/tickets/{fast['id']}/reply", json={"body": "On it"})
    at(clock, 12, 11, 30)
    admin.post(f"/api/v1/tickets/{slow['id']}/reply", json={"body": "Sorry, on it"})
    admin.post(f"/api/v1/tickets/{waiting['id']}/pending", json={})
    at(clock, 12, 12)
    admin.post(f"/api/v1/tickets/{fast['id']}/resolve", json={})
    at(clock, 13, 10)  # Tuesday 10:00: 8 + 1 business hours after opening
    admin.post(f"/api/v1/tickets/{slow['id']}/resolve", json=COMPLAINT_FIX)
    from support_service.service import sla_jobs

    sla_jobs.scan_sla(rt.uow, rt.extras["support"])  # the urgent one breached meanwhile

    backlog = admin.get("/api/v1/support-reports/backlog").json
    assert backlog["total"] == 2
    assert backlog["by_status"] == {"new": 1, "open": 0, "pending": 1, "on_hold": 0}
    assert backlog["by_priority"] == {"low": 0, "normal": 0, "high": 1, "urgent": 1}
    assert {"status": "new", "priority": "urgent", "count": 1} in backlog["matrix"]
    assert backlog["sla_breached"] == 2
    assert backlog["oldest_age_seconds"] == 24 * 3600
    waiting_sla = admin.get(f"/api/v1/tickets/{waiting['id']}").json["sla"]
    # 90 minutes > 60 when it was set pending: judged at the pause, not forgotten
    assert waiting_sla["targets"]["first_response"]["breached"] is True

    window = "start=2026-01-01T00:00:00Z&end=2026-02-01T00:00:00Z"
    compliance = admin.get(f"/api/v1/support-reports/sla-compliance?{window}").json
    (policy,) = compliance["policies"]
    assert policy["policy_name"] == "Standard"
    targets = {t["target"]: t for t in policy["targets"]}
    assert targets["first_response"] | {"target": None} == {
        "target": None,
        "met": 1,
        "breached": 3,
        "in_progress": 0,
        "not_applicable": 0,
        "met_percent": "25.0",
        "breached_percent": "75.0",
    }
    resolution = targets["resolution"]
    assert (resolution["met"], resolution["breached"], resolution["in_progress"]) == (1, 2, 1)
    assert resolution["met_percent"] == "33.3"

    times = admin.get(f"/api/v1/support-reports/response-times?{window}").json
    (period,) = times["periods"]
    assert period["period"] == "all"
    assert period["first_response"] == {
        "count": 2,
        "business_median_seconds": "3600.0",
        "business_p90_seconds": 5400,
        "calendar_median_seconds": "3600.0",
        "calendar_p90_seconds": 5400,
    }
    assert period["resolution"] == {
        "count": 2,
        "business_median_seconds": "19800.0",
        "business_p90_seconds": 32400,
        "calendar_median_seconds": "46800.0",
        "calendar_p90_seconds": 86400,
    }
    daily = admin.get(
        f"/api/v1/support-reports/response-times?{window}&interval=day&timezone=Asia/Shanghai"
    ).json
    assert [p["period"] for p in daily["periods"]] == ["2026-01-12", "2026-01-13"]

    surveys = admin.get("/api/v1/satisfaction-surveys?status=scheduled").json["items"]
    by_ticket = {s["ticket_id"]: s["id"] for s in surveys}
    answer(rt, by_ticket[fast["id"]], 5)
    answer(rt, by_ticket[slow["id"]], 3)
    for score in (10, 9, 3):
        made = admin.post(
            "/api/v1/satisfaction-surveys", json={"ticket_id": slow["id"], "kind": "nps"}
        )
        assert made.status_code == 201, made.json
        answer(rt, made.json["id"], score)
    satisfaction = admin.get(f"/api/v1/support-reports/satisfaction?{window}").json
    (period,) = satisfaction["periods"]
    assert period["csat"] == {"responses": 2, "average": "4.00", "satisfied_percent": "50.0"}
    assert period["nps"] == {
        "responses": 3,
        "promoters_percent": "66.7",
        "passives_percent": "0.0",
        "detractors_percent": "33.3",
        "nps": "33.3",
    }
    assert satisfaction["surveys_sent"] == {"csat": 2, "nps": 3}
    low = admin.get("/api/v1/satisfaction-surveys?low_score=true").json["items"]
    assert [s["score"] for s in low] == [3] and low[0]["kind"] == "nps"
    assert low[0]["follow_up"] == "reopened"
    assert admin.get(f"/api/v1/tickets/{slow['id']}").json["status"] == "open"
