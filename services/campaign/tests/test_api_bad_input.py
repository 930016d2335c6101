"""Bad input on every endpoint answers a clear 4xx in the standard error shape, never a 500."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.integration

UNKNOWN = str(uuid.uuid4())


def error(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    body = response.json["error"]
    assert body["status"] == status and body["code"] and body["message"] and body["request_id"]
    return body


@pytest.fixture
def template_id(admin):
    return admin.post("/api/v1/templates", json={"name": "T", "subject": "S", "text": "hi"}).json[
        "id"
    ]


@pytest.fixture
def draft(admin, template_id):
    return admin.post(
        "/api/v1/campaigns",
        json={
            "name": "Draft",
            "channel": "email",
            "variants": [{"name": "A", "split_percent": 100, "template_id": template_id}],
        },
    ).json


CAMPAIGN_LIST_QUERY_CASES = [
    ("limit=0", "limit"),
    ("limit=201", "limit"),
    ("status=sleeping", "status"),
    ("sort=size", "sort"),
    ("colour=red", "colour"),
    ("owner_id=nope", "owner_id"),
    ("starts_after=yesterday", "starts_after"),
]


def test_campaign_list_query(admin):
    for query, field in CAMPAIGN_LIST_QUERY_CASES:
        body = error(admin.get(f"/api/v1/campaigns?{query}"), 422)
        assert field in body["details"], query


def test_campaign_list_bad_cursor(admin):
    assert error(admin.get("/api/v1/campaigns?cursor=garbage"), 400)["code"] == "invalid_cursor"


CAMPAIGN_CREATE_CASES = [
    ({"channel": "email"}, "name"),
    ({"name": "x"}, "channel"),
    ({"name": "x", "channel": "fax"}, "channel"),
    ({"name": "x", "channel": "email", "colour": "red"}, "colour"),
    ({"name": "x" * 201, "channel": "email"}, "name"),
    ({"name": "x", "channel": "email", "objective": "fame"}, "objective"),
    (
        {"name": "x", "channel": "email", "budget": {"amount": "-1", "currency": "EUR"}},
        "budget",
    ),
    (
        {"name": "x", "channel": "email", "budget": {"amount": "abc", "currency": "EUR"}},
        "budget",
    ),
    ({"name": "x", "channel": "email", "budget": {"amount": 1.5, "currency": "eur"}}, "budget"),
    (
        {"name": "x", "channel": "email", "budget": {"amount": "10", "currency": "USD"}},
        "base currency",
    ),
    ({"name": "x", "channel": "email", "segment_ids": ["not-a-uuid"]}, "segment_ids"),
    ({"name": "x", "channel": "email", "segment_ids": [UNKNOWN]}, "unknown segment"),
    ({"name": "x", "channel": "email", "segment_ids": [UNKNOWN] * 21}, "segment_ids"),
    (
        {"name": "x", "channel": "email", "variants": [{"name": "A", "split_percent": 70}]},
        "add up to 100",
    ),
    (
        {"name": "x", "channel": "email", "variants": [{"name": "A", "split_percent": 0}]},
        "variants",
    ),
    (
        {
            "name": "x",
            "channel": "email",
            "variants": [{"name": "A", "split_percent": 100, "template_id": UNKNOWN}],
        },
        "no template",
    ),
    ({"name": "x", "channel": "email", "ab_test": {"winner_metric": "clicks"}}, "two variants"),
    ({"name": "x", "channel": "email", "ab_test": {"winner_metric": "likes"}}, "ab_test"),
    ({"name": "x", "channel": "email", "utm_campaign": "Spring Sale!"}, "utm_campaign"),
    (
        {
            "name": "x",
            "channel": "email",
            "planned_start": "2026-05-01T00:00:00Z",
            "planned_end": "2026-04-01T00:00:00Z",
        },
        "planned_end",
    ),
    ({"name": "x", "channel": "survey"}, "survey_id"),
    ({"name": "x", "channel": "email", "survey_id": UNKNOWN}, "survey"),
    ({"name": "x", "channel": "email", "coupon_id": UNKNOWN}, "coupon"),
    (
        {"name": "x", "channel": "email", "respect_frequency_cap": "maybe"},
        "respect_frequency_cap",
    ),
]


def test_campaign_create(admin):
    for body, field_or_text in CAMPAIGN_CREATE_CASES:
        problem = error(admin.post("/api/v1/campaigns", json=body), 422)
        assert field_or_text in str(problem.get("details", {})) + problem["message"], body


def test_campaign_create_body_format(admin):
    assert (
        error(admin.post("/api/v1/campaigns", data="name=x", content_type="text/plain"), 415)[
            "code"
        ]
        == "unsupported_media_type"
    )
    assert (
        error(admin.post("/api/v1/campaigns", data="{bad", content_type="application/json"), 400)[
            "code"
        ]
        == "invalid_json"
    )
    assert error(admin.post("/api/v1/campaigns", json=[1, 2]), 422)


def test_a_body_that_is_not_utf8_is_invalid_json_not_an_empty_body(admin):
    """Preview takes an empty body (every field is optional); bytes that are not UTF-8 are not
    one (the fuzz found them rendered as a sample preview, 200)."""
    template = admin.post("/api/v1/templates", json={"name": "T", "subject": "S", "text": "hi"})
    preview = f"/api/v1/templates/{template.json['id']}/preview"
    for body in (b"\xff", b"\x80{}"):
        response = admin.post(preview, data=body, content_type="application/json")
        assert error(response, 400)["code"] == "invalid_json"
    assert admin.post(preview, data=b"", content_type="application/json").status_code == 200


def test_utm_key_must_be_unique(admin):
    admin.post("/api/v1/campaigns", json={"name": "a", "channel": "print", "utm_campaign": "same"})
    problem = error(
        admin.post(
            "/api/v1/campaigns", json={"name": "b", "channel": "print", "utm_campaign": "same"}
        ),
        422,
    )
    assert "used by another campaign" in problem["message"]


def test_campaign_item_errors(admin, draft):
    path = f"/api/v1/campaigns/{draft['id']}"
    assert error(admin.get("/api/v1/campaigns/not-a-uuid"), 404)
    assert error(admin.get(f"/api/v1/campaigns/{UNKNOWN}"), 404)
    assert error(admin.patch(path, json={"name": "n"}), 428)["code"] == "precondition_required"
    assert error(admin.patch(path, json={"name": "n"}, headers={"If-Match": '"99"'}), 412)
    assert error(admin.patch(path, json={"name": "n"}, headers={"If-Match": "garbage"}), 412)
    etag = admin.get(path).headers["ETag"]
    assert error(admin.patch(path, json={}, headers={"If-Match": etag}), 422)
    assert error(admin.patch(path, json={"status": "running"}, headers={"If-Match": etag}), 422)
    ok = admin.patch(path, json={"name": "Renamed"}, headers={"If-Match": etag})
    assert ok.status_code == 200 and ok.headers["ETag"] != etag
    assert error(admin.patch(path, json={"name": "again"}, headers={"If-Match": etag}), 412)


def test_actions_in_the_wrong_state(admin, draft, template_id):
    base = f"/api/v1/campaigns/{draft['id']}"
    for action in ("pause", "resume", "complete"):
        assert error(admin.post(f"{base}/{action}"), 409)["code"] == "conflict"
    problem = error(admin.post(f"{base}/launch"), 409)
    assert "target segment" in problem["message"]
    assert error(admin.post(f"{base}/schedule", json={}), 422)
    assert error(admin.post(f"{base}/schedule", json={"send_at": "2020-01-01T00:00:00Z"}), 422)
    assert error(admin.post(f"{base}/schedule", json={"send_at": "soon"}), 422)
    assert error(admin.post(f"{base}/select-winner", json={}), 409)
    assert error(admin.post(f"{base}/select-winner", json={"variant_id": "x"}), 422)
    assert error(admin.get(f"{base}/send"), 404)
    assert error(admin.get(f"{base}/report?model=ouija"), 422)
    assert error(admin.get(f"{base}/messages?status=lost"), 422)
    assert admin.post(f"{base}/cancel").status_code == 200
    assert error(admin.post(f"{base}/cancel"), 409)
    etag = admin.get(base).headers["ETag"]
    assert error(admin.patch(base, json={"name": "x"}, headers={"If-Match": etag}), 409)
    for action in ("launch", "pause", "complete"):
        assert error(admin.post(f"/api/v1/campaigns/{UNKNOWN}/{action}"), 404)


def test_plan_changes_after_launch_are_refused(admin, feed, template_id):
    segment = feed.segment()
    campaign = admin.post(
        "/api/v1/campaigns",
        json={
            "name": "x",
            "channel": "email",
            "segment_ids": [segment],
            "variants": [{"name": "A", "split_percent": 100, "template_id": template_id}],
        },
    ).json
    launched = admin.post(f"/api/v1/campaigns/{campaign['id']}/launch")
    problem = error(
        admin.patch(
            f"/api/v1/campaigns/{campaign['id']}",
            json={"segment_ids": []},
            headers={"If-Match": launched.headers["ETag"]},
        ),
        409,
    )
    assert "before launch" in problem["message"]
    assert error(admin.post(f"/api/v1/campaigns/{campaign['id']}/launch"), 409)


def test_customer_messages_needs_a_customer(admin):
    assert "customer_id" in error(admin.get("/api/v1/campaigns/messages"), 422)["details"]
    assert error(admin.get("/api/v1/campaigns/messages?customer_id=abc"), 422)
    assert admin.get(f"/api/v1/campaigns/messages?customer_id={UNKNOWN}").json["items"] == []


COSTS_CASES = [
    ({}, "category"),
    ({"category": "bribes", "amount": {"amount": "1", "currency": "EUR"}}, "category"),
    ({"category": "media", "amount": {"amount": "0", "currency": "EUR"}}, "amount"),
    ({"category": "media", "amount": {"amount": "-5", "currency": "EUR"}}, "amount"),
    ({"category": "media", "amount": {"amount": "5", "currency": "euro"}}, "currency"),
    ({"category": "media", "amount": {"amount": "1e20", "currency": "EUR"}}, "amount"),
    (
        {"category": "media", "amount": {"amount": "5", "currency": "USD"}, "fx_rate": "-1"},
        "fx_rate",
    ),
    (
        {
            "category": "media",
            "amount": {"amount": "5", "currency": "USD"},
            "fx_rate": "0.1234567",
        },
        "fx_rate",
    ),
    ({"category": "media", "amount": {"amount": "5", "currency": "EUR"}, "tip": 1}, "tip"),
    (
        {
            "category": "media",
            "amount": {"amount": "5", "currency": "EUR"},
            "incurred_on": "31/12/2026",
        },
        "incurred_on",
    ),
]


def test_costs(admin, draft):
    for body, text in COSTS_CASES:
        problem = error(admin.post(f"/api/v1/campaigns/{draft['id']}/costs", json=body), 422)
        assert text in str(problem.get("details", {})) + problem["message"], body


def test_cost_delete_unknown(admin, draft):
    assert error(admin.delete(f"/api/v1/campaigns/{draft['id']}/costs/{UNKNOWN}"), 404)
    assert error(
        admin.post(
            f"/api/v1/campaigns/{UNKNOWN}/costs",
            json={"category": "media", "amount": {"amount": "5", "currency": "EUR"}},
        ),
        404,
    )


TEMPLATE_CREATE_CASES = [
    ({"subject": "s", "text": "t"}, "name"),
    ({"name": "n", "text": "t"}, "subject"),
    ({"name": "n", "subject": "s"}, "text part, an HTML part"),
    ({"name": "n", "subject": "Hi {{ frist_name }}", "text": "t"}, "frist_name"),
    ({"name": "n", "subject": "s", "text": "{{ ''.__class__.__mro__ }}"}, "not allowed"),
    ({"name": "n", "subject": "s", "text": "{% if %}"}, "line 1"),
    (
        {"name": "n", "subject": "s", "text": "t", "defaults": {"first name": "x"}},
        "not a valid variable name",
    ),
    ({"name": "n", "subject": "s", "text": "t", "defaults": {"x": 5}}, "defaults"),
    ({"name": "n", "subject": "s", "text": "t", "from_name": "Evil\r\nBcc: x"}, "from_name"),
    ({"name": "n", "subject": "s", "text": "t", "body": "?"}, "body"),
    ({"name": "n", "subject": "s" * 301, "text": "t"}, "subject"),
]


def test_template_create(admin):
    for body, text in TEMPLATE_CREATE_CASES:
        problem = error(admin.post("/api/v1/templates", json=body), 422)
        assert text in str(problem.get("details", {})) + problem["message"], body


def test_template_item_errors(admin, template_id):
    path = f"/api/v1/templates/{template_id}"
    assert error(admin.get(f"/api/v1/templates/{UNKNOWN}"), 404)
    assert error(admin.patch(path, json={"subject": "x"}), 428)
    etag = admin.get(path).headers["ETag"]
    assert error(admin.patch(path, json={"text": "{{ nope }}"}, headers={"If-Match": etag}), 422)
    assert error(admin.post(f"{path}/preview", json={"customer_id": UNKNOWN}), 404)
    assert error(admin.post(f"{path}/preview", json={"variables": {"x": 5}}), 422)
    assert error(admin.post(f"{path}/preview", json={"variables": ["x"]}), 422)
    assert admin.post(f"{path}/archive").status_code == 200
    assert error(admin.post(f"{path}/archive"), 409)
    assert error(admin.get("/api/v1/templates?status=deleted"), 422)


COUPON_CREATE_CASES = [
    ({"mode": "shared", "discount_kind": "percent", "value": "10"}, "name"),
    ({"name": "c", "mode": "both", "discount_kind": "percent", "value": "10"}, "mode"),
    (
        {"name": "c", "mode": "shared", "discount_kind": "percent", "value": "150"},
        "at most 100",
    ),
    ({"name": "c", "mode": "shared", "discount_kind": "percent", "value": "0"}, "more than 0"),
    ({"name": "c", "mode": "shared", "discount_kind": "amount", "value": "5"}, "currency"),
    (
        {
            "name": "c",
            "mode": "shared",
            "discount_kind": "percent",
            "value": "5",
            "currency": "EUR",
        },
        "no currency",
    ),
    (
        {
            "name": "c",
            "mode": "shared",
            "discount_kind": "percent",
            "value": "5",
            "code": "no spaces!",
        },
        "code",
    ),
    (
        {
            "name": "c",
            "mode": "unique",
            "discount_kind": "percent",
            "value": "5",
            "code": "SHARED",
        },
        "no shared code",
    ),
    (
        {
            "name": "c",
            "mode": "shared",
            "discount_kind": "percent",
            "value": "5",
            "max_redemptions": 0,
        },
        "max_redemptions",
    ),
    (
        {
            "name": "c",
            "mode": "shared",
            "discount_kind": "percent",
            "value": "5",
            "valid_from": "2026-05-01T00:00:00Z",
            "valid_until": "2026-04-01T00:00:00Z",
        },
        "valid_until",
    ),
    (
        {
            "name": "c",
            "mode": "shared",
            "discount_kind": "amount",
            "value": "5",
            "currency": "EUR",
            "min_order": {"amount": "20", "currency": "USD"},
        },
        "min_order",
    ),
    (
        {
            "name": "c",
            "mode": "shared",
            "discount_kind": "percent",
            "value": "5",
            "campaign_id": UNKNOWN,
        },
        "no campaign",
    ),
]


def test_coupon_create(admin):
    for body, text in COUPON_CREATE_CASES:
        problem = error(admin.post("/api/v1/coupons", json=body), 422)
        assert text in str(problem.get("details", {})) + problem["message"], body


def test_coupon_errors(admin):
    shared = admin.post(
        "/api/v1/coupons",
        json={
            "name": "c",
            "mode": "shared",
            "code": "dup-1",
            "discount_kind": "percent",
            "value": "5",
        },
    )
    assert shared.json["code"] == "DUP-1"
    again = admin.post(
        "/api/v1/coupons",
        json={
            "name": "d",
            "mode": "shared",
            "code": "DUP-1",
            "discount_kind": "percent",
            "value": "5",
        },
    )
    assert "already in use" in error(again, 422)["message"]
    path = f"/api/v1/coupons/{shared.json['id']}"
    etag = shared.headers["ETag"]
    assert error(admin.patch(path, json={"value": "9"}, headers={"If-Match": etag}), 422)
    assert error(admin.post(f"{path}/codes", json={"count": 5}), 409)
    unique = admin.post(
        "/api/v1/coupons",
        json={"name": "u", "mode": "unique", "discount_kind": "percent", "value": "5"},
    ).json
    codes = f"/api/v1/coupons/{unique['id']}/codes"
    assert error(admin.post(codes, json={"count": 0}), 422)
    assert error(admin.post(codes, json={"count": 50_001}), 422)
    assert error(admin.post(codes, json={"count": 2, "prefix": "no-dash"}), 422)
    assert error(admin.get(f"/api/v1/coupons/{UNKNOWN}"), 404)
    assert error(admin.get("/api/v1/coupons?active=perhaps"), 422)


TOUCHPOINT_CREATE_CASES = [
    ({"source": "x"}, "customer_id or anonymous_id"),
    ({"anonymous_id": "a"}, "utm source or campaign"),
    ({"anonymous_id": "a", "source": "x", "occurred_at": "2999-01-01T00:00:00Z"}, "future"),
    ({"customer_id": "nope", "source": "x"}, "customer_id"),
    ({"anonymous_id": "a" * 101, "source": "x"}, "anonymous_id"),
    ({"anonymous_id": "a", "source": "x", "utm_source": "y"}, "utm_source"),
]


def test_touchpoint_create(admin):
    for body, text in TOUCHPOINT_CREATE_CASES:
        problem = error(admin.post("/api/v1/touchpoints", json=body), 422)
        assert text in str(problem.get("details", {})) + problem["message"], body


def test_touchpoint_list_and_link(admin):
    assert error(admin.get("/api/v1/touchpoints"), 422)
    assert error(admin.get("/api/v1/touchpoints?kind=fax&anonymous_id=a"), 422)
    assert error(admin.post("/api/v1/touchpoints/link", json={"anonymous_id": "a"}), 422)
    assert error(
        admin.post("/api/v1/touchpoints/link", json={"anonymous_id": " ", "customer_id": UNKNOWN}),
        422,
    )


def test_suppressions(admin):
    assert error(admin.post("/api/v1/suppressions", json={"address": "not-an-email"}), 422)
    assert error(
        admin.post(
            "/api/v1/suppressions", json={"address": "a@example.com", "reason": "unsubscribed"}
        ),
        422,
    )
    created = admin.post("/api/v1/suppressions", json={"address": "a@example.com"})
    assert created.status_code == 201
    assert error(admin.post("/api/v1/suppressions", json={"address": "A@example.com"}), 409)
    assert error(admin.delete(f"/api/v1/suppressions/{UNKNOWN}"), 404)
    assert admin.delete(f"/api/v1/suppressions/{created.json['id']}").status_code == 204
    assert error(admin.get("/api/v1/suppressions?reason=spite"), 422)


COMPETITOR_CREATE_CASES = [
    ({}, "name"),
    ({"name": "x", "website": "ftp://x"}, "website"),
    (
        {
            "name": "x",
            "products": [
                {"name": "p", "price_points": [{"price": {"amount": "-1", "currency": "EUR"}}]}
            ],
        },
        "products",
    ),
    ({"name": "x", "products": [{"price_points": []}]}, "products"),
    ({"name": "x", "strengths": ["s"] * 51}, "strengths"),
    ({"name": "x", "rating": 5}, "rating"),
]


def test_competitor_create(admin):
    for body, text in COMPETITOR_CREATE_CASES:
        problem = error(admin.post("/api/v1/competitors", json=body), 422)
        assert text in str(problem.get("details", {})) + problem["message"], body


def test_competitor_errors(admin):
    created = admin.post("/api/v1/competitors", json={"name": "Rival"})
    assert error(admin.post("/api/v1/competitors", json={"name": "rival"}), 409)
    path = f"/api/v1/competitors/{created.json['id']}"
    assert error(admin.patch(path, json={"notes": "x"}), 428)
    assert error(admin.post(f"{path}/restore"), 409)
    assert admin.post(f"{path}/archive").status_code == 200
    assert error(admin.post(f"{path}/archive"), 409)
    assert error(admin.get("/api/v1/competitors?status=gone"), 422)
    assert error(admin.get(f"/api/v1/competitors/{UNKNOWN}"), 404)


SURVEY_CREATE_CASES = [
    ({"name": "s"}, "questions"),
    ({"name": "s", "questions": []}, "questions"),
    ({"name": "s", "questions": [{"type": "essay", "text": "?"}]}, "type"),
    ({"name": "s", "questions": [{"type": "text"}]}, "text"),
    (
        {
            "name": "s",
            "questions": [{"type": "single_choice", "text": "?", "options": [{"label": "only"}]}],
        },
        "2-30 options",
    ),
    (
        {
            "name": "s",
            "questions": [
                {"type": "text", "text": "?", "options": [{"label": "a"}, {"label": "b"}]}
            ],
        },
        "only choice questions",
    ),
    (
        {"name": "s", "questions": [{"type": "scale", "text": "?", "scale_max": 11}]},
        "scale_max",
    ),
    (
        {"name": "s", "questions": [{"question_id": "Q 1", "type": "text", "text": "?"}]},
        "question_id",
    ),
    (
        {
            "name": "s",
            "questions": [
                {"question_id": "a", "type": "text", "text": "?"},
                {"question_id": "a", "type": "text", "text": "?"},
            ],
        },
        "used twice",
    ),
]


def test_survey_create(admin):
    for body, text in SURVEY_CREATE_CASES:
        problem = error(admin.post("/api/v1/surveys", json=body), 422)
        assert text in str(problem.get("details", {})) + problem["message"], body


def test_survey_errors(admin):
    survey = admin.post(
        "/api/v1/surveys", json={"name": "s", "questions": [{"type": "text", "text": "?"}]}
    ).json
    base = f"/api/v1/surveys/{survey['id']}"
    assert error(admin.post(f"{base}/close"), 409)
    assert admin.post(f"{base}/open").status_code == 200
    assert error(admin.post(f"{base}/open"), 409)
    assert error(admin.get(f"{base}/results?text_limit=-1"), 422)
    assert error(admin.get(f"/api/v1/surveys/{UNKNOWN}/results"), 404)
    assert error(admin.get("/api/v1/surveys?status=happy"), 422)


def test_public_links_with_bad_tokens(client):
    assert client.get("/r/c/garbage").status_code == 404
    pixel = client.get("/r/o/garbage.gif")
    assert pixel.status_code == 404 and pixel.mimetype == "image/gif"
    assert client.get("/unsubscribe/garbage").status_code == 404
    assert client.post("/unsubscribe/garbage", data={"confirm": "yes"}).status_code == 404
    assert client.post("/unsubscribe/garbage").status_code == 400  # no confirmation at all
    assert client.get("/f/garbage").status_code == 404
    assert client.post("/f/garbage", data={"q_q1": "1"}).status_code == 404
    assert client.get("/r/c/" + "A" * 300).status_code == 404


def test_unknown_paths_and_methods(admin):
    assert error(admin.delete("/api/v1/campaigns"), 405)
    assert error(admin.get("/api/v1/nothing-here"), 404)


def test_listing_queries_everywhere(admin, draft):
    campaign = f"/api/v1/campaigns/{draft['id']}"
    for path, field in (
        (f"{campaign}/attributions?model=ouija", "model"),
        (f"{campaign}/attributions?limit=0", "limit"),
        (f"{campaign}/costs?limit=999", "limit"),
        (f"{campaign}/messages?variant_id=x", "variant_id"),
        (f"{campaign}/messages?limit=-1", "limit"),
        (f"/api/v1/coupons/{UNKNOWN}/codes?assigned=maybe", "assigned"),
        (f"/api/v1/surveys/{UNKNOWN}/responses?limit=0", "limit"),
        ("/api/v1/templates?limit=1000", "limit"),
        ("/api/v1/suppressions?customer_id=nope", "customer_id"),
        ("/api/v1/competitors?q=" + "x" * 201, "q"),
        ("/api/v1/touchpoints?customer_id=nope", "customer_id"),
        ("/api/v1/touchpoints?anonymous_id=a&since=never", "since"),
        ("/api/v1/campaigns/messages?customer_id=" + UNKNOWN + "&campaign_id=x", "campaign_id"),
    ):
        body = error(admin.get(path), 422)
        assert field in body["details"], path


def test_patch_rejects_unknown_and_read_only_fields(admin, template_id):
    coupon = admin.post(
        "/api/v1/coupons",
        json={"name": "c", "mode": "shared", "discount_kind": "percent", "value": "5"},
    )
    competitor = admin.post("/api/v1/competitors", json={"name": "Rival"})
    survey = admin.post(
        "/api/v1/surveys", json={"name": "s", "questions": [{"type": "text", "text": "?"}]}
    )
    template = admin.get(f"/api/v1/templates/{template_id}")
    for path, response, body in (
        (f"/api/v1/coupons/{coupon.json['id']}", coupon, {"redemptions": 5}),
        (f"/api/v1/coupons/{coupon.json['id']}", coupon, {"max_per_customer": 0}),
        (f"/api/v1/competitors/{competitor.json['id']}", competitor, {"status": "archived"}),
        (f"/api/v1/competitors/{competitor.json['id']}", competitor, {"strengths": "one"}),
        (f"/api/v1/surveys/{survey.json['id']}", survey, {"status": "open"}),
        (f"/api/v1/surveys/{survey.json['id']}", survey, {"questions": []}),
        (f"/api/v1/templates/{template_id}", template, {"version": 9}),
        (f"/api/v1/templates/{template_id}", template, {"defaults": ["x"]}),
    ):
        error(admin.patch(path, json=body, headers={"If-Match": response.headers["ETag"]}), 422)


def test_idempotency_key_must_be_printable(admin):
    response = admin.post(
        "/api/v1/campaigns",
        json={"name": "x", "channel": "print"},
        headers={"Idempotency-Key": "x" * 201},
    )
    assert error(response, 400)["code"] == "invalid_idempotency_key"
