"""Who may receive which events: a subscription carries data, so its owner needs the read scope
of what the events are about.

A key with ``orders:read`` may subscribe to ``sales.order.*`` but not to ``customer.*``; an admin
may subscribe to anything. The check runs when a subscription is saved (403 naming what is
missing) and again for every event (an owner who lost a scope stops receiving those events; an
owner who was deactivated or revoked gets the subscription disabled).
"""

from __future__ import annotations

from gateway.scopes import has_scope

ADMIN_ONLY = "*"

# Longest matching prefix wins; ``<producer>.<entity>`` first, then the producer alone.
EVENT_SCOPES: dict[str, str] = {
    "customer.segment": "segments:read",
    "customer": "customers:read",
    "sales.order": "orders:read",
    "sales.lead": "leads:read",
    "sales.assignment_rule": "leads:read",
    "sales.opportunity": "opportunities:read",
    "sales.pipeline": "opportunities:read",
    "sales.quote": "quotes:read",
    "sales.contract": "contracts:read",
    "sales.target": "targets:read",
    "sales.task": "tasks:read",
    "sales.product": "products:read",
    "sales.price_list": "products:read",
    "sales.fx_rate": "products:read",
    "sales.channel": "channels:read",
    "sales.coupon": "coupons:read",
    "campaign.coupon": "coupons:read",
    "campaign.competitor": "research:read",
    "campaign.survey": "research:read",
    "campaign.touchpoint": "touchpoints:read",
    "campaign.visitor": "touchpoints:read",
    "campaign": "campaigns:read",
    "support.survey": "satisfaction:read",
    "support.ticket": "tickets:read",
    "support.complaint": "tickets:read",
    "support.return": "tickets:read",
    "analytics": "analytics:read",
}


def scope_for(event_type: str) -> str:
    """The scope an owner needs to receive ``event_type`` (``*``: administrators only)."""
    words = event_type.split(".")
    for length in range(len(words) - 1, 0, -1):
        scope = EVENT_SCOPES.get(".".join(words[:length]))
        if scope is not None:
            return scope
    return ADMIN_ONLY


def may_receive(scopes: frozenset[str], event_type: str) -> bool:
    """Whether an owner with ``scopes`` may receive ``event_type``."""
    if "*" in scopes:
        return True
    scope = scope_for(event_type)
    return scope != ADMIN_ONLY and has_scope(scopes, scope)


def refused_types(scopes: frozenset[str], event_types) -> dict[str, str]:
    """``{event_type: scope needed}`` for the types an owner with ``scopes`` may not receive."""
    return {t: scope_for(t) for t in event_types if not may_receive(scopes, t)}
