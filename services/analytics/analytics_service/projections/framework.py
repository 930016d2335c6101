"""The projection framework: what a projection is and how batches of events reach it.

A :class:`Projection` declares the contract event types (and versions) it reads, the tables it
owns (emptied by a rebuild) and ``apply(tx, events)``, which receives a batch of events in any
order. Every projection must be

- **idempotent**: applying an event a second time changes nothing (facts are upserts keyed by
  source ids; each group of fields keeps the revision, or the ``(occurred_at, event_id)``, of the
  event that set it, and older or equal ones are ignored), and
- **commutative**: the final state does not depend on the order events arrive in (rollups are
  sums of per-fact contributions, changed only by a fact's contribution after minus before).

Both properties together make live consumption, duplicate deliveries, late events and a rebuild
from the archive end in the very same tables.

Several workers may project at once, so a projection declares the advisory locks a batch needs
(``locks``, from the events alone, and ``later_locks``, from rows read under those) instead of
taking them as it goes: the catalogue takes every projection's locks up front in one global
order, and two batches can then never each hold a lock the other waits for.

Adding a projection for a new contract is one new class (often a few lines with
:class:`EventwiseProjection`) added to ``catalogue.CATALOGUE``, its tables, and a migration.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Table

from analytics_service.adapters.sql import LockPlan, LockSpace, Tx
from analytics_service.domain.periods import day_of, month_start, week_start
from servicekit.events import Envelope


@dataclass(frozen=True, slots=True)
class Event:
    """The parts of an envelope projections read (``occurred_at`` parsed, aware UTC)."""

    event_id: str
    event_type: str
    version: int
    occurred_at: datetime
    producer: str
    data: Mapping[str, Any]
    aggregate_version: int | None = None

    @classmethod
    def from_envelope(cls, envelope: Envelope) -> Event:
        return cls(
            event_id=envelope.event_id,
            event_type=envelope.event_type,
            version=envelope.version,
            occurred_at=parse_time(envelope.occurred_at),
            producer=envelope.producer,
            data=envelope.data,
            aggregate_version=envelope.aggregate_version,
        )

    @classmethod
    def from_dict(cls, body: Mapping[str, Any]) -> Event:
        return cls(
            event_id=body["event_id"],
            event_type=body["event_type"],
            version=body["version"],
            occurred_at=parse_time(body["occurred_at"]),
            producer=body["producer"],
            data=body["data"],
            aggregate_version=body.get("aggregate_version"),
        )

    @property
    def order_key(self) -> tuple[datetime, str]:
        """Tie-break for state without revisions: later occurrence wins, then the larger id."""
        return (self.occurred_at, self.event_id)


def parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 timestamp from an event, as an aware datetime (``Z`` accepted)."""
    if value is None:
        return None
    return datetime.fromisoformat(value)


class Projection:
    """Base of every projection; subclasses set the class attributes and implement ``apply``."""

    name: ClassVar[str]
    # event type -> contract versions this projection understands
    handles: ClassVar[Mapping[str, tuple[int, ...]]]
    # tables whose rows come only from this projection (a rebuild empties them)
    tables: ClassVar[tuple[Table, ...]] = ()

    def locks(self, plan: LockPlan, events: Sequence[Event]) -> None:
        """Add to ``plan`` the locks ``apply`` takes whose keys the events name."""

    def later_locks(self, plan: LockPlan, tx: Tx, events: Sequence[Event]) -> None:
        """Add the locks whose keys only rows tell; called holding the locks of ``locks``
        (those of stages before ``LATER_STAGE``), so what it reads there stays put."""

    def apply(self, tx: Tx, events: Sequence[Event]) -> None:
        raise NotImplementedError


# Locks of this stage and later are taken after ``Projection.later_locks``.
LATER_STAGE = 2

Apply = Callable[[Tx, Event], None]


def on(event_type: str, *versions: int) -> Callable[[Apply], Apply]:
    """Mark a method of an :class:`EventwiseProjection` as the handler of ``event_type``."""

    def mark(fn: Apply) -> Apply:
        fn._projects = (event_type, versions or (1,))
        return fn

    return mark


class EventwiseProjection(Projection):
    """A projection written one event at a time, for low-volume events (segments, coupons...).

    Methods decorated with :func:`on` handle one event type each; ``handles`` is derived from
    them.
    """

    _methods: ClassVar[dict[str, str]]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        methods: dict[str, str] = {}
        handles: dict[str, tuple[int, ...]] = {}
        for attr, value in vars(cls).items():
            marked = getattr(value, "_projects", None)
            if marked:
                methods[marked[0]] = attr
                handles[marked[0]] = marked[1]
        cls._methods = methods
        cls.handles = handles

    def apply(self, tx: Tx, events: Sequence[Event]) -> None:
        for event in events:
            getattr(self, self._methods[event.event_type])(tx, event)


class FactProjection(Projection):
    """One fact row per source record, folded from that record's events, a batch at a time.

    Subclasses name the ``table``, its key column ``key`` (also the data field naming the
    record, unless ``entity_key`` says otherwise), ``blank(key)`` (a row with every column) and
    ``fold(row, event, context) -> bool``, which changes the row in place when the event is newer
    than what the row holds (``context`` is what ``prepare`` read for the whole batch).
    ``after_write`` sees each changed row with its state before, for side tables and rollups.
    Every row the batch touches is read with one query and written with one.
    """

    table: ClassVar[Table]
    key: ClassVar[str]
    # The table's name unless another projection shares the entities' locks.
    lock_space: ClassVar[LockSpace | None] = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "table" in vars(cls) and "lock_space" not in vars(cls):
            cls.lock_space = LockSpace(cls.table.name)

    def entity_key(self, event: Event) -> str:
        return event.data[self.key]

    def blank(self, key: str) -> dict[str, Any]:
        raise NotImplementedError

    def fold(self, row: dict[str, Any], event: Event, context: Any = None) -> bool:
        raise NotImplementedError

    def prepare(self, tx: Tx, events: Sequence[Event]) -> Any:
        """Read what ``fold`` needs beyond the row (passed to it as ``context``)."""
        return None

    def after_write(
        self, tx: Tx, changed: list[tuple[dict[str, Any] | None, dict[str, Any]]]
    ) -> None:
        """Hook for side tables and rollups: ``(row before or None, row after)`` per change."""

    def locks(self, plan: LockPlan, events: Sequence[Event]) -> None:
        plan.add(self.lock_space, {self.entity_key(e) for e in events})

    def apply(self, tx: Tx, events: Sequence[Event]) -> None:
        groups = group_by(events, self.entity_key)
        tx.lock(self.lock_space, groups)
        stored = tx.fetch(self.table, self.key, groups)
        context = self.prepare(tx, events)
        changed: list[tuple[dict[str, Any] | None, dict[str, Any]]] = []
        for key, entity_events in groups.items():
            found = stored.get(key)
            before = dict(found._mapping) if found is not None else None
            row = dict(before) if before is not None else self.blank(key)
            touched = False
            for event in entity_events:
                touched |= self.fold(row, event, context)
            if touched:
                changed.append((before, row))
        if changed:
            # Keys starting with "_" ride along for after_write only; they are no columns.
            columns = [{k: v for k, v in row.items() if k[0] != "_"} for _, row in changed]
            tx.upsert(self.table, columns, (self.key,))
            self.after_write(tx, changed)


class ImmutableFacts(Projection):
    """Events that each record one fact that never changes (an interaction, a touchpoint).

    ``row(event)`` maps an event to its row; rows whose key exists already are left alone.
    """

    table: ClassVar[Table]
    keys: ClassVar[tuple[str, ...]]

    def row(self, event: Event) -> dict[str, Any] | None:
        raise NotImplementedError

    def apply(self, tx: Tx, events: Sequence[Event]) -> None:
        rows: dict[tuple, dict[str, Any]] = {}
        for event in events:
            row = self.row(event)
            if row is not None:
                rows.setdefault(tuple(row[k] for k in self.keys), row)
        tx.insert_ignore(self.table, list(rows.values()), self.keys)


def blank_row(table: Table, **values: Any) -> dict[str, Any]:
    """Every column of ``table`` set to None, then ``values``."""
    row = {column.name: None for column in table.columns}
    row.update(values)
    return row


def day_columns(prefix: str, moment: datetime | None) -> dict[str, Any]:
    """``<prefix>_day/_week/_month`` of an aware datetime (all None for None)."""
    if moment is None:
        return {f"{prefix}_day": None, f"{prefix}_week": None, f"{prefix}_month": None}
    day = day_of(moment)
    return {
        f"{prefix}_day": day,
        f"{prefix}_week": week_start(day),
        f"{prefix}_month": month_start(day),
    }


def earliest(current: datetime | None, candidate: datetime | None) -> datetime | None:
    """The earlier of two moments (a milestone keeps the first time it was reached)."""
    if candidate is None:
        return current
    if current is None or candidate < current:
        return candidate
    return current


class Catalogue:
    """The projections of the service, in the order they are applied within a batch."""

    def __init__(self, projections: Iterable[Projection]):
        self.projections = list(projections)
        self._routes: dict[tuple[str, int], list[Projection]] = defaultdict(list)
        for projection in self.projections:
            for event_type, versions in projection.handles.items():
                for version in versions:
                    self._routes[(event_type, version)].append(projection)

    def handled(self) -> list[tuple[str, int]]:
        """Every (event type, version) some projection reads."""
        return sorted(self._routes)

    def handles(self, event_type: str, version: int) -> bool:
        return (event_type, version) in self._routes

    def tables(self) -> list[Table]:
        seen: list[Table] = []
        for projection in self.projections:
            for table in projection.tables:
                if table not in seen:
                    seen.append(table)
        return seen

    def apply(self, tx: Tx, events: Sequence[Event]) -> None:
        """Hand every projection the events of the batch it reads (batch order kept).

        Every lock the batch needs is taken before any projection writes, in ascending id order
        (:class:`LockPlan`), and the rollups are written last (``Tx.flush``): with each worker
        taking its locks in that one order, no two can wait for each other.
        """
        routed: dict[int, list[Event]] = defaultdict(list)
        for event in events:
            for projection in self._routes.get((event.event_type, event.version), ()):
                routed[id(projection)].append(event)
        work = [(p, routed[id(p)]) for p in self.projections if routed.get(id(p))]
        plan = LockPlan()
        for projection, mine in work:
            projection.locks(plan, mine)
        tx.take_plan(plan, below_stage=LATER_STAGE)
        for projection, mine in work:
            projection.later_locks(plan, tx, mine)
        tx.take_plan(plan)
        # A lock left out of the plan fails the batch on either database, not just sometimes.
        tx.seal_locks()
        for projection, mine in work:
            projection.apply(tx, mine)
        tx.flush()
        tx.memo.clear()


def group_by(events: Iterable[Event], key: Callable[[Event], Any]) -> dict[Any, list[Event]]:
    grouped: dict[Any, list[Event]] = defaultdict(list)
    for event in events:
        grouped[key(event)].append(event)
    return grouped
