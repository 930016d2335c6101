"""Tracking tokens and machine detection."""

from datetime import UTC, datetime, timedelta

import pytest

from campaign_service.domain.machine import classify, classify_agent
from campaign_service.domain.tokens import TokenSigner

pytestmark = pytest.mark.unit

MID = "3f2b9a4e-1c5d-4e6f-8a7b-9c0d1e2f3a4b"
HUMAN_UA = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Safari/605.1.15"


def test_tokens_round_trip_and_bind_purpose_and_link():
    signer = TokenSigner(b"a-secret-of-enough-length")
    click = signer.sign("click", MID, "0123456789abcdef")
    assert signer.verify("click", click) == (MID, "0123456789abcdef")
    assert signer.verify("open", click) is None
    assert signer.verify("unsubscribe", signer.sign("open", MID)) is None
    assert signer.verify("open", signer.sign("open", MID)) == (MID, None)


def test_tokens_cannot_be_forged_or_altered():
    signer = TokenSigner(b"a-secret-of-enough-length")
    token = signer.sign("unsubscribe", MID)
    other = TokenSigner(b"another-secret-of-length")
    assert other.verify("unsubscribe", token) is None
    flipped = token[:5] + ("A" if token[5] != "A" else "B") + token[6:]
    assert signer.verify("unsubscribe", flipped) is None
    for junk in ("", "x", "%%%", "A" * 200, token + "AA"):
        assert signer.verify("unsubscribe", junk) is None
    assert len({signer.sign("open", MID), signer.sign("open", MID.replace("3f", "4f"))}) == 2


@pytest.mark.parametrize(
    ("agent", "method", "opening", "reason"),
    [
        (HUMAN_UA, "HEAD", False, "head_request"),
        ("", "GET", True, "empty_user_agent"),
        (
            "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 "
            "(via ggpht.com GoogleImageProxy)",
            "GET",
            True,
            "known_proxy:google_image_proxy",
        ),
        (
            "YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy",
            "GET",
            True,
            "known_proxy:yahoo_mail_proxy",
        ),
        ("Mozilla/5.0", "GET", True, "known_proxy:apple_mail_privacy"),
        ("Proofpoint URL Defense", "GET", False, "known_scanner:proofpoint"),
        ("Mimecast-Security-Scanner/2.0", "GET", False, "known_scanner:mimecast"),
        ("Barracuda Sentinel (EE)", "GET", False, "known_scanner:barracuda"),
        ("Mozilla/5.0 (compatible; BingPreview/1.0b)", "GET", False, "known_scanner:microsoft"),
        ("python-requests/2.31", "GET", False, "bot_user_agent"),
        ("curl/8.4.0", "GET", True, "bot_user_agent"),
    ],
)
def test_user_agents_and_methods(agent, method, opening, reason):
    verdict = classify_agent(agent, method, opening=opening)
    assert verdict.machine and verdict.reason == reason


def test_a_real_browser_is_human_and_bare_mozilla_clicks_are_not_apple_proxy():
    assert not classify_agent(HUMAN_UA, "GET", opening=True).machine
    assert not classify_agent("Mozilla/5.0", "GET", opening=False).machine


def test_timing_rules():
    delivered = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    soon = classify(
        user_agent=HUMAN_UA,
        method="GET",
        at=delivered + timedelta(seconds=2),
        delivered_at=delivered,
        opening=True,
    )
    assert soon.reason == "too_soon_after_delivery"
    later = classify(
        user_agent=HUMAN_UA,
        method="GET",
        at=delivered + timedelta(minutes=5),
        delivered_at=delivered,
        opening=True,
    )
    assert not later.machine
    at = delivered + timedelta(minutes=5)
    burst = classify(
        user_agent=HUMAN_UA,
        method="GET",
        at=at,
        delivered_at=delivered,
        opening=False,
        recent_clicks=[(at - timedelta(milliseconds=300), "aaaa")],
        link_id="bbbb",
    )
    assert burst.reason == "click_burst"
    same_link = classify(
        user_agent=HUMAN_UA,
        method="GET",
        at=at,
        delivered_at=delivered,
        opening=False,
        recent_clicks=[(at - timedelta(milliseconds=300), "bbbb")],
        link_id="bbbb",
    )
    assert not same_link.machine


def test_only_scanners_and_bots_may_not_unsubscribe():
    assert not classify_agent("Proofpoint", "POST", opening=False).may_unsubscribe
    assert not classify_agent("curl/8", "POST", opening=False).may_unsubscribe
    assert classify_agent(HUMAN_UA, "POST", opening=False).may_unsubscribe
    # Mail providers send RFC 8058 one-click POSTs from their servers: allowed.
    assert classify_agent("GoogleImageProxy", "POST", opening=False).may_unsubscribe


def test_an_empty_user_agent_may_still_one_click_unsubscribe():
    assert classify_agent("", "POST", opening=False).may_unsubscribe
