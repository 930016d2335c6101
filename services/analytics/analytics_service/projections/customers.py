"""Customers as a dimension (country, industry, owner ...), merges, erasure, consent, follow-up
interactions, segments and segment membership (customer.* events)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import update

from analytics_service.adapters import tables as t
from analytics_service.adapters.sql import LockPlan, LockSpace, Tx
from analytics_service.domain.text import clip
from analytics_service.projections import customer_value
from analytics_service.projections.framework import (
    Event,
    EventwiseProjection,
    FactProjection,
    ImmutableFacts,
    Projection,
    blank_row,
    day_columns,
    on,
    parse_time,
)

PROFILE_FIELDS = {
    "kind": 10,
    "country": 100,
    "region": 100,
    "city": 100,
    "industry": 100,
    "size": 40,
    "source": 100,
    "lifecycle_stage": 40,
    "owner_team": 60,
}


def customer_status(row: dict) -> str:
    """Erasure and merges override what the profile says."""
    if row.get("erased_at") is not None:
        return "erased"
    if row.get("merged_into"):
        return "merged"
    return row.get("profile_status") or "active"


class CustomersProjection(FactProjection):
    """The customer dimension: profile (by revision), consent per channel, erasure."""

    name = "customers"
    table = t.customers
    key = "customer_id"
    handles = {
        "customer.created": (1,),
        "customer.updated": (1,),
        "customer.erased": (1,),
        "customer.consent.changed": (1,),
    }
    tables = (t.customers,)

    def blank(self, key: str) -> dict[str, Any]:
        return blank_row(t.customers, customer_id=key, status="active", profile_rev=0, consents={})

    def fold(self, row: dict[str, Any], event: Event, context: Any = None) -> bool:
        data = event.data
        if event.event_type == "customer.erased":
            if row["erased_at"] is not None:
                return False
            # Personal data goes; the customer's anonymous aggregates stay. (A profile event that
            # arrives later still updates the anonymous fields, by revision, but never the
            # personal ones: the result is the same in any order.)
            row.update(name=None, city=None, erased_at=parse_time(data["erased_at"]))
        elif event.event_type == "customer.consent.changed":
            consents = dict(row["consents"])
            known = consents.get(data["channel"])
            if known is not None and known["revision"] >= data["revision"]:
                return False
            consents[data["channel"]] = {"status": data["status"], "revision": data["revision"]}
            row["consents"] = consents
        else:
            if data["revision"] <= row["profile_rev"]:
                return False
            for name, length in PROFILE_FIELDS.items():
                row[name] = clip(data.get(name), length)
            row["name"] = clip(data.get("name"), 300) if row["erased_at"] is None else None
            if row["erased_at"] is not None:
                row["city"] = None
            row["owner_id"] = data.get("owner_id")
            row["profile_status"] = data.get("status")
            row["created_at"] = parse_time(data.get("created_at"))
            row["profile_rev"] = data["revision"]
        row["status"] = customer_status(row)
        return True


SEGMENTS = LockSpace("segment")
MEMBERSHIP = LockSpace("membership")


class MergesProjection(EventwiseProjection):
    """Duplicates merged into a survivor: their purchases count for the survivor from now on.

    Aliases are written by merges alone, which the exclusive merge gate runs one at a time.
    """

    name = "merges"
    tables = (t.customer_aliases,)

    def locks(self, plan: LockPlan, events: Sequence[Event]) -> None:
        plan.add(customer_value.MERGE_GATE, [customer_value.GATE_KEY])
        plan.add(CustomersProjection.lock_space, {m for e in events for m in _merged(e)})

    def later_locks(self, plan: LockPlan, tx: Tx, events: Sequence[Event]) -> None:
        # An earlier merge of the batch may move a survivor on, but only to the survivor of that
        # merge (resolved as of now), which this plan locks too.
        plan.add(customer_value.HISTORIES, {m for e in events for m in _merged(e)})
        customer_value.plan_histories(plan, tx, {e.data["survivor_id"] for e in events})

    @on("customer.merged")
    def merged(self, tx: Tx, event: Event) -> None:
        data = event.data
        merged_ids = _merged(event)
        survivor = customer_value.resolve(tx, [data["survivor_id"]])[data["survivor_id"]]
        merged_at = parse_time(data["merged_at"])
        tx.upsert(
            t.customer_aliases,
            [{"merged_id": m, "survivor_id": survivor, "merged_at": merged_at} for m in merged_ids],
            ("merged_id",),
        )
        # Whatever already pointed at a merged id now points at its survivor (chains A->B->C).
        tx.session.execute(
            update(t.customer_aliases)
            .where(t.customer_aliases.c.survivor_id.in_(merged_ids))
            .values(survivor_id=survivor)
        )
        tx.lock(CustomersProjection.lock_space, merged_ids)
        stored = tx.fetch(t.customers, "customer_id", merged_ids)
        rows = []
        for merged_id in merged_ids:
            found = stored.get(merged_id)
            row = (
                dict(found._mapping)
                if found is not None
                else CustomersProjection().blank(merged_id)
            )
            # The direct survivor, not the resolved one: the same whichever merge came first.
            if row["merged_into"] != data["survivor_id"]:
                row["merged_into"] = data["survivor_id"]
                row["status"] = customer_status(row)
                rows.append(row)
        tx.upsert(t.customers, rows, ("customer_id",))
        customer_value.fold(tx, merged_ids, survivor)


def _merged(event: Event) -> list[str]:
    return [m for m in event.data["merged_ids"] if m != event.data["survivor_id"]]


class SegmentsProjection(EventwiseProjection):
    name = "segments"
    tables = (t.segments,)

    def locks(self, plan: LockPlan, events: Sequence[Event]) -> None:
        plan.add(SEGMENTS, {e.data["segment_id"] for e in events})

    @on("customer.segment.created")
    def created(self, tx: Tx, event: Event) -> None:
        self._segment(tx, event)

    @on("customer.segment.updated")
    def updated(self, tx: Tx, event: Event) -> None:
        self._segment(tx, event)

    @on("customer.segment.archived")
    def archived(self, tx: Tx, event: Event) -> None:
        self._segment(tx, event)

    def _segment(self, tx: Tx, event: Event) -> None:
        data = event.data
        segment_id = data["segment_id"]
        tx.lock(SEGMENTS, [segment_id])
        stored = tx.fetch(t.segments, "segment_id", [segment_id]).get(segment_id)
        if stored is not None and stored.revision >= data["revision"]:
            return
        row = (
            dict(stored._mapping)
            if stored is not None
            else blank_row(t.segments, segment_id=segment_id)
        )
        if event.event_type == "customer.segment.archived":
            row["status"] = "archived"
        else:
            row.update(name=clip(data["name"], 200), kind=data["kind"], status=data.get("status"))
        row["revision"] = data["revision"]
        tx.upsert(t.segments, [row], ("segment_id",))


class MembershipProjection(Projection):
    """Who is in which segment now: the later change wins (no revision on these events)."""

    name = "segment_members"
    handles = {"customer.segment.member_added": (1,), "customer.segment.member_removed": (1,)}
    tables = (t.segment_members,)

    def locks(self, plan: LockPlan, events: Sequence[Event]) -> None:
        plan.add(MEMBERSHIP, {_member(e) for e in events})

    def apply(self, tx: Tx, events: Sequence[Event]) -> None:
        latest: dict[tuple[str, str], tuple] = {}
        for event in events:
            key = (event.data["segment_id"], event.data["customer_id"])
            candidate = (parse_time(event.data["at"]), event.event_id, event.event_type)
            if key not in latest or latest[key] < candidate:
                latest[key] = candidate
        tx.lock(MEMBERSHIP, [f"{s}:{c}" for s, c in latest])
        stored = tx.fetch_pairs(t.segment_members, ("segment_id", "customer_id"), latest)
        rows = []
        for (segment_id, customer_id), (at, event_id, event_type) in latest.items():
            found = stored.get((segment_id, customer_id))
            if found is not None and (found.changed_at, found.event_id) >= (at, event_id):
                continue
            rows.append(
                {
                    "segment_id": segment_id,
                    "customer_id": customer_id,
                    "member": event_type == "customer.segment.member_added",
                    "changed_at": at,
                    "event_id": event_id,
                }
            )
        tx.upsert(t.segment_members, rows, ("segment_id", "customer_id"))


def _member(event: Event) -> str:
    return f"{event.data['segment_id']}:{event.data['customer_id']}"


class InteractionsProjection(ImmutableFacts):
    name = "interactions"
    handles = {"customer.interaction.logged": (1,)}
    table = t.interactions
    keys = ("interaction_id",)
    tables = (t.interactions,)

    def row(self, event: Event) -> dict[str, Any]:
        data = event.data
        at = parse_time(data["occurred_at"])
        return {
            "interaction_id": data["interaction_id"],
            "customer_id": data["customer_id"],
            "kind": data["kind"],
            "actor_id": data.get("actor_id"),
            "occurred_at": at,
            **day_columns("occurred", at),
        }
