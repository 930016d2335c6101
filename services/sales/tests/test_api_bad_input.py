"""Bad input on every endpoint answers a clear 4xx in the standard error shape, never a 500."""

from __future__ import annotations

import pytest

from sales_service.entrypoints import runtime as runtime_module
from sales_service.entrypoints.wsgi import create_app
from servicekit.testing.databases import DatabaseFactory

pytestmark = pytest.mark.integration

X = "27a43881-2b11-43ca-9218-9d769b164e11"  # fixed: test ids must match across workers
LONG = "x" * 20_001


def _long(n: int) -> str:
    return "x" * (n + 1)


# (method, path, a body with one overlong string, or None when the body takes no strings)
WRITES = [
    ("POST", "/api/v1/products", {"sku": _long(64), "name": "n", "list_price": "1"}),
    ("PATCH", f"/api/v1/products/{X}", {"name": _long(200)}),
    ("POST", "/api/v1/channels", {"kind": "direct", "name": _long(200)}),
    ("PATCH", f"/api/v1/channels/{X}", {"code": _long(40)}),
    ("POST", "/api/v1/price-lists", {"name": _long(200)}),
    ("PATCH", f"/api/v1/price-lists/{X}", {"customer_tier": _long(60)}),
    ("POST", "/api/v1/leads", {"source": "x", "customer_id": X, "notes": LONG}),
    ("PATCH", f"/api/v1/leads/{X}", {"company": _long(200)}),
    ("POST", f"/api/v1/leads/{X}/assign", {"owner_id": X, "owner_team": _long(60)}),
    ("POST", f"/api/v1/leads/{X}/work", None),
    ("POST", f"/api/v1/leads/{X}/qualify", None),
    ("POST", f"/api/v1/leads/{X}/disqualify", {"reason": _long(500)}),
    ("POST", f"/api/v1/leads/{X}/reopen", None),
    ("POST", f"/api/v1/leads/{X}/convert", {"name": _long(300)}),
    ("POST", "/api/v1/leads/assignment-rules", {"name": _long(200), "strategy": "region"}),
    ("PATCH", f"/api/v1/leads/assignment-rules/{X}", {"team": _long(60)}),
    ("POST", "/api/v1/pipelines", {"name": _long(200), "stages": []}),
    ("PATCH", f"/api/v1/pipelines/{X}", {"name": _long(200)}),
    ("POST", "/api/v1/opportunities", {"name": _long(300), "customer_id": X}),
    ("PATCH", f"/api/v1/opportunities/{X}", {"next_step": _long(500)}),
    ("POST", f"/api/v1/opportunities/{X}/assign", {"owner_id": X, "owner_team": _long(60)}),
    ("POST", f"/api/v1/opportunities/{X}/move", None),
    ("POST", f"/api/v1/opportunities/{X}/win", {"reason": _long(500)}),
    ("POST", f"/api/v1/opportunities/{X}/lose", {"reason": _long(500)}),
    ("POST", f"/api/v1/opportunities/{X}/reopen", None),
    ("POST", "/api/v1/quotes", {"customer_id": X, "lines": [], "notes": LONG}),
    ("PATCH", f"/api/v1/quotes/{X}", {"region": _long(100)}),
    ("POST", f"/api/v1/quotes/{X}/send", None),
    ("POST", f"/api/v1/quotes/{X}/reject", {"reason": _long(500)}),
    ("POST", f"/api/v1/quotes/{X}/accept", {"notes": LONG}),
    ("POST", "/api/v1/orders", {"customer_id": X, "lines": [], "coupon_code": _long(100)}),
    ("POST", "/api/v1/orders/preview", {"customer_id": X, "lines": [], "region": _long(100)}),
    ("POST", f"/api/v1/orders/{X}/pay", {"payment_reference": _long(200)}),
    ("POST", f"/api/v1/orders/{X}/fulfil", {"carrier": _long(100)}),
    ("POST", f"/api/v1/orders/{X}/deliver", None),
    ("POST", f"/api/v1/orders/{X}/cancel", {"reason": _long(500)}),
    ("POST", f"/api/v1/orders/{X}/returns", {"full": True, "reason": _long(500)}),
    ("POST", "/api/v1/contracts", {"customer_id": X, "title": _long(300)}),
    ("PATCH", f"/api/v1/contracts/{X}", {"title": _long(300)}),
    ("POST", f"/api/v1/contracts/{X}/sign", None),
    ("POST", f"/api/v1/contracts/{X}/renew", None),
    ("POST", f"/api/v1/contracts/{X}/terminate", {"reason": _long(500)}),
    ("POST", "/api/v1/targets", {"subject": "team", "team": _long(60)}),
    ("PATCH", f"/api/v1/targets/{X}", {"notes": _long(1000)}),
    ("POST", "/api/v1/tasks", {"kind": "call", "subject": _long(300)}),
    ("PATCH", f"/api/v1/tasks/{X}", {"subject": _long(300)}),
    ("POST", f"/api/v1/tasks/{X}/complete", {"outcome": _long(500)}),
    ("POST", f"/api/v1/tasks/{X}/cancel", None),
    ("POST", f"/api/v1/tasks/{X}/reopen", None),
    ("POST", "/api/v1/fx-rates", {"currency": "USD", "rate": "1", "effective_from": _long(40)}),
]
LISTS = [
    "/api/v1/products",
    "/api/v1/channels",
    "/api/v1/price-lists",
    "/api/v1/leads",
    "/api/v1/opportunities",
    "/api/v1/quotes",
    "/api/v1/orders",
    "/api/v1/contracts",
    "/api/v1/targets",
    "/api/v1/tasks",
    "/api/v1/fx-rates",
]


def assert_error(response, status: int | tuple, code: str | None = None):
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, (response.status_code, response.get_data(True))
    body = response.get_json()
    assert set(body) == {"error"}
    error = body["error"]
    assert error["status"] == response.status_code
    assert error["message"] and error["request_id"] and error["code"]
    if code:
        assert error["code"] == code, error
    return error


class Minted:
    """Calls with a minted identity (the gateway's signed header)."""

    def __init__(self, client, minter, **identity):
        self.client, self.minter = client, minter
        self.headers = minter.headers(**identity) if identity else minter.headers()

    def as_(self, **identity):
        return Minted(self.client, self.minter, **identity)

    def _call(self, method, path, headers=None, **kwargs):
        return self.client.open(
            path, method=method, headers={**self.headers, **(headers or {})}, **kwargs
        )

    def get(self, path, **kwargs):
        return self._call("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self._call("POST", path, **kwargs)


@pytest.fixture(scope="module")
def admin(minter, shared_tmp, tmp_path_factory):
    """One app for the whole module: refusing bad input never depends on the database."""

    factory = DatabaseFactory("sqlite", shared_tmp, tmp_path_factory.mktemp("bad-input"), None)
    rt = runtime_module.build(
        database_url=factory.url(runtime_module.MIGRATIONS),
        identity_public_keys=(minter.public_pem,),
        amqp_url="amqp://guest:guest@127.0.0.1:1//",
    )
    yield Minted(create_app(rt).test_client(), minter)
    rt.db.dispose()
    factory.cleanup()


def ids(value):
    return f"{value[0]} {value[1]}" if isinstance(value, tuple) else None


@pytest.mark.parametrize("endpoint", WRITES, ids=ids)
def test_bad_bodies(admin, endpoint):
    method, path, overlong = endpoint
    response = admin._call(method, path, data="{not json", content_type="application/json")
    assert_error(response, 400, "invalid_json")
    assert_error(admin._call(method, path, json=["a", "list"]), 422)
    assert_error(admin._call(method, path, json="text"), 422)
    error = assert_error(admin._call(method, path, json={"surprise": 1}), 422)
    assert "surprise" in error["details"]
    response = admin._call(method, path, data="a=b", content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")
    if overlong is not None:
        assert_error(admin._call(method, path, json=overlong), 422)


@pytest.mark.parametrize("endpoint", WRITES, ids=ids)
@pytest.mark.parametrize("body", [b"\xff", b"\x80{}", b"{not json"], ids=["ff", "80", "syntax"])
def test_a_body_that_is_not_json_is_a_400_before_any_precondition(admin, endpoint, body):
    """Bytes that are not JSON (not even UTF-8) are not an empty body: never read as "no body",
    which ran the action on {} as far as its If-Match (412) — the full fuzz found tasks/reopen."""
    method, path, _ = endpoint
    for if_match in ('"999"', "garbage"):
        response = admin._call(
            method, path, data=body, content_type="application/json", headers={"If-Match": if_match}
        )
        assert_error(response, 400, "invalid_json")


@pytest.mark.parametrize("endpoint", [w for w in WRITES if w[2] is not None], ids=ids)
def test_a_text_too_long_as_sent_is_refused_even_if_whitespace_pads_it(admin, endpoint):
    """Text bounds hold for the string as sent, as documented (maxLength): the full fuzz found
    POST /opportunities/{id}/win taking a 500+ character reason of "conflict" and U+001D, and
    going on to its If-Match (412)."""
    method, path, overlong = endpoint
    # The overlong text ("x" * (max + 1)) ends in whitespace: at most max once stripped.
    key = next(k for k, v in overlong.items() if isinstance(v, str) and set(v) == {"x"})
    padded = {**overlong, key: overlong[key][:-2] + "\x1d\x1d"}
    error = assert_error(admin._call(method, path, json=padded, headers={"If-Match": '"9"'}), 422)
    assert key in error["details"]


@pytest.mark.parametrize("path", LISTS)
def test_bad_cursor_and_page_size(admin, path):
    assert_error(admin.get(f"{path}?cursor=not-a-cursor"), 400, "invalid_cursor")
    assert_error(admin.get(f"{path}?limit=201"), 422)
    assert_error(admin.get(f"{path}?limit=zero"), 422)
    assert_error(admin.get(f"{path}?unknown_filter=1"), 422)
    assert_error(admin.get(f"{path}?sort=nonsense"), 422)


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("parameter", ["cursor", "limit", "sort"])
def test_a_single_valued_parameter_given_twice_is_refused_by_name(admin, path, parameter):
    # Never silently read as its first value (it was, on every listing, fx-rates included).
    value = {"cursor": "x", "limit": "10", "sort": "-created_at"}[parameter]
    error = assert_error(admin.get(f"{path}?{parameter}={value}&{parameter}={value}"), 422)
    assert error["code"] == "validation_failed"
    assert error["details"] == {parameter: ["Given more than once."]}
    assert parameter in error["message"]


def test_a_cursor_from_another_listing_is_refused(admin):
    for sku in ("C1", "C2"):
        admin.post("/api/v1/products", json={"sku": sku, "name": "n", "list_price": "1"})
    cursor = admin.get("/api/v1/products?limit=1").get_json()["next_cursor"]
    assert cursor
    assert_error(admin.get(f"/api/v1/orders?cursor={cursor}"), 400, "invalid_cursor")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/products", {"sku": "A", "name": "n", "list_price": "1",
                                      "currency": "eur"}),
        ("POST", "/api/v1/products", {"sku": "A", "name": "n", "list_price": "1",
                                      "currency": "EURO"}),
        ("POST", "/api/v1/price-lists", {"name": "n", "currency": "12"}),
        ("POST", "/api/v1/orders", {"customer_id": X, "currency": "US", "lines": [
            {"product_id": X, "quantity": "1"}]}),
        ("POST", "/api/v1/quotes", {"customer_id": X, "currency": "usd", "lines": [
            {"product_id": X, "quantity": "1"}]}),
        ("POST", "/api/v1/opportunities", {"name": "n", "customer_id": X, "currency": "€"}),
        ("POST", "/api/v1/contracts", {"customer_id": X, "title": "t", "start_date": "2026-01-01",
                                       "end_date": "2026-02-01", "value": "1", "currency": "E"}),
        ("POST", "/api/v1/fx-rates", {"currency": "US1", "rate": "1"}),
    ],
)  # fmt: skip
def test_bad_currency_codes(admin, method, path, body):
    error = assert_error(admin._call(method, path, json=body), 422)
    assert "currency" in error["details"]


@pytest.mark.parametrize("quantity", ["-1", "0", "-0.5", "abc", "1e400", "NaN", True, {"a": 1}])
@pytest.mark.parametrize("path", ["/api/v1/orders", "/api/v1/orders/preview", "/api/v1/quotes"])
def test_bad_quantities(admin, path, quantity):
    body = {"customer_id": X, "lines": [{"product_id": X, "quantity": quantity}]}
    error = assert_error(admin.post(path, json=body), 422)
    assert "lines" in error["details"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/products", {"sku": "A", "name": "n", "list_price": "-1"}),
        ("/api/v1/products", {"sku": "A", "name": "n", "list_price": "1", "tax_rate": "1.5"}),
        ("/api/v1/products", {"sku": "A", "name": 5, "list_price": "1"}),
        ("/api/v1/products", {"sku": "A", "name": "n", "list_price": "1", "active": "maybe"}),
        ("/api/v1/orders", {"customer_id": "not-a-uuid", "lines": [{"product_id": X,
                                                                    "quantity": "1"}]}),
        ("/api/v1/orders", {"customer_id": X, "lines": [{"product_id": X, "quantity": "1",
                                                         "discount_percent": "101"}]}),
        ("/api/v1/orders", {"customer_id": X, "lines": [{"product_id": X, "quantity": "1",
                                                         "unit_price": "-2"}]}),
        ("/api/v1/orders", {"customer_id": X, "lines": [{"product_id": X, "quantity": "1"}] * 501}),
        ("/api/v1/leads", {"source": "x"}),
        ("/api/v1/leads", {"source": "x", "contact": {"name": "n", "email": "not-an-email"}}),
        ("/api/v1/leads", {"source": "x", "customer_id": X, "score": 101}),
        ("/api/v1/leads", {"source": "x", "customer_id": X, "score": "50"}),
        ("/api/v1/pipelines", {"name": "n", "stages": [{"name": "a", "probability": 120}] * 2}),
        ("/api/v1/targets", {"subject": "rep", "owner_id": X, "period": "2026-13",
                             "metric": "revenue", "value": "1"}),
        ("/api/v1/targets", {"subject": "rep", "owner_id": X, "period": "2026-11",
                             "metric": "revenue", "value": "-1"}),
        ("/api/v1/tasks", {"kind": "party", "subject": "x"}),
        ("/api/v1/tasks", {"kind": "call", "subject": "x", "due_at": "yesterday"}),
        ("/api/v1/fx-rates", {"currency": "USD", "rate": "0"}),
        ("/api/v1/fx-rates", {"currency": "USD", "rate": "162719045669114"}),
        ("/api/v1/products", {"sku": "A", "name": "n", "list_price": "1000000000001"}),
        ("/api/v1/opportunities", {"name": "n", "customer_id": X, "amount": "999999999999999"}),
        ("/api/v1/contracts", {"customer_id": X, "title": "t", "start_date": "2026-02-30",
                               "end_date": "2026-03-01", "value": "1"}),
    ],
)  # fmt: skip
def test_wrong_types_and_ranges(admin, path, body):
    assert_error(admin.post(path, json=body), 422)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/forecasts?period=week",
        "/api/v1/forecasts?from=tomorrow",
        "/api/v1/forecasts?group_by=planet",
        "/api/v1/price-lists/price",
        f"/api/v1/price-lists/price?product_id={X}&quantity=-1",
        "/api/v1/fx-rates/convert?amount=1",
        "/api/v1/fx-rates/convert?amount=x&currency=USD",
        "/api/v1/pipelines?active=perhaps",
        "/api/v1/orders?placed_after=not-a-date",
        "/api/v1/leads?status=sleeping",
        "/api/v1/tasks?overdue=sometimes",
    ],
)
def test_bad_query_parameters(admin, url):
    assert_error(admin.get(url), 422)


def test_unknown_records_are_404_and_bad_ids_do_not_route(admin):
    for path in ("products", "channels", "price-lists", "leads", "pipelines", "opportunities",
                 "quotes", "orders", "contracts", "targets", "tasks"):  # fmt: skip
        assert_error(admin.get(f"/api/v1/{path}/{X}"), 404, "not_found")
        assert_error(admin.get(f"/api/v1/{path}/not-a-uuid"), 404)


def test_missing_identity_is_401_and_missing_scope_is_403(admin):
    assert_error(admin.client.get("/api/v1/orders"), 401)
    nobody = admin.as_(roles=("sales_rep",), scopes=("leads:read",))
    assert_error(nobody.get("/api/v1/orders"), 403, "missing_permission")
    body = {"sku": "A", "name": "n", "list_price": "1"}
    assert_error(nobody.post("/api/v1/products", json=body), 403)


def test_oversized_bodies_are_refused(admin):
    huge = {"sku": "A", "name": "n", "list_price": "1", "description": "x" * 2_000_000}
    assert_error(admin.post("/api/v1/products", json=huge), 413)


def test_idempotency_key_reuse_with_another_body(admin):
    headers = {"Idempotency-Key": "same"}
    body = {"sku": "A1", "name": "n", "list_price": "1"}
    assert admin.post("/api/v1/products", json=body, headers=headers).status_code == 201
    other = admin.post("/api/v1/products", json={**body, "sku": "B1"}, headers=headers)
    assert_error(other, 422, "idempotency_key_reused")
