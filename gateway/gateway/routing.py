"""Which service answers which path: a dictionary lookup on the first path segment.

``/api/v1/<segment>/...`` goes to the owner of ``<segment>``; the public, token-carrying links
outside ``/api`` (tracking, unsubscribe, survey forms, CSAT) go to their owners without any
authentication. Everything else under ``/api/v1`` that the gateway does not serve itself is 404.
"""

from __future__ import annotations

from dataclasses import dataclass

API_PREFIX = "/api/v1/"

SERVICE_SEGMENTS: dict[str, tuple[str, ...]] = {
    "customer": ("customers", "segments", "imports", "customer-attributes"),
    "sales": (
        "products",
        "price-lists",
        "channels",
        "leads",
        "opportunities",
        "pipelines",
        "quotes",
        "orders",
        "contracts",
        "targets",
        "tasks",
        "forecasts",
        "fx-rates",
    ),
    "campaign": (
        "campaigns",
        "coupons",
        "competitors",
        "surveys",
        "templates",
        "touchpoints",
        "suppressions",
    ),
    "support": (
        "tickets",
        "sla-policies",
        "business-calendars",
        "agent-groups",
        "satisfaction-surveys",
        "support-reports",
    ),
    "analytics": ("analytics",),
}

PUBLIC_PREFIXES: dict[str, str] = {
    "r": "campaign",
    "unsubscribe": "campaign",
    "f": "campaign",
    "csat": "support",
}

# Upload endpoints that take bodies larger than the default cap (CSV imports).
UPLOAD_SEGMENTS = frozenset({"imports"})

SEGMENT_SERVICE: dict[str, str] = {
    segment: service for service, segments in SERVICE_SEGMENTS.items() for segment in segments
}


@dataclass(frozen=True, slots=True)
class Route:
    """Where one request goes: ``service`` and whether it needs an authenticated caller."""

    service: str
    segment: str
    rest: str
    public: bool


def resolve(path: str) -> Route | None:
    """The route of ``path``, or None when no service owns it."""
    if path.startswith(API_PREFIX):
        tail = path[len(API_PREFIX) :]
        slash = tail.find("/")
        segment, rest = (tail, "") if slash < 0 else (tail[:slash], tail[slash:])
        service = SEGMENT_SERVICE.get(segment)
        if service is None:
            return None
        return Route(service, segment, rest, public=False)
    if path.startswith("/") and not path.startswith("/api/"):
        tail = path[1:]
        slash = tail.find("/")
        if slash <= 0:
            return None
        segment = tail[:slash]
        service = PUBLIC_PREFIXES.get(segment)
        if service is None:
            return None
        return Route(service, segment, tail[slash:], public=True)
    return None
