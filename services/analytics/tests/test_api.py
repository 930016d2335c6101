"""The HTTP API: every report as JSON, CSV, SVG and PNG; content negotiation; bad input named;
access; one customer's scores."""

from __future__ import annotations

import csv
import io
import json
import struct
import zlib
from datetime import UTC, date, datetime
from xml.etree import ElementTree

import pytest

from analytics_service.service.reports.registry import REPORTS
from analytics_service.service.scoring import recompute_scores

pytestmark = pytest.mark.integration
BASE = "/api/v1/analytics"
PERIOD = "from=2025-07-01&to=2025-12-31"


@pytest.fixture
def loaded(rt, load, events):
    stream = events.workload(orders=40)
    load(stream)
    recompute_scores(
        rt.db, rt.uow, "EUR", as_of=date(2026, 1, 15), now=datetime(2026, 1, 15, tzinfo=UTC)
    )
    return stream


def url(spec, extra: str = "") -> str:
    query = PERIOD if spec.period is not None else ""
    if spec.name == "forecast":
        query = "from=2025-01-01&to=2025-12-31"
    if spec.name == "pipeline_forecast":
        query = "from=2025-07-01&to=2026-06-30"
    joined = "&".join(part for part in (query, extra) if part)
    return f"{BASE}{spec.path}" + (f"?{joined}" if joined else "")


def png_is_valid(data: bytes) -> tuple[int, int]:
    """Check the signature and every chunk's CRC; return (width, height)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, chunks = 8, []
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert zlib.crc32(kind + body) == crc, kind
        chunks.append(kind)
        offset += 12 + length
    assert chunks[0] == b"IHDR" and chunks[-1] == b"IEND" and b"IDAT" in chunks
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def svg_text(data: bytes) -> str:
    root = ElementTree.fromstring(data)  # noqa: S314 - our own chart, not untrusted input
    assert root.tag.endswith("svg")
    return " ".join(t for t in root.itertext() if t.strip())


def test_every_report_in_every_format(loaded, analyst):
    """One loaded database, every report: JSON rows, CSV with the same columns, SVG, PNG."""
    for spec in REPORTS:
        response = analyst.get(url(spec))
        assert response.status_code == 200, (spec.name, response.get_json())
        assert response.mimetype == "application/json"
        body = response.get_json()
        assert body["report"] == spec.name
        assert body["currency"] == "EUR"
        names = [c["name"] for c in body["columns"]]
        assert body["rows"], f"{spec.name} has no rows for the workload"
        assert set(body["rows"][0]) <= set(names)

        response = analyst.get(url(spec, "format=csv"))
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert "attachment" in response.headers["Content-Disposition"]
        table = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
        assert table[0] == names
        assert len(table) == len(body["rows"]) + 1

        response = analyst.get(url(spec, "format=svg"))
        assert response.status_code == 200, spec.name
        assert response.mimetype == "image/svg+xml"
        text = svg_text(response.data)
        assert "No data" not in text, spec.name
        assert "EUR" in text or spec.name in ("funnel", "rfm", "pipeline_stages"), spec.name

        response = analyst.get(url(spec, "format=png"))
        assert response.status_code == 200, spec.name
        assert response.mimetype == "image/png"
        assert png_is_valid(response.data) == (1100, 620)


def test_accept_header_chooses_the_format(analyst):
    revenue = f"{BASE}/revenue?{PERIOD}"
    assert analyst.get(revenue, headers={"Accept": "text/csv"}).mimetype == "text/csv"
    assert analyst.get(revenue, headers={"Accept": "image/png"}).mimetype == "image/png"
    assert analyst.get(revenue, headers={"Accept": "image/svg+xml"}).mimetype == "image/svg+xml"
    browser = "text/html,application/xhtml+xml,*/*;q=0.8"
    assert analyst.get(revenue, headers={"Accept": browser}).mimetype == "application/json"
    # the parameter wins over the header
    assert analyst.get(revenue + "&format=csv", headers={"Accept": "image/png"}).mimetype == (
        "text/csv"
    )
    refused = analyst.get(revenue, headers={"Accept": "application/xml"})
    assert refused.status_code == 406
    assert refused.get_json()["error"]["details"] == {"Accept": ["application/xml"]}


def test_revenue_json_carries_exact_money(loaded, analyst):
    body = analyst.get(f"{BASE}/revenue?{PERIOD}&dimension=category&granularity=quarter").get_json()
    assert body["params"] == {
        "from": "2025-07-01",
        "to": "2025-12-31",
        "granularity": "quarter",
        "dimension": "category",
    }
    row = body["rows"][0]
    assert row["period_label"] in ("2025-Q3", "2025-Q4")
    assert isinstance(row["net"], str) and "." in row["net"]
    assert {r["label"] for r in body["rows"]} <= {"Tea", "Cups", "Pots", "(none)"}


BAD_INPUT = [
    ("revenue?dimension=colour", "dimension"),
    ("revenue?from=2026-02-01&to=2026-01-01", "from"),
    ("revenue?from=2010-01-01&to=2026-01-01&granularity=year", "to"),
    ("revenue?from=2020-01-01&to=2026-01-01&granularity=day", "granularity"),
    ("revenue?granularity=hourly", "granularity"),
    ("revenue?format=xlsx", "format"),
    ("revenue?from=yesterday", "from"),
    ("revenue?metric=profit", "metric"),
    ("revenue?top=0", "top"),
    ("revenue?rep=not-a-uuid", "rep"),
    ("revenue?channel=" + ",".join(["x"] * 51), "channel"),
    ("revenue?channel=" + "x" * 101, "channel"),
    ("revenue?colour=red", "colour"),
    ("reps?granularity=week", "granularity"),
    ("rfm?from=2026-01-01", "from"),
    ("pipeline?as_of=2999-01-01", "as_of"),
    ("forecast?horizon=60", "horizon"),
    ("forecast?level=90", "level"),
    ("forecast?from=2025-11-01&to=2025-11-30", "from"),
    ("cohorts?months=99", "months"),
    ("clv?limit=500", "limit"),
    ("campaigns?model=u_shaped", "model"),
    ("support?dimension=mood", "dimension"),
]


def test_bad_input_is_a_422_naming_the_parameter(analyst):
    for query, parameter in BAD_INPUT:
        response = analyst.get(f"{BASE}/{query}")
        assert response.status_code == 422, (query, response.get_json())
        error = response.get_json()["error"]
        assert parameter in error["details"], (query, error)
        assert parameter in error["message"], (query, error)


PERIODIC = [spec for spec in REPORTS if spec.period is not None]


@pytest.mark.parametrize("spec", PERIODIC, ids=lambda spec: spec.name)
def test_days_near_the_calendars_ends_are_a_422_naming_the_parameter(analyst, spec):
    # Found by the full fuzz: support?granularity=month&to=0001-09-13 was a 500 (the default
    # start, eleven months before, fell before year 1); the bucket after 9999-12 overflowed too.
    granularities = [f"&granularity={g}" for g in spec.granularities] or [""]
    for extra in granularities:
        for query, parameter in (
            ("to=0001-09-13", "to"),
            ("to=1899-12-31", "to"),
            ("from=0001-01-01&to=0001-12-31", "from"),
            ("from=9999-01-01&to=9999-12-31", "from"),
            ("from=9999-12-31", "from"),
            ("from=2999-01-01&to=3000-01-01", "to"),
        ):
            response = analyst.get(f"{BASE}{spec.path}?{query}{extra}")
            assert response.status_code == 422, (spec.name, query, extra, response.get_json())
            assert parameter in response.get_json()["error"]["details"], (spec.name, query)


@pytest.mark.parametrize("spec", PERIODIC, ids=lambda spec: spec.name)
def test_periods_at_the_bounds_are_served(analyst, spec):
    coarsest = f"&granularity={spec.granularities[-1]}" if spec.granularities else ""
    for query in (
        "to=1900-01-01",  # the default start falls before the earliest day: still computable
        "from=1900-01-01&to=1900-12-31",
        "from=2999-01-01&to=2999-12-31",
        "from=2999-12-31",
    ):
        response = analyst.get(f"{BASE}{spec.path}?{query}{coarsest}")
        if spec.name == "forecast" and response.status_code == 422:
            # computed, then refused for want of data (no revenue then), not for its days
            assert (
                "needs at least two months with revenue"
                in response.get_json()["error"]["details"]["from"][0]
            ), (query, response.get_json())
            continue
        assert response.status_code == 200, (spec.name, query, response.get_json())


def test_access(client, analyst, caller, minter):
    assert client.get(f"{BASE}/revenue").status_code == 401
    rep = caller("sales_rep", scopes=("orders:read", "opportunities:read"))
    denied = rep.get(f"{BASE}/revenue")
    assert denied.status_code == 403
    assert denied.get_json()["error"]["code"] == "missing_permission"
    assert caller("admin", scopes=("*",)).get(f"{BASE}/reports").status_code == 200
    index = analyst.get(f"{BASE}/reports").get_json()
    assert {r["name"] for r in index} == {s.name for s in REPORTS}
    assert all(r["path"].startswith(BASE) for r in index)


def test_customer_scores(loaded, rt, analyst):
    from sqlalchemy import select

    from analytics_service.adapters import tables as t

    with rt.db.session() as session:
        customer_id = (
            session.execute(
                select(t.customer_scores.c.customer_id).where(t.customer_scores.c.frequency > 0)
            )
            .scalars()
            .first()
        )
    body = analyst.get(f"{BASE}/customers/{customer_id}/scores").get_json()
    assert body["customer_id"] == customer_id
    assert body["purchases"]["orders"] >= 1
    scores = body["scores"]
    assert scores["rfm"]["segment"] in {
        "champions",
        "loyal",
        "potential_loyalist",
        "new",
        "promising",
        "need_attention",
        "about_to_sleep",
        "at_risk",
        "cant_lose_them",
        "hibernating",
    }
    assert scores["clv_predicted"]["currency"] == "EUR"
    assert 0 <= float(scores["churn_risk"]) <= 1
    unknown = analyst.get(f"{BASE}/customers/6f6f6f6f-0000-4000-8000-000000000000/scores")
    assert unknown.status_code == 404
    assert analyst.get(f"{BASE}/customers/not-a-uuid/scores").status_code == 404


def test_openapi_documents_the_reports(client):
    spec = client.get("/openapi.json").get_json()
    revenue = spec["paths"]["/api/v1/analytics/revenue"]["get"]
    assert {p["name"] for p in revenue["parameters"]} >= {
        "from",
        "to",
        "granularity",
        "dimension",
        "format",
        "channel",
    }
    content = revenue["responses"]["200"]["content"]
    assert {"application/json", "text/csv", "image/svg+xml", "image/png"} <= set(content)
    forecast = spec["paths"]["/api/v1/analytics/forecast"]["get"]
    assert "Holt" in forecast["description"]


def _documented_body(document: dict, path: str):
    """A validator for GET ``path``'s 200 JSON body as the OpenAPI document states it."""
    import jsonschema

    def as_json_schema(node):
        if isinstance(node, list):
            return [as_json_schema(item) for item in node]
        if not isinstance(node, dict):
            return node
        node = {key: as_json_schema(value) for key, value in node.items()}
        if node.pop("nullable", False):
            return {"anyOf": [node, {"type": "null"}]}
        return node

    body = document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
    schema = {
        **as_json_schema(body["schema"]),
        "components": as_json_schema(document["components"]),
    }
    return jsonschema.Draft4Validator(schema)


def _bodies_match_the_document(client, analyst, *, empty: bool = False):
    document = json.loads(client.get("/openapi.json").data)
    for spec in REPORTS:
        validator = _documented_body(document, f"{BASE}{spec.path}")
        for dimension in spec.dimensions:
            response = analyst.get(url(spec, f"dimension={dimension}"))
            if empty and spec.name == "forecast":
                assert response.status_code == 422  # no history to fit
                continue
            assert response.status_code == 200, (spec.name, dimension, response.get_json())
            problems = [e.message for e in validator.iter_errors(json.loads(response.data))]
            assert not problems, (spec.name, dimension, problems)


def test_every_report_body_is_as_documented(loaded, client, analyst):
    """Every property of every report's JSON, in every dimension, is in its documented schema
    (the schemas forbid the rest), with data and before any data."""
    _bodies_match_the_document(client, analyst)


def test_every_report_body_is_as_documented_before_any_data(client, analyst):
    _bodies_match_the_document(client, analyst, empty=True)
