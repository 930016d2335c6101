"""Fixtures for the OWASP API Security Top 10 battery across the services.

The battery runs on the shared suite. ``books`` gives two sales reps of one team (and their
manager, a manager of another team) records of every owned kind, made by the reps themselves
through the gateway. ``extra_gateway`` starts another gateway process on the shared suite's
services with its own settings (default rate limits, CORS origins, or a rogue upstream).
``mint`` signs internal identities with the suite's real key, to call services directly.
``service_specs`` are the services' own OpenAPI documents, fetched from their ports.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
import requests

from servicekit.identity import IdentitySigner
from servicekit.testing.servers import free_port

SERVICES = ("customer", "sales", "campaign", "support", "analytics")


@dataclass
class Books:
    team: str
    alice: object  # sales rep, owns ``records``
    bob: object  # sales rep, same team
    manager: object  # sales manager of the team
    outsider: object  # sales manager of another team
    records: dict[str, str]  # resource -> alice's record id (plus helpers)
    bobs_customer: str


CONTRACT = {
    "title": "Supply",
    "start_date": "2026-01-01",
    "end_date": "2026-12-31",
    "value": "1200",
}


@pytest.fixture(scope="session")
def books(api, shop) -> Books:
    team = f"sec{uuid.uuid4().hex[:6]}"
    alice = api.user("sales_rep", team=team, name="Alice Rep")
    bob = api.user("sales_rep", team=team, name="Bob Rep")
    manager = api.user("sales_manager", team=team)
    outsider = api.user("sales_manager", team=f"oth{uuid.uuid4().hex[:6]}")
    product = shop.product(price="50.00")
    customer = shop.customer(client=alice, name="Alice's customer", consent=True)
    bobs = shop.customer(client=bob, name="Bob's customer")
    shop.known_to_sales(customer["id"], product["id"])
    line = [{"product_id": product["id"], "quantity": "1"}]
    records = {
        "customers": customer["id"],
        "product": product["id"],
        "interactions": alice.ok(
            "POST",
            f"/api/v1/customers/{customer['id']}/interactions",
            json={"kind": "call", "subject": "Intro call"},
        )["id"],
        "leads": alice.ok(
            "POST", "/api/v1/leads", json={"source": "referral", "customer_id": customer["id"]}
        )["id"],
        "quotes": alice.ok(
            "POST", "/api/v1/quotes", json={"customer_id": customer["id"], "lines": line}
        )["id"],
        "orders": shop.order(customer["id"], product["id"], client=alice)["id"],
        "contracts": alice.ok(
            "POST",
            "/api/v1/contracts",
            json={
                "customer_id": customer["id"],
                "title": "Supply",
                "start_date": "2026-01-01",
                "end_date": "2026-12-31",
                "value": "1200",
            },
        )["id"],
        "tasks": alice.ok("POST", "/api/v1/tasks", json={"kind": "call", "subject": "Call back"})[
            "id"
        ],
    }
    deal = alice.ok(
        "POST",
        "/api/v1/opportunities",
        json={"name": "Alice's deal", "customer_id": customer["id"], "amount": "800"},
    )
    records["opportunities"] = deal["id"]
    records["stage"] = deal["stage_id"]
    return Books(team, alice, bob, manager, outsider, records, bobs["id"])


@pytest.fixture(scope="session")
def mint(suite):
    """``mint(**claims)``: X-MMS-Identity headers signed with the suite's real private key."""
    signer = IdentitySigner(suite.keys.private_pem, ttl_seconds=300)

    def headers(roles=("admin",), scopes=("*",), team=None, kind="user", ttl=None):
        user_id = str(uuid.uuid4())
        use = signer if ttl is None else IdentitySigner(suite.keys.private_pem, ttl_seconds=ttl)
        token, _ = use.mint(
            f"{'key' if kind == 'api_key' else kind}:{user_id}",
            kind,
            roles=roles,
            scopes=scopes,
            team=team,
            name="Minted",
            email=None,
        )
        return {"X-MMS-Identity": token}

    return headers


@pytest.fixture(scope="session")
def service_urls(suite) -> dict[str, str]:
    return {name: suite.processes[f"{name}-api"].url for name in SERVICES}


@pytest.fixture(scope="session")
def service_specs(service_urls) -> dict[str, dict]:
    specs = {}
    for name, url in service_urls.items():
        response = requests.get(f"{url}/openapi.json", timeout=30)
        assert response.status_code == 200, (name, response.status_code)
        specs[name] = response.json()
    return specs


@pytest.fixture(scope="session")
def merged_spec(api) -> dict:
    return api.admin.ok("GET", "/api/v1/openapi.json")


@pytest.fixture(scope="session")
def extra_gateway(suite):
    """``extra_gateway(name, **env)``: another gateway process on the shared suite (same users,
    keys and services unless ``env`` says otherwise) with rate-limit buckets of its own, so its
    limits never throttle the shared gateway's callers; returns its base URL."""
    started = []

    def start(name: str, **env: str) -> str:
        port = free_port()
        process_env = suite.env(name)
        process_env.update(
            MMS_GATEWAY_PORT=str(port),
            MMS_GATEWAY_WORKERS="1",
            MMS_GATEWAY_RATELIMIT_DATABASE_URL=f"sqlite:///{suite.base / f'{name}-rl.sqlite3'}",
            **env,
        )
        proc = suite.group.start(name, [suite.cli("gateway"), "api"], process_env, port)
        started.append(proc)
        return proc.url

    yield start
    for proc in started:
        suite.group.stop(proc)


def operations(spec: dict):
    """(method, path, operation) for every operation of an OpenAPI document."""
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield method.upper(), path, operation


@pytest.fixture(scope="session")
def spec_operations():
    return operations


def fill_path(path: str, value: str | None = None) -> str:
    """The path with every ``{param}`` replaced (a random UUID unless ``value`` is given)."""
    import re

    return re.sub(r"{[^}]+}", lambda _: value or str(uuid.uuid4()), path)


@pytest.fixture(scope="session")
def filled():
    return fill_path
