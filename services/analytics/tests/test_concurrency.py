"""Two workers projecting at once (as two consumer instances do) end in the same reports as one:
the advisory locks on PostgreSQL (and SQLite's single writer) keep read-modify-writes apart."""

from __future__ import annotations

import random
import threading

import pytest

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
