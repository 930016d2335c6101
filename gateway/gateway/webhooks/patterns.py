"""Event type patterns with AMQP topic wildcards: ``sales.order.*`` (one word), ``sales.#`` (any
number of words, including none), ``#`` (everything).

Only events with a contract reach webhooks, so a pattern that matches no known event type is a
mistake (a typo such as ``sales.order.payed``) and is refused when a subscription is saved.
"""

from __future__ import annotations

import re
from functools import lru_cache

from event_contracts import all_contracts
from servicekit.consumer import topic_matches

WORD = r"(?:[a-z][a-z0-9_]*|\*|#)"
PATTERN = re.compile(rf"^{WORD}(?:\.{WORD}){{0,9}}$")
MAX_PATTERN_LENGTH = 120


@lru_cache(maxsize=1)
def known_event_types() -> tuple[str, ...]:
    """Every event type that has a contract, sorted."""
    return tuple(sorted({c.event_type for c in all_contracts()}))


def pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` is not acceptable, or None."""
    if not isinstance(pattern, str) or not pattern:
        return "Give an event type or pattern."
    if len(pattern) > MAX_PATTERN_LENGTH:
        return f"At most {MAX_PATTERN_LENGTH} characters."
    if not PATTERN.match(pattern):
        return (
            "Use dot-separated lowercase words, '*' for exactly one word or '#' for any number "
            "of words, e.g. 'sales.order.*' or 'customer.#'."
        )
    if not any(matches(pattern, t) for t in known_event_types()):
        return "Matches no known event type (see GET /api/v1/webhooks/event-types)."
    return None


@lru_cache(maxsize=65536)
def matches(pattern: str, event_type: str) -> bool:
    """AMQP topic matching of one pattern (cached: the dispatcher asks the same questions)."""
    return topic_matches(pattern, event_type)


def matches_any(patterns, event_type: str) -> bool:
    return any(matches(p, event_type) for p in patterns)


def matching_types(patterns) -> list[str]:
    """The known event types ``patterns`` select."""
    return [t for t in known_event_types() if matches_any(patterns, t)]
