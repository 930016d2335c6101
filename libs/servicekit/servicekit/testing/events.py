"""Build contract envelopes and publish them to a test broker, standing in for a producer."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import kombu

from event_contracts import validate_envelope, validate_event
from servicekit.amqp import connect, events_exchange


def envelope(
    event_type: str,
    data: dict[str, Any],
    *,
    version: int = 1,
    producer: str | None = None,
    occurred_at: datetime | None = None,
    event_id: str | None = None,
    aggregate_id: str | None = None,
    aggregate_version: int | None = None,
) -> dict[str, Any]:
    """A valid envelope for ``event_type`` (its data is checked against the contract)."""
    body = {
        "event_id": event_id or str(uuid.uuid4()),
        "event_type": event_type,
        "version": version,
        "occurred_at": (occurred_at or datetime.now(UTC)).isoformat().replace("+00:00", "Z"),
        "producer": producer or event_type.split(".", 1)[0],
        "correlation_id": str(uuid.uuid4()),
        "causation_id": None,
        "data": data,
    }
    if aggregate_id is not None:
        body["aggregate_id"] = aggregate_id
    if aggregate_version is not None:
        body["aggregate_version"] = aggregate_version
    validate_envelope(body)
    validate_event(event_type, version, data)
    return body


def publish(amqp_url: str, *envelopes: dict[str, Any], exchange: str = "mms.events") -> None:
    """Publish envelopes on the events exchange the way the outbox relay does."""
    with connect(amqp_url) as conn:
        channel = conn.default_channel
        events_exchange(exchange)(channel).declare()
        producer = kombu.Producer(channel)
        for body in envelopes:
            producer.publish(
                json.dumps(body),
                exchange=exchange,
                routing_key=body["event_type"],
                content_type="application/json",
                content_encoding="utf-8",
                message_id=body["event_id"],
                type=body["event_type"],
                delivery_mode=2,
                headers={"correlation_id": body["correlation_id"]},
            )
