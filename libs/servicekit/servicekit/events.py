"""Integration events: what a unit of work writes to the outbox and a consumer receives."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from servicekit.context import current_trace, new_id
from servicekit.jsonutil import isoformat, to_jsonable
from servicekit.types import utcnow


@dataclass(frozen=True)
class OutgoingEvent:
    """A contract event a service publishes: type, contract version and data.

    ``aggregate_*`` name the record the event is about; ``aggregate_version`` lets replicas ignore
    stale events and lets receivers order events per aggregate.
    """

    event_type: str
    data: dict[str, Any]
    version: int = 1
    aggregate_type: str | None = None
    aggregate_id: str | None = None
    aggregate_version: int | None = None


@dataclass(frozen=True)
class Envelope:
    """An event as it travels (DESIGN.md §4)."""

    event_id: str
    event_type: str
    version: int
    occurred_at: str
    producer: str
    correlation_id: str
    causation_id: str | None
    data: dict[str, Any]
    aggregate_type: str | None = None
    aggregate_id: str | None = None
    aggregate_version: int | None = None
    headers: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def new(cls, event: OutgoingEvent, producer: str, *, now: datetime | None = None) -> Envelope:
        trace = current_trace()
        return cls(
            event_id=new_id(),
            event_type=event.event_type,
            version=event.version,
            occurred_at=isoformat(now or utcnow()),
            producer=producer,
            correlation_id=trace.correlation_id,
            causation_id=trace.causation_id or trace.request_id,
            data=to_jsonable(event.data),
            aggregate_type=event.aggregate_type,
            aggregate_id=event.aggregate_id,
            aggregate_version=event.aggregate_version,
            headers={"traceparent": trace.traceparent} if trace.traceparent else {},
        )

    def to_dict(self) -> dict[str, Any]:
        body = {
            "event_id": self.event_id,
            "event_type": self.event_type,
            "version": self.version,
            "occurred_at": self.occurred_at,
            "producer": self.producer,
            "correlation_id": self.correlation_id,
            "causation_id": self.causation_id,
            "data": self.data,
        }
        if self.aggregate_type is not None:
            body["aggregate_type"] = self.aggregate_type
        if self.aggregate_id is not None:
            body["aggregate_id"] = self.aggregate_id
        if self.aggregate_version is not None:
            body["aggregate_version"] = self.aggregate_version
        return body

    @classmethod
    def from_dict(cls, body: dict[str, Any], headers: dict[str, Any] | None = None) -> Envelope:
        return cls(
            event_id=body["event_id"],
            event_type=body["event_type"],
            version=body["version"],
            occurred_at=body["occurred_at"],
            producer=body["producer"],
            correlation_id=body["correlation_id"],
            causation_id=body.get("causation_id"),
            data=body["data"],
            aggregate_type=body.get("aggregate_type"),
            aggregate_id=body.get("aggregate_id"),
            aggregate_version=body.get("aggregate_version"),
            headers=dict(headers or {}),
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False)
