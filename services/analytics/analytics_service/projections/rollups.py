"""Rollups as sums of per-fact contributions, changed only by differences.

A fact (an order, a message) contributes a tuple of measures to one or more rollup keys. When an
event changes the fact, the projection adds ``after - before`` for every key: the rollup stays
exactly the sum over current facts, whatever order the events came in, and a repeated event
(no change) adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Table

from analytics_service.adapters.sql import Tx
from analytics_service.domain.periods import month_start, quarter_start, week_start

Key = tuple
Measures = tuple


def add(a: Measures, b: Measures) -> Measures:
    return tuple(x + y for x, y in zip(a, b, strict=True))


def negate(a: Measures) -> Measures:
    return tuple(-x for x in a)


def calendar(day: date) -> dict[str, date]:
    """The week, month and quarter columns stored beside a rollup's day."""
    return {"week": week_start(day), "month": month_start(day), "quarter": quarter_start(day)}


class RollupDelta:
    """Contribution changes to one rollup table within a batch.

    ``keys`` are the key columns (the first one a day), ``measures`` the summed columns, and
    ``counts`` the indexes of the measures that count facts: a row can only reach all-zero when
    one of those went down, so only then is it checked for pruning.
    """

    def __init__(
        self,
        table: Table,
        keys: Sequence[str],
        measures: Sequence[str],
        counts: Sequence[int],
        calendar_of: Callable[[Key], dict[str, Any]] = lambda key: calendar(key[0]),
    ) -> None:
        self.table = table
        self.keys = tuple(keys)
        self.measures = tuple(measures)
        self.counts = tuple(counts)
        self.calendar_of = calendar_of
        self.changes: dict[Key, Measures] = {}

    def add(self, contributions: Mapping[Key, Measures], sign: int = 1) -> None:
        changes = self.changes
        for key, measures in contributions.items():
            if sign < 0:
                measures = negate(measures)
            current = changes.get(key)
            changes[key] = measures if current is None else add(current, measures)

    def change(self, before: Mapping[Key, Measures], after: Mapping[Key, Measures]) -> None:
        if before == after:
            return
        self.add(before, -1)
        self.add(after, +1)

    def write(self, tx: Tx) -> None:
        rows, shrinking = [], []
        for key, measures in self.changes.items():
            if not any(measures):
                continue
            rows.append(
                {
                    **dict(zip(self.keys, key, strict=True)),
                    **self.calendar_of(key),
                    **dict(zip(self.measures, measures, strict=True)),
                }
            )
            if any(measures[i] < 0 for i in self.counts):
                shrinking.append(key)
        tx.accumulate(self.table, rows, self.keys, self.measures, shrinking)
        self.changes = {}
