"""The customer API through the Flask test client on real SQLite / PostgreSQL databases."""

import json

import pytest
from sqlalchemy import func, select

from servicekit import tables

pytestmark = pytest.mark.integration


def create(caller, **body):
    body.setdefault("kind", "person")
    response = caller.post("/api/v1/customers", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def outbox_types(rt):
    with rt.db.session() as s:
        return [
            r.event_type
            for r in s.execute(select(tables.outbox.c.event_type).order_by(tables.outbox.c.id))
        ]


def test_create_read_update_with_etag_and_events(admin, rt):
    created = create(
        admin,
        first_name="Mei",
        last_name="Lin",
        emails=[{"address": "Mei.Lin@Example.com"}],
        phones=[{"number": "138 0013 8000"}],
        address={"country": "CN"},
    )
    assert created["name"] == "Mei Lin"
    assert created["emails"][0] == {
        "address": "mei.lin@example.com",
        "label": None,
        "primary": True,
    }
    assert created["primary_phone"] == "+8613800138000"
    url = f"/api/v1/customers/{created['id']}"
    got = admin.get(url)
    assert got.status_code == 200
    assert got.headers["ETag"] == '"1"'
    stale = admin.patch(url, json={"industry": "Retail"}, headers={"If-Match": '"0"'})
    assert stale.status_code == 412
    assert stale.get_json()["error"]["code"] == "precondition_failed"
    ok = admin.patch(url, json={"industry": "Retail"}, headers={"If-Match": '"1"'})
    assert ok.status_code == 200
    assert ok.get_json()["industry"] == "Retail"
    assert ok.headers["ETag"] == '"2"'
    assert outbox_types(rt) == ["customer.created", "customer.updated"]


def test_duplicate_on_create_is_a_409_unless_forced(admin):
    first = create(admin, name="Mei Lin", emails=[{"address": "mei@example.com"}])
    response = admin.post(
        "/api/v1/customers",
        json={"kind": "person", "name": "M. Lin", "emails": [{"address": "MEI@example.com"}]},
    )
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "duplicate_candidate"
    assert error["details"]["candidates"][0] == {
        "customer_id": first["id"],
        "reason": "email",
        "score": 100,
        "value": "mei@example.com",
    }
    forced = admin.post(
        "/api/v1/customers?force=true",
        json={"kind": "person", "name": "M. Lin", "emails": [{"address": "MEI@example.com"}]},
    )
    assert forced.status_code == 201


def test_fuzzy_name_within_a_company_is_a_candidate(admin):
    company = create(admin, kind="company", name="Lin Trading Co., Ltd.")
    create(admin, first_name="Mei", last_name="Lin", company_id=company["id"])
    response = admin.post(
        "/api/v1/customers",
        json={
            "kind": "person",
            "first_name": "Lin",
            "last_name": "Mei",
            "company_id": company["id"],
        },
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["details"]["candidates"][0]["reason"] == "name"
    similar_company = admin.post(
        "/api/v1/customers", json={"kind": "company", "name": "LIN TRADING"}
    )
    assert similar_company.status_code == 409


def test_search_filters_sort_and_cursor_pagination(admin):
    for i in range(7):
        create(
            admin,
            name=f"Customer {i:02d}",
            address={"country": "DE" if i % 2 else "CN"},
            tags=["vip"] if i < 3 else [],
            emails=[{"address": f"c{i}@example.com"}],
        )
    page = admin.get("/api/v1/customers?limit=3&sort=name&total=true").get_json()
    assert [c["name"] for c in page["items"]] == ["Customer 00", "Customer 01", "Customer 02"]
    assert page["total"] == 7
    rest = admin.get(f"/api/v1/customers?limit=10&sort=name&cursor={page['next_cursor']}")
    assert [c["name"] for c in rest.get_json()["items"]] == [
        f"Customer {i:02d}" for i in range(3, 7)
    ]
    assert rest.get_json()["next_cursor"] is None
    desc = admin.get("/api/v1/customers?limit=2&sort=-name").get_json()
    assert desc["items"][0]["name"] == "Customer 06"
    assert {c["name"] for c in admin.get("/api/v1/customers?country=CN").get_json()["items"]} == {
        "Customer 00",
        "Customer 02",
        "Customer 04",
        "Customer 06",
    }
    assert len(admin.get("/api/v1/customers?tag=VIP").get_json()["items"]) == 3
    assert [c["name"] for c in admin.get("/api/v1/customers?q=c5@example").get_json()["items"]] == [
        "Customer 05"
    ]
    assert [c["name"] for c in admin.get("/api/v1/customers?q=omer 04").get_json()["items"]] == [
        "Customer 04"
    ]


def test_phone_search(admin):
    create(admin, name="Phone Person", phones=[{"number": "+49 30 1234567"}])
    found = admin.get("/api/v1/customers?q=%2B49301234567").get_json()["items"]
    assert [c["name"] for c in found] == ["Phone Person"]


def test_reps_see_their_own_managers_their_team(caller):
    rep_a = caller("sales_rep", team="east")
    rep_b = caller("sales_rep", team="east")
    manager = caller("sales_manager", team="east")
    other_manager = caller("sales_manager", team="west")
    mine = create(rep_a, name="Rep A Customer")
    assert mine["owner_id"] == rep_a.id
    assert mine["owner_team"] == "east"
    url = f"/api/v1/customers/{mine['id']}"
    assert rep_b.get(url).status_code == 404  # not 403: it does not exist for rep B
    assert rep_b.patch(url, json={"industry": "x"}, headers={"If-Match": '"1"'}).status_code == 404
    assert manager.get(url).status_code == 200
    assert other_manager.get(url).status_code == 404
    assert [c["id"] for c in rep_a.get("/api/v1/customers").get_json()["items"]] == [mine["id"]]
    assert rep_b.get("/api/v1/customers").get_json()["items"] == []
    # A rep cannot hand a customer to someone else, nor assign themselves others' customers.
    give_away = rep_a.post(f"{url}/assign", json={"owner_id": rep_b.id, "owner_team": "east"})
    assert give_away.status_code == 404


def test_analyst_has_no_customer_access(caller):
    analyst = caller("analyst", scopes=("analytics:read",))
    response = analyst.get("/api/v1/customers")
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "missing_permission"


def test_tags_assign_and_consent_history(admin, rt):
    c = create(admin, name="Tagged", emails=[{"address": "t@example.com"}])
    url = f"/api/v1/customers/{c['id']}"
    tagged = admin.post(f"{url}/tags", json={"add": ["VIP", "b2b"], "remove": []})
    assert tagged.get_json()["tags"] == ["vip", "b2b"]
    assert admin.post(f"{url}/tags", json={"remove": ["b2b"]}).get_json()["tags"] == ["vip"]
    owner = "6f1d2c3b-4a59-4e6f-8a7b-9c0d1e2f3a4b"
    assigned = admin.post(f"{url}/assign", json={"owner_id": owner, "owner_team": "west"})
    assert assigned.get_json()["owner_id"] == owner
    granted = admin.post(
        f"{url}/consents",
        json={"channel": "email", "status": "granted", "source": "web_form", "evidence": "form 42"},
    )
    assert granted.get_json()["consents"]["email"]["status"] == "granted"
    admin.post(
        f"{url}/consents", json={"channel": "email", "status": "withdrawn", "source": "phone call"}
    )
    consents = admin.get(f"{url}/consents").get_json()
    assert consents["current"]["email"]["status"] == "withdrawn"
    assert [h["status"] for h in consents["history"]] == ["withdrawn", "granted"]
    assert consents["history"][1]["evidence"] == "form 42"
    assert outbox_types(rt).count("customer.consent.changed") == 2


def test_company_contacts(admin):
    company = create(admin, kind="company", name="Acme GmbH")
    create(admin, name="Jo Contact", company_id=company["id"])
    contacts = admin.get(f"/api/v1/customers/{company['id']}/contacts").get_json()
    assert [c["name"] for c in contacts] == ["Jo Contact"]
    bad = admin.post(
        "/api/v1/customers", json={"kind": "person", "name": "X", "company_id": contacts[0]["id"]}
    )
    assert bad.status_code == 422
    assert "not an active company" in bad.get_json()["error"]["message"]


def test_interactions(admin, rt):
    c = create(admin, name="Talked To")
    url = f"/api/v1/customers/{c['id']}/interactions"
    logged = admin.post(
        url,
        json={
            "kind": "call",
            "outcome": "interested",
            "next_step": "send quote",
            "next_step_due": "2030-01-01T09:00:00Z",
        },
    )
    assert logged.status_code == 201
    item = logged.get_json()
    admin.post(
        url, json={"kind": "note", "notes": "prefers email", "occurred_at": "2020-01-01T00:00:00Z"}
    )
    listed = admin.get(url).get_json()["items"]
    assert [i["kind"] for i in listed] == ["call", "note"]  # newest first
    amended = admin.patch(
        f"{url}/{item['id']}", json={"outcome": "follow_up"}, headers={"If-Match": '"1"'}
    )
    assert amended.get_json()["outcome"] == "follow_up"
    bad = admin.post(url, json={"kind": "call", "next_step_due": "2030-01-01T09:00:00Z"})
    assert bad.status_code == 422
    assert "customer.interaction.logged" in outbox_types(rt)


def test_merge_dry_run_then_merge(admin, rt):
    survivor = create(admin, name="Mei Lin", emails=[{"address": "mei@example.com"}], tags=["vip"])
    dup = admin.post(
        "/api/v1/customers?force=true",
        json={
            "kind": "person",
            "name": "Mei Lin",
            "emails": [{"address": "mei.lin@work.com"}],
            "industry": "Retail",
            "tags": ["tea"],
        },
    ).get_json()
    url = f"/api/v1/customers/{survivor['id']}/merge"
    dry = admin.post(url, json={"duplicate_ids": [dup["id"]], "dry_run": True}).get_json()
    assert dry["survivor"]["industry"] == "Retail"
    assert admin.get(f"/api/v1/customers/{dup['id']}").get_json()["status"] == "active"
    done = admin.post(url, json={"duplicate_ids": [dup["id"]]})
    assert done.status_code == 200
    body = done.get_json()
    assert body["survivor"]["tags"] == ["vip", "tea"]
    assert [e["address"] for e in body["survivor"]["emails"]] == [
        "mei@example.com",
        "mei.lin@work.com",
    ]
    merged = admin.get(f"/api/v1/customers/{dup['id']}").get_json()
    assert merged["status"] == "merged"
    assert merged["merged_into"] == survivor["id"]
    assert "customer.merged" in outbox_types(rt)
    again = admin.post(url, json={"duplicate_ids": [dup["id"]]})
    assert again.status_code == 409
    groups = admin.get("/api/v1/customers/duplicates").get_json()
    assert groups == []  # merged customers no longer count as duplicates


def test_duplicate_report_lists_shared_contact_points(admin):
    a = create(admin, name="Alpha One", phones=[{"number": "+4915112345678"}])
    b = admin.post(
        "/api/v1/customers?force=true",
        json={
            "kind": "person",
            "name": "Beta Two",
            "phones": [{"number": "0151 12345678"}],
            "address": {"country": "DE"},
        },
    ).get_json()
    groups = admin.get("/api/v1/customers/duplicates").get_json()
    assert {
        "reason": "phone",
        "value": "+4915112345678",
        "customer_ids": sorted([a["id"], b["id"]]),
        "score": 100,
    } in groups
    candidates = admin.get(f"/api/v1/customers/{a['id']}/duplicates").get_json()
    assert [c["customer_id"] for c in candidates] == [b["id"]]


def test_erasure_and_subject_export(admin, rt):
    c = create(
        admin,
        name="Forget Me",
        emails=[{"address": "forget@example.com"}],
        phones=[{"number": "+14155550123"}],
    )
    url = f"/api/v1/customers/{c['id']}"
    admin.post(f"{url}/interactions", json={"kind": "note", "notes": "secret"})
    export = admin.get(f"{url}/export").get_json()
    assert export["profile"]["emails"][0]["address"] == "forget@example.com"
    assert export["interactions"][0]["notes"] == "secret"
    refused = admin.post(f"{url}/erase", json={"confirm": False, "reason": "request"})
    assert refused.status_code == 422
    erased = admin.post(f"{url}/erase", json={"confirm": True, "reason": "GDPR art. 17"})
    assert erased.status_code == 200
    body = erased.get_json()
    assert body["status"] == "erased"
    assert body["emails"] == [] and body["phones"] == []
    after = admin.get(f"{url}/export").get_json()
    assert "forget@example.com" not in json.dumps(after)
    assert "secret" not in json.dumps(after)
    assert "customer.erased" in outbox_types(rt)
    # the address is free again: a new customer with it is not a duplicate of the erased one
    create(admin, name="New Person", emails=[{"address": "forget@example.com"}])


def test_csv_export_streams_and_neutralises_formulas(admin):
    create(admin, name='=HYPERLINK("evil")', emails=[{"address": "x@example.com"}])
    create(admin, name="Plain Name", address={"country": "CN"})
    response = admin.get("/api/v1/customers/export?country=CN")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).strip().splitlines()
    assert lines[0].startswith("id,kind,name")
    assert len(lines) == 2 and "Plain Name" in lines[1]
    all_rows = admin.get("/api/v1/customers/export").get_data(as_text=True)
    assert "'=HYPERLINK" in all_rows


def test_csv_export_streams_every_batch(admin, monkeypatch):
    # The first batch is read before the response starts (so a bad filter is a 422); the rest
    # follow in the stream, each after the last id of the one before.
    from customer_service.service import queries

    monkeypatch.setattr(queries, "EXPORT_BATCH", 2)
    names = ("Ann Archer", "Bob Brown", "Cid Cole", "Dee Dunn", "Eve East")
    ids = {create(admin, name=name, address={"country": "NZ"})["id"] for name in names}
    response = admin.get("/api/v1/customers/export?country=NZ")
    assert response.status_code == 200
    assert response.is_streamed
    lines = response.get_data(as_text=True).strip().splitlines()
    assert lines[0].startswith("id,kind,name")
    assert {line.split(",")[0] for line in lines[1:]} == ids
    assert len(lines) == 6
    empty = admin.get("/api/v1/customers/export?country=NZ&min_orders=1")
    assert empty.status_code == 200
    assert empty.get_data(as_text=True).strip().splitlines() == [lines[0]]


def test_custom_attributes_are_validated_against_definitions(admin, caller):
    rep = caller("sales_rep", scopes=("customers:read", "customers:write"))
    denied = rep.post(
        "/api/v1/customer-attributes",
        json={"key": "tier", "label": "Tier", "type": "enum", "options": ["gold"]},
    )
    assert denied.status_code == 403
    made = admin.post(
        "/api/v1/customer-attributes",
        json={"key": "tier", "label": "Tier", "type": "enum", "options": ["gold", "silver"]},
    )
    assert made.status_code == 201
    ok = admin.post(
        "/api/v1/customers",
        json={"kind": "company", "name": "Tiered", "attributes": {"tier": "gold"}},
    )
    assert ok.get_json()["attributes"] == {"tier": "gold"}
    bad = admin.post(
        "/api/v1/customers",
        json={"kind": "company", "name": "Bad Tier", "attributes": {"tier": "bronze"}},
    )
    assert bad.status_code == 422
    assert "attributes.tier" in bad.get_json()["error"]["message"]
    undefined = admin.post(
        "/api/v1/customers",
        json={"kind": "company", "name": "Undef", "attributes": {"mood": "happy"}},
    )
    assert undefined.status_code == 422
    in_use = admin.delete("/api/v1/customer-attributes/tier")
    assert in_use.status_code == 409
    shrink = admin.patch(
        "/api/v1/customer-attributes/tier", json={"options": ["gold"]}, headers={"If-Match": '"1"'}
    )
    assert shrink.status_code == 422


def test_idempotency_key_replays_the_first_answer(admin, rt):
    headers = {"Idempotency-Key": "create-mei-1"}
    body = {"kind": "person", "name": "Once Only"}
    first = admin.post("/api/v1/customers", json=body, headers=headers)
    second = admin.post("/api/v1/customers", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.get_json()["id"] == second.get_json()["id"]
    assert second.headers["Idempotent-Replayed"] == "true"
    with rt.db.session() as s:
        from customer_service.adapters import tables as t

        assert s.execute(select(func.count()).select_from(t.customers)).scalar_one() == 1
    reused = admin.post(
        "/api/v1/customers", json={"kind": "person", "name": "Other"}, headers=headers
    )
    assert reused.status_code == 422
    assert reused.get_json()["error"]["code"] == "idempotency_key_reused"


def test_health_metrics_and_openapi_are_public(client):
    assert client.get("/health/live").status_code == 200
    ready = client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.get_json()["checks"]["database"]["status"] == "ok"
    assert b"mms_http_requests_total" in client.get("/metrics").data
    spec = client.get("/openapi.json").get_json()
    assert "/api/v1/customers" in spec["paths"]
    assert "/api/v1/segments/{segment_id}" in spec["paths"]
