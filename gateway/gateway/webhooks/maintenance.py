"""Periodic upkeep (scheduler jobs of the gateway worker) and the re-encryption command."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select, update

from gateway.webhooks import tables as wt
from gateway.webhooks.model import PENDING
from gateway.webhooks.secretbox import SecretBox
from gateway.webhooks.settings import WebhookSettings
from servicekit.db import Database
from servicekit.scheduler import Job
from servicekit.types import utcnow
from servicekit.uow import UnitOfWorkFactory

BATCH = 5000


def purge(db: Database, settings: WebhookSettings, now: datetime | None = None) -> dict[str, int]:
    """Drop finished deliveries (and their attempts) and archived events past retention.

    Works in batches so that no transaction holds SQLite's write lock for long. Archived events
    that a pending delivery still needs are kept.
    """
    now = now or utcnow()
    uow = UnitOfWorkFactory(db, "gateway")
    d, a, e, s = wt.deliveries, wt.attempts, wt.events, wt.subscriptions
    counts = {"deliveries": 0, "attempts": 0, "events": 0, "previous_secrets": 0}
    delivery_cutoff = now - timedelta(days=settings.delivery_retention_days)
    while True:
        with uow() as unit:
            rows = unit.session.execute(
                select(d.c.seq, d.c.id)
                .where(d.c.status != PENDING, d.c.completed_at < delivery_cutoff)
                .limit(BATCH)
            ).all()
            if not rows:
                break
            ids = [r.id for r in rows]
            counts["attempts"] += unit.session.execute(
                delete(a).where(a.c.delivery_id.in_(ids))
            ).rowcount
            counts["deliveries"] += unit.session.execute(
                delete(d).where(d.c.seq.in_([r.seq for r in rows]))
            ).rowcount
            unit.commit()
        if len(rows) < BATCH:
            break
    event_cutoff = now - timedelta(days=settings.archive_days)
    needed = exists().where(d.c.event_id == e.c.event_id, d.c.status == wt.IS_PENDING)
    while True:
        with uow() as unit:
            ids = (
                unit.session.execute(
                    select(e.c.event_id).where(e.c.received_at < event_cutoff, ~needed).limit(BATCH)
                )
                .scalars()
                .all()
            )
            if not ids:
                break
            counts["events"] += unit.session.execute(
                delete(e).where(e.c.event_id.in_(ids))
            ).rowcount
            unit.commit()
        if len(ids) < BATCH:
            break
    with uow() as unit:
        # The previous secret's overlap is over: stop keeping it at all.
        counts["previous_secrets"] = unit.session.execute(
            update(s)
            .where(s.c.previous_secret.is_not(None), s.c.previous_secret_expires_at <= now)
            .values(previous_secret=None, previous_secret_expires_at=None)
        ).rowcount
        unit.commit()
    return counts


def rekey(db: Database, box: SecretBox) -> int:
    """Re-encrypt every stored secret with the primary key; the number of rows changed."""
    uow = UnitOfWorkFactory(db, "gateway")
    s = wt.subscriptions
    changed = 0
    with uow() as unit:
        rows = unit.session.execute(select(s.c.id, s.c.secret, s.c.previous_secret)).all()
        for row in rows:
            values = {}
            if not box.is_current(row.secret):
                values["secret"] = box.encrypt(box.decrypt(row.secret, row.id), row.id)
            if row.previous_secret and not box.is_current(row.previous_secret):
                values["previous_secret"] = box.encrypt(
                    box.decrypt(row.previous_secret, row.id), row.id
                )
            if values:
                unit.session.execute(update(s).where(s.c.id == row.id).values(**values))
                changed += 1
        unit.commit()
    return changed


def jobs(db: Database, settings: WebhookSettings, clock: Callable[[], datetime] = utcnow):
    return [Job("purge-webhooks", 3600, lambda: purge(db, settings, clock()), lease=1800)]
