"""The consumer side: archive every event and fan it out into deliveries, in one transaction.

Registered with ``add_pattern("#", ...)`` on the worker's ``gateway.webhooks`` queue, so the
servicekit consumer provides the inbox (each event once), retries and parking. For each event:
the envelope goes into the archive (replays read it), and every active subscription whose
patterns and filter match — and whose owner may read that kind of event — gets a pending
delivery. The active subscriptions are read once per consumed batch (one query), their compiled
patterns and filters are kept per subscription version.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from gateway.webhooks import metrics
from gateway.webhooks import tables as wt
from gateway.webhooks.access import may_receive
from gateway.webhooks.filters import EventFilter, compile_filter
from gateway.webhooks.owners import Owner, load_owners
from gateway.webhooks.patterns import matches_any
from gateway.webhooks.rows import delivery_row, parse_time
from gateway.webhooks.settings import WebhookSettings
from servicekit.consumer import HandlerRegistry
from servicekit.events import Envelope
from servicekit.logging import get_logger
from servicekit.types import utcnow
from servicekit.uow import UnitOfWork

log = get_logger("gateway.webhooks.dispatch")
_INDEX_ATTR = "_mms_webhook_index"


@dataclass(frozen=True)
class Target:
    """An active subscription as the dispatcher needs it."""

    id: str
    patterns: tuple[str, ...]
    filter: EventFilter
    owner: Owner


def _insert_new(session, table):
    """INSERT that leaves an existing row alone (an event archived before, e.g. re-driven from
    the parking queue after the inbox forgot it)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    return insert(table)


class Dispatcher:
    def __init__(
        self,
        settings: WebhookSettings,
        *,
        clock: Callable[[], datetime] = utcnow,
        on_new: Callable[[], None] | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.on_new = on_new
        self._compiled: dict[tuple[str, int], EventFilter] = {}

    def registry(self) -> HandlerRegistry:
        registry = HandlerRegistry()
        registry.add_pattern("#", self.handle)
        return registry

    def _targets(self, uow: UnitOfWork, now: datetime) -> list[Target]:
        cached = getattr(uow, _INDEX_ATTR, None)
        if cached is not None:
            return cached
        s = wt.subscriptions
        rows = uow.session.execute(
            select(
                s.c.id, s.c.version, s.c.event_types, s.c.filters, s.c.owner_kind, s.c.owner_id
            ).where(s.c.active.is_(True))
        ).all()
        owners = load_owners(uow.session, {(r.owner_kind, r.owner_id) for r in rows}, now)
        targets = []
        for row in rows:
            owner = owners[(row.owner_kind, row.owner_id)]
            if owner.problem:
                self._disable(uow, row.id, owner.problem, now)
                continue
            key = (row.id, row.version)
            compiled = self._compiled.get(key)
            if compiled is None:
                if len(self._compiled) > 10_000:
                    self._compiled.clear()
                compiled = self._compiled[key] = compile_filter(row.filters)
            targets.append(Target(row.id, tuple(row.event_types or ()), compiled, owner))
        setattr(uow, _INDEX_ATTR, targets)
        return targets

    def _disable(self, uow: UnitOfWork, subscription_id: str, problem: str, now) -> None:
        s = wt.subscriptions
        uow.session.execute(
            update(s)
            .where(s.c.id == subscription_id, s.c.active.is_(True))
            .values(
                active=False,
                disabled_reason=f"Disabled automatically: {problem}.",
                disabled_at=now,
                disabled_by="system",
                version=s.c.version + 1,
                updated_at=now,
            )
        )
        metrics.DISABLED.labels("owner").inc()
        log.warning("webhook_subscription_disabled", subscription=subscription_id, reason=problem)

    def handle(self, envelope: Envelope, uow: UnitOfWork) -> None:
        """Archive ``envelope`` and create its deliveries (the consumer commits)."""
        now = self.clock()
        occurred_at = parse_time(envelope.occurred_at)
        uow.session.execute(
            _insert_new(uow.session, wt.events).values(
                event_id=envelope.event_id,
                event_type=envelope.event_type,
                version=envelope.version,
                producer=envelope.producer,
                occurred_at=occurred_at,
                received_at=now,
                aggregate_type=envelope.aggregate_type,
                aggregate_id=envelope.aggregate_id,
                aggregate_version=envelope.aggregate_version,
                body=envelope.to_json(),
            )
        )
        document = None
        rows = []
        for target in self._targets(uow, now):
            if not matches_any(target.patterns, envelope.event_type):
                continue
            if not may_receive(target.owner.scopes, envelope.event_type):
                metrics.SKIPPED.labels("not_permitted").inc()
                continue
            if target.filter.conditions:
                if document is None:
                    document = envelope.to_dict()
                if not target.filter.matches(document):
                    continue
            rows.append(
                delivery_row(
                    subscription_id=target.id,
                    event_id=envelope.event_id,
                    event_type=envelope.event_type,
                    occurred_at=occurred_at,
                    producer=envelope.producer,
                    aggregate_type=envelope.aggregate_type,
                    aggregate_id=envelope.aggregate_id,
                    aggregate_version=envelope.aggregate_version,
                    origin="event",
                    now=now,
                    window=self.settings.retry_window,
                )
            )
        if rows:
            uow.session.execute(insert(wt.deliveries), rows)
            metrics.CREATED.labels("event").inc(len(rows))
            if self.on_new is not None:
                uow.after_commit(self.on_new)
