"""Schemathesis over the gateway's merged OpenAPI, with valid admin credentials, every operation.

Every operation of every service (and the gateway's own) gets ``profile.fuzz_examples`` generated
requests in each of three rounds: schema-valid data with random ids, schema-valid data with the
ids of real records (so bodies reach the domain instead of stopping at a 404), and schema-invalid
data. Every answer must be: not a 5xx, a documented status code, the documented content type and,
for valid requests, a body that matches the documented schema; invalid data must be refused.

The whole run happens once (module fixture); each service's findings are one test, so a defect
in one service never hides another's. Each finding names the operation, the check, the status
and a curl command that reproduces it.
"""

from __future__ import annotations

import re
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import ChecksConfig, SchemathesisConfig
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.fuzz

# Path prefixes (after /api/v1) by owner, as the gateway routes them.
OWNERS = {
    "gateway": ("auth", "me", "users", "teams", "api-keys", "roles", "webhooks"),
    "customer": ("customers", "segments", "imports", "customer-attributes"),
    "sales": (
        "products", "price-lists", "channels", "leads", "opportunities", "pipelines", "quotes",
        "orders", "contracts", "targets", "tasks", "forecasts", "fx-rates",
    ),
    "campaign": (
        "campaigns", "coupons", "competitors", "surveys", "templates", "touchpoints",
        "suppressions",
    ),
    "support": (
        "tickets", "sla-policies", "business-calendars", "agent-groups",
        "satisfaction-surveys", "support-reports",
    ),
    "analytics": ("analytics",),
}  # fmt: skip
POSITIVE_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
NEGATIVE_CHECKS = [not_a_server_error, status_code_conformance, negative_data_rejection]
# Invalid data must be refused with one of these. A body over the size cap (1 MiB) is refused
# with 413 before it is read, as much a refusal as a 422, but schemathesis' default list lacks
# it (the full profile's long invalid template html met it). status_code_conformance still
# requires every operation to document each status it answers, 413 included.
REJECTIONS = [*ChecksConfig().negative_data_rejection.expected_statuses, "413"]
FUZZ_CONFIG = SchemathesisConfig.from_dict(
    {"checks": {"negative_data_rejection": {"expected-statuses": REJECTIONS}}}
)
# These end the calling session (logout of all sessions, a password change): each of their
# examples runs as a throwaway admin signed in for that example alone.
SESSION_ENDING = {("POST", "/api/v1/auth/logout"), ("POST", "/api/v1/me/password")}


def owner(path: str) -> str:
    if path.endswith("/360"):
        return "gateway"  # the gateway composes the 360
    segment = path.removeprefix("/api/v1/").split("/", 1)[0]
    for service, prefixes in OWNERS.items():
        if segment in prefixes:
            return service
    return "unknown"


@dataclass
class Finding:
    operation: str
    round: str
    status: int | str
    problem: str
    reproduce: str

    def __str__(self) -> str:
        head = f"{self.operation} [{self.round}] -> {self.status}: {self.problem}"
        return f"{head}\n    {self.reproduce}" if self.reproduce else head


@dataclass
class FuzzReport:
    operations: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    findings: dict[str, list[Finding]] = field(default_factory=lambda: defaultdict(list))
    seconds: float = 0.0
    spec_services: str = ""


# What ends the run instead of being a finding: Ctrl-C, an exit, and pytest-timeout's failure
# (``pytest.fail`` from its SIGALRM handler, raised wherever the run is, usually inside a request).
# Recorded as a finding it was a bogus one, and the run went on past its time.
STOPS: tuple[type[BaseException], ...] = (KeyboardInterrupt, SystemExit, pytest.fail.Exception)


def _stops(exc: BaseException) -> bool:
    """Whether ``exc`` is, or carries (hypothesis and schemathesis group exceptions), a stop."""
    if isinstance(exc, STOPS):
        return True
    if isinstance(exc, BaseExceptionGroup):
        return any(_stops(inner) for inner in exc.exceptions)
    return False


def _problem(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    useful = [line for line in lines if not line.startswith(("Schemathesis found", "Reproduce"))]
    return " | ".join(useful[:4])[:500]


def seed_ids(api, shop) -> dict[str, str]:
    """Real records for the path parameters: the ids fuzzing aims its bodies at."""
    admin = api.admin
    ids: dict[str, str] = {}
    customer = shop.customer(name="Fuzz target", consent=True)
    ids["customer_id"] = customer["id"]
    ids["interaction_id"] = admin.ok(
        "POST", f"/api/v1/customers/{customer['id']}/interactions", json={"kind": "call"}
    )["id"]
    product = shop.product()
    ids["product_id"] = product["id"]
    shop.known_to_sales(customer["id"], product["id"])
    order = shop.order(customer["id"], product["id"], quantity="2")
    ids["order_id"] = order["id"]
    line = [{"product_id": product["id"], "quantity": "1"}]
    ids["lead_id"] = admin.ok(
        "POST", "/api/v1/leads", json={"source": "fuzz", "customer_id": customer["id"]}
    )["id"]
    deal = admin.ok(
        "POST", "/api/v1/opportunities", json={"name": "Fuzz deal", "customer_id": customer["id"]}
    )
    ids["deal_id"], ids["pipeline_id"] = deal["id"], deal["pipeline_id"]
    ids["quote_id"] = admin.ok(
        "POST", "/api/v1/quotes", json={"customer_id": customer["id"], "lines": line}
    )["id"]
    ids["contract_id"] = admin.ok(
        "POST",
        "/api/v1/contracts",
        json={"customer_id": customer["id"], "title": "Fuzz", "start_date": "2026-01-01",
              "end_date": "2026-12-31", "value": "1000"},
    )["id"]  # fmt: skip
    ids["task_id"] = admin.ok(
        "POST", "/api/v1/tasks", json={"kind": "call", "subject": "Fuzz call"}
    )["id"]
    ids["channel_id"] = admin.ok(
        "POST", "/api/v1/channels", json={"kind": "partner", "name": f"Fuzz {uuid.uuid4().hex[:6]}"}
    )["id"]
    ids["list_id"] = admin.ok("POST", "/api/v1/price-lists", json={"name": "Fuzz prices"})["id"]
    ticket = shop.ticket(customer["id"], order_id=order["id"])
    ids["ticket_id"] = ticket["id"]
    ids["group_id"] = ticket["group_id"]
    ids["template_id"] = shop.template()["id"]
    ids["coupon_id"] = admin.ok(
        "POST",
        "/api/v1/coupons",
        json={"name": "Fuzz", "mode": "shared", "discount_kind": "percent", "value": "5"},
    )["id"]
    ids["segment_id"] = admin.ok(
        "POST", "/api/v1/segments", json={"name": "Fuzz list", "kind": "static"}
    )["id"]
    ids["campaign_id"] = admin.ok(
        "POST", "/api/v1/campaigns", json={"name": "Fuzz campaign", "channel": "email"}
    )["id"]
    ids["competitor_id"] = admin.ok("POST", "/api/v1/competitors", json={"name": "Fuzz rival"})[
        "id"
    ]
    user = api.user("sales_rep")
    ids["user_id"], ids["agent_id"] = user.id, user.id
    ids["key_id"] = admin.ok(
        "POST", "/api/v1/api-keys", json={"name": "Fuzz key", "scopes": ["customers:read"]}
    )["id"]
    ids["name"] = api.team(f"fuzz{uuid.uuid4().hex[:6]}")
    return ids


def run_fuzz(base: str, spec: dict, client, fresh_admin, ids: dict, examples: int, derandomize):
    """Every operation, three rounds; returns a FuzzReport (never raises for a finding)."""
    report = FuzzReport(spec_services=spec.get("info", {}).get("description", ""))
    schema = schemathesis.openapi.from_dict(spec, config=FUZZ_CONFIG)
    started = time.monotonic()
    for result in schema.get_all_operations():
        try:
            operation = result.ok()
        except Exception as exc:  # an operation schemathesis cannot even read is a finding
            report.findings["unknown"].append(Finding("?", "load", "-", _problem(exc), ""))
            continue
        service = owner(operation.path)
        report.operations[service] += 1
        known = {name: ids[name] for name in _path_names(operation.path) if name in ids}
        # Valid data aimed at real records where every id is known (else at random ids, which
        # mostly meet a 404), then invalid data.
        if known and len(known) == len(_path_names(operation.path)):
            rounds = [("real ids", GenerationMode.POSITIVE, known, POSITIVE_CHECKS)]
        else:
            rounds = [("random ids", GenerationMode.POSITIVE, None, POSITIVE_CHECKS)]
        rounds.append(("invalid data", GenerationMode.NEGATIVE, known or None, NEGATIVE_CHECKS))
        for name, mode, path_parameters, checks in rounds:
            _fuzz_operation(
                report, service, operation, name, mode, path_parameters, checks,
                base=base, client=client, fresh_admin=fresh_admin, examples=examples,
                derandomize=derandomize,
            )  # fmt: skip
    report.seconds = time.monotonic() - started
    return report


def _path_names(path: str) -> list[str]:
    return re.findall(r"{(\w+)}", path)


def _fuzz_operation(
    report, service, operation, round_name, mode, path_parameters, checks, *, base, client,
    fresh_admin, examples, derandomize,
):  # fmt: skip
    label = operation.label
    try:
        strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)
    except Exception as exc:
        report.findings[service].append(
            Finding(label, round_name, "-", f"cannot generate requests: {_problem(exc)}", "")
        )
        return
    ending = (operation.method.upper(), operation.path) in SESSION_ENDING
    # A stop raised inside an example: hypothesis may wrap it, or replay the example (which then
    # passes, since the alarm fires once) and report it as flaky; this keeps the original.
    stopped: list[BaseException] = []

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=derandomize,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case):
        try:
            session = fresh_admin().session if ending else client.session
            report.calls[service] += 1
            response = case.call(base_url=base, session=session, timeout=60)
        except STOPS as exc:
            stopped.append(exc)
            raise
        try:
            case.validate_response(response, checks=checks)
        except BaseException as exc:  # schemathesis reports failures as exception groups
            if _stops(exc):
                stopped.append(exc)
                raise
            report.findings[service].append(
                Finding(
                    label,
                    round_name,
                    response.status_code,
                    _problem(exc),
                    case.as_curl_command(headers={"Authorization": "Bearer <admin token>"}),
                )
            )

    try:
        run()
    except BaseException as exc:
        if stopped and stopped[0] is not exc:
            raise stopped[0] from exc
        if stopped or _stops(exc):
            raise
        report.findings[service].append(
            Finding(label, round_name, "-", f"generation failed: {_problem(exc)}", "")
        )


@pytest.fixture(scope="module")
def fuzz_report(api, shop, profile) -> FuzzReport:
    client = api.user("admin", name="Fuzz admin")
    spec = client.ok("GET", "/api/v1/openapi.json")
    ids = seed_ids(api, shop)
    return run_fuzz(
        api.base,
        spec,
        client,
        lambda: api.user("admin", name="Fuzz throwaway"),
        ids,
        profile.fuzz_examples,
        derandomize=profile.name == "ci",
    )


def test_the_merged_document_covers_every_service(fuzz_report, figures):
    assert "left out" not in fuzz_report.spec_services.lower(), fuzz_report.spec_services
    counts = dict(fuzz_report.operations)
    for service in OWNERS:
        if service != "gateway":
            assert counts.get(service, 0) > 5, (service, counts)
    assert counts.get("unknown", 0) == 0, counts
    figures(
        operations=sum(counts.values()),
        requests=sum(fuzz_report.calls.values()),
        seconds=round(fuzz_report.seconds, 1),
        findings=sum(len(v) for v in fuzz_report.findings.values()),
    )


# Defects this suite found and reported to the lead (operation, a piece of the finding, what is
# wrong). A known defect makes its service's test an expected failure; a new finding fails it, and
# so does a known defect that no longer shows (then delete it here).
KNOWN_DEFECTS: dict[str, list[tuple[str, str, str]]] = {}


@pytest.mark.parametrize("service", list(OWNERS))
def test_no_server_errors_and_every_answer_as_documented(fuzz_report, service):
    assert fuzz_report.calls[service] > 0
    findings = fuzz_report.findings.get(service, [])
    known = KNOWN_DEFECTS.get(service, [])
    new = [f for f in findings if not any(_matches(f, k) for k in known)]
    assert not new, f"{len(new)} new finding(s) in {service}:\n" + "\n".join(
        str(f) for f in new[:40]
    )
    gone = [k for k in known if not any(_matches(f, k) for f in findings)]
    assert not gone, f"fixed, remove from KNOWN_DEFECTS: {gone}"
    if known:
        pytest.xfail("known defects: " + "; ".join(f"{op}: {what}" for op, _, what in known))


def _matches(finding: Finding, known: tuple[str, str, str]) -> bool:
    operation, piece, _ = known
    return finding.operation == operation and piece in finding.problem


# -- the harness itself (no suite needed) ----------------------------------------------------


class _StubCase:
    def __init__(self, call_raises=None, check_raises=None):
        self.call_raises, self.check_raises = call_raises, check_raises

    def call(self, **kwargs):
        if self.call_raises:
            raise self.call_raises
        return type("Response", (), {"status_code": 200})()

    def validate_response(self, response, checks):
        if self.check_raises:
            raise self.check_raises

    def as_curl_command(self, headers):
        return "curl ..."


class _StubOperation:
    label = "GET /api/v1/stub"
    method = "get"
    path = "/api/v1/stub"

    def __init__(self, case):
        self.case = case

    def as_strategy(self, **kwargs):
        from hypothesis import strategies

        return strategies.just(self.case)


def _fuzz_stub(case, report: FuzzReport) -> None:
    client = type("Client", (), {"session": None})()
    _fuzz_operation(
        report, "customer", _StubOperation(case), "random ids", GenerationMode.POSITIVE, None,
        POSITIVE_CHECKS, base="http://stub", client=client, fresh_admin=None, examples=1,
        derandomize=True,
    )  # fmt: skip


def test_harness_records_a_failed_check_as_a_finding():
    report = FuzzReport()
    _fuzz_stub(_StubCase(check_raises=AssertionError("Server error")), report)
    [finding] = report.findings["customer"]
    assert finding.status == 200 and "Server error" in finding.problem


@pytest.mark.parametrize("where", ["call", "check"])
@pytest.mark.parametrize(
    "stop", [pytest.fail.Exception("Timeout >300.0s"), KeyboardInterrupt(), SystemExit(1)]
)
def test_harness_lets_a_timeout_or_an_interrupt_end_the_run(where, stop):
    # pytest-timeout's failure arrives inside a request: it ends the run, never a finding
    report = FuzzReport()
    with pytest.raises(type(stop)):
        _fuzz_stub(_StubCase(**{f"{where}_raises": stop}), report)
    assert not report.findings, report.findings


def _tiny_spec() -> dict:
    body = {
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "string", "maxLength": 5}},
        "additionalProperties": False,
    }
    refused = {"description": "Refused"}
    return {
        "openapi": "3.0.3",
        "info": {"title": "tiny", "version": "1"},
        "paths": {
            "/things": {
                "post": {
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": body}},
                    },
                    "responses": {"201": {"description": "Made"}, "413": refused, "422": refused},
                }
            }
        },
    }


def _answer(status: int):
    import datetime

    import requests

    response = requests.Response()
    response.status_code = status
    response._content = b"{}"
    response.headers["Content-Type"] = "application/json"
    response.request = requests.Request("POST", "http://stub/things", json={}).prepare()
    response.elapsed = datetime.timedelta(milliseconds=1)
    return response


def test_harness_counts_a_413_as_refusing_invalid_data_and_a_2xx_still_not():
    from schemathesis.core.failures import FailureGroup

    schema = schemathesis.openapi.from_dict(_tiny_spec(), config=FUZZ_CONFIG)
    operation = next(iter(schema.get_all_operations())).ok()
    outcomes: dict[int, list[bool]] = {413: [], 201: []}

    @settings(max_examples=5, database=None, derandomize=True, deadline=None)
    @given(case=operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    def run(case):
        for status in outcomes:
            try:
                case.validate_response(_answer(status), checks=NEGATIVE_CHECKS)
                outcomes[status].append(True)
            except FailureGroup:
                outcomes[status].append(False)

    run()
    assert outcomes[413] and all(outcomes[413]), outcomes
    assert not all(outcomes[201]), outcomes  # invalid data accepted is still a finding
