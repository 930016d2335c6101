"""Subscriptions, deliveries and attempts as plain records, with their public shapes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

PENDING, SUCCEEDED, FAILED, DEAD = "pending", "succeeded", "failed", "dead"
STATUSES = (PENDING, SUCCEEDED, FAILED, DEAD)
ORIGINS = ("event", "replay", "redelivery", "ping")
OWNER_KINDS = ("user", "api_key")


@dataclass(frozen=True)
class Subscription:
    id: str
    owner_kind: str
    owner_id: str
    owner_name: str | None
    url: str
    description: str | None
    event_types: tuple[str, ...]
    filters: dict[str, Any]
    active: bool
    ordered: bool
    secret: str  # ciphertext
    secret_hint: str
    previous_secret: str | None  # ciphertext
    previous_secret_expires_at: datetime | None
    secret_rotated_at: datetime | None
    disabled_reason: str | None
    disabled_at: datetime | None
    disabled_by: str | None
    consecutive_failures: int
    failing_since: datetime | None
    last_success_at: datetime | None
    last_failure_at: datetime | None
    last_failure_reason: str | None
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row) -> Subscription:
        m = row._mapping
        return cls(
            **{
                name: m[name]
                for name in cls.__dataclass_fields__
                if name not in ("event_types", "filters")
            },
            event_types=tuple(m["event_types"] or ()),
            filters=dict(m["filters"] or {}),
        )

    @property
    def owner_subject(self) -> str:
        return f"{'user' if self.owner_kind == 'user' else 'key'}:{self.owner_id}"

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "description": self.description,
            "event_types": list(self.event_types),
            "filters": self.filters,
            "active": self.active,
            "ordered": self.ordered,
            "owner": {"kind": self.owner_kind, "id": self.owner_id, "name": self.owner_name},
            "secret_hint": self.secret_hint,
            "secret_rotated_at": self.secret_rotated_at,
            "previous_secret_expires_at": self.previous_secret_expires_at,
            "disabled_reason": self.disabled_reason,
            "disabled_at": self.disabled_at,
            "disabled_by": self.disabled_by,
            "health": {
                "consecutive_failures": self.consecutive_failures,
                "failing_since": self.failing_since,
                "last_success_at": self.last_success_at,
                "last_failure_at": self.last_failure_at,
                "last_failure_reason": self.last_failure_reason,
            },
            "version": self.version,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


DELIVERY_FIELDS = (
    "id",
    "subscription_id",
    "event_id",
    "event_type",
    "occurred_at",
    "ordering_key",
    "aggregate_version",
    "origin",
    "replay_id",
    "requested_by",
    "status",
    "attempts",
    "next_attempt_at",
    "deadline_at",
    "last_status_code",
    "last_error",
    "created_at",
    "updated_at",
    "completed_at",
)


def delivery_public(row) -> dict[str, Any]:
    m = row._mapping
    out = {name: m[name] for name in DELIVERY_FIELDS}
    out["seq"] = m["seq"]
    if out["status"] != PENDING:
        out["next_attempt_at"] = None
    return out


def attempt_public(row) -> dict[str, Any]:
    m = row._mapping
    return {
        "number": m["number"],
        "started_at": m["started_at"],
        "duration_ms": round(m["duration_ms"], 2),
        "status_code": m["status_code"],
        "outcome": m["outcome"],
        "error": m["error"],
        "response_excerpt": m["response_excerpt"],
        "remote_address": m["remote_address"],
        "next_attempt_at": m["next_attempt_at"],
    }
