"""The customer 360 trusts no upstream's shape: a section that is not what it should be (a list
of objects, or an object) is named in 'missing' and never passed on."""

from __future__ import annotations

import json

import pytest
from aiohttp import web
from gateway_testkit import AppThread

from gateway.handlers.customer360 import SECTIONS, section_value
from gateway.settings import SERVICE_PORTS

pytestmark = pytest.mark.integration

MARKUP = '<script>alert("rogue")</script>'
CUSTOMER = "00000000-0000-4000-8000-000000000001"
SECTION = {s.name: s for s in SECTIONS}


def rogue_upstream(answers: dict[str, object]) -> web.Application:
    """Answers each GET whose path starts with a key of ``answers`` with that JSON value."""

    async def answer(request: web.Request) -> web.Response:
        for prefix, value in answers.items():
            if request.path.startswith(prefix):
                return web.json_response(value)
        return web.json_response({"error": {"status": 404, "code": "not_found"}}, status=404)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    return app


@pytest.fixture
def rogue():
    started = []

    def start(answers: dict[str, object]) -> AppThread:
        server = AppThread(lambda: rogue_upstream(answers)).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def test_sections_of_the_wrong_shape_are_missing_not_passed_on(start_gateway, upstream, rogue):
    campaign = rogue(
        {
            "/api/v1/touchpoints": {"items": f"oops {MARKUP}"},
            "/api/v1/campaigns/messages": {"items": [{"id": "m1"}, MARKUP]},
        }
    )
    analytics = rogue({"/api/v1/analytics/customers": [MARKUP]})
    support = rogue({"/api/v1/tickets": {"no_items": MARKUP}})
    upstreams = dict.fromkeys(SERVICE_PORTS, upstream.url)
    upstreams.update(campaign=campaign.url, analytics=analytics.url, support=support.url)
    gateway = start_gateway(upstreams=upstreams, retries=0)
    headers, _ = gateway.user_headers(("admin",))
    response = gateway.get(f"/api/v1/customers/{CUSTOMER}/360", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "alert(" not in response.text and "<script>" not in json.dumps(body)
    missing = {m["section"]: m for m in body["missing"]}
    for name, service in (
        ("touchpoints", "campaign"),
        ("messages", "campaign"),
        ("scores", "analytics"),
        ("open_tickets", "support"),
    ):
        assert body[name] is None, name
        assert missing[name]["reason"] == "bad_gateway", missing[name]
        assert missing[name]["service"] == service
    # The sound sections are still there.
    assert body["profile"]["service"] == "fake"
    assert body["recent_orders"] == [] and body["open_opportunities"] == []
    assert set(missing) == {"touchpoints", "messages", "scores", "open_tickets"}


def test_a_profile_that_is_not_an_object_is_missing(start_gateway, upstream, rogue):
    customer = rogue({"/api/v1/customers": [{"id": CUSTOMER}]})
    upstreams = dict.fromkeys(SERVICE_PORTS, upstream.url)
    upstreams["customer"] = customer.url
    gateway = start_gateway(upstreams=upstreams, retries=0)
    headers, _ = gateway.user_headers(("admin",))
    body = gateway.get(f"/api/v1/customers/{CUSTOMER}/360", headers=headers).json()
    assert body["profile"] is None
    assert [m["reason"] for m in body["missing"] if m["section"] == "profile"] == ["bad_gateway"]


@pytest.mark.parametrize(
    ("section", "data", "expected"),
    [
        ("touchpoints", {"items": [{"id": 1}], "next_cursor": None}, [{"id": 1}]),
        ("touchpoints", {"items": []}, []),
        ("touchpoints", [{"id": 1}], [{"id": 1}]),
        ("touchpoints", {"items": MARKUP}, None),
        ("touchpoints", {"items": [MARKUP]}, None),
        ("touchpoints", {"items": [{"id": 1}, [1]]}, None),
        ("touchpoints", {"items": {"id": 1}}, None),
        ("touchpoints", {}, None),
        ("touchpoints", MARKUP, None),
        ("touchpoints", None, None),
        ("touchpoints", 7, None),
        ("profile", {"id": CUSTOMER}, {"id": CUSTOMER}),
        ("profile", [{"id": CUSTOMER}], None),
        ("profile", MARKUP, None),
        ("scores", None, None),
        ("scores", 1.5, None),
    ],
)
def test_section_shapes(section, data, expected):
    assert section_value(SECTION[section], data) == expected
