"""API4 Unrestricted resource consumption across the services: page sizes are capped on every
list, bodies on every service (at the gateway and again at the service), lists inside bodies and
rule trees are bounded, report periods are bounded, and rate limits hold across services."""

from __future__ import annotations

import json
import time

import pytest
import requests

pytestmark = [pytest.mark.e2e, pytest.mark.security]

UUID = "00000000-0000-4000-8000-000000000000"


def _list_operations(spec):
    for path, item in spec["paths"].items():
        operation = item.get("get")
        if not operation or "{" in path:
            continue
        names = {p["name"]: p for p in operation.get("parameters", []) if p.get("in") == "query"}
        if "limit" in names:
            required = {n: UUID for n, p in names.items() if p.get("required") and n != "limit"}
            yield path, required


def test_every_list_caps_its_page_size(api, merged_spec):
    checked, wrong = 0, []
    for path, required in _list_operations(merged_spec):
        if path.startswith("/api/v1/touchpoints"):
            required = {"customer_id": UUID}  # the list needs a filter (a schema-level rule)
        ok = api.admin.get(path, params={**required, "limit": 200})
        big = api.admin.get(path, params={**required, "limit": 201})
        huge = api.admin.get(path, params={**required, "limit": 10**9})
        checked += 1
        if ok.status_code != 200:
            wrong.append(f"{path} limit=200 -> {ok.status_code} {ok.text[:100]}")
        for response in (big, huge):
            if response.status_code not in (400, 422) or "limit" not in response.text:
                wrong.append(f"{path} limit too big -> {response.status_code}")
    assert checked >= 25, checked
    assert not wrong, "\n".join(wrong)


CREATES = {
    "customer": "/api/v1/customers",
    "sales": "/api/v1/orders",
    "campaign": "/api/v1/templates",
    "support": "/api/v1/tickets",
    "gateway": "/api/v1/auth/login",
}


@pytest.mark.parametrize("service", sorted(CREATES))
def test_oversized_bodies_are_refused_before_parsing(api, service):
    body = json.dumps({"name": "x" * (1024 * 1024 + 10), "email": "a@b.c", "password": "x"})
    response = api.admin.post(
        CREATES[service], data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413, (service, response.status_code)
    assert response.json()["error"]["code"]


@pytest.mark.parametrize("service", ["customer", "sales", "campaign", "support", "analytics"])
def test_services_cap_bodies_themselves(service, service_urls, mint):
    """Behind the gateway too: a caller inside the network cannot send a service 2 MiB."""
    path = {"customer": "/api/v1/customers", "sales": "/api/v1/orders",
            "campaign": "/api/v1/templates", "support": "/api/v1/tickets",
            "analytics": "/api/v1/analytics/revenue"}[service]  # fmt: skip
    response = requests.post(
        service_urls[service] + path,
        data=b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}',
        headers={**mint(), "Content-Type": "application/json"},
        timeout=60,
    )
    assert response.status_code in (405, 413), (service, response.status_code)
    if service != "analytics":
        assert response.status_code == 413


def test_lists_inside_bodies_and_rule_trees_are_bounded(api, books):
    admin, r = api.admin, books.records
    segment = admin.ok("POST", "/api/v1/segments", json={"name": "Bounded", "kind": "static"})
    many = [UUID] * 1001
    nested = {"field": "country", "op": "eq", "value": "DE"}
    for _ in range(8):
        nested = {"all": [nested]}
    wide = {"any": [{"field": "country", "op": "eq", "value": "DE"}] * 101}
    line = {"product_id": r["product"], "quantity": "1"}
    for method, path, body in [
        ("POST", f"/api/v1/segments/{segment['id']}/members", {"add": many}),
        ("POST", "/api/v1/segments/preview", {"rules": nested}),
        ("POST", "/api/v1/segments/preview", {"rules": wide}),
        ("POST", "/api/v1/orders", {"customer_id": r["customers"], "lines": [line] * 501}),
        ("POST", f"/api/v1/customers/{r['customers']}/merge", {"duplicate_ids": [UUID] * 21}),
        ("POST", f"/api/v1/customers/{r['customers']}/tags", {"add": ["t"] * 101}),
        ("POST", "/api/v1/coupons/00000000-0000-4000-8000-000000000000/codes",
         {"count": 10**7}),
    ]:  # fmt: skip
        response = admin.request(method, path, json=body)
        assert response.status_code == 422, (path, response.status_code, response.text[:200])


def test_report_periods_and_buckets_are_bounded(api):
    for params in (
        {"from": "1990-01-01", "to": "2026-01-01"},
        {"from": "2016-01-01", "to": "2026-01-01", "granularity": "day"},
        {"top": 10000},
        {"product": ",".join([UUID] * 51)},
    ):
        response = api.admin.get("/api/v1/analytics/revenue", params=params)
        assert response.status_code == 422, (params, response.status_code)


def test_rate_limits_hold_across_every_service(api, extra_gateway):
    """A gateway with tight limits (the shared suite's are loose for the tests' own traffic):
    one identity's requests count together whichever service they reach, and the refusal says
    when to come back."""
    base = extra_gateway("gateway-limited", MMS_RATE_LIMIT_IDENTITY="20/60/10",
                         MMS_RATE_LIMIT_LOGIN="20/60/5")  # fmt: skip
    key = api.api_key("customers:read", "orders:read", "campaigns:read", "tickets:read",
                      "analytics:read")  # fmt: skip
    other = api.api_key("customers:read")
    session = requests.Session()
    session.headers["X-API-Key"] = key.session.headers["X-API-Key"]
    paths = ["/api/v1/customers", "/api/v1/orders", "/api/v1/campaigns", "/api/v1/tickets",
             "/api/v1/analytics/revenue"]  # fmt: skip
    statuses = [session.get(base + paths[n % 5], timeout=30).status_code for n in range(30)]
    assert statuses[:5] == [200] * 5 and statuses.count(429) >= 15, statuses
    refused = session.get(base + "/api/v1/tickets", timeout=30)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["error"]["code"] == "rate_limited"
    assert requests.get(base + "/api/v1/customers", headers=other.session.headers,
                        timeout=30).status_code == 200  # fmt: skip
    attempts = [
        requests.post(base + "/api/v1/auth/login", json={"email": "nobody@x.y", "password": "x"},
                      timeout=30).status_code
        for _ in range(10)
    ]  # fmt: skip
    assert 429 in attempts, attempts
    time.sleep(0)  # nothing to wait for: the buckets are per identity and per address
