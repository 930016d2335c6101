"""Leases (servicekit.leases) on both databases: one holder at a time, expiry, due intervals."""

from __future__ import annotations

import threading

import pytest
from mms_toy import service as toy

from servicekit.leases import release_lease, take_lease

pytestmark = pytest.mark.integration


@pytest.fixture
def db(databases, db_backend):
    runtime = toy.runtime(databases.url(toy.HERE / "migrations"))
    yield runtime.db
    runtime.db.dispose()


def test_one_holder_at_a_time_until_release(db):
    assert take_lease(db, "job", "a", 60)
    assert not take_lease(db, "job", "b", 60)
    assert take_lease(db, "job", "a", 60), "the holder renews its own lease"
    release_lease(db, "job", "a")
    assert take_lease(db, "job", "b", 60)


def test_an_expired_lease_goes_to_the_next_taker(db):
    assert take_lease(db, "job", "crashed", 0)
    assert take_lease(db, "job", "b", 60)
    release_lease(db, "job", "crashed")  # the old holder's release no longer applies
    assert not take_lease(db, "job", "c", 60)


def test_a_job_that_ran_is_not_due_within_its_interval(db):
    assert take_lease(db, "job", "a", 60, not_within=3600)
    release_lease(db, "job", "a", ran=True)
    assert not take_lease(db, "job", "b", 60, not_within=3600)
    assert take_lease(db, "job", "b", 60, not_within=0)


def test_concurrent_takers_get_it_once(db):
    results = []
    barrier = threading.Barrier(6)

    def take(holder):
        barrier.wait()
        results.append(take_lease(db, "fresh", holder, 60))

    threads = [threading.Thread(target=take, args=(f"h{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == [False] * 5 + [True]
