"""Two workers projecting at once (as two consumer instances do) end in the same reports as one:
the advisory locks on PostgreSQL (and SQLite's single writer) keep read-modify-writes apart, and
taking every batch's locks in one order keeps the workers from deadlocking."""

from __future__ import annotations

import random
import threading
from datetime import date

import pytest

from analytics_service.adapters import tables as t
from analytics_service.adapters.sql import LockOrderError, LockPlan, LockSpace, Tx
from analytics_service.service.ingest import ingest

pytestmark = pytest.mark.integration


def load_in_batches(rt, envelopes, size: int) -> None:
    for start in range(0, len(envelopes), size):
        with rt.uow() as uow:
            ingest(uow.session, envelopes[start : start + size])
            uow.commit()


def test_two_workers_at_once_equal_one(new_runtime, events, every_report):
    stream = events.workload(orders=80)
    alone = new_runtime()
    load_in_batches(alone, stream, 40)
    expected = every_report(alone)

    shared = new_runtime()
    shuffled = list(stream)
    random.Random(5).shuffle(shuffled)
    halves = [shuffled[0::2], shuffled[1::2]]
    failures = []

    def work(part):
        try:
            load_in_batches(shared, part, 25)
        except Exception as exc:  # reported below with the thread's error
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(half,)) for half in halves]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    assert every_report(shared) == expected


@pytest.mark.parametrize(("workers", "batch", "seed"), [(4, 7, 1), (3, 25, 2), (4, 60, 3)])
def test_more_workers_and_other_batch_sizes_equal_one(
    new_runtime, events, every_report, workers, batch, seed
):
    """Each shape deadlocked within a few runs when projections took their locks as they went
    (the catalogue's products before the orders', rollup rows before the products')."""
    stream = events.workload(orders=80)
    alone = new_runtime()
    load_in_batches(alone, stream, 40)
    expected = every_report(alone)

    shared = new_runtime()
    shuffled = list(stream)
    random.Random(seed).shuffle(shuffled)
    failures = []

    def work(part):
        try:
            load_in_batches(shared, part, batch)
        except Exception as exc:  # reported below with the thread's error
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(shuffled[i::workers],)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    assert every_report(shared) == expected


def test_a_lock_below_one_held_or_outside_the_plan_is_refused(rt):
    """On either database: a projection that takes a lock out of order fails at once, where on
    PostgreSQL under load it would sometimes deadlock."""
    first, later = LockSpace("first-test", stage=1), LockSpace("later-test", stage=2)
    keys = sorted((f"k{i}" for i in range(20)), key=first.lock_id)
    with rt.uow() as uow:
        tx = Tx(uow.session)
        tx.lock(first, [keys[10]])
        tx.lock(first, [keys[10], keys[15]])  # held already, or above what is held
        tx.lock(later, ["x"])  # a later stage sorts above every lock of an earlier one
        with pytest.raises(LockOrderError):
            tx.lock(first, [keys[0]])
    with rt.uow() as uow:
        tx = Tx(uow.session)
        plan = LockPlan()
        plan.add(first, keys[:5])
        tx.take_plan(plan)
        tx.seal_locks()
        tx.lock(first, keys[:5])
        with pytest.raises(LockOrderError):
            tx.lock(first, [keys[19]])


def test_rollup_additions_wait_for_the_flush_and_go_in_one_write(rt):
    """Rollup rows are the rows workers share without a lock: they are written after every
    advisory lock is held, each table once, and pruned there when back to zero."""
    keys, measures = ("cohort", "month"), ("customers", "revenue")
    cell = {"cohort": date(2025, 1, 1), "month": date(2025, 2, 1)}
    key = (cell["cohort"], cell["month"])

    def stored():
        with rt.db.session() as session:
            return [
                (r.customers, r.revenue) for r in session.execute(t.cohort_cells.select()).all()
            ]

    with rt.uow() as uow:
        tx = Tx(uow.session)
        tx.accumulate(t.cohort_cells, [{**cell, "customers": 1, "revenue": 10}], keys, measures)
        tx.accumulate(t.cohort_cells, [{**cell, "customers": 2, "revenue": 5}], keys, measures)
        assert uow.session.execute(t.cohort_cells.select()).all() == []
        tx.flush()
        uow.commit()
    assert stored() == [(3, 15)]
    with rt.uow() as uow:
        tx = Tx(uow.session)
        # Additions that cancel out write nothing.
        tx.accumulate(t.cohort_cells, [{**cell, "customers": 1, "revenue": 1}], keys, measures)
        minus = {**cell, "customers": -1, "revenue": -1}
        tx.accumulate(t.cohort_cells, [minus], keys, measures, [key])
        tx.flush()
        uow.commit()
    assert stored() == [(3, 15)]
    with rt.uow() as uow:
        tx = Tx(uow.session)
        minus = {**cell, "customers": -3, "revenue": -15}
        tx.accumulate(t.cohort_cells, [minus], keys, measures, [key])
        tx.flush()
        uow.commit()
    assert stored() == []
