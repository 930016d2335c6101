"""Roles, scopes and the function-level permission of every routed path (single source of truth).

Services check scopes again (``require_scope``); the gateway's check rejects early and cheaply,
so that an analyst's ``POST /api/v1/orders`` never reaches the sales service.
"""

from __future__ import annotations

from collections.abc import Iterable

READ_WRITE_RESOURCES = (
    "customers",
    "segments",
    "imports",
    "products",
    "channels",
    "leads",
    "opportunities",
    "quotes",
    "orders",
    "contracts",
    "targets",
    "tasks",
    "campaigns",
    "coupons",
    "research",
    "touchpoints",
    "tickets",
    "sla",
    "satisfaction",
    "webhooks",
)
EXTRA_SCOPES = (
    "analytics:read",
    "customers:erase",
    "customers:export",
    "customers:admin",
    "support:admin",
    "sales:admin",
)
ALL_SCOPES: tuple[str, ...] = tuple(
    [f"{r}:{a}" for r in READ_WRITE_RESOURCES for a in ("read", "write")] + list(EXTRA_SCOPES)
)
KNOWN_SCOPES = frozenset(ALL_SCOPES)

ROLES = ("admin", "sales_manager", "sales_rep", "marketer", "support_agent", "analyst")


def _rw(*resources: str) -> list[str]:
    return [f"{r}:{a}" for r in resources for a in ("read", "write")]


def _r(*resources: str) -> list[str]:
    return [f"{r}:read" for r in resources]


ROLE_SCOPES: dict[str, frozenset[str]] = {
    "admin": frozenset({"*"}),
    "sales_manager": frozenset(
        [
            *_rw("customers", "segments", "imports", "products", "channels"),
            "customers:export",
            *_rw("leads", "opportunities", "quotes", "orders", "contracts", "targets", "tasks"),
            "sales:admin",
            *_r("campaigns", "coupons", "tickets"),
            "analytics:read",
        ]
    ),
    "sales_rep": frozenset(
        [
            *_rw("customers"),
            *_r("segments", "products", "channels"),
            *_rw("leads", "opportunities", "quotes", "orders", "contracts", "tasks"),
            *_r("targets", "coupons", "tickets"),
        ]
    ),
    "marketer": frozenset(
        [
            *_rw("customers", "segments", "imports"),
            "customers:export",
            *_rw("campaigns", "coupons", "research", "touchpoints"),
            *_r("products", "orders"),
            "analytics:read",
        ]
    ),
    "support_agent": frozenset(
        [
            *_rw("customers", "tickets", "satisfaction"),
            *_r("sla", "orders", "products"),
        ]
    ),
    "analyst": frozenset(["analytics:read"]),
}


def scopes_for_roles(roles: Iterable[str]) -> frozenset[str]:
    """The union of the scopes of ``roles`` (unknown roles grant nothing)."""
    granted: set[str] = set()
    for role in roles:
        granted |= ROLE_SCOPES.get(role, frozenset())
    return frozenset(granted)


def has_scope(scopes: frozenset[str], scope: str) -> bool:
    """Same rule as :meth:`servicekit.identity.Identity.has_scope`."""
    if "*" in scopes or scope in scopes:
        return True
    return f"{scope.split(':', 1)[0]}:*" in scopes


def unknown_scopes(scopes: Iterable[str]) -> list[str]:
    """Scopes an API key may not carry (anything not in the catalogue; ``*`` is allowed)."""
    return sorted(s for s in scopes if s != "*" and s not in KNOWN_SCOPES)


# First path segment after /api/v1/ -> the resource whose scope guards it. Paths the services
# treat specially are refined by ``required_scope``.
SEGMENT_RESOURCE = {
    "customers": "customers",
    "segments": "segments",
    "imports": "imports",
    "customer-attributes": "customers",
    "products": "products",
    "price-lists": "products",
    "channels": "channels",
    "leads": "leads",
    "opportunities": "opportunities",
    "pipelines": "opportunities",
    "quotes": "quotes",
    "orders": "orders",
    "contracts": "contracts",
    "targets": "targets",
    "tasks": "tasks",
    "forecasts": "opportunities",
    "fx-rates": "products",
    "campaigns": "campaigns",
    "coupons": "coupons",
    "competitors": "research",
    "surveys": "research",
    "templates": "campaigns",
    "touchpoints": "touchpoints",
    "suppressions": "campaigns",
    "tickets": "tickets",
    "sla-policies": "sla",
    "business-calendars": "sla",
    "agent-groups": "tickets",
    "satisfaction-surveys": "satisfaction",
    "support-reports": "tickets",
    "analytics": "analytics",
}

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def required_scope(method: str, segment: str, rest: str) -> str:
    """The scope a caller needs for ``method /api/v1/<segment><rest>``.

    ``rest`` is the path after the first segment (``""``, ``"/export"``, ``"/<id>/erase"``).
    """
    resource = SEGMENT_RESOURCE[segment]
    reading = method in READ_METHODS
    if resource == "analytics":
        return "analytics:read"
    if segment == "customers":
        if rest == "/export" or rest.startswith("/export?"):
            return "customers:export"
        if not reading and rest.endswith("/erase"):
            return "customers:erase"
    if segment == "customer-attributes" and not reading:
        return "customers:admin"
    return f"{resource}:{'read' if reading else 'write'}"
