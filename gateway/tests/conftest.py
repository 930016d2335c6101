"""Fixtures: a real gateway app on a fresh database per test, in front of a fake upstream."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest
import requests

from gateway.app import create_app
from gateway.runtime import MIGRATIONS, GatewayRuntime
from gateway.settings import SERVICE_PORTS, GatewaySettings, Rate

sys.path.insert(0, str(Path(__file__).resolve().parent))

# Test modules import shared helpers from gateway_testkit (a unique name: under pytest's
# importlib mode a bare `import conftest` may find another directory's conftest).
from gateway_testkit import JWT_SECRET, PASSWORD, AppThread, fake_upstream, fast_passwords


def gateway_settings(db_url: str, rl_url: str, minter, upstream_url: str, **overrides):
    values = dict(
        database_url=db_url,
        ratelimit_database_url=rl_url,
        upstreams=dict.fromkeys(SERVICE_PORTS, upstream_url),
        identity_private_key=minter.private_pem,
        jwt_secret=JWT_SECRET,
        jwt_algorithm="HS256",
        rate_identity=Rate(100000, 60, 100000),
        rate_ip=Rate(100000, 60, 100000),
        rate_login_ip=Rate(1000, 60, 1000),
        access_log=False,
        cors_origins=("https://crm.example.com",),
        log_format="console",
        log_level="WARNING",
    )
    values.update(overrides)
    return GatewaySettings.load(**values)


class Gateway:
    """A running gateway plus helpers to make users and sign them in."""

    def __init__(self, rt: GatewayRuntime, server: AppThread) -> None:
        self.rt = rt
        self.server = server
        self.url = server.url
        self.http = requests.Session()

    def create_user(self, roles=("admin",), team=None, email=None, password=PASSWORD, **kw):
        for name in [team] if team else []:
            self.rt.store.ensure_team(name)
        return self.rt.store.create_user(
            email=email or f"user-{uuid.uuid4().hex[:8]}@example.com",
            name=kw.get("name", "Test User"),
            password_hash=self.rt.passwords.hash(password),
            roles=list(roles),
            team=team,
            active=kw.get("active", True),
        )

    def login(self, email: str, password: str = PASSWORD) -> dict:
        response = self.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        return response.json()

    def user_headers(self, roles=("admin",), team=None) -> tuple[dict, object]:
        user = self.create_user(roles, team)
        tokens = self.login(user.email)
        return {"Authorization": f"Bearer {tokens['access_token']}"}, user

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        return self.http.request(method, self.url + path, **kwargs)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


@pytest.fixture
def upstream(minter):
    server = AppThread(lambda: fake_upstream(minter.public_pem)).start()
    yield server
    server.stop()


@pytest.fixture
def gateway_urls(databases, db_backend, tmp_path):
    """``(database_url, ratelimit_database_url)`` for a fresh gateway database."""
    url = databases.url(MIGRATIONS)
    if url.startswith("sqlite"):
        return url, f"sqlite:///{tmp_path / 'ratelimit.sqlite3'}"
    return url, url


@pytest.fixture
def start_gateway(gateway_urls, minter, upstream):
    started: list[Gateway] = []

    def start(upstream_url: str | None = None, **overrides) -> Gateway:
        db_url, rl_url = gateway_urls
        settings = gateway_settings(
            db_url, rl_url, minter, upstream_url or upstream.url, **overrides
        )
        rt = GatewayRuntime(settings)
        rt.passwords = fast_passwords()
        server = AppThread(lambda: create_app(settings, rt)).start()
        gateway = Gateway(rt, server)
        started.append(gateway)
        return gateway

    yield start
    for gateway in started:
        gateway.server.stop()
        gateway.http.close()


@pytest.fixture
def gateway(start_gateway) -> Gateway:
    return start_gateway()


@pytest.fixture
def admin_headers(gateway) -> dict:
    return gateway.user_headers(("admin",))[0]


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's report so fixtures can show process logs when a test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
