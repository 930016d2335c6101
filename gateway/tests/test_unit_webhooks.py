"""Webhook building blocks without I/O: destinations, filters, patterns, back-off, signatures,
secrets at rest, event permissions, settings and queue names."""

from __future__ import annotations

import asyncio
import ipaddress
import random
import socket
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from gateway.scopes import KNOWN_SCOPES
from gateway.webhooks.access import may_receive, refused_types, scope_for
from gateway.webhooks.addresses import (
    AddressPolicy,
    BlockedDestination,
    GuardedResolver,
    UnresolvableHost,
    url_problems,
)
from gateway.webhooks.filters import FilterError, compile_filter, normalise
from gateway.webhooks.patterns import known_event_types, matching_types, pattern_problem
from gateway.webhooks.retry import AttemptResult, RetryPolicy, decide, retry_after_seconds
from gateway.webhooks.secretbox import SecretBox, SecretUnreadable
from gateway.webhooks.settings import WebhookSettings, load_secret_keys
from gateway.webhooks.signing import generate_secret, secret_hint, signature_header, verify
from gateway.webhooks.worker import topology
from servicekit.config import ConfigError, ServiceSettings

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
POLICY = AddressPolicy()
LOOPBACK_ALLOWED = AddressPolicy((ipaddress.ip_network("127.0.0.0/8"),))


# -- destinations ---------------------------------------------------------------------------

REFUSED = {
    "10.0.0.1": "private",
    "172.16.5.4": "private",
    "192.168.1.1": "private",
    "127.0.0.1": "loopback",
    "169.254.169.254": "link-local",
    "100.64.0.1": "CGNAT",
    "224.0.0.1": "multicast",
    "239.1.2.3": "multicast",
    "240.0.0.1": " address",  # reserved (Python files it under private)
    "0.0.0.0": "unspecified",  # noqa: S104 - an address under test, not a bind
    "192.0.2.10": "private",  # documentation
    "198.18.0.1": "private",  # benchmarking
    "::1": "loopback",
    "::": "unspecified",
    "fe80::1": "link-local",
    "fc00::1": "private",
    "fd12:3456::1": "private",
    "fec0::1": "site-local",
    "ff02::1": "multicast",
    "2001:db8::1": "private",
    "::ffff:10.0.0.1": "private",
    "::ffff:127.0.0.1": "loopback",
    "::ffff:169.254.169.254": "link-local",
    "64:ff9b::a00:1": " address",  # NAT64 of 10.0.0.1
    "2002:a00:1::1": "private",  # 6to4 of 10.0.0.1
}
PUBLIC = ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:93.184.216.34"]


@pytest.mark.parametrize(("address", "category"), REFUSED.items())
def test_internal_addresses_are_refused(address, category):
    problem = POLICY.problem(address)
    assert problem is not None and category in problem, problem


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address):
    assert POLICY.problem(address) is None


def test_allow_and_deny_lists():
    assert LOOPBACK_ALLOWED.problem("127.0.0.1") is None
    assert LOOPBACK_ALLOWED.problem("127.5.6.7") is None
    assert LOOPBACK_ALLOWED.problem("::ffff:127.0.0.1") is None  # judged as its IPv4 address
    assert LOOPBACK_ALLOWED.problem("::1") is not None  # only what was allowed
    assert LOOPBACK_ALLOWED.problem("10.0.0.1") is not None
    intranet = AddressPolicy(
        (ipaddress.ip_network("10.20.0.0/16"),), (ipaddress.ip_network("10.20.99.0/24"),)
    )
    assert intranet.problem("10.20.1.1") is None
    assert "deny-list" in intranet.problem("10.20.99.5")  # deny wins over allow
    assert "deny-list" in AddressPolicy((), (ipaddress.ip_network("8.8.8.0/24"),)).problem(
        "8.8.8.8"
    )


def test_resolution_refuses_a_name_with_any_internal_answer():
    answers = {"good.test": ["93.184.216.34"], "mixed.test": ["93.184.216.34", "10.0.0.1"]}

    async def resolver(host, _port):
        return answers.get(host, [])

    policy = AddressPolicy(resolver=resolver)

    async def run():
        assert await policy.resolve("good.test", 443) == ["93.184.216.34"]
        with pytest.raises(BlockedDestination, match=r"mixed\.test resolves to 10\.0\.0\.1"):
            await policy.resolve("mixed.test", 443)
        with pytest.raises(UnresolvableHost):
            await policy.resolve("nothing.test", 443)
        with pytest.raises(BlockedDestination):
            await policy.resolve("[::1]", 443)
        results = await GuardedResolver(policy).resolve("good.test", 443)
        assert results[0]["host"] == "93.184.216.34" and results[0]["hostname"] == "good.test"
        assert results[0]["family"] == socket.AF_INET

    asyncio.run(run())


def test_the_socket_factory_refuses_the_connection_itself():
    info = (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.1", 80))
    with pytest.raises(BlockedDestination):
        POLICY.socket_factory(info)
    sock = LOOPBACK_ALLOWED.socket_factory(
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 80))
    )
    sock.close()


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("ftp://example.com/", "Use http or https"),
        ("https://user:pw@example.com/", "Credentials"),
        ("https://example.com/#x", "Fragments"),
        ("https:///path", "no host"),
        ("https://exa mple.com/", "whitespace"),
        ("https://2130706433/", "four decimal numbers"),
        ("https://0x7f000001/", "four decimal numbers"),
        ("https://example.com:99999/", "port"),
        ("https://" + "a" * 2100 + ".com/", "2048"),
    ],
)
def test_url_problems(url, fragment):
    problems = url_problems(url, require_https=False)
    assert any(fragment.lower() in p.lower() for p in problems), problems


def test_https_can_be_required():
    assert url_problems("https://example.com:8443/hook?x=1", require_https=True) == []
    assert url_problems("http://example.com/hook", require_https=True) == ["Use https."]


# -- filters and patterns -------------------------------------------------------------------

ORDER = {
    "event_type": "sales.order.placed",
    "producer": "sales",
    "data": {
        "channel": "online_store",
        "total": {"amount": "52.48", "currency": "EUR"},
        "lines": [{"sku": "TEA-001", "quantity": "2"}, {"sku": "CUP-9", "quantity": "1"}],
        "coupon_code": None,
        "paid": True,
        "count": 3,
    },
}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({}, True),
        ({"data.channel": "online_store"}, True),
        ({"data.channel": "retail"}, False),
        ({"data.total.currency": ["EUR", "USD"]}, True),
        ({"data.total.currency": ["GBP"]}, False),
        ({"data.total.amount": {"gte": 50}}, True),
        ({"data.total.amount": {"gt": Decimal("52.48")}}, False),
        ({"data.total.amount": {"gte": 50, "lt": 52.48}}, False),
        ({"data.total.amount": 52.48}, True),
        ({"data.total.amount": "52.48"}, True),
        ({"data.total.amount": "52.480"}, False),  # strings compare exactly
        ({"data.lines.sku": "CUP-9"}, True),
        ({"data.lines.sku": {"not_in": ["CUP-9"]}}, False),
        ({"data.lines.quantity": {"gt": 1}}, True),
        ({"data.coupon_code": None}, True),
        ({"data.coupon_code": {"exists": True}}, True),
        ({"data.missing": {"exists": False}}, True),
        ({"data.missing": {"ne": "x"}}, True),
        ({"data.missing": "x"}, False),
        ({"data.paid": True}, True),
        ({"data.paid": 1}, False),  # booleans are not numbers
        ({"data.count": 3}, True),
        ({"data.channel": {"prefix": "online"}}, True),
        ({"producer": "sales", "event_type": {"in": ["sales.order.placed"]}}, True),
        ({"data.channel": "online_store", "data.paid": False}, False),
    ],
)
def test_filters_match(spec, expected):
    assert compile_filter(normalise(spec)).matches(ORDER) is expected


@pytest.mark.parametrize(
    ("spec", "key"),
    [
        ({"total": 1}, "total"),
        ({"data..x": 1}, "data..x"),
        ({"data.x": {"between": 1}}, "data.x"),
        ({"data.x": {"gt": "1"}}, "data.x"),
        ({"data.x": {"in": []}}, "data.x"),
        ({"data.x": {"in": [{"a": 1}]}}, "data.x"),
        ({"data.x": {"exists": "yes"}}, "data.x"),
        ({"data.x": {"prefix": ""}}, "data.x"),
        ({"data.x": {}}, "data.x"),
        ({"data.x": 0.12345678901234567}, "data.x"),
        ({"data.x": "s" * 501}, "data.x"),
        ({"data." + ".".join(["a"] * 10): 1}, "data." + ".".join(["a"] * 10)),
        ({f"data.k{i}": 1 for i in range(21)}, "_schema"),
    ],
)
def test_bad_filters_name_the_problem(spec, key):
    with pytest.raises(FilterError) as error:
        normalise(spec)
    assert key in error.value.details


def test_filters_store_numbers_exactly():
    assert normalise({"data.a": Decimal("100"), "data.b": Decimal("52.48")}) == {
        "data.a": 100,
        "data.b": 52.48,
    }
    assert normalise({"data.a": {"gte": Decimal("0.1"), "lt": 5}}) == {
        "data.a": {"gte": 0.1, "lt": 5}
    }
    assert compile_filter({"data.a": {"gte": 0.1}}).matches({"data": {"a": "0.10"}})
    assert not compile_filter({"data.a": {"gt": 0.1}}).matches({"data": {"a": "0.1"}})


def test_patterns():
    assert pattern_problem("sales.order.*") is None
    assert pattern_problem("sales.#") is None and pattern_problem("#") is None
    assert "Matches no known" in pattern_problem("sales.order.payed")
    assert "dot-separated" in pattern_problem("sales..order")
    assert "dot-separated" in pattern_problem("sales.ord*")
    assert "dot-separated" in pattern_problem("Sales.Order")
    assert pattern_problem("") is not None and pattern_problem("a." * 70 + "b") is not None
    orders = matching_types(["sales.order.*"])
    assert "sales.order.placed" in orders and "sales.quote.accepted" not in orders
    assert set(matching_types(["#"])) == set(known_event_types())
    assert "customer.created" in matching_types(["customer.*"])
    assert "customer.segment.created" not in matching_types(["customer.*"])
    assert "customer.segment.created" in matching_types(["customer.#"])


# -- permissions ----------------------------------------------------------------------------


def test_every_event_type_maps_to_a_read_scope_in_the_catalogue():
    for event_type in known_event_types():
        scope = scope_for(event_type)
        assert scope in KNOWN_SCOPES and scope.endswith(":read"), (event_type, scope)
    assert scope_for("sales.order.placed") == "orders:read"
    assert scope_for("customer.segment.member_added") == "segments:read"
    assert scope_for("customer.created") == "customers:read"
    assert scope_for("campaign.survey.answered") == "research:read"
    assert scope_for("unknown.thing.happened") == "*"
    assert may_receive(frozenset({"*"}), "unknown.thing.happened")
    assert not may_receive(frozenset({"orders:read"}), "unknown.thing.happened")
    assert may_receive(frozenset({"orders:*"}), "sales.order.paid")
    refused = refused_types(frozenset({"orders:read"}), ["sales.order.paid", "customer.created"])
    assert refused == {"customer.created": "customers:read"}


# -- back-off and outcomes ------------------------------------------------------------------

POLICY_RETRY = RetryPolicy(base=10, max_delay=3600)
DEADLINE = NOW + timedelta(days=3)


def test_backoff_is_full_jitter_under_a_doubling_ceiling():
    rng = random.Random(1)
    for attempt, ceiling in ((1, 10), (2, 20), (3, 40), (8, 1280), (9, 2560), (12, 3600)):
        draws = [POLICY_RETRY.backoff(attempt, rng) for _ in range(400)]
        assert all(1 <= d <= ceiling for d in draws)
        assert max(draws) > ceiling * 0.9 and min(draws) <= max(1.0, ceiling * 0.1)


@pytest.mark.parametrize(
    ("result", "outcome"),
    [
        (AttemptResult(5, status_code=200), "succeeded"),
        (AttemptResult(5, status_code=204), "succeeded"),
        (AttemptResult(5, status_code=500), "retry"),
        (AttemptResult(5, status_code=502), "retry"),
        (AttemptResult(5, status_code=429), "retry"),
        (AttemptResult(5, kind="timeout", error="t"), "retry"),
        (AttemptResult(5, kind="network", error="reset"), "retry"),
        (AttemptResult(5, kind="dns", error="nx"), "retry"),
        (AttemptResult(5, status_code=400), "failed"),
        (AttemptResult(5, status_code=404), "failed"),
        (AttemptResult(5, status_code=410), "failed"),
        (AttemptResult(5, status_code=301, location="https://x/"), "failed"),
        (AttemptResult(5, kind="blocked", error="destination refused"), "failed"),
    ],
)
def test_outcomes(result, outcome):
    verdict = decide(result, 1, NOW, DEADLINE, POLICY_RETRY, random.Random(3))
    assert verdict.outcome == outcome
    assert (verdict.next_attempt_at is not None) is (outcome == "retry")


def test_retry_after_and_the_deadline():
    rng = random.Random(5)
    later = decide(
        AttemptResult(1, status_code=429, retry_after="90"), 4, NOW, DEADLINE, POLICY_RETRY, rng
    )
    assert later.next_attempt_at == NOW + timedelta(seconds=90)
    capped = decide(
        AttemptResult(1, status_code=503, retry_after="86400"), 1, NOW, DEADLINE, POLICY_RETRY, rng
    )
    assert capped.next_attempt_at == NOW + timedelta(seconds=3600)
    ignored = decide(
        AttemptResult(1, status_code=500, retry_after="5000"), 1, NOW, DEADLINE, POLICY_RETRY, rng
    )
    assert ignored.next_attempt_at <= NOW + timedelta(seconds=10)  # only 429 and 503 ask
    near = NOW + timedelta(seconds=30)
    clamped = decide(
        AttemptResult(1, status_code=429, retry_after="600"), 1, NOW, near, POLICY_RETRY, rng
    )
    assert clamped.next_attempt_at == near  # the last attempt happens at the deadline
    dead = decide(AttemptResult(1, status_code=500), 9, near, near, POLICY_RETRY, rng)
    assert dead.outcome == "dead" and dead.reason == "HTTP 500"
    assert retry_after_seconds("Thu, 26 Nov 2026 12:02:00 GMT", NOW) == 120
    assert retry_after_seconds("Wed, 25 Nov 2026 12:00:00 GMT", NOW) == 0
    assert retry_after_seconds("soon", NOW) is None and retry_after_seconds(None, NOW) is None
    ping = decide(
        AttemptResult(1, status_code=503), 1, NOW, DEADLINE, POLICY_RETRY, rng, retryable=False
    )
    assert ping.outcome == "failed"


# -- signatures and secrets -----------------------------------------------------------------


def test_signature_header_and_verification():
    body = b'{"event_id":"e"}'
    header = signature_header(
        ["whsec_new-000000000000000000", "whsec_old-000000000000000000"], 1000, body
    )
    t, first, second = header.split(",")
    assert t == "t=1000" and first.startswith("v1=") and second.startswith("v1=")
    assert verify(header, body, ["whsec_old-000000000000000000"], now=1100)
    assert verify(header, body, ["whsec_new-000000000000000000"], now=1100)
    assert not verify(header, body, ["whsec_other-0000000000000000"], now=1100)
    assert not verify(header, body + b" ", ["whsec_new-000000000000000000"], now=1100)
    assert not verify(header, body, ["whsec_new-000000000000000000"], now=1400)
    assert not verify("v1=abc", body, ["whsec_new-000000000000000000"], now=1000)
    secret = generate_secret()
    assert secret.startswith("whsec_") and len(secret) == 49
    assert secret_hint(secret) == "whsec_…" + secret[-4:]


def test_secret_box_encrypts_binds_and_rotates_keys():
    old = SecretBox(["old-operator-key-" + "o" * 32])
    token = old.encrypt("whsec_abc", "sub-1")
    assert "whsec_abc" not in token and token.startswith("v1.")
    assert old.decrypt(token, "sub-1") == "whsec_abc"
    assert old.encrypt("whsec_abc", "sub-1") != token  # fresh nonce every time
    with pytest.raises(SecretUnreadable):
        old.decrypt(token, "sub-2")
    with pytest.raises(SecretUnreadable):
        old.decrypt(token[:-4] + "AAAA", "sub-1")
    rotated = SecretBox(["new-operator-key-" + "n" * 32, "old-operator-key-" + "o" * 32])
    assert rotated.decrypt(token, "sub-1") == "whsec_abc"
    assert not rotated.is_current(token) and rotated.is_current(rotated.encrypt("x", "s"))
    with pytest.raises(SecretUnreadable):
        SecretBox(["new-operator-key-" + "n" * 32]).decrypt(token, "sub-1")
    with pytest.raises(ConfigError):
        SecretBox([])


# -- settings and queues --------------------------------------------------------------------


def test_settings_from_the_environment(monkeypatch, tmp_path):
    key_file = tmp_path / "webhook_secret_key"
    key_file.write_text("first-key-" + "a" * 32 + "\nsecond-key-" + "b" * 32 + "\n")
    monkeypatch.setenv("MMS_WEBHOOK_SECRET_KEY_FILE", str(key_file))
    monkeypatch.setenv("MMS_WEBHOOK_ALLOWED_NETWORKS", "10.0.0.0/8, fd00::/8,192.168.1.7")
    monkeypatch.setenv("MMS_WEBHOOK_RETRY_WINDOW", "7200")
    settings = WebhookSettings.load()
    assert settings.configured and len(settings.secret_keys) == 2
    assert [str(n) for n in settings.allowed_networks] == [
        "10.0.0.0/8",
        "fd00::/8",
        "192.168.1.7/32",
    ]
    assert settings.retry_window == 7200
    monkeypatch.setenv("MMS_WEBHOOK_ALLOWED_NETWORKS", "10.0.0.0/33")
    with pytest.raises(ConfigError, match="ALLOWED_NETWORKS"):
        WebhookSettings.load()
    monkeypatch.delenv("MMS_WEBHOOK_ALLOWED_NETWORKS")
    key_file.write_text("short\n")
    with pytest.raises(ConfigError, match="32 characters"):
        load_secret_keys()
    monkeypatch.setenv("MMS_WEBHOOK_SECRET_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="cannot read"):
        load_secret_keys()
    monkeypatch.delenv("MMS_WEBHOOK_SECRET_KEY_FILE")
    monkeypatch.setenv("MMS_VAR_DIR", str(tmp_path / "empty"))
    assert load_secret_keys() == () and not WebhookSettings.load().configured
    with pytest.raises(ConfigError):
        WebhookSettings(retry_base=0).check()


def test_the_queue_names():
    names = topology(ServiceSettings.load("gateway", retry_delays=(1.0, 10.0)))
    assert names.main == "gateway.webhooks" and names.dead == "gateway.webhooks.dead"
    assert names.retry(2) == "gateway.webhooks.retry.10000ms"
    assert names.bindings == ("#",) and names.consumer == "gateway.webhooks"
