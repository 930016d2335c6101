"""API5 Broken function level authorization: each role reaches only the functions its scopes
grant, at the gateway and again in every service (defense in depth)."""

from __future__ import annotations

import pytest
import requests

pytestmark = [pytest.mark.e2e, pytest.mark.security]


@pytest.fixture(scope="module")
def targets(api, shop, books):
    campaign = api.admin.ok(
        "POST", "/api/v1/campaigns", json={"name": "Guarded", "channel": "email"}
    )
    return {
        "campaign": campaign["id"],
        "customer": books.records["customers"],
        "order": books.records["orders"],
        "product": books.records["product"],
    }


DENIED = [
    # (role, method, path, body): what the role must never do.
    ("analyst", "POST", "/api/v1/orders", {"customer_id": "{customer}", "lines": []}),
    ("analyst", "GET", "/api/v1/customers", None),
    ("analyst", "GET", "/api/v1/customers/{customer}", None),
    ("analyst", "GET", "/api/v1/tickets", None),
    ("support_agent", "POST", "/api/v1/campaigns/{campaign}/launch", None),
    ("support_agent", "POST", "/api/v1/orders/{order}/cancel", {}),
    ("support_agent", "POST", "/api/v1/sla-policies", {"name": "Mine"}),
    ("support_agent", "POST", "/api/v1/products", {"sku": "X", "name": "X", "list_price": "1"}),
    ("sales_rep", "POST", "/api/v1/customers/{customer}/erase", {"confirm": True, "reason": "x"}),
    ("sales_rep", "GET", "/api/v1/customers/export", None),
    ("sales_rep", "POST", "/api/v1/products", {"sku": "X", "name": "X", "list_price": "1"}),
    ("sales_rep", "POST", "/api/v1/fx-rates", {"currency": "USD", "rate": "1"}),
    ("sales_rep", "POST", "/api/v1/leads/assignment-rules", {"name": "r", "strategy": "region"}),
    ("sales_rep", "POST", "/api/v1/customer-attributes", {"key": "k", "label": "K",
                                                          "type": "text"}),
    ("sales_rep", "POST", "/api/v1/campaigns", {"name": "Rogue", "channel": "email"}),
    ("sales_rep", "POST", "/api/v1/segments", {"name": "Mine", "kind": "static"}),
    ("sales_rep", "GET", "/api/v1/analytics/revenue", None),
    ("marketer", "POST", "/api/v1/orders", {"customer_id": "{customer}", "lines": []}),
    ("marketer", "POST", "/api/v1/tickets", {"customer_id": "{customer}", "subject": "x",
                                             "category": "question", "channel": "web"}),
    ("marketer", "POST", "/api/v1/customers/{customer}/erase", {"confirm": True, "reason": "x"}),
    ("sales_manager", "POST", "/api/v1/users", {"email": "x@y.z", "name": "X", "password": "p" * 12,
                                                "roles": ["admin"]}),
    ("sales_manager", "POST", "/api/v1/api-keys", {"name": "mine", "scopes": ["*"]}),
    ("sales_manager", "POST", "/api/v1/campaigns/{campaign}/launch", None),
    ("sales_manager", "POST", "/api/v1/customers/{customer}/erase", {"confirm": True,
                                                                     "reason": "x"}),
]  # fmt: skip


@pytest.mark.parametrize(("role", "method", "path", "body"), DENIED)
def test_roles_cannot_call_what_their_scopes_do_not_grant(api, targets, role, method, path, body):
    client = _users(api, role)
    path = path.format(**targets)
    if isinstance(body, dict):
        body = {k: v.format(**targets) if isinstance(v, str) else v for k, v in body.items()}
    response = client.request(method, path, json=body)
    assert response.status_code == 403, (role, method, path, response.status_code, response.text)
    error = response.json()["error"]
    assert error["code"] in ("missing_permission", "admin_only") and error["request_id"]


_USERS: dict = {}


def _users(api, role):
    if role not in _USERS:
        _USERS[role] = api.user(role)
    return _USERS[role]


def test_api_keys_are_held_to_their_scopes(api, targets):
    reader = api.api_key("customers:read")
    assert reader.get(f"/api/v1/customers/{targets['customer']}").status_code == 200
    for method, path, body in [
        ("POST", "/api/v1/customers", {"kind": "person", "name": "By a reader"}),
        ("PATCH", f"/api/v1/customers/{targets['customer']}", {"name": "x"}),
        ("GET", "/api/v1/orders", None),
        ("GET", "/api/v1/customers/export", None),
        ("GET", "/api/v1/users", None),
        ("POST", "/api/v1/api-keys", {"name": "escalate", "scopes": ["*"]}),
    ]:
        response = reader.request(method, path, json=body)
        assert response.status_code == 403, (method, path, response.status_code)
    everything = api.api_key("*")
    # "A key sees every record its scopes allow ... but cannot manage users, teams or keys."
    for method, path, body in [
        ("GET", "/api/v1/users", None),
        ("GET", "/api/v1/api-keys", None),
        ("POST", "/api/v1/api-keys", {"name": "escalate", "scopes": ["*"]}),
        ("POST", "/api/v1/teams", {"name": "keyteam"}),
        ("POST", "/api/v1/users", {"email": "k@e2e.mms.local", "name": "K",
                                   "password": "p" * 14, "roles": ["admin"]}),
    ]:  # fmt: skip
        assert everything.request(method, path, json=body).status_code == 403, (method, path)


SERVICES = ("customer", "sales", "campaign", "support", "analytics")


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_operation_checks_a_scope_itself(
    service, service_urls, service_specs, spec_operations, filled, mint
):
    """Called directly with a genuine identity that holds no scope at all, no operation of any
    service does anything: every answer is 403, or a 415/422 when the request is refused for its
    shape before the check (which tells nothing about any record); never a 2xx, a 404 (a lookup
    before the check) or a 5xx."""
    headers = mint(roles=("analyst",), scopes=())
    session = requests.Session()
    wrong = []
    for method, path, operation in spec_operations(service_specs[service]):
        if not path.startswith("/api/"):
            continue
        required = [
            p["name"] for p in operation.get("parameters", [])
            if p.get("in") == "query" and p.get("required")
        ]  # fmt: skip
        params = dict.fromkeys(required, "00000000-0000-4000-8000-000000000000")
        response = session.request(
            method, service_urls[service] + filled(path), headers=headers, params=params,
            json={} if method != "GET" else None, timeout=30,
        )  # fmt: skip
        refused_for_shape = response.status_code in (415, 422) and not response.json()["error"][
            "code"
        ].startswith("not_")
        if response.status_code != 403 and not refused_for_shape:
            wrong.append(f"{method} {path} -> {response.status_code} {response.text[:120]}")
    assert not wrong, "operations without their own scope check:\n" + "\n".join(wrong)
