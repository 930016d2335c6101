"""Segments (static, dynamic, incremental membership) and CSV imports, through the API and the
worker's jobs."""

import pytest
from sqlalchemy import select

from customer_service.entrypoints.runtime import jobs_for
from customer_service.service import imports as import_use
from servicekit import tables

pytestmark = pytest.mark.integration


def run_job(rt, name):
    job = next(j for j in jobs_for(rt) if j.name == name)
    job.run()


def member_events(rt):
    with rt.db.session() as s:
        rows = s.execute(
            select(tables.outbox.c.event_type, tables.outbox.c.payload)
            .where(tables.outbox.c.event_type.like("customer.segment.member%"))
            .order_by(tables.outbox.c.id)
        ).all()
    import json

    return [
        (r.event_type.rsplit(".", 1)[1], json.loads(r.payload)["data"]["customer_id"]) for r in rows
    ]


def new_customer(admin, **body):
    body.setdefault("kind", "person")
    response = admin.post("/api/v1/customers?force=true", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_dynamic_segment_is_evaluated_then_kept_current(admin, rt):
    shanghai = new_customer(
        admin, name="In Shanghai", address={"country": "CN", "city": "Shanghai"}
    )
    berlin = new_customer(admin, name="In Berlin", address={"country": "DE", "city": "Berlin"})
    created = admin.post(
        "/api/v1/segments",
        json={
            "name": "Shanghai",
            "kind": "dynamic",
            "rules": {"all": [{"field": "city", "op": "eq", "value": "Shanghai"}]},
        },
    )
    assert created.status_code == 201
    segment = created.get_json()
    assert segment["evaluation"] == "pending"
    run_job(rt, "evaluate-segments")
    url = f"/api/v1/segments/{segment['id']}"
    assert admin.get(url).get_json()["evaluation"] == "current"
    assert admin.get(url).get_json()["member_count"] == 1
    members = admin.get(f"{url}/members").get_json()["items"]
    assert [m["id"] for m in members] == [shanghai["id"]]
    # Incremental: a change to one customer moves it in or out in the same transaction.
    moved = admin.patch(
        f"/api/v1/customers/{berlin['id']}",
        json={"address": {"country": "CN", "city": "Shanghai"}},
        headers={"If-Match": '"1"'},
    )
    assert moved.status_code == 200
    admin.patch(
        f"/api/v1/customers/{shanghai['id']}",
        json={"address": {"country": "CN", "city": "Beijing"}},
        headers={"If-Match": '"1"'},
    )
    assert [m["id"] for m in admin.get(f"{url}/members").get_json()["items"]] == [berlin["id"]]
    assert member_events(rt) == [
        ("member_added", shanghai["id"]),
        ("member_added", berlin["id"]),
        ("member_removed", shanghai["id"]),
    ]
    assert admin.get(url).get_json()["member_count"] == 1
    customers_in = admin.get(f"/api/v1/customers?segment_id={segment['id']}").get_json()
    assert [c["id"] for c in customers_in["items"]] == [berlin["id"]]


def test_rules_change_triggers_reevaluation_and_archive_empties(admin, rt):
    a = new_customer(admin, name="A", tags=["vip"])
    b = new_customer(admin, name="B")
    segment = admin.post(
        "/api/v1/segments",
        json={
            "name": "VIP",
            "kind": "dynamic",
            "rules": {"field": "tags", "op": "contains", "value": "vip"},
        },
    ).get_json()
    run_job(rt, "evaluate-segments")
    url = f"/api/v1/segments/{segment['id']}"
    changed = admin.patch(
        url,
        json={"rules": {"not": {"field": "tags", "op": "contains", "value": "vip"}}},
        headers={"If-Match": '"1"'},
    )
    assert changed.status_code == 200
    assert changed.get_json()["evaluation"] == "pending"
    run_job(rt, "evaluate-segments")
    assert [m["id"] for m in admin.get(f"{url}/members").get_json()["items"]] == [b["id"]]
    archived = admin.post(f"{url}/archive")
    assert archived.get_json()["status"] == "archived"
    assert admin.get(f"{url}/members").get_json()["items"] == []
    assert admin.post(f"{url}/archive").status_code == 409
    assert a["id"]


def test_static_segment_membership(admin, caller):
    a, b = new_customer(admin, name="A"), new_customer(admin, name="B")
    segment = admin.post(
        "/api/v1/segments", json={"name": "Fair visitors", "kind": "static"}
    ).get_json()
    url = f"/api/v1/segments/{segment['id']}/members"
    added = admin.post(url, json={"add": [a["id"], b["id"]]})
    assert added.get_json()["member_count"] == 2
    assert admin.post(url, json={"remove": [a["id"]]}).get_json()["member_count"] == 1
    unknown = admin.post(url, json={"add": ["00000000-0000-4000-8000-000000000000"]})
    assert unknown.status_code == 422
    rules_on_static = admin.post(
        "/api/v1/segments",
        json={"name": "x", "kind": "static", "rules": {"field": "city", "op": "eq", "value": "x"}},
    )
    assert rules_on_static.status_code == 422
    # reps only see the members they own
    rep = caller("sales_rep", team="east")
    assert rep.get(url).get_json()["items"] == []


def test_preview_and_field_catalogue(admin):
    new_customer(admin, name="Big Spender", address={"country": "CN"})
    preview = admin.post(
        "/api/v1/segments/preview", json={"rules": {"field": "country", "op": "eq", "value": "CN"}}
    ).get_json()
    assert preview["count"] == 1
    assert preview["sample"][0]["name"] == "Big Spender"
    bad = admin.post(
        "/api/v1/segments/preview", json={"rules": {"field": "country", "op": "gt", "value": "CN"}}
    )
    assert bad.status_code == 422
    assert "rules.op" in bad.get_json()["error"]["message"]
    fields = admin.get("/api/v1/segments/fields").get_json()
    assert fields["fields"]["orders_count"] == "number"
    assert "within_last_days" in fields["operators"]
    assert "geographic" in fields["groups"]


CSV = (
    "kind,name,email,phone,country,city,tags,lifecycle_stage\n"
    "person,Mei Lin,mei@example.com,+8613800138000,CN,Shanghai,vip;tea,lead\n"
    "company,Acme GmbH,info@acme.de,,DE,Berlin,,customer\n"
    "person,Broken Email,not-an-email,,CN,,,\n"
    "person,Mei Lin again,MEI@example.com,,CN,Shanghai,,\n"
    ",,,,,,,\n"
    "person,,,,,,,\n"
    "person,Jo,jo@example.com,,XX,,,\n"
)


def test_csv_import_with_progress_errors_and_dedupe(admin, rt):
    existing = new_customer(admin, name="Already Here", emails=[{"address": "info@acme.de"}])
    response = admin.post(
        "/api/v1/imports?dedupe=skip&filename=fair.csv",
        data=CSV,
        headers={"Content-Type": "text/csv"},
    )
    assert response.status_code == 202, response.get_json()
    job = response.get_json()
    assert job["status"] == "queued"
    assert job["total_rows"] == 6  # the empty row is not a row
    run_job(rt, "process-imports")
    done = admin.get(f"/api/v1/imports/{job['id']}").get_json()
    assert done["status"] == "completed"
    assert done["progress"] == 1.0
    assert (done["created"], done["skipped"], done["failed"]) == (1, 2, 3)
    errors = admin.get(f"/api/v1/imports/{job['id']}/errors").get_json()["errors"]
    assert [e["line"] for e in errors] == [4, 7, 8]
    assert "not a valid email" in errors[0]["error"]
    assert "name" in errors[1]["error"]
    assert "country" in errors[2]["error"]
    found = admin.get("/api/v1/customers?q=mei@example.com").get_json()["items"]
    assert [c["tags"] for c in found] == [["vip", "tea"]]
    assert admin.get(f"/api/v1/customers/{existing['id']}").get_json()["name"] == "Already Here"


def test_csv_import_update_policy_fills_existing(admin, rt):
    existing = new_customer(
        admin, name="Acme", kind="company", emails=[{"address": "info@acme.de"}]
    )
    job = admin.post(
        "/api/v1/imports?dedupe=update",
        data=("kind,name,email,industry,city\ncompany,Acme GmbH,info@acme.de,Machinery,Berlin\n"),
        headers={"Content-Type": "text/csv"},
    ).get_json()
    run_job(rt, "process-imports")
    assert admin.get(f"/api/v1/imports/{job['id']}").get_json()["updated"] == 1
    updated = admin.get(f"/api/v1/customers/{existing['id']}").get_json()
    assert (updated["name"], updated["industry"], updated["address"]["city"]) == (
        "Acme GmbH",
        "Machinery",
        "Berlin",
    )


@pytest.mark.parametrize(
    ("body", "content_type", "status", "message"),
    [
        ("name,shoe_size\nx,42\n", "text/csv", 422, "shoe_size"),
        ("", "text/csv", 422, "empty"),
        ("name\n", "text/csv", 422, "no rows"),
        ('{"name": "x"}', "application/json", 415, "text/csv"),
    ],
)
def test_bad_imports_are_refused_up_front(admin, body, content_type, status, message):
    response = admin.post("/api/v1/imports", data=body, headers={"Content-Type": content_type})
    assert response.status_code == status
    assert message in response.get_json()["error"]["message"]


def test_bad_encoding_and_policy(admin):
    latin1 = "name\nMüller\n".encode("latin-1")
    response = admin.post("/api/v1/imports", data=latin1, headers={"Content-Type": "text/csv"})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid_encoding"
    assert (
        admin.post(
            "/api/v1/imports?dedupe=merge", data="name\nx\n", headers={"Content-Type": "text/csv"}
        ).status_code
        == 422
    )


def test_cancel_import_and_resume_after_crash(admin, rt):
    rows = "".join(f"person,P{i},p{i}@example.com\n" for i in range(2500))
    job = admin.post(
        "/api/v1/imports", data="kind,name,email\n" + rows, headers={"Content-Type": "text/csv"}
    ).get_json()
    # A worker claims it, processes one chunk and dies: its successor resumes after that chunk.
    with rt.uow() as uow:
        from datetime import UTC, datetime, timedelta

        claimed = uow.imports.get(job["id"])
        claimed.status, claimed.rows_done = "running", 1000
        claimed.heartbeat_at = datetime.now(UTC) - timedelta(minutes=10)
        uow.imports.save(claimed)
        uow.commit()
    assert import_use.process_next_import(rt.uow) == job["id"]
    done = admin.get(f"/api/v1/imports/{job['id']}").get_json()
    assert done["status"] == "completed"
    assert done["created"] == 1500  # only the rows after the crashed worker's last chunk
    second = admin.post(
        "/api/v1/imports", data="name\nLate\n", headers={"Content-Type": "text/csv"}
    ).get_json()
    cancelled = admin.post(f"/api/v1/imports/{second['id']}/cancel")
    assert cancelled.get_json()["status"] == "cancelled"
    assert admin.post(f"/api/v1/imports/{second['id']}/cancel").status_code == 409
