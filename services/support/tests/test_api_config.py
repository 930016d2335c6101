"""Configuration API: business calendars, SLA policies and agent groups."""

from __future__ import annotations

import uuid

import pytest
from support_helpers import BERLIN_HOURS, customer_data, feed, open_ticket

pytestmark = pytest.mark.integration

SHANGHAI_SPLIT = {
    d: [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "18:00"}]
    for d in ("mon", "tue", "wed", "thu", "fri")
}


def test_calendars_show_their_days_and_compute_business_time(admin):
    created = admin.post(
        "/api/v1/business-calendars",
        json={
            "name": "Shanghai",
            "timezone": "Asia/Shanghai",
            "hours": SHANGHAI_SPLIT,
            "holiday_country": "cn",
            "customer_countries": ["cn", "HK"],
            "custom_days": [{"date": "2025-02-07", "open": False, "name": "Team outing"}],
        },
    )
    assert created.status_code == 201, created.json
    body = created.json
    assert body["holiday_country"] == "CN" and body["customer_countries"] == ["CN", "HK"]
    assert body["hours"]["mon"] == [
        {"start": "09:00", "end": "12:00"},
        {"start": "13:00", "end": "18:00"},
    ]
    assert body["hours"]["sat"] == []
    path = f"/api/v1/business-calendars/{body['id']}"
    days = admin.get(path + "/days?start=2025-01-26&end=2025-01-29").json
    assert [(d["date"], d["reason"], d["working"]) for d in days] == [
        ("2025-01-26", "workday", True),
        ("2025-01-27", "weekday", True),
        ("2025-01-28", "holiday", False),
        ("2025-01-29", "holiday", False),
    ]
    assert admin.get(path + "/days?start=2025-02-07&end=2025-02-07").json[0]["name"] == (
        "Team outing"
    )
    deadline = admin.post(
        path + "/compute", json={"start": "2025-01-27T10:00:00Z", "add_minutes": 60}
    ).json  # Monday 18:00 in Shanghai; the next working day is 5 February
    assert deadline["end"] == "2025-02-05T02:00:00+00:00"
    assert deadline["start_is_working_time"] is False
    between = admin.post(
        path + "/compute", json={"start": "2025-01-27T10:00:00Z", "end": "2025-02-05T02:00:00Z"}
    ).json
    assert between["business_minutes"] == "60.000000"


def test_one_default_calendar_and_edits_with_if_match(admin):
    first = admin.post(
        "/api/v1/business-calendars",
        json={"name": "A", "timezone": "UTC", "hours": BERLIN_HOURS, "is_default": True},
    ).json
    second = admin.post(
        "/api/v1/business-calendars",
        json={"name": "B", "timezone": "UTC", "hours": BERLIN_HOURS, "is_default": True},
    ).json
    listed = {
        c["name"]: c["is_default"] for c in admin.get("/api/v1/business-calendars").json["items"]
    }
    assert listed == {"A": False, "B": True}
    path = f"/api/v1/business-calendars/{second['id']}"
    etag = admin.get(path).headers["ETag"]
    changed = admin.patch(path, json={"timezone": "Europe/Paris"}, headers={"If-Match": etag})
    assert changed.status_code == 200 and changed.json["timezone"] == "Europe/Paris"
    stale = admin.patch(path, json={"timezone": "UTC"}, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert admin.delete(f"/api/v1/business-calendars/{first['id']}").status_code == 204
    assert admin.get(f"/api/v1/business-calendars/{first['id']}").status_code == 404


def test_policies_match_by_conditions_and_pick_the_calendar_by_country(rt, admin):
    shanghai = admin.post(
        "/api/v1/business-calendars",
        json={
            "name": "SH",
            "timezone": "Asia/Shanghai",
            "hours": SHANGHAI_SPLIT,
            "customer_countries": ["CN"],
        },
    ).json
    vip = admin.post(
        "/api/v1/sla-policies",
        json={
            "name": "Gold complaints",
            "conditions": {"categories": ["complaint"], "customer_tiers": ["gold"]},
            "first_response_minutes": 30,
        },
    ).json
    anything = admin.post(
        "/api/v1/sla-policies", json={"name": "Anything", "resolution_minutes": 2400}
    ).json
    assert anything["position"] > vip["position"]
    gold = customer_data(country="CN", tier="Gold")
    feed(rt, "customer.created", gold)
    match = admin.get(
        "/api/v1/sla-policies/match?priority=normal&category=complaint&channel=email"
        f"&customer_id={gold['customer_id']}"
    ).json
    assert match["policy"]["name"] == "Gold complaints"
    assert match["calendar_id"] == shanghai["id"]
    assert (match["customer_tier"], match["customer_country"]) == ("gold", "CN")
    plain = admin.get("/api/v1/sla-policies/match?priority=low&category=complaint&channel=web").json
    assert plain["policy"]["name"] == "Anything" and plain["calendar_id"] is None
    ticket = open_ticket(admin, gold["customer_id"])
    assert ticket["sla"]["policy_name"] == "Gold complaints"
    assert ticket["sla"]["calendar_id"] == shanghai["id"]
    path = f"/api/v1/sla-policies/{vip['id']}"
    etag = admin.get(path).headers["ETag"]
    off = admin.patch(path, json={"active": False}, headers={"If-Match": etag})
    assert off.status_code == 200 and off.json["active"] is False
    assert admin.delete(path).status_code == 409  # a ticket was measured against it
    assert admin.delete(f"/api/v1/sla-policies/{anything['id']}").status_code == 204
    assert [p["name"] for p in admin.get("/api/v1/sla-policies").json["items"]] == [
        "Gold complaints"
    ]


def test_groups_and_their_members(admin, caller):
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    group = admin.post(
        "/api/v1/agent-groups",
        json={"name": "Care", "members": [{"agent_id": a, "name": "Li", "email": "li@x.com"}]},
    )
    assert group.status_code == 201
    path = f"/api/v1/agent-groups/{group.json['id']}"
    added = admin.post(path + "/members", json={"agent_id": b, "name": "Jonas"})
    assert added.status_code == 201 and [m["agent_id"] for m in added.json["members"]] == [a, b]
    assert admin.post(path + "/members", json={"agent_id": b}).status_code == 409
    assert admin.patch(f"{path}/members/{a}", json={"available": False}).status_code == 428
    away = admin.patch(
        f"{path}/members/{a}",
        json={"available": False},
        headers={"If-Match": added.headers["ETag"]},
    ).json
    assert away["members"][0]["available"] is False
    assert [m["name"] for m in admin.get(path + "/members").json] == ["Li", "Jonas"]
    assert admin.delete(f"{path}/members/{a}").json["members"][0]["agent_id"] == b
    etag = admin.get(path).headers["ETag"]
    renamed = admin.patch(
        path, json={"name": "After-sales", "is_default": True}, headers={"If-Match": etag}
    )
    assert renamed.json["name"] == "After-sales" and renamed.json["is_default"] is True
    agent = caller("support_agent", scopes=("tickets:read",))
    assert agent.get(path).status_code == 200
    assert agent.get("/api/v1/agent-groups").json["items"][0]["name"] == "After-sales"


def test_configuration_lists_are_paginated_in_their_order(admin):
    for name, position in (("C", 30), ("A", 10), ("B", 20), ("Z", 10)):
        admin.post(
            "/api/v1/sla-policies",
            json={"name": name, "position": position, "resolution_minutes": 60},
        )
    first = admin.get("/api/v1/sla-policies?limit=3").json
    assert [p["name"] for p in first["items"]] == ["A", "Z", "B"]
    rest = admin.get(f"/api/v1/sla-policies?limit=3&cursor={first['next_cursor']}").json
    assert [p["name"] for p in rest["items"]] == ["C"] and rest["next_cursor"] is None
    etag = admin.get(f"/api/v1/sla-policies/{first['items'][0]['id']}").headers["ETag"]
    admin.patch(
        f"/api/v1/sla-policies/{first['items'][0]['id']}",
        json={"active": False},
        headers={"If-Match": etag},
    )
    active = admin.get("/api/v1/sla-policies?active=true").json["items"]
    assert [p["name"] for p in active] == ["Z", "B", "C"]
    agent = str(uuid.uuid4())
    for name in ("Night", "Day"):
        admin.post("/api/v1/agent-groups", json={"name": name, "members": [{"agent_id": agent}]})
    admin.post("/api/v1/agent-groups", json={"name": "Other"})
    mine = admin.get(f"/api/v1/agent-groups?agent_id={agent}&limit=1").json
    assert [g["name"] for g in mine["items"]] == ["Day"] and mine["next_cursor"]
