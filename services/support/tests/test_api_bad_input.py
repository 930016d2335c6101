"""Bad input on every endpoint answers a clear 4xx in the standard error shape, never a 500."""

from __future__ import annotations

import uuid

import pytest
from support_helpers import AGENT_SCOPES, BERLIN_HOURS, add_group, feed, open_ticket, order_data

pytestmark = pytest.mark.integration

NOBODY = "00000000-0000-4000-8000-000000000000"
LONG = "x" * 20_001


@pytest.fixture
def world(rt, admin, customer, standard_policy, berlin):
    product = str(uuid.uuid4())
    order = order_data(customer, [(product, "2")])
    feed(rt, "sales.order.placed", order)
    group = add_group(admin, "Care", [str(uuid.uuid4())])
    ticket = open_ticket(admin, customer, category="return", order_id=order["order_id"])
    question = open_ticket(admin, customer, category="question")
    request = admin.post(
        f"/api/v1/tickets/{ticket['id']}/returns",
        json={"lines": [{"product_id": product, "quantity": "1"}]},
    ).json
    return {
        "ticket": ticket["id"],
        "question": question["id"],
        "group": group["id"],
        "policy": standard_policy,
        "calendar": berlin,
        "customer": customer,
        "product": product,
        "request": request["id"],
        "order": order["order_id"],
    }


def check(admin, cases, world):
    """Run every case; report all that answered something else than expected."""
    problems = []
    for method, path, kwargs, status in cases:
        path = path.format(**world)
        response = getattr(admin, method)(path, **kwargs)
        body = response.get_json(silent=True)
        if response.status_code != status:
            problems.append((method, path, kwargs, response.status_code, body))
            continue
        if path.startswith("/api/"):
            error = (body or {}).get("error") or {}
            if not (error.get("code") and error.get("message") and error.get("request_id")):
                problems.append((method, path, "no standard error shape", body))
    assert problems == []


def test_ticket_endpoints_refuse_bad_input(admin, world):
    t = "/api/v1/tickets/{ticket}"
    new = {"customer_id": "{customer}", "subject": "s", "category": "question", "channel": "web"}
    new = {**new, "customer_id": world["customer"]}
    cases = [
        ("get", "/api/v1/tickets?limit=500", {}, 422),
        ("get", "/api/v1/tickets?limit=0", {}, 422),
        ("get", "/api/v1/tickets?status=bogus", {}, 422),
        ("get", "/api/v1/tickets?state=open&state=later", {}, 422),
        ("get", "/api/v1/tickets?customer_id=nope", {}, 422),
        ("get", "/api/v1/tickets?cursor=garbage", {}, 400),
        ("get", "/api/v1/tickets?color=red", {}, 422),
        ("get", "/api/v1/tickets?created_after=yesterday", {}, 422),
        ("post", "/api/v1/tickets", {"json": {}}, 422),
        ("post", "/api/v1/tickets", {"json": {**new, "color": "red"}}, 422),
        ("post", "/api/v1/tickets", {"json": {**new, "subject": "x" * 301}}, 422),
        ("post", "/api/v1/tickets", {"json": {**new, "subject": "   "}}, 422),
        ("post", "/api/v1/tickets", {"json": {**new, "category": "praise"}}, 422),
        ("post", "/api/v1/tickets", {"json": {**new, "priority": "critical"}}, 422),
        ("post", "/api/v1/tickets", {"json": {**new, "tags": ["t"] * 31}}, 422),
        ("post", "/api/v1/tickets", {"json": {**new, "contact": {"email": "nope"}}}, 422),
        ("post", "/api/v1/tickets", {"json": {**new, "customer_id": NOBODY}}, 422),
        ("post", "/api/v1/tickets", {"json": {**new, "group_id": NOBODY}}, 422),
        ("post", "/api/v1/tickets", {"json": {**new, "parent_ticket_id": NOBODY}}, 404),
        ("post", "/api/v1/tickets", {"json": {**new, "agent_id": NOBODY}}, 422),
        ("post", "/api/v1/tickets", {"data": "subject=x", "content_type": "text/plain"}, 415),
        ("post", "/api/v1/tickets", {"data": "{bad", "content_type": "application/json"}, 400),
        ("post", "/api/v1/tickets", {"json": new, "headers": {"Idempotency-Key": "é"}}, 400),
        ("get", f"/api/v1/tickets/{NOBODY}", {}, 404),
        ("get", "/api/v1/tickets/not-a-uuid", {}, 404),
        ("patch", t, {"json": {"priority": "high"}}, 428),
        ("patch", t, {"json": {"priority": "high"}, "headers": {"If-Match": "v1"}}, 412),
        ("patch", t, {"json": {}, "headers": {"If-Match": '"1"'}}, 422),
        ("patch", t, {"json": {"priority": "max"}, "headers": {"If-Match": '"1"'}}, 422),
        ("patch", t, {"json": {"status": "closed"}, "headers": {"If-Match": '"1"'}}, 422),
        ("patch", t, {"json": {"order_id": NOBODY}, "headers": {"If-Match": '"3"'}}, 412),
        ("post", t + "/assign", {"json": {}}, 422),
        ("post", t + "/assign", {"json": {"agent_id": "x"}}, 422),
        ("post", t + "/assign", {"json": {"group_id": NOBODY}}, 422),
        ("post", t + "/assign", {"json": {"agent_id": NOBODY}}, 422),
        ("post", t + "/reply", {"json": {}}, 422),
        ("post", t + "/reply", {"json": {"body": "  "}}, 422),
        ("post", t + "/reply", {"json": {"body": LONG}}, 422),
        ("post", t + "/reply", {"json": {"body": "hi", "author": "robot"}}, 422),
        ("post", t + "/note", {"json": {"body": ""}}, 422),
        ("post", t + "/note", {"json": {"body": "x", "public": True}}, 422),
        ("post", t + "/pending", {"json": {"reason": "x" * 1001}}, 422),
        ("post", t + "/hold", {"json": {"why": "x"}}, 422),
        ("post", t + "/open", {"json": {"now": True}}, 422),
        ("post", t + "/resolve", {"json": {"send_survey": "maybe"}}, 422),
        ("post", t + "/resolve", {"json": {"root_cause_category": "gremlins"}}, 422),
        ("post", t + "/reopen", {"json": {}}, 409),
        ("post", t + "/close", {"json": {}}, 409),
        ("post", t + "/complaint", {"json": {}}, 422),
        (
            "post",
            "/api/v1/tickets/{question}/complaint",
            {"json": {"root_cause_category": "other", "root_cause": "a", "corrective_action": "b"}},
            409,
        ),
        ("post", t + "/merge", {"json": {}}, 422),
        ("post", t + "/merge", {"json": {"duplicate_ids": []}}, 422),
        ("post", t + "/merge", {"json": {"duplicate_ids": ["nope"]}}, 422),
        ("post", t + "/merge", {"json": {"duplicate_ids": [NOBODY] * 21}}, 422),
        ("post", t + "/merge", {"json": {"duplicate_ids": [NOBODY]}}, 404),
        ("post", t + "/merge", {"json": {"duplicate_ids": ["{question}", "{question}"]}}, 422),
        ("get", t + "/comments?visibility=secret", {}, 422),
        ("get", t + "/comments?limit=201", {}, 422),
        ("post", t + "/returns", {"json": {}}, 422),
        (
            "post",
            t + "/returns",
            {"json": {"full": True, "lines": [{"product_id": NOBODY, "quantity": "1"}]}},
            422,
        ),
        (
            "post",
            t + "/returns",
            {"json": {"lines": [{"product_id": "{product}", "quantity": "-1"}]}},
            422,
        ),
        (
            "post",
            t + "/returns",
            {"json": {"lines": [{"product_id": "{product}", "quantity": "abc"}]}},
            422,
        ),
        (
            "post",
            t + "/returns",
            {"json": {"lines": [{"product_id": "{product}", "quantity": "0.0000001"}]}},
            422,
        ),
        (
            "post",
            t + "/returns",
            {"json": {"lines": [{"product_id": "{product}", "quantity": "5"}]}},
            422,
        ),
        ("post", t + f"/returns/{NOBODY}/approve", {}, 404),
        ("post", t + "/returns/{request}/reject", {"json": {}}, 422),
        ("post", t + "/returns/{request}/approve", {"json": {"force": True}}, 422),
    ]
    for case in cases:
        kwargs = case[2]
        if "json" in kwargs:
            kwargs["json"] = _fill(kwargs["json"], world)
    check(admin, cases, world)


def _fill(value, world):
    if isinstance(value, str):
        return value.format(**world) if "{" in value else value
    if isinstance(value, list):
        return [_fill(v, world) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    return value


def test_configuration_endpoints_refuse_bad_input(admin, world):
    g, p, c = (
        "/api/v1/agent-groups/{group}",
        "/api/v1/sla-policies/{policy}",
        ("/api/v1/business-calendars/{calendar}"),
    )
    calendar = {"name": "X", "timezone": "Europe/Berlin", "hours": BERLIN_HOURS}
    cases = [
        ("get", "/api/v1/agent-groups?limit=500", {}, 422),
        ("get", "/api/v1/agent-groups?cursor=zzz", {}, 400),
        ("get", "/api/v1/agent-groups?agent_id=me", {}, 422),
        ("get", "/api/v1/sla-policies?active=perhaps", {}, 422),
        ("get", "/api/v1/business-calendars?limit=0", {}, 422),
        ("post", "/api/v1/agent-groups", {"json": {}}, 422),
        ("post", "/api/v1/agent-groups", {"json": {"name": "x" * 201}}, 422),
        # Too long as sent, whatever is left once the whitespace (NEL, U+0085) is stripped.
        ("post", "/api/v1/agent-groups", {"json": {"name": "x" * 200 + " "}}, 422),
        (
            "post",
            "/api/v1/agent-groups",
            {"json": {"name": "C", "description": "d" + "\x85" * 2000}},
            422,
        ),
        (
            "post",
            "/api/v1/agent-groups",
            {"json": {"name": "A", "members": [{"agent_id": 1}]}},
            422,
        ),
        ("post", "/api/v1/agent-groups", {"json": {"name": "Care"}}, 409),
        (
            "post",
            "/api/v1/agent-groups",
            {"json": {"name": "B", "members": [{"agent_id": NOBODY}, {"agent_id": NOBODY}]}},
            409,
        ),
        ("get", f"/api/v1/agent-groups/{NOBODY}", {}, 404),
        ("patch", g, {"json": {"name": "Z"}}, 428),
        ("patch", g, {"json": {}, "headers": {"If-Match": '"1"'}}, 422),
        ("patch", g, {"json": {"name": "Z"}, "headers": {"If-Match": '"7"'}}, 412),
        ("post", g + "/members", {"json": {"agent_id": NOBODY, "email": "nope"}}, 422),
        ("patch", g + f"/members/{NOBODY}", {"json": {"available": False}}, 428),
        (
            "patch",
            g + f"/members/{NOBODY}",
            {"json": {"available": False}, "headers": {"If-Match": '"1"'}},
            404,
        ),
        ("patch", g + f"/members/{NOBODY}", {"json": {}}, 422),
        ("delete", g + f"/members/{NOBODY}", {}, 404),
        ("post", "/api/v1/sla-policies", {"json": {}}, 422),
        ("post", "/api/v1/sla-policies", {"json": {"name": "No targets"}}, 422),
        ("post", "/api/v1/sla-policies", {"json": {"name": "Z", "first_response_minutes": 0}}, 422),
        (
            "post",
            "/api/v1/sla-policies",
            {"json": {"name": "Z", "resolution_minutes": 9, "warning_percent": 100}},
            422,
        ),
        (
            "post",
            "/api/v1/sla-policies",
            {"json": {"name": "Z", "resolution_minutes": 9, "conditions": {"priorities": ["p0"]}}},
            422,
        ),
        (
            "post",
            "/api/v1/sla-policies",
            {"json": {"name": "Z", "resolution_minutes": 9, "conditions": {"moon": ["full"]}}},
            422,
        ),
        (
            "post",
            "/api/v1/sla-policies",
            {"json": {"name": "Z", "resolution_minutes": 9, "calendar_id": NOBODY}},
            422,
        ),
        (
            "post",
            "/api/v1/sla-policies",
            {"json": {"name": "Standard", "resolution_minutes": 9}},
            409,
        ),
        (
            "post",
            "/api/v1/sla-policies",
            {
                "json": {
                    "name": "Z",
                    "resolution_minutes": 9,
                    "survey_kind": "csat",
                    "low_score_threshold": 7,
                }
            },
            422,
        ),
        ("get", "/api/v1/sla-policies/match", {}, 422),
        ("get", "/api/v1/sla-policies/match?priority=low&category=x&channel=web", {}, 422),
        ("get", f"/api/v1/sla-policies/{NOBODY}", {}, 404),
        ("patch", p, {"json": {"position": -1}, "headers": {"If-Match": '"1"'}}, 422),
        ("patch", p, {"json": {"name": "Z"}, "headers": {"If-Match": '"9"'}}, 412),
        ("delete", p, {}, 409),  # tickets were measured against it
        ("delete", f"/api/v1/sla-policies/{NOBODY}", {}, 404),
        ("post", "/api/v1/business-calendars", {"json": {}}, 422),
        (
            "post",
            "/api/v1/business-calendars",
            {"json": {**calendar, "timezone": "Mars/Base"}},
            422,
        ),
        (
            "post",
            "/api/v1/business-calendars",
            {"json": {**calendar, "hours": {"monday": [{"start": "09:00", "end": "17:00"}]}}},
            422,
        ),
        (
            "post",
            "/api/v1/business-calendars",
            {"json": {**calendar, "hours": {"mon": [{"start": "25:00", "end": "26:00"}]}}},
            422,
        ),
        (
            "post",
            "/api/v1/business-calendars",
            {"json": {**calendar, "hours": {"mon": [{"start": "17:00", "end": "09:00"}]}}},
            422,
        ),
        ("post", "/api/v1/business-calendars", {"json": {**calendar, "hours": {}}}, 422),
        (
            "post",
            "/api/v1/business-calendars",
            {"json": {**calendar, "holiday_country": "XX"}},
            422,
        ),
        (
            "post",
            "/api/v1/business-calendars",
            {"json": {**calendar, "holiday_country": "DE", "holiday_subdivision": "ZZ"}},
            422,
        ),
        (
            "post",
            "/api/v1/business-calendars",
            {"json": {**calendar, "holiday_subdivision": "BY"}},
            422,
        ),
        (
            "post",
            "/api/v1/business-calendars",
            {"json": {**calendar, "custom_days": [{"date": "2026-13-01"}]}},
            422,
        ),
        (
            "post",
            "/api/v1/business-calendars",
            {"json": {**calendar, "custom_days": [{"date": "2026-01-05"}, {"date": "2026-01-05"}]}},
            422,
        ),
        (
            "post",
            "/api/v1/business-calendars",
            {
                "json": {
                    **calendar,
                    "custom_days": [
                        {
                            "date": "2026-01-05",
                            "open": False,
                            "hours": [{"start": "09:00", "end": "10:00"}],
                        }
                    ],
                }
            },
            422,
        ),
        ("post", "/api/v1/business-calendars", {"json": {**calendar, "name": "Berlin"}}, 409),
        ("get", f"/api/v1/business-calendars/{NOBODY}", {}, 404),
        ("patch", c, {"json": {"timezone": "UTC"}}, 428),
        ("patch", c, {"json": {"timezone": "Nowhere/Land"}, "headers": {"If-Match": '"1"'}}, 422),
        ("get", c + "/days", {}, 422),
        ("get", c + "/days?start=2026-02-01&end=2026-01-01", {}, 422),
        ("get", c + "/days?start=2026-01-01&end=2027-06-01", {}, 422),
        ("post", c + "/compute", {"json": {"start": "2026-01-12T09:00:00Z"}}, 422),
        (
            "post",
            c + "/compute",
            {"json": {"start": "2026-01-12T09:00:00Z", "add_minutes": 1, "end": "2026-01-13"}},
            422,
        ),
        ("post", c + "/compute", {"json": {"start": "soon", "add_minutes": 5}}, 422),
        (
            "post",
            c + "/compute",
            {"json": {"start": "2026-01-12T09:00:00Z", "add_minutes": -5}},
            422,
        ),
        ("delete", c, {}, 409),  # the Standard policy uses it
    ]
    check(admin, cases, world)


def test_survey_report_and_public_endpoints_refuse_bad_input(admin, world, client):
    cases = [
        ("get", "/api/v1/satisfaction-surveys?status=lost", {}, 422),
        ("get", "/api/v1/satisfaction-surveys?limit=1000", {}, 422),
        ("post", "/api/v1/satisfaction-surveys", {"json": {}}, 422),
        ("post", "/api/v1/satisfaction-surveys", {"json": {"ticket_id": NOBODY}}, 404),
        ("post", "/api/v1/satisfaction-surveys", {"json": {"ticket_id": "{ticket}"}}, 409),
        (
            "post",
            "/api/v1/satisfaction-surveys",
            {"json": {"ticket_id": NOBODY, "kind": "stars"}},
            422,
        ),
        ("get", f"/api/v1/satisfaction-surveys/{NOBODY}", {}, 404),
        ("get", "/api/v1/support-reports/backlog?category=praise", {}, 422),
        ("get", "/api/v1/support-reports/sla-compliance?start=2026-02-01&end=2026-01-01", {}, 422),
        ("get", "/api/v1/support-reports/sla-compliance?policy_id=nope", {}, 422),
        ("get", "/api/v1/support-reports/response-times?interval=hour", {}, 422),
        ("get", "/api/v1/support-reports/response-times?timezone=Mars/Base", {}, 422),
        ("get", "/api/v1/support-reports/satisfaction?start=never", {}, 422),
        (
            "get",
            "/api/v1/support-reports/satisfaction?start=2026-01-01T00:00:00Z&end=2026-01-01T00:00:00Z",
            {},
            422,
        ),
        # the default start (30 days before end) would fall before year 1 (was a 500)
        ("get", "/api/v1/support-reports/satisfaction?end=0001-01-06T10:04:02Z", {}, 422),
        ("get", "/api/v1/support-reports/response-times?end=0001-01-06T00:00:00Z", {}, 422),
        # ten years at most, also when end is the default (now)
        ("get", "/api/v1/support-reports/sla-compliance?start=0001-01-01T00:00:00Z", {}, 422),
    ]
    for case in cases:
        if "json" in case[2]:
            case[2]["json"] = _fill(case[2]["json"], world)
    check(admin, cases, world)
    for path, status in (
        ("/csat/short", 404),
        ("/csat/" + "A" * 43, 404),
        ("/csat/" + "A" * 300, 404),
        ("/csat/bad%20token%3Cscript%3E", 404),
    ):
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            assert response.status_code == status
            assert response.mimetype == "text/html"
            assert "<script" not in response.get_data(as_text=True)


def test_permissions_are_checked_per_function(caller, world):
    agent = caller("support_agent", scopes=AGENT_SCOPES)
    for method, path, kwargs in (
        ("post", "/api/v1/agent-groups", {"json": {"name": "Mine"}}),
        ("post", "/api/v1/sla-policies", {"json": {"name": "Mine", "resolution_minutes": 5}}),
        (
            "post",
            "/api/v1/business-calendars",
            {"json": {"name": "M", "timezone": "UTC", "hours": BERLIN_HOURS}},
        ),
        ("post", "/api/v1/satisfaction-surveys", {"json": {"ticket_id": world["ticket"]}}),
    ):
        response = getattr(agent, method)(path, **kwargs)
        assert response.status_code == 403, path
        assert response.json["error"]["code"] == "missing_permission"
    stranger = caller("analyst", scopes=("analytics:read",))
    assert stranger.get("/api/v1/support-reports/backlog").status_code == 403
    assert stranger.get("/api/v1/satisfaction-surveys").status_code == 403
    anonymous = agent.client.get("/api/v1/tickets")
    assert anonymous.status_code == 401
