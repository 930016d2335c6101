"""Rebuild: empty every projection and replay the event archive into it.

Events are replayed in ``(occurred_at, event_id)`` order, a batch per transaction. Because
projections are idempotent and commutative (projections/framework.py), the worker may keep
consuming meanwhile: an event it projects during the rebuild is either replayed again later
(without effect) or was never in the archive before. Reports are partial until the rebuild ends.
Scores are not projections: ``customer_scores`` stays (it remembers what was published) and the
scoring job recomputes it from the rebuilt histories.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy import delete, func, select, text, tuple_

from analytics_service.adapters import tables as t
from analytics_service.adapters.sql import Tx
from analytics_service.projections.catalogue import CATALOGUE
from analytics_service.projections.framework import Catalogue, Event
from servicekit.db import Database
from servicekit.uow import UnitOfWorkFactory

Progress = Callable[[int], None]


@dataclass(frozen=True)
class RebuildResult:
    events: int
    batches: int
    tables: int


def archived_count(db: Database) -> int:
    with db.session() as session:
        return session.execute(select(func.count()).select_from(t.event_archive)).scalar_one()


def empty_projections(uow_factory: UnitOfWorkFactory, catalogue: Catalogue = CATALOGUE) -> int:
    """Delete every row of every projection table (not the archive, inbox, outbox or scores)."""
    tables = catalogue.tables()
    with uow_factory() as uow:
        if uow.session.get_bind().dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            uow.session.execute(text(f"TRUNCATE {names}"))
        else:
            for table in tables:
                uow.session.execute(delete(table))
        uow.commit()
    return len(tables)


def archived_batches(db: Database, batch_size: int) -> Iterator[list[Event]]:
    """The archive in replay order, ``batch_size`` events at a time (keyset pagination)."""
    a = t.event_archive.c
    last = None
    while True:
        query = select(a.occurred_at, a.event_id, a.payload).order_by(a.occurred_at, a.event_id)
        if last is not None:
            query = query.where(tuple_(a.occurred_at, a.event_id) > tuple_(*last))
        with db.session() as session:
            rows = session.execute(query.limit(batch_size)).all()
        if not rows:
            return
        last = (rows[-1].occurred_at, rows[-1].event_id)
        yield [Event.from_dict(json.loads(row.payload)) for row in rows]


def rebuild(
    db: Database,
    uow_factory: UnitOfWorkFactory,
    *,
    batch_size: int = 2000,
    progress: Progress | None = None,
    catalogue: Catalogue = CATALOGUE,
) -> RebuildResult:
    """Empty the projections and replay the whole archive into them."""
    tables = empty_projections(uow_factory, catalogue)
    replayed = batches = 0
    for events in archived_batches(db, batch_size):
        with uow_factory() as uow:
            catalogue.apply(Tx(uow.session), events)
            uow.commit()
        replayed += len(events)
        batches += 1
        if progress is not None:
            progress(len(events))
    return RebuildResult(events=replayed, batches=batches, tables=tables)
