"""Keeping dynamic segment membership current, one customer change at a time.

Called inside the unit of work of every change to a customer, so membership commits with the
change itself. Each active dynamic segment's rules are compiled once per (segment, version) and
cached in the process; evaluating them against one customer's facts costs microseconds.
"""

from __future__ import annotations

from datetime import UTC, datetime

from customer_service.domain import events
from customer_service.domain.model import Customer
from customer_service.domain.segments import compile_rules

_compiled: dict[tuple[str, int], object] = {}


def _predicate(uow, segment_id: str, version: int, rules: dict):
    key = (segment_id, version)
    predicate = _compiled.get(key)
    if predicate is None:
        types = {k: d.type for k, d in uow.attributes.all().items()}
        predicate = compile_rules(rules, types)
        if len(_compiled) > 5000:
            _compiled.clear()
        _compiled[key] = predicate
    return predicate


def refresh_memberships(uow, customer: Customer, *, now: datetime | None = None) -> None:
    """Add the customer to dynamic segments it now matches, remove it from those it no longer
    does, and record a member event for each change."""
    now = now or datetime.now(UTC)
    current = uow.segments.memberships(customer.id)
    dynamic = uow.segments.active_dynamic()
    if not customer.is_active:
        for segment_id in sorted(current):
            uow.segments.remove_members(segment_id, [customer.id])
            uow.add_event(events.MemberRemoved(segment_id, customer.id, now))
        return
    facts = customer.facts(now.date())
    for segment_id, version, rules in dynamic:
        matches = bool(_predicate(uow, segment_id, version, rules)(facts))
        if matches and segment_id not in current:
            uow.segments.add_members(segment_id, [customer.id], now)
            uow.add_event(events.MemberAdded(segment_id, customer.id, now))
        elif not matches and segment_id in current:
            uow.segments.remove_members(segment_id, [customer.id])
            uow.add_event(events.MemberRemoved(segment_id, customer.id, now))


def predicate_for(uow, segment) -> object:
    return _predicate(uow, segment.id, segment.version, segment.rules)
