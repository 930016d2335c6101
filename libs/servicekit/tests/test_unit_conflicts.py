"""Concurrency in servicekit without a broker: transactions aborted for a conflict with a
concurrent one are run again, and a Database shared by threads is built once, whole."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest
from sqlalchemy import exc as sa_exc

from servicekit import consumer as consumer_module
from servicekit import db as db_module
from servicekit.consumer import (
    CONFLICT_ATTEMPTS,
    EventConsumer,
    HandlerRegistry,
    _Delivery,
    handle_envelope,
    is_infrastructure_error,
    is_transaction_conflict,
)
from servicekit.db import Database
from servicekit.events import Envelope


class _DriverError(Exception):
    def __init__(self, message: str, sqlstate: str | None):
        super().__init__(message)
        self.sqlstate = sqlstate


def deadlock() -> sa_exc.OperationalError:
    return sa_exc.OperationalError("COMMIT", {}, _DriverError("deadlock detected", "40P01"))


def envelope(n: int) -> Envelope:
    return Envelope.from_dict(
        {
            "event_id": f"00000000-0000-4000-8000-{n:012d}",
            "event_type": "toy.thing.happened",
            "version": 1,
            "occurred_at": "2026-01-01T00:00:00Z",
            "producer": "toy",
            "correlation_id": f"00000000-0000-4000-8000-{n:012d}",
            "data": {},
        }
    )


class FakeUnitOfWork:
    def __init__(self, factory):
        self.factory = factory

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def claim_inbox(self, consumer, envelope):
        pass

    def claim_inbox_batch(self, consumer, envelopes):
        return set()

    def stage_events(self):
        pass

    def commit(self):
        self.factory.commits += 1
        if self.factory.conflicts:
            self.factory.conflicts -= 1
            raise deadlock()


class FakeUnitOfWorkFactory:
    """Commits fail with a deadlock ``conflicts`` times, then succeed."""

    def __init__(self, conflicts: int):
        self.conflicts = conflicts
        self.commits = 0

    def __call__(self):
        return FakeUnitOfWork(self)


@pytest.fixture(autouse=True)
def no_pause(monkeypatch):
    monkeypatch.setattr(consumer_module, "_after_conflict", lambda attempt: None)


def test_conflicts_are_told_apart_from_other_database_errors():
    assert is_transaction_conflict(deadlock())
    serialization = sa_exc.OperationalError("x", {}, _DriverError("could not serialize", "40001"))
    assert is_transaction_conflict(serialization)
    refused = sa_exc.OperationalError("x", {}, _DriverError("connection refused", None))
    assert not is_transaction_conflict(refused)
    assert is_infrastructure_error(refused)
    unique = sa_exc.IntegrityError("x", {}, _DriverError("duplicate key", "23505"))
    assert not is_transaction_conflict(unique)
    assert not is_transaction_conflict(ValueError("40P01"))


def test_one_event_whose_transaction_deadlocks_is_run_again():
    factory = FakeUnitOfWorkFactory(conflicts=1)
    calls = []
    handle_envelope("toy", envelope(1), lambda env, uow: calls.append(env.event_id), factory)
    assert len(calls) == 2 and factory.commits == 2


def test_one_event_that_keeps_deadlocking_raises_as_an_infrastructure_error():
    factory = FakeUnitOfWorkFactory(conflicts=CONFLICT_ATTEMPTS)
    with pytest.raises(sa_exc.OperationalError) as raised:
        handle_envelope("toy", envelope(1), lambda env, uow: None, factory)
    assert factory.commits == CONFLICT_ATTEMPTS
    assert is_infrastructure_error(raised.value)


def consumer_for(factory, handler) -> EventConsumer:
    consumer = EventConsumer(
        amqp_url="amqp://guest:guest@127.0.0.1:1//",
        topology=SimpleNamespace(consumer="toy"),
        registry=HandlerRegistry(),
        uow_factory=factory,
        service="toy",
    )
    # The deliveries carry envelopes: decoding and contracts are not what is tested here.
    consumer._prepare = lambda delivery: (delivery.message, handler)
    return consumer


def test_a_batch_whose_transaction_deadlocks_is_run_again_without_using_retries():
    calls: list[Envelope] = []
    factory = FakeUnitOfWorkFactory(conflicts=1)
    consumer = consumer_for(factory, lambda env, uow: calls.append(env))
    batch = [_Delivery(envelope(n), 0) for n in range(3)]
    outcomes = consumer._process_batch(batch)
    assert [o.kind for o in outcomes] == ["ok", "ok", "ok"]
    assert factory.commits == 2 and len(calls) == 6


def test_a_batch_that_keeps_deadlocking_is_held_not_retried_or_parked():
    factory = FakeUnitOfWorkFactory(conflicts=CONFLICT_ATTEMPTS)
    consumer = consumer_for(factory, lambda env, uow: None)
    outcomes = consumer._process_batch([_Delivery(envelope(n), 0) for n in range(3)])
    # "infra" keeps the messages in order for later without spending their retry budget.
    assert [o.kind for o in outcomes] == ["infra", "infra", "infra"]
    assert factory.commits == CONFLICT_ATTEMPTS


def test_threads_sharing_a_new_database_all_get_a_working_session(tmp_path, monkeypatch):
    """The engine is published only once its session factories exist: a thread that sees it
    while another is still building never gets a half-built Database."""
    database = Database(f"sqlite:///{tmp_path / 'shared.db'}")
    real_sessionmaker = db_module.sessionmaker
    errors: list[BaseException] = []
    racing: list[threading.Thread] = []

    def write_session():
        try:
            database.write_session().close()
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    def sessionmaker(*args, **kwargs):
        if not racing:
            # Another thread asks for a session while this one is half way through building.
            racing.append(threading.Thread(target=write_session))
            racing[0].start()
            racing[0].join(timeout=0.5)
        return real_sessionmaker(*args, **kwargs)

    monkeypatch.setattr(db_module, "sessionmaker", sessionmaker)
    write_session()
    racing[0].join(timeout=10)
    assert not racing[0].is_alive()
    assert not errors, errors
    database.dispose()
