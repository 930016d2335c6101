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


def refresh_memberships_many(
    uow, customers: list[Customer], *, fresh: bool = False, now: datetime | None = None
) -> None:
    """``refresh_memberships`` for many customers with a constant number of queries (imports).

    ``fresh`` says the customers were just created, so they belong to no segment yet.
    """
    if not customers:
        return
    now = now or datetime.now(UTC)
    dynamic = uow.segments.active_dynamic()
    current = {} if fresh else uow.segments.memberships_of([c.id for c in customers])
    added: dict[str, list[str]] = {}
    removed: dict[str, list[str]] = {}
    today = now.date()
    for customer in customers:
        mine = current.get(customer.id, set())
        if not customer.is_active:
            for segment_id in mine:
                removed.setdefault(segment_id, []).append(customer.id)
            continue
        facts = customer.facts(today)
        for segment_id, version, rules in dynamic:
            matches = bool(_predicate(uow, segment_id, version, rules)(facts))
            if matches and segment_id not in mine:
                added.setdefault(segment_id, []).append(customer.id)
            elif not matches and segment_id in mine:
                removed.setdefault(segment_id, []).append(customer.id)
    for segment_id, ids in added.items():
        uow.segments.add_members(segment_id, ids, now)
        for customer_id in ids:
            uow.add_event(events.MemberAdded(segment_id, customer_id, now))
    for segment_id, ids in removed.items():
        uow.segments.remove_members(segment_id, ids)
        for customer_id in ids:
            uow.add_event(events.MemberRemoved(segment_id, customer_id, now))
