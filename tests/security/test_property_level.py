"""API3 Broken object property level authorization: callers cannot set what is not theirs to set
(owners, roles, versions, ids, states, totals, counters), and answers expose no secrets."""

from __future__ import annotations

import json
import uuid

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.security]

SERVER_OWNED_CUSTOMER = {
    "id": str(uuid.uuid4()),
    "version": 42,
    "status": "erased",
    "merged_into": str(uuid.uuid4()),
    "behaviour": {"orders_count": 99, "total_spent": "1000000"},
    "scores": {"rfm_segment": "champions"},
    "consents": {"email": {"status": "granted"}},
    "created_at": "2000-01-01T00:00:00Z",
    "primary_email": "x@example.com",
}


def _refused(response, field: str) -> bool:
    if response.status_code != 422:
        return False
    error = response.json()["error"]
    return field in json.dumps(error.get("details", {})) or field in error["message"]


@pytest.mark.parametrize("field", sorted(SERVER_OWNED_CUSTOMER))
def test_server_owned_customer_fields_are_refused_by_name(books, field):
    body = {"kind": "person", "name": "Mass assigned", field: SERVER_OWNED_CUSTOMER[field]}
    created = books.alice.post("/api/v1/customers", json=body, params={"force": "true"})
    assert _refused(created, field), (field, created.status_code, created.text[:300])
    patch = books.alice.patch(
        f"/api/v1/customers/{books.records['customers']}",
        json={field: SERVER_OWNED_CUSTOMER[field]},
        headers={"If-Match": '"1"'},
    )
    assert patch.status_code in (412, 422), (field, patch.status_code)
    if patch.status_code == 422:
        assert _refused(patch, field), (field, patch.text[:300])


def test_reps_cannot_hand_ownership_to_others_anywhere(books):
    """Owner fields exist for managers and admins; a rep naming another owner is refused (or
    the record stays the rep's) — never silently given away or planted on a colleague."""
    alice, bob = books.alice, books.bob
    r = books.records
    cases = [
        ("/api/v1/customers", {"kind": "person", "name": "Planted", "owner_id": bob.id}),
        ("/api/v1/leads", {"source": "referral", "customer_id": r["customers"],
                           "owner_id": bob.id}),
        ("/api/v1/opportunities", {"name": "Planted", "customer_id": r["customers"],
                                   "owner_id": bob.id}),
        ("/api/v1/orders", {"customer_id": r["customers"], "owner_id": bob.id,
                            "lines": [{"product_id": r["product"], "quantity": "1"}]}),
        ("/api/v1/tasks", {"kind": "call", "subject": "Planted", "assignee_id": bob.id}),
    ]  # fmt: skip
    for path, body in cases:
        response = alice.post(path, json=body, params={"force": "true"})
        if response.status_code in (201, 200):
            record = response.json()
            owner = record.get("owner_id", record.get("assignee_id"))
            assert owner == alice.id, (path, "given to", owner)
        else:
            assert response.status_code in (403, 422), (path, response.status_code)
    for resource in ("customers", "leads", "opportunities"):
        path = f"/api/v1/{resource}/{r[resource]}"
        response = alice.post(f"{path}/assign", json={"owner_id": bob.id})
        # Refused; the customer service answers 404 ("reps cannot give customers away").
        assert response.status_code in (403, 404, 422), (path, response.status_code)
        assert alice.ok("GET", path)["owner_id"] == alice.id, f"{resource} given away"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/orders", {"total": {"amount": "0.01", "currency": "EUR"}}, "total"),
        ("/api/v1/orders", {"status": "paid"}, "status"),
        ("/api/v1/orders", {"base_total": {"amount": "1", "currency": "EUR"}}, "base_total"),
        ("/api/v1/orders", {"fx_rate": "0.0001"}, "fx_rate"),
        ("/api/v1/orders", {"id": "00000000-0000-4000-8000-000000000001"}, "id"),
        ("/api/v1/orders", {"number": "SO-1"}, "number"),
        ("/api/v1/orders", {"coupon_discount": {"amount": "50", "currency": "EUR"}},
         "coupon_discount"),
        ("/api/v1/leads", {"status": "converted"}, "status"),
        ("/api/v1/leads", {"opportunity_id": "00000000-0000-4000-8000-000000000001"},
         "opportunity_id"),
        ("/api/v1/opportunities", {"status": "won"}, "status"),
        ("/api/v1/quotes", {"status": "accepted"}, "status"),
        ("/api/v1/quotes", {"total": {"amount": "1", "currency": "EUR"}}, "total"),
    ],
)  # fmt: skip
def test_states_totals_and_ids_cannot_be_posted(books, path, body, field):
    r = books.records
    base = {
        "/api/v1/orders": {"customer_id": r["customers"],
                           "lines": [{"product_id": r["product"], "quantity": "1"}]},
        "/api/v1/leads": {"source": "referral", "customer_id": r["customers"]},
        "/api/v1/opportunities": {"name": "x", "customer_id": r["customers"]},
        "/api/v1/quotes": {"customer_id": r["customers"],
                           "lines": [{"product_id": r["product"], "quantity": "1"}]},
    }[path]  # fmt: skip
    response = books.alice.post(path, json={**base, **body})
    assert _refused(response, field), (path, field, response.status_code, response.text[:300])


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("tickets", {"status": "closed"}, "status"),
        ("tickets", {"agent_id": "00000000-0000-4000-8000-000000000001"}, "agent_id"),
        ("tickets", {"satisfaction": {"score": 5}}, "satisfaction"),
        ("tickets", {"sla": {"breached": False}}, "sla"),
        ("campaigns", {"status": "completed"}, "status"),
        ("campaigns", {"spend": {"amount": "0", "currency": "EUR"}}, "spend"),
        ("campaigns", {"launched_at": "2020-01-01T00:00:00Z"}, "launched_at"),
    ],
)
def test_server_owned_fields_of_tickets_and_campaigns_are_refused(api, shop, path, body, field):
    if path == "tickets":
        customer = shop.customer(name="Patched ticket")
        record = shop.ticket(customer["id"])
        client = api.admin
    else:
        client = api.user("marketer")
        record = client.ok("POST", "/api/v1/campaigns", json={"name": "P", "channel": "email"})
    response = client.patch(
        f"/api/v1/{path}/{record['id']}", json=body, headers={"If-Match": f'"{record["version"]}"'}
    )
    assert _refused(response, field), (path, field, response.status_code, response.text[:300])


def test_users_cannot_raise_their_own_roles_or_move_teams(api):
    rep = api.user("sales_rep", team="propteam")
    for body, field in (({"roles": ["admin"]}, "roles"), ({"team": "other"}, "team"),
                        ({"active": True}, "active"), ({"email": "new@x.y"}, "email")):  # fmt: skip
        assert _refused(rep.patch("/api/v1/me", json=body), field), field
    me = rep.ok("GET", "/api/v1/me")
    assert me["roles"] == ["sales_rep"] and me["team"] == "propteam"


SECRET_KEYS = ("password", "hash", "secret", "private", "token_hash", "key_hash")


def _secret_fields(value, path=""):
    found = []
    if isinstance(value, dict):
        for k, v in value.items():
            if any(s in k.lower() for s in SECRET_KEYS):
                found.append(f"{path}.{k}")
            found += _secret_fields(v, f"{path}.{k}")
    elif isinstance(value, list):
        for item in value[:20]:
            found += _secret_fields(item, f"{path}[]")
    return found


def test_no_answer_exposes_secrets(api, books):
    admin = api.admin
    api.api_key("customers:read")
    for path in ("/api/v1/users", "/api/v1/api-keys", "/api/v1/me", "/api/v1/teams",
                 f"/api/v1/customers/{books.records['customers']}",
                 f"/api/v1/customers/{books.records['customers']}/export",
                 "/api/v1/satisfaction-surveys", "/api/v1/campaigns/messages"
                 f"?customer_id={books.records['customers']}"):  # fmt: skip
        body = admin.ok("GET", path)
        assert _secret_fields(body) == [], (path, _secret_fields(body))
