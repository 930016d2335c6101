"""Fixtures for the cross-service suites (e2e, chaos, security, fuzz, load).

``suite`` starts the whole suite as real processes — every service's api and worker and the
gateway — on SQLite, on a fresh RabbitMQ vhost, with a real SMTP server in the test process
(``mail``) that receives what the services send. It is started once per test session and shared:
tests create their own data (unique names, emails) and never assume an empty database. Suites
that break processes on purpose (chaos) start their own with ``start_suite``.

``api`` talks to the gateway over real HTTP: ``api.admin`` is signed in as the first admin,
``api.user("sales_rep", team="east")`` creates and signs in a new user.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import requests

from servicekit.testing.processes import Suite, SuiteKeys
from servicekit.testing.smtp import SmtpSink

SERVICES = ("customer", "sales", "campaign", "support", "analytics")
ADMIN_EMAIL = "admin@e2e.mms.local"
ADMIN_PASSWORD = "e2e-admin-password-2026"
USER_PASSWORD = "e2e-user-password-2026"


def start_suite(
    base: Path,
    amqp_url: str,
    mail: SmtpSink,
    *,
    services=SERVICES,
    database_urls: dict[str, str] | None = None,
    extra_env: dict | None = None,
    api_workers: int = 1,
) -> Suite:
    """Set up and start ``services`` and the gateway; the caller stops it (``suite.stop_all``)."""
    env = {
        "MMS_SMTP_HOST": mail.host,
        "MMS_SMTP_PORT": str(mail.port),
        "MMS_ADMIN_EMAIL": ADMIN_EMAIL,
        "MMS_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "MMS_CONSUMER_BATCH_SIZE": "50",
        **(extra_env or {}),
    }
    suite = Suite(
        base, amqp_url, keys=SuiteKeys.generate(), database_urls=database_urls, extra_env=env
    )
    for service in (*services, "gateway"):
        suite.port(service)
    try:
        for service in services:
            suite.setup(service)
        suite.setup("gateway")
        for service in services:
            suite.start_api(service, workers=api_workers)
            suite.start_worker(service)
        suite.start_api("gateway", workers=api_workers)
        suite.start_worker("gateway")
    except Exception:
        print(suite.group.report())
        suite.stop_all()
        raise
    return suite


@pytest.fixture(scope="session")
def mail():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def suite(tmp_path_factory, broker, mail):
    name, amqp_url = broker.new_vhost()
    suite = start_suite(tmp_path_factory.mktemp("suite"), amqp_url, mail)
    try:
        yield suite
    finally:
        suite.stop_all()
        broker.delete_vhost(name)


class Client:
    """HTTP to the gateway as one caller (a bearer token or an API key)."""

    def __init__(
        self,
        base: str,
        *,
        token: str | None = None,
        api_key: str | None = None,
        user: dict | None = None,
    ):
        self.base = base.rstrip("/")
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        if api_key:
            self.session.headers["X-API-Key"] = api_key
        self.user = user or {}

    @property
    def id(self) -> str | None:
        return self.user.get("id")

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        return self.session.request(method, self.base + path, **kwargs)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def ok(self, method: str, path: str, expect: int | tuple = (200, 201, 202), **kwargs):
        """The JSON of a call that must succeed (fails with the body otherwise)."""
        response = self.request(method, path, **kwargs)
        wanted = (expect,) if isinstance(expect, int) else expect
        assert response.status_code in wanted, (
            f"{method} {path} -> {response.status_code}: {response.text[:800]}"
        )
        return response.json() if response.content else None


class Api:
    def __init__(self, base: str):
        self.base = base
        self._admin: Client | None = None

    def login(self, email: str, password: str) -> Client:
        response = requests.post(
            f"{self.base}/api/v1/auth/login",
            json={"email": email, "password": password},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        return Client(self.base, token=body["access_token"], user=body["user"])

    @property
    def admin(self) -> Client:
        if self._admin is None:
            self._admin = self.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        return self._admin

    def user(self, *roles: str, team: str | None = None, name: str | None = None) -> Client:
        email = f"{roles[0]}.{uuid.uuid4().hex[:8]}@e2e.mms.local"
        self.admin.ok(
            "POST",
            "/api/v1/users",
            json={
                "email": email,
                "name": name or f"E2E {roles[0]}",
                "password": USER_PASSWORD,
                "roles": list(roles),
                "team": team,
            },
        )
        return self.login(email, USER_PASSWORD)

    def api_key(self, *scopes: str) -> Client:
        body = self.admin.ok(
            "POST",
            "/api/v1/api-keys",
            json={"name": f"e2e tool {uuid.uuid4().hex[:6]}", "scopes": list(scopes)},
        )
        return Client(self.base, api_key=body["key"])

    def anonymous(self) -> Client:
        return Client(self.base)


@pytest.fixture(scope="session")
def api(suite) -> Api:
    return Api(suite.processes["gateway-api"].url)
