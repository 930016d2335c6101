"""The API's happy paths, access rules, pagination, Idempotency-Key and ETags."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.integration


def test_identity_and_scopes_are_required(client, caller):
    assert client.get("/api/v1/campaigns").status_code == 401
    analyst = caller("analyst", scopes=("analytics:read",))
    response = analyst.get("/api/v1/campaigns")
    assert response.status_code == 403 and response.json["error"]["code"] == "missing_permission"
    reader = caller("marketer", scopes=("campaigns:read",))
    assert reader.get("/api/v1/campaigns").status_code == 200
    assert (
        reader.post("/api/v1/campaigns", json={"name": "x", "channel": "print"}).status_code == 403
    )
    assert reader.get("/api/v1/competitors").status_code == 403
    assert reader.get("/api/v1/coupons").status_code == 403
    assert reader.get("/api/v1/touchpoints?anonymous_id=a").status_code == 403


def test_object_level_access(caller, marketer):
    rep = caller("sales_rep", team="east", scopes=("campaigns:read", "campaigns:write"))
    other_rep = caller("sales_rep", team="east", scopes=("campaigns:read", "campaigns:write"))
    manager = caller("sales_manager", team="east", scopes=("campaigns:read",))
    outsider = caller("sales_manager", team="west", scopes=("campaigns:read",))
    own = rep.post(
        "/api/v1/campaigns",
        json={"name": "Rep's", "channel": "event", "owner_id": str(uuid.uuid4())},
    ).json
    assert own["owner_id"] == rep.id and own["owner_team"] == "east"  # reps own what they make
    theirs = marketer.post("/api/v1/campaigns", json={"name": "Marketing's", "channel": "print"})
    assert theirs.status_code == 201
    assert rep.get(f"/api/v1/campaigns/{theirs.json['id']}").status_code == 404
    assert other_rep.get(f"/api/v1/campaigns/{own['id']}").status_code == 404
    assert other_rep.post(f"/api/v1/campaigns/{own['id']}/cancel").status_code == 404
    assert manager.get(f"/api/v1/campaigns/{own['id']}").status_code == 200
    assert outsider.get(f"/api/v1/campaigns/{own['id']}").status_code == 404
    assert [c["id"] for c in rep.get("/api/v1/campaigns").json["items"]] == [own["id"]]
    assert {c["id"] for c in marketer.get("/api/v1/campaigns").json["items"]} == {
        own["id"],
        theirs.json["id"],
    }
    assert rep.get(f"/api/v1/campaigns/{theirs.json['id']}/report").status_code == 404


def test_listing_filters_and_cursor_pagination(admin):
    ids = [
        admin.post(
            "/api/v1/campaigns", json={"name": f"Campaign {i:02d}", "channel": channel}
        ).json["id"]
        for i, channel in enumerate(["print", "social", "print", "event", "print"])
    ]
    page = admin.get("/api/v1/campaigns?limit=2&sort=name&total=true").json
    assert [c["name"] for c in page["items"]] == ["Campaign 00", "Campaign 01"]
    assert page["total"] == 5
    seen = [c["id"] for c in page["items"]]
    while page["next_cursor"]:
        page = admin.get(f"/api/v1/campaigns?limit=2&sort=name&cursor={page['next_cursor']}").json
        seen += [c["id"] for c in page["items"]]
    assert seen == ids
    prints = admin.get("/api/v1/campaigns?channel=print&sort=name").json["items"]
    assert [c["name"] for c in prints] == ["Campaign 00", "Campaign 02", "Campaign 04"]
    found = admin.get("/api/v1/campaigns?q=GN%2001").json["items"]
    assert [c["name"] for c in found] == ["Campaign 01"]
    newest_first = admin.get("/api/v1/campaigns").json["items"]
    assert [c["id"] for c in newest_first] == list(reversed(ids))
    admin.post(f"/api/v1/campaigns/{ids[1]}/launch")
    running = admin.get("/api/v1/campaigns?status=running").json["items"]
    assert [c["id"] for c in running] == [ids[1]]
    both = admin.get("/api/v1/campaigns?status=running&status=draft").json["items"]
    assert len(both) == 5


def test_idempotency_key_replays_the_first_answer(admin):
    body = {"name": "Once", "channel": "print"}
    first = admin.post("/api/v1/campaigns", json=body, headers={"Idempotency-Key": "abc-1"})
    again = admin.post("/api/v1/campaigns", json=body, headers={"Idempotency-Key": "abc-1"})
    assert first.status_code == again.status_code == 201
    assert first.json["id"] == again.json["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    other = admin.post(
        "/api/v1/campaigns",
        json={"name": "Twice", "channel": "print"},
        headers={"Idempotency-Key": "abc-1"},
    )
    assert other.status_code == 422 and other.json["error"]["code"] == "idempotency_key_reused"
    assert len(admin.get("/api/v1/campaigns").json["items"]) == 1


def test_campaign_plan_view_and_edit(admin, feed, outbox):
    segment = feed.segment("VIP")
    template = admin.post(
        "/api/v1/templates", json={"name": "T", "subject": "S", "text": "hi"}
    ).json["id"]
    created = admin.post(
        "/api/v1/campaigns",
        json={
            "name": "Autumn",
            "channel": "email",
            "objective": "retention",
            "budget": {"amount": "2500.00", "currency": "EUR"},
            "planned_start": "2026-09-01T00:00:00Z",
            "planned_end": "2026-09-30T00:00:00+02:00",
            "segment_ids": [segment],
            "variants": [
                {"name": "Short", "split_percent": 70, "template_id": template},
                {"name": "Long", "split_percent": 30, "template_id": template},
            ],
            "ab_test": {
                "winner_metric": "revenue",
                "test_share_percent": 25,
                "test_duration_hours": 24,
            },
        },
    )
    assert created.status_code == 201, created.json
    campaign = created.json
    assert created.headers["Location"] == f"/api/v1/campaigns/{campaign['id']}"
    assert campaign["planned_end"] == "2026-09-29T22:00:00+00:00"
    assert campaign["budget"] == {"amount": "2500.00", "currency": "EUR"}
    assert campaign["spend"] == {"amount": "0.00", "currency": "EUR"}
    assert campaign["readiness"] == []
    assert campaign["utm_campaign"].startswith("autumn-")
    short = campaign["variants"][0]
    edited = admin.patch(
        f"/api/v1/campaigns/{campaign['id']}",
        headers={"If-Match": created.headers["ETag"]},
        json={
            "variants": [
                {
                    "variant_id": short["id"],
                    "name": "Short",
                    "split_percent": 100,
                    "template_id": template,
                }
            ],
            "ab_test": None,
        },
    )
    assert edited.status_code == 200, edited.json
    assert [v["id"] for v in edited.json["variants"]] == [short["id"]]
    (updated,) = outbox("campaign.updated")
    assert set(updated["changed_fields"]) == {"variants", "ab_test"}
    assert updated["revision"] == 2
    scheduled = admin.post(
        f"/api/v1/campaigns/{campaign['id']}/schedule", json={"send_at": "2099-01-01T08:00:00Z"}
    )
    assert scheduled.json["status"] == "scheduled"
    assert outbox("campaign.scheduled")[0]["scheduled_at"] == "2099-01-01T08:00:00Z"


def test_scheduled_campaigns_launch_when_due(rt, admin, feed):
    from datetime import timedelta

    from campaign_service.service import campaigns as use
    from servicekit.types import utcnow

    segment = feed.segment()
    template = admin.post(
        "/api/v1/templates", json={"name": "T", "subject": "S", "text": "hi"}
    ).json["id"]
    campaign = admin.post(
        "/api/v1/campaigns",
        json={
            "name": "Later",
            "channel": "email",
            "segment_ids": [segment],
            "planned_end": "2099-01-01T00:00:00Z",
            "variants": [{"name": "A", "split_percent": 100, "template_id": template}],
        },
    ).json
    send_at = utcnow() + timedelta(minutes=10)
    admin.post(
        f"/api/v1/campaigns/{campaign['id']}/schedule", json={"send_at": send_at.isoformat()}
    )
    assert use.launch_due(rt.uow) == 0
    assert use.launch_due(rt.uow, now=send_at + timedelta(seconds=1)) == 1
    view = admin.get(f"/api/v1/campaigns/{campaign['id']}").json
    assert view["status"] == "running"
    assert all(v["content_frozen"] for v in view["variants"])
    assert use.complete_due(rt.uow) == 0  # its send has not run yet


def test_templates_variables_and_preview(admin, feed):
    company = feed.company("Lin Trading")
    customer = feed.customer(email="mei@example.com", company_id=company, language="zh")
    template = admin.post(
        "/api/v1/templates",
        json={
            "name": "Hello",
            "subject": "Hi {{ first_name }} ({{ language }})",
            "html": "<p>{{ company }} - {{ season }}</p>",
            "defaults": {"season": "spring"},
        },
    )
    assert template.status_code == 201, template.json
    names = [v["name"] for v in admin.get("/api/v1/templates/variables").json]
    assert {"first_name", "company", "coupon_code", "unsubscribe_url"} <= set(names)
    path = f"/api/v1/templates/{template.json['id']}/preview"
    sample = admin.post(path, json={}).json
    assert sample["subject"] == "Hi Mei (zh)" and sample["adds_unsubscribe_footer"] is True
    real = admin.post(
        path, json={"customer_id": customer, "variables": {"season": "<autumn>"}}
    ).json
    assert real["html"] == "<p>Lin Trading - &lt;autumn&gt;</p>"
    assert real["text"].startswith("Lin Trading")
    listed = admin.get("/api/v1/templates?q=hel").json["items"]
    assert [t["name"] for t in listed] == ["Hello"]


def test_coupons_list_and_codes(admin, outbox):
    campaign = admin.post("/api/v1/campaigns", json={"name": "C", "channel": "print"}).json
    coupon = admin.post(
        "/api/v1/coupons",
        json={
            "name": "Unique",
            "mode": "unique",
            "discount_kind": "amount",
            "value": "5.00",
            "currency": "EUR",
            "campaign_id": campaign["id"],
            "max_per_customer": 1,
            "min_order": {"amount": "25", "currency": "EUR"},
        },
    )
    assert coupon.status_code == 201, coupon.json
    (issued,) = outbox("campaign.coupon.issued")
    assert issued["mode"] == "unique" and issued["code"] is None
    assert issued["min_order"] == {"amount": "25.00", "currency": "EUR"}
    codes = admin.post(
        f"/api/v1/coupons/{coupon.json['id']}/codes", json={"count": 7, "prefix": "vip"}
    )
    assert codes.status_code == 201 and codes.json["issued"] == 7
    assert all(code.startswith("VIP-") for code in codes.json["codes"])
    assert outbox("campaign.coupon.codes_issued")[0]["codes"] == codes.json["codes"]
    page = admin.get(f"/api/v1/coupons/{coupon.json['id']}/codes?limit=5").json
    assert len(page["items"]) == 5 and page["next_cursor"]
    found = admin.get(f"/api/v1/coupons?code={codes.json['codes'][0].lower()}").json["items"]
    assert [c["id"] for c in found] == [coupon.json["id"]]
    etag = admin.get(f"/api/v1/coupons/{coupon.json['id']}").headers["ETag"]
    assert etag != coupon.headers["ETag"]  # issuing codes changed the coupon
    patched = admin.patch(
        f"/api/v1/coupons/{coupon.json['id']}", json={"active": False}, headers={"If-Match": etag}
    )
    assert patched.json["active"] is False
    assert outbox("campaign.coupon.updated")[0]["active"] is False
    assert (
        admin.get(f"/api/v1/coupons?campaign_id={campaign['id']}").json["items"][0]["value"] == "5"
    )


def test_competitors_and_surveys_crud(admin, outbox):
    created = admin.post(
        "/api/v1/competitors",
        json={
            "name": "Jade Leaf",
            "website": "https://jade.example",
            "products": [
                {
                    "name": "Longjing",
                    "price_points": [
                        {"label": "list", "price": {"amount": "26.9", "currency": "EUR"}}
                    ],
                }
            ],
            "strengths": ["delivery"],
            "weaknesses": ["range"],
        },
    )
    assert created.status_code == 201, created.json
    assert created.json["products"][0]["price_points"][0]["price"]["amount"] == "26.90"
    path = f"/api/v1/competitors/{created.json['id']}"
    patched = admin.patch(
        path, json={"notes": "Discounting"}, headers={"If-Match": created.headers["ETag"]}
    )
    assert patched.json["notes"] == "Discounting"
    assert [
        c["type"] if False else c["name"]
        for c in admin.get("/api/v1/competitors?q=jade").json["items"]
    ] == ["Jade Leaf"]
    admin.post(f"{path}/archive")
    assert admin.get("/api/v1/competitors").json["items"] == []
    assert len(admin.get("/api/v1/competitors?status=archived").json["items"]) == 1
    assert [e["status"] for e in outbox("campaign.competitor.updated")] == ["active", "archived"]

    survey = admin.post(
        "/api/v1/surveys",
        json={"name": "S", "questions": [{"type": "scale", "text": "Rate us", "required": True}]},
    )
    assert survey.json["questions"][0]["scale_min"] == 1
    assert survey.json["questions"][0]["scale_max"] == 5
    patched = admin.patch(
        f"/api/v1/surveys/{survey.json['id']}",
        json={"questions": [{"type": "nps", "text": "Recommend?"}]},
        headers={"If-Match": survey.headers["ETag"]},
    )
    assert patched.json["questions"][0]["question_id"] == "q1"
    admin.post(f"/api/v1/surveys/{survey.json['id']}/open")
    assert outbox("campaign.survey.published")[0]["status"] == "open"
    results = admin.get(f"/api/v1/surveys/{survey.json['id']}/results").json
    assert results["responses"] == 0 and results["questions"][0]["nps"]["score"] is None
    assert admin.get(f"/api/v1/surveys/{survey.json['id']}/responses").json["items"] == []


def test_openapi_documents_the_api_but_not_the_public_pages(client):
    spec = client.get("/openapi.json").json
    paths = spec["paths"]
    assert "/api/v1/campaigns/{campaign_id}/report" in paths
    assert "/api/v1/touchpoints/link" in paths
    assert not any(p.startswith(("/r/", "/unsubscribe", "/f/")) for p in paths)
