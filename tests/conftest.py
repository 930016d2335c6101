"""Fixtures for the cross-service suites (e2e, chaos, security, fuzz, load).

``suite`` starts the whole suite as real processes — every service's api and worker and the
gateway — on SQLite, on a fresh RabbitMQ vhost, with a real SMTP server in the test process
(``mail``) that receives what the services send. It is started once per test session and shared:
tests create their own data (unique names, emails) and never assume an empty database. Suites
that break processes on purpose (chaos) start their own with ``start_suite``.

``api`` talks to the gateway over real HTTP: ``api.admin`` is signed in as the first admin,
``api.user("sales_rep", team="east")`` creates and signs in a new user.

``profile`` sizes the proof suites: ``MMS_PROOF_PROFILE=ci`` (the default, what ``make test``
runs) keeps every suite short; ``full`` runs the issue's sizes (10k orders, 30 s outages, long
load). ``shop`` creates the records journeys need (customers, products, orders) and waits for
them to reach the services that replicate them. ``figures`` records a proof's key figures for
``tests/run_proofs.py`` and the terminal summary.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from servicekit.testing import wait_for
from servicekit.testing.processes import Suite, SuiteKeys
from servicekit.testing.smtp import SmtpSink

SERVICES = ("customer", "sales", "campaign", "support", "analytics")
ADMIN_EMAIL = "admin@e2e.mms.local"
ADMIN_PASSWORD = "e2e-admin-password-2026"
USER_PASSWORD = "e2e-user-password-2026"

# The shared suite serves e2e journeys, the security battery, fuzzing and the load run from one
# client address and a handful of identities: limits sized for people would refuse the tests'
# own traffic. The security battery proves the limits on a gateway of its own with the defaults.
TEST_RATE_LIMITS = {
    "MMS_RATE_LIMIT_IDENTITY": "600000/60/100000",
    "MMS_RATE_LIMIT_IP": "600000/60/100000",
    "MMS_RATE_LIMIT_LOGIN": "6000/60/1000",
    "MMS_LOGIN_FAILURES_IP": "6000/300/1000",
}
# Background jobs at test pace: survey emails and customer scores within seconds.
FAST_JOBS = {
    "MMS_SUPPORT_MAIL_INTERVAL": "0.5",
    "MMS_ANALYTICS_SCORING_INTERVAL": "3",
    # Opens and clicks within this many seconds of delivery count as machines (default 5).
    "MMS_CAMPAIGN_MACHINE_SECONDS": "1",
    # Deactivations and key revocations reach every gateway process within this (30 s / 10 s).
    "MMS_GATEWAY_PRINCIPAL_CACHE_SECONDS": "2",
    "MMS_GATEWAY_API_KEY_CACHE_SECONDS": "2",
}


@dataclass(frozen=True)
class Profile:
    """How big each proof runs. ``ci`` fits ``make test``'s serial stage; ``full`` is the
    issue's own sizes."""

    name: str
    chaos_orders: int
    worker_kill_orders: int
    db_outage_seconds: float
    proxy_orders: int
    fuzz_examples: int
    load_seconds: float
    load_users: int
    # pytest-timeout's limit for each fuzz test. The first one also pays for the module fixture
    # that runs the whole fuzz: about 50 s in ci, ten minutes and more in full (past the default
    # 300 s); each limit leaves several times that for a slow machine.
    fuzz_timeout: float

    @classmethod
    def current(cls) -> Profile:
        name = os.environ.get("MMS_PROOF_PROFILE", "ci").strip().lower() or "ci"
        if name == "full":
            return cls("full", 10_000, 3_000, 30.0, 1_000, 25, 300.0, 24, 3600.0)
        if name != "ci":
            raise pytest.UsageError(f"MMS_PROOF_PROFILE must be ci or full, not {name!r}")
        return cls("ci", 300, 240, 10.0, 150, 2, 20.0, 6, 900.0)


PROFILE = Profile.current()


def start_suite(
    base: Path,
    amqp_url: str,
    mail: SmtpSink,
    *,
    services=SERVICES,
    database_urls: dict[str, str] | None = None,
    extra_env: dict | None = None,
    api_workers: int = 1,
    worker_env: dict[str, dict[str, str]] | None = None,
) -> Suite:
    """Set up and start ``services`` and the gateway; the caller stops it (``suite.stop_all``).

    Migrations run side by side and every process starts before any is waited for: on two
    cores that halves the start. ``worker_env`` adds variables to one service's worker only
    (e.g. its broker URL through a fault proxy).
    """
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
    worker_env = worker_env or {}
    try:
        with ThreadPoolExecutor(max_workers=len(services) + 1) as pool:
            for future in [pool.submit(suite.setup, s) for s in (*services, "gateway")]:
                future.result()
        names = []
        for service in (*services, "gateway"):
            suite.start_api(service, workers=api_workers, wait=False)
            suite.start_worker(service, env=worker_env.get(service), wait=False)
            names += [f"{service}-api", f"{service}-worker"]
        suite.wait_ready(*names, timeout=120)
    except Exception:
        print(suite.group.report())
        suite.stop_all()
        raise
    return suite


@pytest.fixture(scope="session")
def profile() -> Profile:
    return PROFILE


@pytest.fixture(scope="session")
def mail():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def suite(tmp_path_factory, broker, mail):
    name, amqp_url = broker.new_vhost()
    suite = start_suite(
        tmp_path_factory.mktemp("suite"),
        amqp_url,
        mail,
        extra_env={**TEST_RATE_LIMITS, **FAST_JOBS},
    )
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
        self._teams: set[str] = set()

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

    def team(self, name: str) -> str:
        """Make sure the team exists (users can only join existing teams)."""
        if name not in self._teams:
            self.admin.ok("POST", "/api/v1/teams", json={"name": name}, expect=(201, 409))
            self._teams.add(name)
        return name

    def user(self, *roles: str, team: str | None = None, name: str | None = None) -> Client:
        """A new user with ``roles`` (in ``team``, created when missing), signed in."""
        email = f"{roles[0]}.{uuid.uuid4().hex[:8]}@e2e.mms.local"
        if team:
            self.team(team)
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


@pytest.fixture(scope="session")
def suite_starter():
    """``start_suite`` for suites of their own (chaos, a second gateway): test modules cannot
    import this conftest."""
    return start_suite


@pytest.fixture(scope="session")
def api_for():
    """``api_for(suite_or_url)``: an ``Api`` on another suite's gateway (or any gateway URL)."""

    def make(target) -> Api:
        url = target if isinstance(target, str) else target.processes["gateway-api"].url
        return Api(url)

    return make


def unique(prefix: str = "") -> str:
    """A short unique token for names, emails, SKUs and codes."""
    return f"{prefix}{uuid.uuid4().hex[:10]}"


class Shop:
    """Records the journeys need, made through the gateway, and waits for their replicas.

    Services learn customers from events: sales, support and campaign accept a customer only
    once its ``customer.created`` has arrived, so the helpers wait (with a deadline) until the
    service answers something other than "unknown customer".
    """

    def __init__(self, client: Client):
        self.client = client

    def customer(self, client: Client | None = None, *, email: str | None = None, **fields):
        """A person with a unique email; ``consent=True`` grants email consent."""
        client = client or self.client
        consent = fields.pop("consent", False)
        email = email or f"{unique('c.')}@example.com"
        body = {
            "kind": "person",
            "name": fields.pop("name", "E2E Customer"),
            "emails": [{"address": email, "primary": True}],
            **fields,
        }
        created = client.ok("POST", "/api/v1/customers", json=body, params={"force": "true"})
        if consent:
            created = client.ok(
                "POST",
                f"/api/v1/customers/{created['id']}/consents",
                json={"channel": "email", "status": "granted", "source": "e2e signup form"},
            )
        return created

    def product(self, price: str = "24.50", tax_rate: str = "0.19", **fields) -> dict:
        return self.client.ok(
            "POST",
            "/api/v1/products",
            json={
                "sku": unique("SKU-"),
                "name": fields.pop("name", "E2E tea"),
                "list_price": price,
                "tax_rate": tax_rate,
                "category": fields.pop("category", "Tea"),
                **fields,
            },
        )

    def known_to_sales(self, customer_id: str, product_id: str, timeout: float = 30) -> None:
        """Wait until sales can price an order for the customer (its replica has them)."""

        def known():
            response = self.client.post(
                "/api/v1/orders/preview",
                json={
                    "customer_id": customer_id,
                    "lines": [{"product_id": product_id, "quantity": "1"}],
                },
            )
            return response.status_code == 200

        wait_for(known, timeout=timeout, message=f"customer {customer_id} known to sales")

    def order(self, customer_id: str, product_id: str, quantity: str = "1", client=None, **extra):
        client = client or self.client
        return client.ok(
            "POST",
            "/api/v1/orders",
            json={
                "customer_id": customer_id,
                "lines": [{"product_id": product_id, "quantity": quantity}],
                **extra,
            },
        )

    def ticket(self, customer_id: str, client=None, timeout: float = 30, **fields) -> dict:
        """Open a ticket, waiting for support to know the customer (and the order, if any)."""
        client = client or self.client
        body = {
            "customer_id": customer_id,
            "subject": fields.pop("subject", "E2E: kettle stopped heating"),
            "category": fields.pop("category", "question"),
            "channel": fields.pop("channel", "email"),
            **fields,
        }

        def opened():
            response = client.post("/api/v1/tickets", json=body)
            if response.status_code == 201:
                return response.json()
            assert response.status_code == 422, response.text
            return None

        return wait_for(opened, timeout=timeout, message=f"support to know {customer_id}")

    def template(self, html: str | None = None, subject: str = "Hi {{ first_name }}") -> dict:
        return self.client.ok(
            "POST",
            "/api/v1/templates",
            json={
                "name": unique("E2E template "),
                "subject": subject,
                "html": html
                or '<p>Hello {{ first_name }}, <a href="https://shop.example.com/">shop</a></p>',
            },
        )

    def known_to_campaign(
        self, template_id: str, customer_id: str, first_name: str | None = None, timeout=30
    ) -> None:
        """Wait until the campaign service has every event the customer service wrote about the
        customer so far (segment memberships included): give the customer a new first name and
        wait for it in a template preview. One outbox, one ordered queue: the rename comes last.
        """
        marker = first_name or unique("Zed")
        customer = self.client.ok("GET", f"/api/v1/customers/{customer_id}")
        self.client.ok(
            "PATCH",
            f"/api/v1/customers/{customer_id}",
            json={"first_name": marker},
            headers={"If-Match": f'"{customer["version"]}"'},
        )

        def rendered():
            preview = self.client.post(
                f"/api/v1/templates/{template_id}/preview", json={"customer_id": customer_id}
            )
            return preview.status_code == 200 and marker in preview.json()["html"]

        wait_for(rendered, timeout=timeout, message=f"campaign to know customer {customer_id}")

    def wait_segment(self, segment_id: str, members: int, timeout: float = 30) -> dict:
        def evaluated():
            segment = self.client.ok("GET", f"/api/v1/segments/{segment_id}")
            ready = segment["evaluation"] == "current" and segment["member_count"] == members
            return ready and segment

        return wait_for(evaluated, timeout=timeout, message=f"segment with {members} members")

    def send_campaign(self, customer_ids: list[str], **fields) -> dict:
        """Email ``customer_ids`` (who must have email consent) through a static segment and a
        launched campaign; returns the campaign once its send has finished."""
        segment = self.client.ok(
            "POST", "/api/v1/segments", json={"name": unique("E2E list "), "kind": "static"}
        )
        self.client.ok(
            "POST", f"/api/v1/segments/{segment['id']}/members", json={"add": customer_ids}
        )
        self.wait_segment(segment["id"], len(customer_ids))
        template = self.template()
        for customer_id in customer_ids:
            self.known_to_campaign(template["id"], customer_id)
        campaign = self.client.ok(
            "POST",
            "/api/v1/campaigns",
            json={
                "name": unique("E2E campaign "),
                "channel": "email",
                "segment_ids": [segment["id"]],
                "variants": [{"name": "A", "split_percent": 100, "template_id": template["id"]}],
                **fields,
            },
        )
        self.client.ok("POST", f"/api/v1/campaigns/{campaign['id']}/launch")

        def finished():
            progress = self.client.ok("GET", f"/api/v1/campaigns/{campaign['id']}/send")
            return progress["phase"] == "finished" and progress

        progress = wait_for(finished, timeout=60, message="the campaign's send to finish")
        assert progress["recipients"] == len(customer_ids), progress
        return campaign


@pytest.fixture(scope="session")
def shop(api) -> Shop:
    return Shop(api.admin)


# -- key figures ------------------------------------------------------------------------------

_FIGURES: list[dict] = []


@pytest.fixture
def figures(request):
    """``figures(**values)`` records a proof's key figures (printed at the end of the run and
    appended as JSON lines to ``MMS_PROOF_FIGURES`` when set)."""

    def record(**values):
        entry = {"test": request.node.nodeid, "at": time.time(), **values}
        _FIGURES.append(entry)
        path = os.environ.get("MMS_PROOF_FIGURES")
        if path:
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(entry, default=str) + "\n")

    return record


def pytest_collection_modifyitems(items):
    """Fuzz tests get the profile's timeout (a module can only read the profile from here)."""
    for item in items:
        if item.get_closest_marker("fuzz") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(PROFILE.fuzz_timeout))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed proof shows what its processes logged at warning level and above."""
    report = yield
    if report.failed and call.when in ("setup", "call"):
        suites = [v for v in (item.funcargs or {}).values() if isinstance(v, Suite)] + [
            v.suite
            for v in (item.funcargs or {}).values()
            if isinstance(getattr(v, "suite", None), Suite)
        ]
        for suite in suites[:1]:
            report.sections.append(("suite processes: warnings and errors", _problems(suite)))
    return report


def _problems(suite: Suite, per_process: int = 8) -> str:
    lines = []
    for proc in suite.group.started:
        noisy = [
            line
            for line in proc.output(200_000).splitlines()
            if '"level": "warning"' in line or '"level": "error"' in line or "Traceback" in line
        ]
        if noisy:
            lines.append(f"--- {proc.name} ({proc.log})")
            lines += [line[:400] for line in noisy[-per_process:]]
    return "\n".join(lines) or "(nothing above info level)"


def pytest_terminal_summary(terminalreporter):
    if not _FIGURES:
        return
    terminalreporter.section("proof figures")
    for entry in _FIGURES:
        values = {k: v for k, v in entry.items() if k not in ("test", "at")}
        terminalreporter.write_line(f"{entry['test']}: {json.dumps(values, default=str)}")
