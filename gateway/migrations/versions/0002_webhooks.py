"""webhooks: subscriptions, event archive, deliveries, attempts

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from servicekit.tables import BigId
from servicekit.types import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("owner_kind", sa.String(length=10), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("owner_name", sa.String(length=200), nullable=True),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("ordered", sa.Boolean(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("secret_hint", sa.String(length=16), nullable=False),
        sa.Column("previous_secret", sa.Text(), nullable=True),
        sa.Column("previous_secret_expires_at", UtcDateTime(), nullable=True),
        sa.Column("secret_rotated_at", UtcDateTime(), nullable=True),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("disabled_at", UtcDateTime(), nullable=True),
        sa.Column("disabled_by", sa.String(length=80), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("failing_since", UtcDateTime(), nullable=True),
        sa.Column("last_success_at", UtcDateTime(), nullable=True),
        sa.Column("last_failure_at", UtcDateTime(), nullable=True),
        sa.Column("last_failure_reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_webhook_subscriptions_owner", "webhook_subscriptions", ["owner_kind", "owner_id"]
    )
    op.create_index("ix_webhook_subscriptions_active", "webhook_subscriptions", ["active"])

    op.create_table(
        "webhook_events",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=120), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("producer", sa.String(length=60), nullable=False),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("aggregate_type", sa.String(length=60), nullable=True),
        sa.Column("aggregate_id", sa.String(length=128), nullable=True),
        sa.Column("aggregate_version", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index("ix_webhook_events_type_time", "webhook_events", ["event_type", "occurred_at"])
    op.create_index("ix_webhook_events_occurred_at", "webhook_events", ["occurred_at"])
    op.create_index("ix_webhook_events_received_at", "webhook_events", ["received_at"])

    op.create_table(
        "webhook_deliveries",
        sa.Column("seq", BigId, autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("subscription_id", sa.String(length=36), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=120), nullable=False),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.Column("ordering_key", sa.String(length=260), nullable=True),
        sa.Column("aggregate_version", sa.Integer(), nullable=True),
        sa.Column("origin", sa.String(length=12), nullable=False),
        sa.Column("replay_id", sa.String(length=36), nullable=True),
        sa.Column("requested_by", sa.String(length=80), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=True),
        sa.Column("deadline_at", UtcDateTime(), nullable=False),
        sa.Column("lease_until", UtcDateTime(), nullable=True),
        sa.Column("lease_owner", sa.String(length=40), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("completed_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["subscription_id"], ["webhook_subscriptions.id"]),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("id"),
    )
    # Only pending rows are claimed or block later ones: partial indexes stay small.
    op.create_index(
        "ix_webhook_deliveries_due",
        "webhook_deliveries",
        ["next_attempt_at", "seq"],
        postgresql_where=PENDING,
        sqlite_where=PENDING,
    )
    op.create_index(
        "ix_webhook_deliveries_order",
        "webhook_deliveries",
        ["subscription_id", "ordering_key", "seq"],
        postgresql_where=PENDING,
        sqlite_where=PENDING,
    )
    op.create_index(
        "ix_webhook_deliveries_subscription", "webhook_deliveries", ["subscription_id", "seq"]
    )
    op.create_index("ix_webhook_deliveries_event", "webhook_deliveries", ["event_id"])
    op.create_index("ix_webhook_deliveries_completed", "webhook_deliveries", ["completed_at"])

    op.create_table(
        "webhook_attempts",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("delivery_id", sa.String(length=36), nullable=False),
        sa.Column("subscription_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("response_excerpt", sa.Text(), nullable=True),
        sa.Column("remote_address", sa.String(length=64), nullable=True),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_webhook_attempts_delivery", "webhook_attempts", ["delivery_id", "number"])
    op.create_index("ix_webhook_attempts_subscription", "webhook_attempts", ["subscription_id"])


def downgrade() -> None:
    op.drop_index("ix_webhook_attempts_subscription", table_name="webhook_attempts")
    op.drop_index("ix_webhook_attempts_delivery", table_name="webhook_attempts")
    op.drop_table("webhook_attempts")
    for name in (
        "ix_webhook_deliveries_completed",
        "ix_webhook_deliveries_event",
        "ix_webhook_deliveries_subscription",
        "ix_webhook_deliveries_order",
        "ix_webhook_deliveries_due",
    ):
        op.drop_index(name, table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    for name in ("ix_webhook_events_received_at", "ix_webhook_events_occurred_at"):
        op.drop_index(name, table_name="webhook_events")
    op.drop_index("ix_webhook_events_type_time", table_name="webhook_events")
    op.drop_table("webhook_events")
    op.drop_index("ix_webhook_subscriptions_active", table_name="webhook_subscriptions")
    op.drop_index("ix_webhook_subscriptions_owner", table_name="webhook_subscriptions")
    op.drop_table("webhook_subscriptions")
