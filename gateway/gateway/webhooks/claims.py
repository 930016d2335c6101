"""Claiming due deliveries: which pending deliveries may go now, leased to one engine.

A delivery may go when it is due, its lease (if any) has expired, its subscription is active,
and — when the subscription is ordered — no earlier delivery of the same aggregate is pending.
"Earlier" is the lower aggregate version when both carry one, else the lower ``seq`` (created
first). At most ``per_subscription`` leases are held per subscription (across workers).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, exists, func, or_, select, update

from gateway.webhooks import tables as wt
from gateway.webhooks.tables import IS_PENDING


def _blocked(d):
    earlier = wt.deliveries.alias("earlier")
    return exists().where(
        earlier.c.subscription_id == d.c.subscription_id,
        earlier.c.ordering_key == d.c.ordering_key,
        earlier.c.status == IS_PENDING,
        earlier.c.seq != d.c.seq,
        or_(
            and_(
                earlier.c.aggregate_version.is_not(None),
                d.c.aggregate_version.is_not(None),
                earlier.c.aggregate_version < d.c.aggregate_version,
            ),
            and_(
                or_(
                    earlier.c.aggregate_version.is_(None),
                    d.c.aggregate_version.is_(None),
                    earlier.c.aggregate_version == d.c.aggregate_version,
                ),
                earlier.c.seq < d.c.seq,
            ),
        ),
    )


def claim_rows(
    session,
    *,
    now: datetime,
    limit: int,
    lease_until: datetime,
    owner: str,
    per_subscription: int,
    postgres: bool,
) -> list:
    """Lease up to ``limit`` deliveries; their rows with subscription and archived event."""
    d, s, e = wt.deliveries, wt.subscriptions, wt.events
    # Driven by the partial index of pending deliveries in due order, so the LIMIT stops the
    # scan early. Correlated EXISTS rather than IN: the planner must not start from the
    # subscriptions and walk their whole delivery history.
    active = exists().where(s.c.id == d.c.subscription_id, s.c.active.is_(True))
    unordered = exists().where(s.c.id == d.c.subscription_id, s.c.ordered.is_(False))
    statement = (
        select(d.c.seq, d.c.subscription_id)
        .where(
            d.c.status == IS_PENDING,
            d.c.next_attempt_at <= now,
            or_(d.c.lease_until.is_(None), d.c.lease_until < now),
            active,
            or_(d.c.ordering_key.is_(None), unordered, ~_blocked(d)),
        )
        .order_by(d.c.next_attempt_at, d.c.seq)
        .limit(limit * 4)
    )
    if postgres:
        statement = statement.with_for_update(of=d, skip_locked=True)
    candidates = session.execute(statement).all()
    if not candidates:
        return []
    busy = dict(
        session.execute(
            select(d.c.subscription_id, func.count())
            .where(
                d.c.status == IS_PENDING,
                d.c.subscription_id.in_({c.subscription_id for c in candidates}),
                d.c.lease_until >= now,
            )
            .group_by(d.c.subscription_id)
        ).all()
    )
    chosen = []
    for candidate in candidates:
        taken = busy.get(candidate.subscription_id, 0)
        if taken >= per_subscription:
            continue
        busy[candidate.subscription_id] = taken + 1
        chosen.append(candidate.seq)
        if len(chosen) == limit:
            break
    if not chosen:
        return []
    session.execute(
        update(d).where(d.c.seq.in_(chosen)).values(lease_until=lease_until, lease_owner=owner)
    )
    return session.execute(
        select(
            d.c.seq,
            d.c.id,
            d.c.subscription_id,
            d.c.event_id,
            d.c.event_type,
            d.c.occurred_at,
            d.c.origin,
            d.c.attempts,
            d.c.deadline_at,
            s.c.url,
            s.c.secret,
            s.c.previous_secret,
            s.c.previous_secret_expires_at,
            s.c.version.label("sub_version"),
            e.c.body,
        )
        .join(s, s.c.id == d.c.subscription_id)
        .outerjoin(e, e.c.event_id == d.c.event_id)
        .where(d.c.seq.in_(chosen))
        .order_by(d.c.seq)
    ).all()
