"""Subscriptions and their delivery log, as the API reads and changes them (blocking; the API
runs these in its thread pool). Only the unit of work commits."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from gateway.webhooks import tables as wt
from gateway.webhooks.access import may_receive
from gateway.webhooks.filters import compile_filter
from gateway.webhooks.model import (
    Subscription,
    attempt_public,
    delivery_public,
)
from gateway.webhooks.patterns import matches_any
from gateway.webhooks.rows import delivery_row
from servicekit.db import Database
from servicekit.errors import ApiError, Conflict, NotFound, PreconditionFailed
from servicekit.pagination import Page, SortKey, keyset_page
from servicekit.types import utcnow
from servicekit.uow import UnitOfWorkFactory

SUBSCRIPTION_SORT = SortKey(
    "-created_at",
    (wt.subscriptions.c.created_at, wt.subscriptions.c.id),
    descending=True,
)
DELIVERY_SORT = SortKey("-seq", (wt.deliveries.c.seq,), descending=True)
ATTEMPT_SORT = SortKey("number", (wt.attempts.c.number,))
REPLAY_CHUNK = 1000


@dataclass(frozen=True)
class Owner:
    kind: str
    id: str
    name: str | None


def _conflict_version(found: int, expected: int) -> PreconditionFailed:
    return PreconditionFailed(
        f"The subscription is at version {found}, you read version {expected}; fetch it again."
    )


class WebhookStore:
    def __init__(
        self, db: Database, *, retry_window: float, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.db = db
        self.uow = UnitOfWorkFactory(db, "gateway")
        self.retry_window = retry_window
        self.clock = clock

    # -- subscriptions ----------------------------------------------------------------------

    def get(self, subscription_id: str) -> Subscription | None:
        s = wt.subscriptions
        with self.db.session() as session:
            row = session.execute(select(s).where(s.c.id == subscription_id)).first()
        return Subscription.from_row(row) if row else None

    def count_owned(self, owner: Owner) -> int:
        s = wt.subscriptions
        with self.db.session() as session:
            return session.execute(
                select(func.count())
                .select_from(s)
                .where(s.c.owner_kind == owner.kind, s.c.owner_id == owner.id)
            ).scalar_one()

    def create(
        self,
        *,
        subscription_id: str,
        owner: Owner,
        url: str,
        description: str | None,
        event_types: list[str],
        filters: dict[str, Any],
        active: bool,
        ordered: bool,
        secret_ciphertext: str,
        secret_hint: str,
        limit: int,
    ) -> Subscription:
        now = self.clock()
        s = wt.subscriptions
        with self.uow() as uow:
            owned = uow.session.execute(
                select(func.count())
                .select_from(s)
                .where(s.c.owner_kind == owner.kind, s.c.owner_id == owner.id)
            ).scalar_one()
            if owned >= limit:
                raise Conflict(
                    f"You have {owned} subscriptions, the most one owner may have; delete one "
                    "or widen an existing one's patterns.",
                    code="too_many_subscriptions",
                )
            uow.session.execute(
                insert(s).values(
                    id=subscription_id,
                    owner_kind=owner.kind,
                    owner_id=owner.id,
                    owner_name=owner.name,
                    url=url,
                    description=description,
                    event_types=event_types,
                    filters=filters,
                    active=active,
                    ordered=ordered,
                    secret=secret_ciphertext,
                    secret_hint=secret_hint,
                    disabled_reason=None if active else "Created disabled.",
                    disabled_at=None if active else now,
                    disabled_by=None if active else "owner",
                    consecutive_failures=0,
                    version=1,
                    created_at=now,
                    updated_at=now,
                )
            )
            uow.commit()
        return self.get(subscription_id)

    def list(
        self,
        *,
        owner: Owner | None,
        limit: int,
        cursor: str | None,
        active: bool | None = None,
        owner_filter: tuple[str, str] | None = None,
    ) -> Page:
        s = wt.subscriptions
        statement = select(s)
        if owner is not None:
            statement = statement.where(s.c.owner_kind == owner.kind, s.c.owner_id == owner.id)
        if owner_filter is not None:
            statement = statement.where(
                s.c.owner_kind == owner_filter[0], s.c.owner_id == owner_filter[1]
            )
        if active is not None:
            statement = statement.where(s.c.active.is_(active))
        with self.db.session() as session:
            page = keyset_page(
                session,
                statement,
                SUBSCRIPTION_SORT,
                limit=limit,
                cursor=cursor,
                row_key=lambda r: (r.created_at, r.id),
                scalars=False,
            )
        page.items = [Subscription.from_row(r) for r in page.items]
        return page

    def _locked(self, session, subscription_id: str):
        s = wt.subscriptions
        statement = select(s).where(s.c.id == subscription_id)
        if self.db.is_postgres:
            statement = statement.with_for_update()
        row = session.execute(statement).first()
        if row is None:
            raise NotFound(f"no webhook subscription {subscription_id}")
        return Subscription.from_row(row)

    def update(
        self, subscription_id: str, changes: dict[str, Any], expected_version: int
    ) -> Subscription:
        s = wt.subscriptions
        with self.uow() as uow:
            current = self._locked(uow.session, subscription_id)
            if current.version != expected_version:
                raise _conflict_version(current.version, expected_version)
            values = {k: v for k, v in changes.items() if getattr(current, k) != v}
            if "event_types" in values and tuple(values["event_types"]) == current.event_types:
                values.pop("event_types")
            if values:
                values.update(version=current.version + 1, updated_at=self.clock())
                uow.session.execute(
                    update(s)
                    .where(s.c.id == subscription_id, s.c.version == current.version)
                    .values(**values)
                )
                uow.commit()
        return self.get(subscription_id)

    def set_active(
        self,
        subscription_id: str,
        active: bool,
        *,
        by: str,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> Subscription:
        """Enable (resets the health counters) or disable by hand."""
        s = wt.subscriptions
        now = self.clock()
        with self.uow() as uow:
            current = self._locked(uow.session, subscription_id)
            if expected_version is not None and current.version != expected_version:
                raise _conflict_version(current.version, expected_version)
            if current.active == active:
                return current
            if active:
                values = dict(
                    active=True,
                    disabled_reason=None,
                    disabled_at=None,
                    disabled_by=None,
                    consecutive_failures=0,
                    failing_since=None,
                )
            else:
                values = dict(
                    active=False,
                    disabled_reason=reason or "Disabled by its owner or an administrator.",
                    disabled_at=now,
                    disabled_by=by,
                )
            uow.session.execute(
                update(s)
                .where(s.c.id == subscription_id)
                .values(**values, version=current.version + 1, updated_at=now)
            )
            uow.commit()
        return self.get(subscription_id)

    def rotate_secret(
        self,
        subscription_id: str,
        *,
        new_ciphertext: str,
        hint: str,
        overlap_seconds: float,
        expected_version: int | None,
    ) -> Subscription:
        """The new secret signs from now on; the old one also signs for ``overlap_seconds``."""
        s = wt.subscriptions
        now = self.clock()
        with self.uow() as uow:
            current = self._locked(uow.session, subscription_id)
            if expected_version is not None and current.version != expected_version:
                raise _conflict_version(current.version, expected_version)
            uow.session.execute(
                update(s)
                .where(s.c.id == subscription_id)
                .values(
                    secret=new_ciphertext,
                    secret_hint=hint,
                    previous_secret=current.secret if overlap_seconds > 0 else None,
                    previous_secret_expires_at=(
                        now + timedelta(seconds=overlap_seconds) if overlap_seconds > 0 else None
                    ),
                    secret_rotated_at=now,
                    version=current.version + 1,
                    updated_at=now,
                )
            )
            uow.commit()
        return self.get(subscription_id)

    def delete(self, subscription_id: str, expected_version: int | None) -> None:
        """The subscription, its deliveries and their attempts.

        Deliveries go first and the subscription last, the order the delivery engine locks
        them in, so that a delete racing a recording cannot deadlock.
        """
        for _attempt in range(3):
            try:
                self._delete(subscription_id, expected_version)
                return
            except IntegrityError:
                continue  # an event's delivery was created meanwhile: delete it too
        raise Conflict(
            "Deliveries keep arriving for this subscription; disable it, then delete it.",
            code="concurrent_modification",
        )

    def _delete(self, subscription_id: str, expected_version: int | None) -> None:
        s, d, a = wt.subscriptions, wt.deliveries, wt.attempts
        with self.uow() as uow:
            current = uow.session.execute(
                select(s.c.version).where(s.c.id == subscription_id)
            ).scalar_one_or_none()
            if current is None:
                raise NotFound(f"no webhook subscription {subscription_id}")
            if expected_version is not None and current != expected_version:
                raise _conflict_version(current, expected_version)
            uow.session.execute(delete(a).where(a.c.subscription_id == subscription_id))
            uow.session.execute(delete(d).where(d.c.subscription_id == subscription_id))
            gone = uow.session.execute(
                delete(s).where(s.c.id == subscription_id, s.c.version == current)
            ).rowcount
            if gone != 1:
                raise Conflict(
                    "The subscription changed while it was being deleted; fetch it and retry.",
                    code="concurrent_modification",
                )
            uow.commit()

    # -- delivery log -----------------------------------------------------------------------

    def deliveries(
        self,
        subscription_id: str,
        *,
        limit: int,
        cursor: str | None,
        status: str | None = None,
        event_type: str | None = None,
        origin: str | None = None,
        replay_id: str | None = None,
        event_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Page:
        d = wt.deliveries
        statement = select(d).where(d.c.subscription_id == subscription_id)
        for column, value in (
            (d.c.status, status),
            (d.c.event_type, event_type),
            (d.c.origin, origin),
            (d.c.replay_id, replay_id),
            (d.c.event_id, event_id),
        ):
            if value is not None:
                statement = statement.where(column == value)
        if since is not None:
            statement = statement.where(d.c.created_at >= since)
        if until is not None:
            statement = statement.where(d.c.created_at < until)
        with self.db.session() as session:
            page = keyset_page(
                session,
                statement,
                DELIVERY_SORT,
                limit=limit,
                cursor=cursor,
                row_key=lambda r: (r.seq,),
                scalars=False,
            )
        page.items = [delivery_public(r) for r in page.items]
        return page

    def delivery(self, subscription_id: str, delivery_id: str, attempts: int = 50) -> dict:
        d, a = wt.deliveries, wt.attempts
        with self.db.session() as session:
            row = session.execute(
                select(d).where(d.c.id == delivery_id, d.c.subscription_id == subscription_id)
            ).first()
            if row is None:
                raise NotFound(f"no delivery {delivery_id} for this subscription")
            latest = session.execute(
                select(a)
                .where(a.c.delivery_id == delivery_id)
                .order_by(a.c.number.desc())
                .limit(attempts)
            ).all()
        out = delivery_public(row)
        out["attempt_log"] = [attempt_public(r) for r in reversed(latest)]
        return out

    def attempts(
        self, subscription_id: str, delivery_id: str, *, limit: int, cursor: str | None
    ) -> Page:
        self.delivery(subscription_id, delivery_id, attempts=0)  # 404 unless it is theirs
        a = wt.attempts
        with self.db.session() as session:
            page = keyset_page(
                session,
                select(a).where(a.c.delivery_id == delivery_id),
                ATTEMPT_SORT,
                limit=limit,
                cursor=cursor,
                row_key=lambda r: (r.number,),
                scalars=False,
            )
        page.items = [attempt_public(r) for r in page.items]
        return page

    # -- redelivery, replay, ping -----------------------------------------------------------

    def redeliver(self, subscription: Subscription, delivery_id: str, by: str) -> dict:
        d, e = wt.deliveries, wt.events
        now = self.clock()
        with self.uow() as uow:
            row = uow.session.execute(
                select(d).where(d.c.id == delivery_id, d.c.subscription_id == subscription.id)
            ).first()
            if row is None:
                raise NotFound(f"no delivery {delivery_id} for this subscription")
            if row.origin == "ping":
                raise Conflict(
                    "Pings are not redelivered; send a new one.", code="ping_not_redelivered"
                )
            event = uow.session.execute(select(e).where(e.c.event_id == row.event_id)).first()
            if event is None:
                raise Conflict(
                    "The event is no longer in the archive (kept for a limited time).",
                    code="event_not_archived",
                )
            values = _delivery_from_event(
                subscription.id, event, "redelivery", now, self.retry_window, None, by
            )
            uow.session.execute(insert(d).values(**values))
            uow.commit()
        return self.delivery(subscription.id, values["id"])

    def count_archived(self, since: datetime, until: datetime) -> int:
        e = wt.events
        with self.db.session() as session:
            return session.execute(
                select(func.count())
                .select_from(e)
                .where(e.c.occurred_at >= since, e.c.occurred_at < until)
            ).scalar_one()

    def replay(
        self,
        subscription: Subscription,
        *,
        patterns: list[str],
        since: datetime,
        until: datetime,
        apply_filters: bool,
        owner_scopes: frozenset[str],
        max_events: int,
        by: str,
    ) -> dict:
        """One new delivery per archived event in ``[since, until)`` that matches, oldest first.

        Refused (422) when more than ``max_events`` match: replays are bounded so that one
        request cannot flood a receiver or the delivery queue.
        """
        e, d = wt.events, wt.deliveries
        event_filter = compile_filter(subscription.filters if apply_filters else None)
        replay_id = str(uuid.uuid4())
        now = self.clock()
        matched: list[Any] = []
        scanned = skipped = 0
        # Scan on a read session; only the inserts take the write lock.
        with self.db.session() as session:
            last = None
            while True:
                statement = (
                    select(e)
                    .where(e.c.occurred_at >= since, e.c.occurred_at < until)
                    .order_by(e.c.occurred_at, e.c.event_id)
                    .limit(REPLAY_CHUNK)
                )
                if last is not None:
                    statement = statement.where(
                        (e.c.occurred_at > last[0])
                        | ((e.c.occurred_at == last[0]) & (e.c.event_id > last[1]))
                    )
                rows = session.execute(statement).all()
                for row in rows:
                    scanned += 1
                    if not matches_any(patterns, row.event_type):
                        continue
                    if not may_receive(owner_scopes, row.event_type):
                        skipped += 1
                        continue
                    if event_filter.conditions and not event_filter.matches(json.loads(row.body)):
                        continue
                    matched.append(row)
                    if len(matched) > max_events:
                        raise ApiError(
                            f"More than {max_events} archived events match; narrow the time "
                            "range or the event types and replay in parts.",
                            status=422,
                            code="replay_too_large",
                            details={"max_events": max_events},
                        )
                if len(rows) < REPLAY_CHUNK:
                    break
                last = (rows[-1].occurred_at, rows[-1].event_id)
        values = [
            _delivery_from_event(
                subscription.id, row, "replay", now, self.retry_window, replay_id, by
            )
            for row in matched
        ]
        with self.uow() as uow:
            self._locked(uow.session, subscription.id)  # 404 if deleted meanwhile
            for start in range(0, len(values), REPLAY_CHUNK):
                uow.session.execute(insert(d), values[start : start + REPLAY_CHUNK])
            uow.commit()
        return {
            "replay_id": replay_id,
            "deliveries_created": len(values),
            "events_scanned": scanned,
            "events_not_permitted": skipped,
            "since": since,
            "until": until,
            "event_types": patterns,
            "filters_applied": apply_filters,
        }

    def record_ping(
        self,
        subscription: Subscription,
        *,
        delivery_id: str,
        event_id: str,
        occurred_at: datetime,
        status: str,
        attempt: dict[str, Any],
        by: str,
    ) -> dict:
        d, a = wt.deliveries, wt.attempts
        now = self.clock()
        with self.uow() as uow:
            uow.session.execute(
                insert(d).values(
                    id=delivery_id,
                    subscription_id=subscription.id,
                    event_id=event_id,
                    event_type="gateway.webhook.pinged",
                    occurred_at=occurred_at,
                    ordering_key=None,
                    aggregate_version=None,
                    origin="ping",
                    requested_by=by,
                    status=status,
                    attempts=1,
                    next_attempt_at=None,
                    deadline_at=now,
                    last_status_code=attempt["status_code"],
                    last_error=(attempt["error"] or "")[:500] or None,
                    created_at=occurred_at,
                    updated_at=now,
                    completed_at=now,
                )
            )
            uow.session.execute(
                insert(a).values(
                    delivery_id=delivery_id, subscription_id=subscription.id, number=1, **attempt
                )
            )
            uow.commit()
        return self.delivery(subscription.id, delivery_id)

    def pending_count(self, subscription_id: str) -> int:
        d = wt.deliveries
        with self.db.session() as session:
            return session.execute(
                select(func.count())
                .select_from(d)
                .where(d.c.subscription_id == subscription_id, d.c.status == wt.IS_PENDING)
            ).scalar_one()


def _delivery_from_event(
    subscription_id: str,
    event,
    origin: str,
    now: datetime,
    window: float,
    replay_id: str | None,
    requested_by: str | None,
) -> dict[str, Any]:
    return delivery_row(
        subscription_id=subscription_id,
        event_id=event.event_id,
        event_type=event.event_type,
        occurred_at=event.occurred_at,
        producer=event.producer,
        aggregate_type=event.aggregate_type,
        aggregate_id=event.aggregate_id,
        aggregate_version=event.aggregate_version,
        origin=origin,
        now=now,
        window=window,
        replay_id=replay_id,
        requested_by=requested_by,
    )
