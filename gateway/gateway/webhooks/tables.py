"""Webhook tables in the gateway's database (same MetaData as gateway.tables).

- ``webhook_subscriptions``: target, patterns, filters, encrypted secrets, health counters.
- ``webhook_events``: the archive of every event the worker consumed (replay by type and time).
- ``webhook_deliveries``: one row per (subscription, event) to send; ``seq`` orders them.
- ``webhook_attempts``: every HTTP attempt of a delivery (status, latency, excerpt, error).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    literal_column,
    text,
)

from gateway.tables import metadata
from servicekit.tables import BigId
from servicekit.types import UtcDateTime

# Compare ``status`` with this literal, not a bound parameter: only then can the planner use the
# partial indexes of pending deliveries.
IS_PENDING = literal_column("'pending'")

subscriptions = Table(
    "webhook_subscriptions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("owner_kind", String(10), nullable=False),
    Column("owner_id", String(36), nullable=False),
    Column("owner_name", String(200), nullable=True),
    Column("url", String(2048), nullable=False),
    Column("description", Text, nullable=True),
    Column("event_types", JSON, nullable=False),
    Column("filters", JSON, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("ordered", Boolean, nullable=False),
    Column("secret", Text, nullable=False),
    Column("secret_hint", String(16), nullable=False),
    Column("previous_secret", Text, nullable=True),
    Column("previous_secret_expires_at", UtcDateTime(), nullable=True),
    Column("secret_rotated_at", UtcDateTime(), nullable=True),
    Column("disabled_reason", Text, nullable=True),
    Column("disabled_at", UtcDateTime(), nullable=True),
    Column("disabled_by", String(80), nullable=True),
    Column("consecutive_failures", Integer, nullable=False),
    Column("failing_since", UtcDateTime(), nullable=True),
    Column("last_success_at", UtcDateTime(), nullable=True),
    Column("last_failure_at", UtcDateTime(), nullable=True),
    Column("last_failure_reason", Text, nullable=True),
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_webhook_subscriptions_owner", "owner_kind", "owner_id"),
    Index("ix_webhook_subscriptions_active", "active"),
)

events = Table(
    "webhook_events",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("event_type", String(120), nullable=False),
    Column("version", Integer, nullable=False),
    Column("producer", String(60), nullable=False),
    Column("occurred_at", UtcDateTime(), nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("aggregate_type", String(60), nullable=True),
    Column("aggregate_id", String(128), nullable=True),
    Column("aggregate_version", Integer, nullable=True),
    Column("body", Text, nullable=False),
    Index("ix_webhook_events_type_time", "event_type", "occurred_at"),
    Index("ix_webhook_events_occurred_at", "occurred_at"),
    Index("ix_webhook_events_received_at", "received_at"),
)

deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("seq", BigId, primary_key=True, autoincrement=True),
    Column("id", String(36), nullable=False, unique=True),
    Column("subscription_id", String(36), ForeignKey("webhook_subscriptions.id"), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("event_type", String(120), nullable=False),
    Column("occurred_at", UtcDateTime(), nullable=False),
    Column("ordering_key", String(260), nullable=True),
    Column("aggregate_version", Integer, nullable=True),
    Column("origin", String(12), nullable=False),
    Column("replay_id", String(36), nullable=True),
    Column("requested_by", String(80), nullable=True),
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime(), nullable=True),
    Column("deadline_at", UtcDateTime(), nullable=False),
    Column("lease_until", UtcDateTime(), nullable=True),
    Column("lease_owner", String(40), nullable=True),
    Column("last_status_code", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("completed_at", UtcDateTime(), nullable=True),
    # Only pending rows are claimed or block later ones: partial indexes stay small.
    Index(
        "ix_webhook_deliveries_due",
        "next_attempt_at",
        "seq",
        postgresql_where=text("status = 'pending'"),
        sqlite_where=text("status = 'pending'"),
    ),
    Index(
        "ix_webhook_deliveries_order",
        "subscription_id",
        "ordering_key",
        "seq",
        postgresql_where=text("status = 'pending'"),
        sqlite_where=text("status = 'pending'"),
    ),
    Index("ix_webhook_deliveries_subscription", "subscription_id", "seq"),
    Index("ix_webhook_deliveries_event", "event_id"),
    Index("ix_webhook_deliveries_completed", "completed_at"),
)

attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("delivery_id", String(36), nullable=False),
    Column("subscription_id", String(36), nullable=False),
    Column("number", Integer, nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("duration_ms", Float, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("outcome", String(10), nullable=False),
    Column("error", Text, nullable=True),
    Column("response_excerpt", Text, nullable=True),
    Column("remote_address", String(64), nullable=True),
    Column("next_attempt_at", UtcDateTime(), nullable=True),
    Index("ix_webhook_attempts_delivery", "delivery_id", "number"),
    Index("ix_webhook_attempts_subscription", "subscription_id"),
)
