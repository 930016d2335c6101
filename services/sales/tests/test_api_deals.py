"""Pipelines, opportunities, the weighted pipeline and the forecast through the API."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

pytestmark = pytest.mark.integration

STAGES = [
    {"name": "Qualify", "probability": 20},
    {"name": "Propose", "probability": 60, "forecast_category": "best_case"},
    {"name": "Commit", "probability": 90, "forecast_category": "commit"},
    {"name": "Won", "is_won": True},
    {"name": "Lost", "is_lost": True},
]


@pytest.fixture
def pipeline(admin):
    response = admin.post("/api/v1/pipelines", json={"name": "B2B", "stages": STAGES})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def open_deal(who, customer, **extra):
    response = who.post(
        "/api/v1/opportunities", json={"name": "Deal", "customer_id": customer, **extra}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_pipeline_definition_and_changes(kit, admin, caller, pipeline, add_customer):
    assert pipeline["is_default"] is True  # the first pipeline becomes the default
    assert [s["forecast_category"] for s in pipeline["stages"]] == [
        "pipeline", "best_case", "commit", "closed", "omitted",
    ]  # fmt: skip
    rep = caller("sales_rep", scopes=("opportunities:read", "opportunities:write"))
    assert rep.post("/api/v1/pipelines", json={"name": "x", "stages": STAGES}).status_code == 403
    assert rep.get("/api/v1/pipelines").status_code == 200
    bad = admin.post("/api/v1/pipelines", json={"name": "x", "stages": STAGES[:3]})
    assert bad.status_code == 422 and "won" in bad.get_json()["error"]["message"]

    deal = open_deal(admin, add_customer(), amount="1000")
    path = f"/api/v1/pipelines/{pipeline['id']}"
    stages = [{**s, "id": p["id"]} for s, p in zip(STAGES, pipeline["stages"], strict=True)]
    without_first = stages[1:]
    removed = admin.patch(path, json={"stages": without_first}, headers={"If-Match": '"1"'})
    assert removed.status_code == 409  # the deal still sits in Qualify
    renamed = [{**stages[0], "name": "Discovery"}, *stages[1:]]
    changed = admin.patch(path, json={"stages": renamed}, headers={"If-Match": '"1"'})
    assert changed.status_code == 200, changed.get_json()
    again = admin.get(f"/api/v1/opportunities/{deal['id']}").get_json()
    assert again["stage_name"] == "Discovery"
    assert kit.outbox("sales.pipeline.updated")[0]["data"]["stages"][0]["name"] == "Discovery"


def test_opportunity_journey_with_history_and_events(kit, admin, clock, pipeline, add_customer):
    kit_rate = admin.post(
        "/api/v1/fx-rates",
        json={"currency": "USD", "rate": "0.9", "effective_from": "2020-01-01T00:00:00Z"},
    )
    assert kit_rate.status_code == 201
    customer = add_customer()
    deal = open_deal(
        admin,
        customer,
        amount="10000",
        currency="USD",
        expected_close_date=(clock.now + timedelta(days=30)).date().isoformat(),
        competitors=[{"name": "Green Leaf", "strengths": "price"}],
    )
    assert deal["base_amount"] == kit.money("9000.00")
    assert deal["weighted_amount"] == kit.money("1800.00")
    path = f"/api/v1/opportunities/{deal['id']}"
    stages = {s["name"]: s["id"] for s in pipeline["stages"]}
    clock.advance(days=2)
    moved = admin.post(f"{path}/move", json={"stage_id": stages["Propose"]})
    assert moved.status_code == 200 and moved.get_json()["probability"] == 60
    assert admin.post(f"{path}/move", json={"stage_id": stages["Won"]}).status_code == 422
    changed = admin.patch(path, json={"amount": "12000"}, headers={"If-Match": '"2"'})
    assert changed.status_code == 200
    assert changed.get_json()["base_amount"] == kit.money("10800.00")
    assert admin.post(f"{path}/lose", json={}).status_code == 422
    clock.advance(days=3)
    lost = admin.post(f"{path}/lose", json={"reason": "price", "competitor": "Green Leaf"})
    assert lost.status_code == 200 and lost.get_json()["status"] == "lost"
    assert admin.patch(path, json={"amount": "1"}, headers={"If-Match": '"4"'}).status_code == 409
    assert admin.post(f"{path}/reopen", json={}).get_json()["stage_name"] == "Qualify"
    won = admin.post(f"{path}/win", json={"reason": "second chance"})
    assert won.get_json()["status"] == "won" and won.get_json()["probability"] == 100

    history = admin.get(f"{path}/history").get_json()
    assert [h["to_stage_name"] for h in history] == ["Qualify", "Propose", "Lost", "Qualify", "Won"]
    assert history[1]["seconds_in_previous"] == 2 * 86400
    changed_events = kit.outbox("sales.opportunity.stage_changed")
    assert changed_events[0]["data"]["time_in_previous_stage_seconds"] == 2 * 86400
    assert changed_events[0]["data"]["from_stage_name"] == "Qualify"
    lost_event = kit.outbox("sales.opportunity.lost")[0]["data"]
    assert lost_event["reason"] == "price" and lost_event["competitor"] == "Green Leaf"
    assert lost_event["amount"] == kit.money("12000.00", "USD")
    assert kit.outbox("sales.opportunity.won")[0]["data"]["status"] == "won"


def test_customer_open_deals_and_object_level_access(admin, caller, pipeline, add_customer):
    customer = add_customer()
    rep = caller("sales_rep", team="east")
    peer = caller("sales_rep", team="east")
    manager = caller("sales_manager", team="east")
    mine = open_deal(rep, customer, amount="100")
    assert mine["owner_id"] == rep.id
    theirs = open_deal(admin, customer, amount="200", owner_id=str(uuid.uuid4()))
    assert peer.get(f"/api/v1/opportunities/{mine['id']}").status_code == 404
    listing = rep.get(f"/api/v1/opportunities?customer_id={customer}&status=open").get_json()
    assert [d["id"] for d in listing["items"]] == [mine["id"]]
    team_view = manager.get(f"/api/v1/opportunities?customer_id={customer}").get_json()
    assert [d["id"] for d in team_view["items"]] == [mine["id"]]
    everything = admin.get(f"/api/v1/opportunities?customer_id={customer}&status=open").get_json()
    assert {d["id"] for d in everything["items"]} == {mine["id"], theirs["id"]}
    assert peer.post(f"/api/v1/opportunities/{mine['id']}/win", json={}).status_code == 404


def test_weighted_pipeline_and_forecast(kit, admin, caller, clock, pipeline, add_customer):
    customer = add_customer()
    stages = {s["name"]: s["id"] for s in pipeline["stages"]}
    rep_a, rep_b = str(uuid.uuid4()), str(uuid.uuid4())
    close = clock.now.date().isoformat()
    a1 = open_deal(admin, customer, amount="1000", owner_id=rep_a, owner_team="east",
                   expected_close_date=close)  # fmt: skip
    a2 = open_deal(admin, customer, amount="2000", owner_id=rep_a, owner_team="east",
                   expected_close_date=close)  # fmt: skip
    b1 = open_deal(admin, customer, amount="4000", owner_id=rep_b, owner_team="west",
                   expected_close_date=close)  # fmt: skip
    open_deal(admin, customer, amount="500", owner_id=rep_b, owner_team="west")  # no close date
    admin.post(f"/api/v1/opportunities/{a2['id']}/move", json={"stage_id": stages["Propose"]})
    admin.post(f"/api/v1/opportunities/{b1['id']}/move", json={"stage_id": stages["Commit"]})
    admin.post(f"/api/v1/opportunities/{a1['id']}/win", json={})

    summary = admin.get(f"/api/v1/pipelines/{pipeline['id']}/summary").get_json()
    by_stage = {s["name"]: s for s in summary["stages"]}
    assert by_stage["Propose"]["weighted_amount"] == kit.money("1200.00")
    assert by_stage["Commit"]["weighted_amount"] == kit.money("3600.00")
    assert summary["count"] == 3 and summary["weighted_amount"] == kit.money("4900.00")

    forecast = admin.get("/api/v1/forecasts?period=month&group_by=rep")
    assert forecast.status_code == 200, forecast.get_json()
    body = forecast.get_json()
    this_month = body["periods"][0]
    totals = this_month["totals"]
    assert totals["closed_won"] == kit.money("1000.00")
    assert totals["commit"] == kit.money("4000.00")
    assert totals["best_case"] == kit.money("2000.00")
    assert totals["weighted"] == kit.money("4800.00")
    assert totals["forecast_commit"] == kit.money("5000.00")
    assert totals["forecast_best_case"] == kit.money("7000.00")
    reps = {g["owner_id"]: g for g in this_month["groups"]}
    assert reps[rep_a]["closed_won"] == kit.money("1000.00")
    assert reps[rep_b]["commit"] == kit.money("4000.00")
    assert body["unscheduled"]["pipeline"] == kit.money("500.00")
    teams = admin.get("/api/v1/forecasts?period=quarter&group_by=team").get_json()
    assert {g["team"] for g in teams["periods"][0]["groups"]} == {"east", "west"}
    manager = caller("sales_manager", team="west")
    west_only = manager.get("/api/v1/forecasts?period=month").get_json()["periods"][0]["totals"]
    assert west_only["closed_won"] == kit.money("0.00") and west_only["commit"] == kit.money(
        "4000.00"
    )
    assert admin.get("/api/v1/forecasts?period=week").status_code == 422
    assert admin.get("/api/v1/forecasts?from=2026-01-01&to=2020-01-01").status_code == 422
