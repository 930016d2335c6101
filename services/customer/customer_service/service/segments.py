"""Segment use cases: define, redefine, archive, static membership, evaluation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from customer_service.adapters import tables as t
from customer_service.adapters.repositories import customer_from_row
from customer_service.domain import events
from customer_service.domain.errors import InvalidValue, NotFound, StateConflict
from customer_service.domain.segments import Segment, compile_rules, uses_relative_time
from customer_service.service.access import can_see
from customer_service.service.segmenting import predicate_for
from servicekit.etag import check_version
from servicekit.identity import Identity

EVALUATION_BATCH = 1000


def _types(uow) -> dict[str, str]:
    return {k: d.type for k, d in uow.attributes.all().items()}


def define_segment(uow, actor: Identity, data: dict[str, Any]) -> Segment:
    segment = Segment.define(
        name=data["name"],
        kind=data["kind"],
        description=data.get("description"),
        rules=data.get("rules"),
        attribute_types=_types(uow),
        created_by=actor.id,
    )
    uow.segments.add(segment)
    uow.commit()
    return segment


def redefine_segment(uow, segment_id: str, expected_version: int, changes: dict[str, Any]):
    segment = uow.segments.get(segment_id)
    if segment is None:
        raise NotFound(f"no segment {segment_id}")
    check_version(segment.version, expected_version)
    segment.redefine(
        name=changes.get("name"),
        description=changes.get("description"),
        rules=changes.get("rules"),
        attribute_types=_types(uow),
    )
    uow.segments.save(segment)
    uow.commit()
    return segment


def archive_segment(uow, segment_id: str) -> Segment:
    segment = uow.segments.get(segment_id)
    if segment is None:
        raise NotFound(f"no segment {segment_id}")
    segment.archive()
    uow.segments.save(segment)
    now = datetime.now(UTC)
    members = sorted(uow.segments.member_ids(segment.id))
    uow.segments.remove_members(segment.id, members)
    for customer_id in members:
        uow.add_event(events.MemberRemoved(segment.id, customer_id, now))
    uow.commit()
    return segment


def change_static_members(
    uow, actor: Identity, segment_id: str, add: list[str], remove: list[str]
) -> Segment:
    segment = uow.segments.get(segment_id)
    if segment is None:
        raise NotFound(f"no segment {segment_id}")
    if segment.is_dynamic:
        raise StateConflict("members of a dynamic segment follow its rules; change the rules")
    if segment.status != "active":
        raise StateConflict("an archived segment cannot change")
    now = datetime.now(UTC)
    customers = {c.id: c for c in uow.customers.get_many(sorted(set(add)))}
    for customer_id in add:
        customer = customers.get(customer_id)
        if customer is None or not can_see(actor, customer) or not customer.is_active:
            raise InvalidValue(f"no active customer {customer_id} to add")
    present = uow.segments.member_ids(segment.id, sorted(set(add) | set(remove)))
    to_add = sorted(set(add) - present)
    to_remove = sorted(set(remove) & present)
    uow.segments.add_members(segment.id, to_add, now)
    uow.segments.remove_members(segment.id, to_remove)
    for customer_id in to_add:
        uow.add_event(events.MemberAdded(segment.id, customer_id, now))
    for customer_id in to_remove:
        uow.add_event(events.MemberRemoved(segment.id, customer_id, now))
    uow.commit()
    return segment


def preview(session, rules: dict, attribute_types: dict[str, str], sample: int = 20):
    """How many active customers match ``rules`` now, and a few of them (nothing is stored)."""
    predicate = compile_rules(rules, attribute_types)
    count, examples = 0, []
    today = datetime.now(UTC).date()
    query = (
        select(t.customers)
        .where(t.customers.c.status == "active")
        .execution_options(yield_per=EVALUATION_BATCH)
    )
    for row in session.execute(query):
        customer = customer_from_row(row)
        if predicate(customer.facts(today)):
            count += 1
            if len(examples) < sample:
                examples.append({"customer_id": customer.id, "name": customer.name})
    return count, examples


def evaluate_segment(uow_factory, segment_id: str) -> int:
    """Recompute a dynamic segment's membership over every customer, in batches.

    Each batch commits on its own (with its member events), so progress survives a crash and
    writers are never blocked for long; customers changed meanwhile are kept current by the
    incremental refresh of their own change.
    """
    with uow_factory() as uow:
        segment = uow.segments.get(segment_id)
        if segment is None or not segment.is_dynamic or segment.status != "active":
            return 0
        uow.segments.set_evaluation(segment.id, "running", None)
        uow.commit()
    after = ""
    changes = 0
    while True:
        with uow_factory() as uow:
            segment = uow.segments.get(segment_id)
            if segment is None or segment.status != "active":
                return changes
            predicate = predicate_for(uow, segment)
            rows = uow.session.execute(
                select(t.customers)
                .where(t.customers.c.id > after, t.customers.c.status == "active")
                .order_by(t.customers.c.id)
                .limit(EVALUATION_BATCH)
            ).all()
            if not rows:
                # Members that stopped being active customers (merged, erased) meanwhile.
                gone = sorted(
                    uow.session.execute(
                        select(t.segment_members.c.customer_id)
                        .join(t.customers, t.customers.c.id == t.segment_members.c.customer_id)
                        .where(
                            t.segment_members.c.segment_id == segment.id,
                            t.customers.c.status != "active",
                        )
                    ).scalars()
                )
                now = datetime.now(UTC)
                uow.segments.remove_members(segment.id, gone)
                for customer_id in gone:
                    uow.add_event(events.MemberRemoved(segment.id, customer_id, now))
                uow.segments.recount(segment.id)
                uow.segments.set_evaluation(segment.id, "current", now)
                uow.commit()
                return changes + len(gone)
            now = datetime.now(UTC)
            today = now.date()
            ids = [r.id for r in rows]
            present = uow.segments.member_ids(segment.id, ids)
            wanted = {r.id for r in rows if predicate(customer_from_row(r).facts(today))}
            added, removed = sorted(wanted - present), sorted(present - wanted)
            uow.segments.add_members(segment.id, added, now)
            uow.segments.remove_members(segment.id, removed)
            for customer_id in added:
                uow.add_event(events.MemberAdded(segment.id, customer_id, now))
            for customer_id in removed:
                uow.add_event(events.MemberRemoved(segment.id, customer_id, now))
            changes += len(added) + len(removed)
            after = ids[-1]
            uow.commit()


def pending_segments(session) -> list[str]:
    return list(
        session.execute(
            select(t.segments.c.id).where(
                t.segments.c.status == "active",
                t.segments.c.kind == "dynamic",
                t.segments.c.evaluation.in_(["pending", "running"]),
            )
        ).scalars()
    )


def time_relative_segments(session) -> list[str]:
    rows = session.execute(
        select(t.segments.c.id, t.segments.c.rules).where(
            t.segments.c.status == "active", t.segments.c.kind == "dynamic"
        )
    )
    return [r.id for r in rows if r.rules and uses_relative_time(r.rules)]
