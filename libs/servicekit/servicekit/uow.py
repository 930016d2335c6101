"""The unit of work: one transaction, the only place that commits.

A use case opens a unit of work, changes aggregates through its repositories and calls
``commit()``. On commit the unit of work pulls the domain events every touched aggregate recorded
(plus any added with :meth:`UnitOfWork.add_event`), turns them into contract events with the
service's ``to_integration`` function, checks them against their contracts and writes them to the
outbox in the same transaction as the state change. Nothing talks to the broker here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from event_contracts import validate_event
from servicekit import tables
from servicekit.db import Database
from servicekit.events import Envelope, OutgoingEvent
from servicekit.jsonutil import dumps
from servicekit.types import utcnow

ToIntegration = Callable[[Any], "OutgoingEvent | Iterable[OutgoingEvent] | None"]

# Set by the Idempotency-Key helper for the current request: the first commit records the key in
# the same transaction as the effect, so a crash can never leave one without the other.
pending_idempotency: ContextVar[dict | None] = ContextVar("mms_pending_idempotency", default=None)


class DuplicateEvent(Exception):
    """The consumer already handled this event (inbox hit)."""


class UnitOfWork:
    """Context manager around one write transaction.

    Leaving the block without ``commit()`` rolls back. Repositories named in ``repositories`` are
    built on the session as attributes when the block starts.
    """

    def __init__(
        self,
        db: Database,
        producer: str,
        to_integration: ToIntegration | None = None,
        repositories: dict[str, Callable[[Session], Any]] | None = None,
    ) -> None:
        self.db = db
        self.producer = producer
        self._to_integration = to_integration
        self._repositories = repositories or {}
        self._explicit: list[tuple[int, Any]] = []
        self._after_commit: list[Callable[[], None]] = []
        self._staged: list[Envelope] = []
        self.session: Session | None = None
        self.published: list[Envelope] = []

    def __enter__(self) -> UnitOfWork:
        self.session = self.db.write_session()
        self._explicit = []
        self._after_commit = []
        self._staged = []
        self.published = []
        for name, factory in self._repositories.items():
            setattr(self, name, factory(self.session))
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if self.session.in_transaction():
                self.session.rollback()
        finally:
            self.session.close()

    # -- events -----------------------------------------------------------------------------

    def add_event(self, event: Any) -> None:
        """Queue a domain event that no aggregate recorded (e.g. a bulk operation's summary)."""
        self._explicit.append((len(self._explicit) - 10**9, event))

    def add_outgoing(self, event: OutgoingEvent) -> None:
        """Queue a contract event directly, bypassing ``to_integration``."""
        self._explicit.append((len(self._explicit) - 10**9, event))

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the transaction has committed (never if it rolls back)."""
        self._after_commit.append(callback)

    def _collect(self) -> list[Any]:
        recorded = list(self._explicit)
        self._explicit = []
        seen: set[int] = set()
        tracked = [*self.session.new, *self.session.identity_map.values()]
        for name in self._repositories:
            # Repositories that map aggregates by hand (Core) list them in ``seen``.
            tracked.extend(getattr(getattr(self, name), "seen", {}).values())
        for obj in tracked:
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            pull = getattr(obj, "pull_events", None)
            if pull is not None:
                recorded.extend(pull())
        recorded.sort(key=lambda item: item[0])
        return [event for _, event in recorded]

    def _to_outgoing(self, event: Any) -> list[OutgoingEvent]:
        if isinstance(event, OutgoingEvent):
            return [event]
        if self._to_integration is None:
            raise TypeError(f"no to_integration function to publish {type(event).__name__}")
        result = self._to_integration(event)
        if result is None:
            return []
        if isinstance(result, OutgoingEvent):
            return [result]
        return list(result)

    def _write_outbox(self, envelopes: list[Envelope]) -> None:
        if not envelopes:
            return
        now = utcnow()
        self.session.execute(
            insert(tables.outbox),
            [
                {
                    "event_id": env.event_id,
                    "event_type": env.event_type,
                    "payload": env.to_json(),
                    "headers": dumps({**env.headers, "correlation_id": env.correlation_id}),
                    "created_at": now,
                    "attempts": 0,
                }
                for env in envelopes
            ],
        )

    # -- inbox ------------------------------------------------------------------------------

    def claim_inbox(self, consumer: str, envelope: Envelope) -> None:
        """Record that ``consumer`` handles ``envelope``; raise DuplicateEvent if it already did."""
        try:
            with self.session.begin_nested():
                self.session.execute(
                    insert(tables.inbox).values(
                        consumer=consumer,
                        event_id=envelope.event_id,
                        event_type=envelope.event_type,
                        received_at=utcnow(),
                    )
                )
        except IntegrityError:
            raise DuplicateEvent(envelope.event_id) from None

    def claim_inbox_batch(self, consumer: str, envelopes: list[Envelope]) -> set[str]:
        """Record a batch in the inbox with two statements; return the ids already handled.

        A concurrent consumer claiming one of the same events makes the commit fail on the
        primary key, and the caller falls back to claiming one by one.
        """
        ids = [e.event_id for e in envelopes]
        handled = set(
            self.session.execute(
                select(tables.inbox.c.event_id).where(
                    tables.inbox.c.consumer == consumer, tables.inbox.c.event_id.in_(ids)
                )
            ).scalars()
        )
        fresh: dict[str, Envelope] = {}
        for envelope in envelopes:
            if envelope.event_id not in handled and envelope.event_id not in fresh:
                fresh[envelope.event_id] = envelope
        if fresh:
            now = utcnow()
            self.session.execute(
                insert(tables.inbox),
                [
                    {
                        "consumer": consumer,
                        "event_id": e.event_id,
                        "event_type": e.event_type,
                        "received_at": now,
                    }
                    # In id order: consumers claiming overlapping redeliveries at once then
                    # wait for each other's rows in one order, never in a cycle.
                    for e in sorted(fresh.values(), key=lambda e: e.event_id)
                ],
            )
        return handled

    # -- commit -----------------------------------------------------------------------------

    def flush(self) -> None:
        self.session.flush()

    def stage_events(self) -> None:
        """Turn the events collected so far into envelopes under the current trace.

        ``commit`` does this itself; a consumer handling a batch of messages in one transaction
        calls it after each message so every event carries the trace of the message it came
        from.
        """
        self.session.flush()
        for event in self._collect():
            for outgoing in self._to_outgoing(event):
                envelope = Envelope.new(outgoing, self.producer)
                # Checked in JSON form: exactly what consumers will receive.
                validate_event(envelope.event_type, envelope.version, envelope.data)
                self._staged.append(envelope)

    def commit(self) -> list[Envelope]:
        """Write outbox rows for every collected event and commit; return the envelopes."""
        self.stage_events()
        envelopes, self._staged = self._staged, []
        self._write_outbox(envelopes)
        self._record_idempotency()
        self.session.commit()
        self.published.extend(envelopes)
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()
        return envelopes

    def rollback(self) -> None:
        self.session.rollback()
        self._explicit = []
        self._staged = []

    def _record_idempotency(self) -> None:
        pending = pending_idempotency.get()
        if not pending or pending.get("recorded"):
            return
        self.session.execute(
            insert(tables.idempotency_keys).values(
                principal=pending["principal"],
                key=pending["key"],
                fingerprint=pending["fingerprint"],
                created_at=utcnow(),
            )
        )
        pending["recorded"] = True


class UnitOfWorkFactory:
    """Builds units of work for one service: ``with uow_factory() as uow: ...``."""

    def __init__(
        self,
        db: Database,
        producer: str,
        to_integration: ToIntegration | None = None,
        repositories: dict[str, Callable[[Session], Any]] | None = None,
    ) -> None:
        self.db = db
        self.producer = producer
        self.to_integration = to_integration
        self.repositories = repositories or {}

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self.db, self.producer, self.to_integration, self.repositories)
