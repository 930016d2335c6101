"""Building delivery rows, shared by the dispatcher, replays and redeliveries."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from gateway.webhooks.model import PENDING


def ordering_key(producer: str | None, aggregate_type: str | None, aggregate_id: str | None):
    """Deliveries with the same key (per subscription) go out in event order; None: unordered.

    The producer is part of the key: two services may both speak of a ``customer`` with their
    own version counters.
    """
    if not aggregate_id:
        return None
    return f"{producer or ''}:{aggregate_type or ''}:{aggregate_id}"[:260]


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def delivery_row(
    *,
    subscription_id: str,
    event_id: str,
    event_type: str,
    occurred_at: datetime,
    producer: str | None,
    aggregate_type: str | None,
    aggregate_id: str | None,
    aggregate_version: int | None,
    origin: str,
    now: datetime,
    window: float,
    replay_id: str | None = None,
    requested_by: str | None = None,
) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "subscription_id": subscription_id,
        "event_id": event_id,
        "event_type": event_type,
        "occurred_at": occurred_at,
        "ordering_key": ordering_key(producer, aggregate_type, aggregate_id),
        "aggregate_version": aggregate_version,
        "origin": origin,
        "replay_id": replay_id,
        "requested_by": requested_by,
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "deadline_at": now + timedelta(seconds=window),
        "created_at": now,
        "updated_at": now,
    }
