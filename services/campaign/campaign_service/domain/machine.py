"""Telling machine opens and clicks from human ones.

Mail privacy proxies fetch images, and security gateways follow links, without any person
reading the message. Counting them would inflate open and click rates (and could pick the wrong
A/B winner), so every open and click is classified; machine ones are kept and reported apart, and
never unsubscribe anyone. The heuristics, in the order they are tried:

1. ``head_request`` - a HEAD request (scanners probe links; browsers and mail clients send GET).
2. ``empty_user_agent`` - no User-Agent at all.
3. ``known_proxy:<name>`` - mail privacy/image proxies: Google image proxy (``GoogleImageProxy``,
   ``ggpht.com``), Yahoo mail proxy, and Apple Mail Privacy Protection, which prefetches with the
   bare user agent ``Mozilla/5.0`` (opens only: a person clicking from Apple Mail sends a full one).
4. ``known_scanner:<name>`` - link scanners of mail security products: Microsoft (Safe Links,
   BingPreview), Proofpoint, Mimecast, Barracuda, Symantec/MessageLabs, Trend Micro, Fortinet,
   Cisco IronPort, Sophos, Forcepoint, Zscaler.
5. ``bot_user_agent`` - HTTP libraries and crawlers (curl, wget, python-requests, Go, Java,
   headless browsers, link-preview bots).
6. ``too_soon_after_delivery`` - within ``min_seconds`` (default 5) of delivery: nobody reads and
   clicks that fast, scanners do.
7. ``click_burst`` - a click on a *different* link of the same message within ``burst_seconds``
   (default 1) of another click: a scanner following every link; the earlier clicks of the burst
   are re-labelled machine too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

_PROXIES = [
    ("google_image_proxy", re.compile(r"GoogleImageProxy|ggpht\.com", re.IGNORECASE)),
    ("yahoo_mail_proxy", re.compile(r"YahooMailProxy", re.IGNORECASE)),
]
_APPLE_MPP = re.compile(r"^Mozilla/5\.0$")
_SCANNERS = [
    ("microsoft", re.compile(r"SafeLinks|Safe Links|BingPreview|Microsoft Defender", re.I)),
    ("proofpoint", re.compile(r"Proofpoint", re.IGNORECASE)),
    ("mimecast", re.compile(r"Mimecast", re.IGNORECASE)),
    ("barracuda", re.compile(r"Barracuda", re.IGNORECASE)),
    ("symantec", re.compile(r"Symantec|MessageLabs", re.IGNORECASE)),
    ("trendmicro", re.compile(r"Trend ?Micro", re.IGNORECASE)),
    ("fortinet", re.compile(r"Forti(Guard|net|Mail)", re.IGNORECASE)),
    ("cisco", re.compile(r"IronPort|Cisco", re.IGNORECASE)),
    ("sophos", re.compile(r"Sophos", re.IGNORECASE)),
    ("forcepoint", re.compile(r"Forcepoint|Websense", re.IGNORECASE)),
    ("zscaler", re.compile(r"Zscaler", re.IGNORECASE)),
]
_BOTS = re.compile(
    r"bot\b|bot/|crawler|spider|curl/|wget/|python-requests|python-urllib|aiohttp|httpx|"
    r"go-http-client|java/|okhttp|apache-httpclient|libwww|scrapy|headlesschrome|phantomjs|"
    r"facebookexternalhit|slackbot|linkedinbot|whatsapp|telegrambot|discordbot|skypeuripreview",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Verdict:
    machine: bool
    reason: str | None = None
    kind: str | None = None  # proxy | scanner | bot | empty | timing | method

    @property
    def may_unsubscribe(self) -> bool:
        """Security scanners and bots never unsubscribe anyone (mail providers' one-click may)."""
        return self.kind not in ("scanner", "bot", "method")


HUMAN = Verdict(False)


def classify_agent(user_agent: str | None, method: str = "GET", *, opening: bool) -> Verdict:
    """What the request itself tells (method and user agent)."""
    if method.upper() == "HEAD":
        return Verdict(True, "head_request", "method")
    agent = (user_agent or "").strip()
    if not agent:
        return Verdict(True, "empty_user_agent", "empty")
    for name, pattern in _PROXIES:
        if pattern.search(agent):
            return Verdict(True, f"known_proxy:{name}", "proxy")
    if opening and _APPLE_MPP.match(agent):
        return Verdict(True, "known_proxy:apple_mail_privacy", "proxy")
    for name, pattern in _SCANNERS:
        if pattern.search(agent):
            return Verdict(True, f"known_scanner:{name}", "scanner")
    if _BOTS.search(agent):
        return Verdict(True, "bot_user_agent", "bot")
    return HUMAN


def classify(
    *,
    user_agent: str | None,
    method: str,
    at: datetime,
    delivered_at: datetime | None,
    opening: bool,
    recent_clicks: list[tuple[datetime, str]] = (),
    link_id: str | None = None,
    min_seconds: float = 5.0,
    burst_seconds: float = 1.0,
) -> Verdict:
    """Classify one open (``opening``) or click.

    ``recent_clicks`` are the message's earlier clicks as ``(at, link_id)``.
    """
    verdict = classify_agent(user_agent, method, opening=opening)
    if verdict.machine:
        return verdict
    if delivered_at is not None and 0 <= (at - delivered_at).total_seconds() < min_seconds:
        return Verdict(True, "too_soon_after_delivery", "timing")
    if not opening and link_id is not None:
        for earlier_at, earlier_link in recent_clicks:
            if earlier_link != link_id and abs((at - earlier_at).total_seconds()) <= burst_seconds:
                return Verdict(True, "click_burst", "timing")
    return HUMAN
