"""analytics schema

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from servicekit.migrations import create_infrastructure_tables, drop_infrastructure_tables
from servicekit.types import Amount, UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_infrastructure_tables(op)
    op.create_table(
        "attribution_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("campaign_id", sa.String(length=36), nullable=False),
        sa.Column("variant_id", sa.String(length=36), nullable=False),
        sa.Column("model", sa.String(length=12), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("quarter", sa.Date(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("revenue", Amount(), nullable=False),
        sa.PrimaryKeyConstraint("day", "campaign_id", "variant_id", "model"),
    )
    with op.batch_alter_table("attribution_daily", schema=None) as batch_op:
        batch_op.create_index("ix_attribution_daily_day", ["day"], unique=False)

    op.create_table(
        "attribution_items",
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("model", sa.String(length=12), nullable=False),
        sa.Column("campaign_id", sa.String(length=36), nullable=False),
        sa.Column("variant_id", sa.String(length=36), nullable=True),
        sa.Column("share", Amount(), nullable=False),
        sa.Column("revenue", Amount(), nullable=False),
        sa.Column("placed_day", sa.Date(), nullable=True),
        sa.Column("placed_week", sa.Date(), nullable=True),
        sa.Column("placed_month", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("order_id", "model", "campaign_id"),
    )
    op.create_table(
        "attributions",
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=True),
        sa.Column("method", sa.String(length=12), nullable=True),
        sa.Column("revenue", Amount(), nullable=True),
        sa.Column("placed_at", UtcDateTime(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("order_id"),
    )
    op.create_table(
        "campaign_costs",
        sa.Column("cost_id", sa.String(length=36), nullable=False),
        sa.Column("campaign_id", sa.String(length=36), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("base_amount", Amount(), nullable=False),
        sa.Column("incurred_on", sa.Date(), nullable=True),
        sa.Column("incurred_week", sa.Date(), nullable=True),
        sa.Column("incurred_month", sa.Date(), nullable=True),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("cost_id"),
    )
    with op.batch_alter_table("campaign_costs", schema=None) as batch_op:
        batch_op.create_index("ix_campaign_costs_campaign", ["campaign_id"], unique=False)

    op.create_table(
        "campaigns",
        sa.Column("campaign_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("objective", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=True),
        sa.Column("budget", Amount(), nullable=True),
        sa.Column("budget_currency", sa.String(length=3), nullable=True),
        sa.Column("owner_id", sa.String(length=36), nullable=True),
        sa.Column("owner_team", sa.String(length=60), nullable=True),
        sa.Column("utm_campaign", sa.String(length=200), nullable=True),
        sa.Column("coupon_id", sa.String(length=36), nullable=True),
        sa.Column("launched_at", UtcDateTime(), nullable=True),
        sa.Column("completed_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=True),
        sa.Column("variants", sa.JSON(), nullable=False),
        sa.Column("winner_variant_id", sa.String(length=36), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id"),
    )
    op.create_table(
        "channels",
        sa.Column("channel_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("channel_id"),
    )
    op.create_table(
        "cohort_cells",
        sa.Column("cohort", sa.Date(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.Column("revenue", Amount(), nullable=False),
        sa.PrimaryKeyConstraint("cohort", "month"),
    )
    op.create_table(
        "contracts",
        sa.Column("contract_id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=True),
        sa.Column("owner_id", sa.String(length=36), nullable=True),
        sa.Column("owner_team", sa.String(length=60), nullable=True),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=True),
        sa.Column("base_value", Amount(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("auto_renew", sa.Boolean(), nullable=True),
        sa.Column("renewed_from_id", sa.String(length=36), nullable=True),
        sa.Column("signed_at", UtcDateTime(), nullable=True),
        sa.Column("renewed_at", UtcDateTime(), nullable=True),
        sa.Column("terminated_at", UtcDateTime(), nullable=True),
        sa.Column("expired_at", UtcDateTime(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("contract_id"),
    )
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.create_index("ix_contracts_signed", ["signed_at"], unique=False)

    op.create_table(
        "coupon_batches",
        sa.Column("coupon_id", sa.String(length=36), nullable=False),
        sa.Column("batch", sa.Integer(), nullable=False),
        sa.Column("codes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("coupon_id", "batch"),
    )
    op.create_table(
        "coupon_redemptions",
        sa.Column("redemption_id", sa.String(length=36), nullable=False),
        sa.Column("coupon_id", sa.String(length=36), nullable=True),
        sa.Column("campaign_id", sa.String(length=36), nullable=True),
        sa.Column("order_id", sa.String(length=36), nullable=True),
        sa.Column("customer_id", sa.String(length=36), nullable=True),
        sa.Column("base_discount", Amount(), nullable=True),
        sa.Column("redeemed_at", UtcDateTime(), nullable=True),
        sa.Column("redeemed_day", sa.Date(), nullable=True),
        sa.Column("redeemed_week", sa.Date(), nullable=True),
        sa.Column("redeemed_month", sa.Date(), nullable=True),
        sa.Column("released_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("redemption_id"),
    )
    with op.batch_alter_table("coupon_redemptions", schema=None) as batch_op:
        batch_op.create_index("ix_coupon_redemptions_day", ["redeemed_day"], unique=False)

    op.create_table(
        "coupons",
        sa.Column("coupon_id", sa.String(length=36), nullable=False),
        sa.Column("campaign_id", sa.String(length=36), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("mode", sa.String(length=10), nullable=True),
        sa.Column("code", sa.String(length=60), nullable=True),
        sa.Column("discount_kind", sa.String(length=10), nullable=True),
        sa.Column("value", Amount(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("coupon_id"),
    )
    op.create_table(
        "customer_aliases",
        sa.Column("merged_id", sa.String(length=36), nullable=False),
        sa.Column("survivor_id", sa.String(length=36), nullable=False),
        sa.Column("merged_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("merged_id"),
    )
    with op.batch_alter_table("customer_aliases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_aliases_survivor_id"), ["survivor_id"], unique=False
        )

    op.create_table(
        "customer_sales",
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("days", sa.JSON(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("net", Amount(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=True),
        sa.Column("last_day", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    op.create_table(
        "customer_scores",
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("recency_days", sa.Integer(), nullable=False),
        sa.Column("frequency", sa.Integer(), nullable=False),
        sa.Column("monetary", Amount(), nullable=False),
        sa.Column("r", sa.Integer(), nullable=False),
        sa.Column("f", sa.Integer(), nullable=False),
        sa.Column("m", sa.Integer(), nullable=False),
        sa.Column("score", sa.String(length=3), nullable=False),
        sa.Column("segment", sa.String(length=30), nullable=False),
        sa.Column("first_order_day", sa.Date(), nullable=True),
        sa.Column("last_order_day", sa.Date(), nullable=True),
        sa.Column("average_order_value", Amount(), nullable=False),
        sa.Column("clv_historic", Amount(), nullable=False),
        sa.Column("clv_predicted", Amount(), nullable=False),
        sa.Column("churn_risk", Amount(), nullable=False),
        sa.Column("computed_at", UtcDateTime(), nullable=False),
        sa.Column("published_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("published_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    with op.batch_alter_table("customer_scores", schema=None) as batch_op:
        batch_op.create_index("ix_customer_scores_clv", ["clv_predicted"], unique=False)
        batch_op.create_index("ix_customer_scores_segment", ["segment"], unique=False)

    op.create_table(
        "customers",
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("country", sa.String(length=100), nullable=True),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("industry", sa.String(length=100), nullable=True),
        sa.Column("size", sa.String(length=40), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=True),
        sa.Column("lifecycle_stage", sa.String(length=40), nullable=True),
        sa.Column("owner_id", sa.String(length=36), nullable=True),
        sa.Column("owner_team", sa.String(length=60), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("profile_status", sa.String(length=10), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=True),
        sa.Column("profile_rev", sa.Integer(), nullable=False),
        sa.Column("consents", sa.JSON(), nullable=False),
        sa.Column("merged_into", sa.String(length=36), nullable=True),
        sa.Column("erased_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.create_index("ix_customers_country", ["country"], unique=False)
        batch_op.create_index("ix_customers_owner", ["owner_id"], unique=False)

    op.create_table(
        "engagement_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("campaign_id", sa.String(length=36), nullable=False),
        sa.Column("variant_id", sa.String(length=36), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("quarter", sa.Date(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("delivered", sa.Integer(), nullable=False),
        sa.Column("bounced", sa.Integer(), nullable=False),
        sa.Column("hard_bounced", sa.Integer(), nullable=False),
        sa.Column("opened", sa.Integer(), nullable=False),
        sa.Column("machine_opened", sa.Integer(), nullable=False),
        sa.Column("clicked", sa.Integer(), nullable=False),
        sa.Column("machine_clicked", sa.Integer(), nullable=False),
        sa.Column("opens", sa.Integer(), nullable=False),
        sa.Column("machine_opens", sa.Integer(), nullable=False),
        sa.Column("clicks", sa.Integer(), nullable=False),
        sa.Column("machine_clicks", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "campaign_id", "variant_id"),
    )
    with op.batch_alter_table("engagement_daily", schema=None) as batch_op:
        batch_op.create_index("ix_engagement_daily_campaign", ["campaign_id", "day"], unique=False)

    op.create_table(
        "event_archive",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=120), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.Column("producer", sa.String(length=60), nullable=False),
        sa.Column("aggregate_type", sa.String(length=60), nullable=True),
        sa.Column("aggregate_id", sa.String(length=128), nullable=True),
        sa.Column("aggregate_version", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.String(length=36), nullable=True),
        sa.Column("subject_id", sa.String(length=36), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("archived_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    with op.batch_alter_table("event_archive", schema=None) as batch_op:
        batch_op.create_index(
            "ix_event_archive_customer",
            ["customer_id"],
            unique=False,
            sqlite_where=sa.text("customer_id IS NOT NULL"),
            postgresql_where=sa.text("customer_id IS NOT NULL"),
        )
        batch_op.create_index("ix_event_archive_replay", ["occurred_at", "event_id"], unique=False)
        batch_op.create_index(
            "ix_event_archive_subject",
            ["subject_id"],
            unique=False,
            sqlite_where=sa.text("subject_id IS NOT NULL"),
            postgresql_where=sa.text("subject_id IS NOT NULL"),
        )

    op.create_table(
        "interactions",
        sa.Column("interaction_id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.String(length=36), nullable=True),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.Column("occurred_day", sa.Date(), nullable=True),
        sa.Column("occurred_week", sa.Date(), nullable=True),
        sa.Column("occurred_month", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("interaction_id"),
    )
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_interactions_actor_day", ["actor_id", "occurred_day"], unique=False
        )

    op.create_table(
        "leads",
        sa.Column("lead_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=True),
        sa.Column("campaign_id", sa.String(length=36), nullable=True),
        sa.Column("customer_id", sa.String(length=36), nullable=True),
        sa.Column("matched_customer_id", sa.String(length=36), nullable=True),
        sa.Column("matched_created", sa.Boolean(), nullable=True),
        sa.Column("owner_id", sa.String(length=36), nullable=True),
        sa.Column("owner_team", sa.String(length=60), nullable=True),
        sa.Column("country", sa.String(length=100), nullable=True),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("disqualify_reason", sa.String(length=300), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=True),
        sa.Column("created_day", sa.Date(), nullable=True),
        sa.Column("created_week", sa.Date(), nullable=True),
        sa.Column("created_month", sa.Date(), nullable=True),
        sa.Column("captured_at", UtcDateTime(), nullable=True),
        sa.Column("qualified_at", UtcDateTime(), nullable=True),
        sa.Column("converted_at", UtcDateTime(), nullable=True),
        sa.Column("opportunity_id", sa.String(length=36), nullable=True),
        sa.Column("disqualified_at", UtcDateTime(), nullable=True),
        sa.Column("state_rev", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("lead_id"),
    )
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.create_index("ix_leads_created_day", ["created_day"], unique=False)

    op.create_table(
        "message_engagements",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=6), nullable=False),
        sa.Column("machine", sa.Boolean(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_table(
        "messages",
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("campaign_id", sa.String(length=36), nullable=True),
        sa.Column("variant_id", sa.String(length=36), nullable=True),
        sa.Column("customer_id", sa.String(length=36), nullable=True),
        sa.Column("purpose", sa.String(length=20), nullable=True),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
        sa.Column("sent_day", sa.Date(), nullable=True),
        sa.Column("sent_week", sa.Date(), nullable=True),
        sa.Column("sent_month", sa.Date(), nullable=True),
        sa.Column("delivered_at", UtcDateTime(), nullable=True),
        sa.Column("bounced_at", UtcDateTime(), nullable=True),
        sa.Column("bounce_type", sa.String(length=4), nullable=True),
        sa.Column("human_open_at", UtcDateTime(), nullable=True),
        sa.Column("machine_open_at", UtcDateTime(), nullable=True),
        sa.Column("human_click_at", UtcDateTime(), nullable=True),
        sa.Column("machine_click_at", UtcDateTime(), nullable=True),
        sa.Column("human_opens", sa.Integer(), nullable=False),
        sa.Column("machine_opens", sa.Integer(), nullable=False),
        sa.Column("human_clicks", sa.Integer(), nullable=False),
        sa.Column("machine_clicks", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("message_id"),
    )
    op.create_table(
        "opportunities",
        sa.Column("opportunity_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("customer_id", sa.String(length=36), nullable=True),
        sa.Column("lead_id", sa.String(length=36), nullable=True),
        sa.Column("pipeline_id", sa.String(length=36), nullable=True),
        sa.Column("stage_id", sa.String(length=36), nullable=True),
        sa.Column("stage_name", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=True),
        sa.Column("probability", sa.Integer(), nullable=True),
        sa.Column("forecast_category", sa.String(length=20), nullable=True),
        sa.Column("base_amount", Amount(), nullable=True),
        sa.Column("weighted_amount", Amount(), nullable=True),
        sa.Column("expected_close_date", sa.Date(), nullable=True),
        sa.Column("expected_close_week", sa.Date(), nullable=True),
        sa.Column("expected_close_month", sa.Date(), nullable=True),
        sa.Column("owner_id", sa.String(length=36), nullable=True),
        sa.Column("owner_team", sa.String(length=60), nullable=True),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("campaign_id", sa.String(length=36), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=True),
        sa.Column("created_day", sa.Date(), nullable=True),
        sa.Column("created_week", sa.Date(), nullable=True),
        sa.Column("created_month", sa.Date(), nullable=True),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.Column("closed_day", sa.Date(), nullable=True),
        sa.Column("closed_week", sa.Date(), nullable=True),
        sa.Column("closed_month", sa.Date(), nullable=True),
        sa.Column("lost_reason", sa.String(length=300), nullable=True),
        sa.Column("competitor", sa.String(length=200), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("opportunity_id"),
    )
    with op.batch_alter_table("opportunities", schema=None) as batch_op:
        batch_op.create_index("ix_opportunities_closed_day", ["closed_day"], unique=False)
        batch_op.create_index(
            "ix_opportunities_status_close", ["status", "expected_close_date"], unique=False
        )

    op.create_table(
        "opportunity_stage_spells",
        sa.Column("opportunity_id", sa.String(length=36), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("pipeline_id", sa.String(length=36), nullable=True),
        sa.Column("stage_id", sa.String(length=36), nullable=False),
        sa.Column("stage_name", sa.String(length=100), nullable=True),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("left_at", UtcDateTime(), nullable=False),
        sa.Column("left_day", sa.Date(), nullable=True),
        sa.Column("left_week", sa.Date(), nullable=True),
        sa.Column("left_month", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=True),
        sa.Column("owner_team", sa.String(length=60), nullable=True),
        sa.PrimaryKeyConstraint("opportunity_id", "revision"),
    )
    with op.batch_alter_table("opportunity_stage_spells", schema=None) as batch_op:
        batch_op.create_index("ix_opportunity_stage_spells_day", ["left_day"], unique=False)

    op.create_table(
        "opportunity_versions",
        sa.Column("opportunity_id", sa.String(length=36), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("valid_from", UtcDateTime(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("pipeline_id", sa.String(length=36), nullable=True),
        sa.Column("stage_id", sa.String(length=36), nullable=True),
        sa.Column("stage_name", sa.String(length=100), nullable=True),
        sa.Column("probability", sa.Integer(), nullable=True),
        sa.Column("forecast_category", sa.String(length=20), nullable=True),
        sa.Column("base_amount", Amount(), nullable=True),
        sa.Column("weighted_amount", Amount(), nullable=True),
        sa.Column("expected_close_date", sa.Date(), nullable=True),
        sa.Column("owner_id", sa.String(length=36), nullable=True),
        sa.Column("owner_team", sa.String(length=60), nullable=True),
        sa.PrimaryKeyConstraint("opportunity_id", "revision"),
    )
    with op.batch_alter_table("opportunity_versions", schema=None) as batch_op:
        batch_op.create_index("ix_opportunity_versions_valid_from", ["valid_from"], unique=False)

    op.create_table(
        "order_lines",
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.String(length=36), nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=True),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("quantity", Amount(), nullable=False),
        sa.Column("base_amount", Amount(), nullable=False),
        sa.Column("returned", Amount(), nullable=False),
        sa.Column("placed_day", sa.Date(), nullable=True),
        sa.Column("placed_week", sa.Date(), nullable=True),
        sa.Column("placed_month", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("order_id", "line_no"),
    )
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.create_index("ix_order_lines_day", ["placed_day"], unique=False)

    op.create_table(
        "orders",
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=60), nullable=True),
        sa.Column("customer_id", sa.String(length=36), nullable=True),
        sa.Column("channel", sa.String(length=60), nullable=True),
        sa.Column("channel_id", sa.String(length=36), nullable=True),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("owner_id", sa.String(length=36), nullable=True),
        sa.Column("owner_team", sa.String(length=60), nullable=True),
        sa.Column("campaign_id", sa.String(length=36), nullable=True),
        sa.Column("coupon_id", sa.String(length=36), nullable=True),
        sa.Column("coupon_code", sa.String(length=60), nullable=True),
        sa.Column("utm_source", sa.String(length=100), nullable=True),
        sa.Column("utm_medium", sa.String(length=100), nullable=True),
        sa.Column("utm_campaign", sa.String(length=200), nullable=True),
        sa.Column("opportunity_id", sa.String(length=36), nullable=True),
        sa.Column("quote_id", sa.String(length=36), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("total", Amount(), nullable=True),
        sa.Column("base_total", Amount(), nullable=True),
        sa.Column("placed_at", UtcDateTime(), nullable=True),
        sa.Column("placed_day", sa.Date(), nullable=True),
        sa.Column("placed_week", sa.Date(), nullable=True),
        sa.Column("placed_month", sa.Date(), nullable=True),
        sa.Column("paid_at", UtcDateTime(), nullable=True),
        sa.Column("cancelled_at", UtcDateTime(), nullable=True),
        sa.Column("cancel_reason", sa.String(length=300), nullable=True),
        sa.Column("was_paid", sa.Boolean(), nullable=True),
        sa.Column("fulfilled_at", UtcDateTime(), nullable=True),
        sa.Column("delivered_at", UtcDateTime(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("returns", sa.JSON(), nullable=False),
        sa.Column("returned_base", Amount(), nullable=False),
        sa.Column("header_rev", sa.Integer(), nullable=False),
        sa.Column("lines_rev", sa.Integer(), nullable=False),
        sa.Column("paid_rev", sa.Integer(), nullable=False),
        sa.Column("cancel_rev", sa.Integer(), nullable=False),
        sa.Column("fulfil_rev", sa.Integer(), nullable=False),
        sa.Column("m_orders", sa.Integer(), nullable=False),
        sa.Column("m_cancelled", sa.Integer(), nullable=False),
        sa.Column("m_paid", sa.Integer(), nullable=False),
        sa.Column("m_units", Amount(), nullable=False),
        sa.Column("m_booked", Amount(), nullable=False),
        sa.Column("m_gross", Amount(), nullable=False),
        sa.Column("m_returns", Amount(), nullable=False),
        sa.Column("m_net", Amount(), nullable=False),
        sa.PrimaryKeyConstraint("order_id"),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_placed_day", ["placed_day"], unique=False)

    op.create_table(
        "pipelines",
        sa.Column("pipeline_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=True),
        sa.Column("stages", sa.JSON(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("pipeline_id"),
    )
    op.create_table(
        "products",
        sa.Column("product_id", sa.String(length=36), nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("catalog_rev", sa.Integer(), nullable=False),
        sa.Column("seen_key", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("product_id"),
    )
    op.create_table(
        "quotes",
        sa.Column("quote_id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=True),
        sa.Column("opportunity_id", sa.String(length=36), nullable=True),
        sa.Column("owner_id", sa.String(length=36), nullable=True),
        sa.Column("owner_team", sa.String(length=60), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=True),
        sa.Column("base_total", Amount(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=True),
        sa.Column("created_day", sa.Date(), nullable=True),
        sa.Column("created_week", sa.Date(), nullable=True),
        sa.Column("created_month", sa.Date(), nullable=True),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
        sa.Column("accepted_at", UtcDateTime(), nullable=True),
        sa.Column("rejected_at", UtcDateTime(), nullable=True),
        sa.Column("expired_at", UtcDateTime(), nullable=True),
        sa.Column("order_id", sa.String(length=36), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("quote_id"),
    )
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.create_index("ix_quotes_created_day", ["created_day"], unique=False)

    op.create_table(
        "return_requests",
        sa.Column("return_request_id", sa.String(length=36), nullable=False),
        sa.Column("ticket_id", sa.String(length=36), nullable=True),
        sa.Column("order_id", sa.String(length=36), nullable=True),
        sa.Column("customer_id", sa.String(length=36), nullable=True),
        sa.Column("full", sa.Boolean(), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("requested_at", UtcDateTime(), nullable=True),
        sa.Column("requested_day", sa.Date(), nullable=True),
        sa.Column("requested_week", sa.Date(), nullable=True),
        sa.Column("requested_month", sa.Date(), nullable=True),
        sa.Column("approved_at", UtcDateTime(), nullable=True),
        sa.Column("rejected_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("return_request_id"),
    )
    op.create_table(
        "revenue_daily",
        sa.Column("dim", sa.String(length=12), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("quarter", sa.Date(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("cancelled", sa.Integer(), nullable=False),
        sa.Column("paid_orders", sa.Integer(), nullable=False),
        sa.Column("units", Amount(), nullable=False),
        sa.Column("booked", Amount(), nullable=False),
        sa.Column("gross", Amount(), nullable=False),
        sa.Column("returns", Amount(), nullable=False),
        sa.Column("net", Amount(), nullable=False),
        sa.PrimaryKeyConstraint("dim", "day", "key"),
    )
    op.create_table(
        "revenue_monthly",
        sa.Column("dim", sa.String(length=12), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("quarter", sa.Date(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("cancelled", sa.Integer(), nullable=False),
        sa.Column("paid_orders", sa.Integer(), nullable=False),
        sa.Column("units", Amount(), nullable=False),
        sa.Column("booked", Amount(), nullable=False),
        sa.Column("gross", Amount(), nullable=False),
        sa.Column("returns", Amount(), nullable=False),
        sa.Column("net", Amount(), nullable=False),
        sa.PrimaryKeyConstraint("dim", "month", "key"),
    )
    op.create_table(
        "score_summary",
        sa.Column("segment", sa.String(length=30), nullable=False),
        sa.Column("r", sa.Integer(), nullable=False),
        sa.Column("f", sa.Integer(), nullable=False),
        sa.Column("m", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=100), nullable=False),
        sa.Column("cohort", sa.Date(), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.Column("recency_days", sa.Integer(), nullable=False),
        sa.Column("frequency", sa.Integer(), nullable=False),
        sa.Column("monetary", Amount(), nullable=False),
        sa.Column("clv_historic", Amount(), nullable=False),
        sa.Column("clv_predicted", Amount(), nullable=False),
        sa.Column("average_order_value", Amount(), nullable=False),
        sa.Column("churn_risk", Amount(), nullable=False),
        sa.PrimaryKeyConstraint("segment", "r", "f", "m", "country", "cohort"),
    )
    op.create_table(
        "segment_members",
        sa.Column("segment_id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("member", sa.Boolean(), nullable=False),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("segment_id", "customer_id"),
    )
    with op.batch_alter_table("segment_members", schema=None) as batch_op:
        batch_op.create_index("ix_segment_members_customer", ["customer_id"], unique=False)

    op.create_table(
        "segments",
        sa.Column("segment_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("segment_id"),
    )
    op.create_table(
        "sla_breaches",
        sa.Column("ticket_id", sa.String(length=36), nullable=False),
        sa.Column("target", sa.String(length=20), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.String(length=36), nullable=True),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("detected_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("ticket_id", "target", "cycle"),
    )
    op.create_table(
        "survey_responses",
        sa.Column("response_key", sa.String(length=50), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=4), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("scale_min", sa.Integer(), nullable=True),
        sa.Column("scale_max", sa.Integer(), nullable=True),
        sa.Column("satisfied", sa.Boolean(), nullable=True),
        sa.Column("nps_category", sa.String(length=10), nullable=True),
        sa.Column("ticket_id", sa.String(length=36), nullable=True),
        sa.Column("customer_id", sa.String(length=36), nullable=True),
        sa.Column("agent_id", sa.String(length=36), nullable=True),
        sa.Column("group_id", sa.String(length=36), nullable=True),
        sa.Column("campaign_id", sa.String(length=36), nullable=True),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
        sa.Column("sent_day", sa.Date(), nullable=True),
        sa.Column("sent_week", sa.Date(), nullable=True),
        sa.Column("sent_month", sa.Date(), nullable=True),
        sa.Column("answered_at", UtcDateTime(), nullable=True),
        sa.Column("answered_day", sa.Date(), nullable=True),
        sa.Column("answered_week", sa.Date(), nullable=True),
        sa.Column("answered_month", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("response_key"),
    )
    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.create_index("ix_survey_responses_answered_day", ["answered_day"], unique=False)

    op.create_table(
        "targets",
        sa.Column("target_id", sa.String(length=36), nullable=False),
        sa.Column("subject", sa.String(length=10), nullable=True),
        sa.Column("owner_id", sa.String(length=36), nullable=True),
        sa.Column("team", sa.String(length=60), nullable=True),
        sa.Column("period_kind", sa.String(length=10), nullable=True),
        sa.Column("period", sa.String(length=20), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("metric", sa.String(length=20), nullable=True),
        sa.Column("value", Amount(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("target_id"),
    )
    with op.batch_alter_table("targets", schema=None) as batch_op:
        batch_op.create_index("ix_targets_period", ["period_start"], unique=False)

    op.create_table(
        "tasks",
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=True),
        sa.Column("priority", sa.String(length=10), nullable=True),
        sa.Column("assignee_id", sa.String(length=36), nullable=True),
        sa.Column("assignee_team", sa.String(length=60), nullable=True),
        sa.Column("related_type", sa.String(length=20), nullable=True),
        sa.Column("customer_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=True),
        sa.Column("due_at", UtcDateTime(), nullable=True),
        sa.Column("completed_at", UtcDateTime(), nullable=True),
        sa.Column("completed_day", sa.Date(), nullable=True),
        sa.Column("completed_week", sa.Date(), nullable=True),
        sa.Column("completed_month", sa.Date(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("task_id"),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index("ix_tasks_completed_day", ["completed_day"], unique=False)

    op.create_table(
        "tickets",
        sa.Column("ticket_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=60), nullable=True),
        sa.Column("customer_id", sa.String(length=36), nullable=True),
        sa.Column("order_id", sa.String(length=36), nullable=True),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("channel", sa.String(length=60), nullable=True),
        sa.Column("priority", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("group_id", sa.String(length=36), nullable=True),
        sa.Column("agent_id", sa.String(length=36), nullable=True),
        sa.Column("policy_id", sa.String(length=36), nullable=True),
        sa.Column("origin", sa.String(length=40), nullable=True),
        sa.Column("opened_at", UtcDateTime(), nullable=True),
        sa.Column("opened_day", sa.Date(), nullable=True),
        sa.Column("opened_week", sa.Date(), nullable=True),
        sa.Column("opened_month", sa.Date(), nullable=True),
        sa.Column("first_response_at", UtcDateTime(), nullable=True),
        sa.Column("first_response_seconds", sa.Integer(), nullable=True),
        sa.Column("first_response_calendar_seconds", sa.Integer(), nullable=True),
        sa.Column("first_response_met", sa.Boolean(), nullable=True),
        sa.Column("resolved_at", UtcDateTime(), nullable=True),
        sa.Column("resolution_seconds", sa.Integer(), nullable=True),
        sa.Column("resolution_calendar_seconds", sa.Integer(), nullable=True),
        sa.Column("resolution_met", sa.Boolean(), nullable=True),
        sa.Column("reopened_count", sa.Integer(), nullable=False),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.Column("merged_into", sa.String(length=36), nullable=True),
        sa.Column("root_cause_category", sa.String(length=100), nullable=True),
        sa.Column("state_rev", sa.Integer(), nullable=False),
        sa.Column("first_response_rev", sa.Integer(), nullable=False),
        sa.Column("resolution_rev", sa.Integer(), nullable=False),
        sa.Column("complaint_rev", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("ticket_id"),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index("ix_tickets_opened_day", ["opened_day"], unique=False)

    op.create_table(
        "touchpoints",
        sa.Column("touchpoint_id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=True),
        sa.Column("campaign_id", sa.String(length=36), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=True),
        sa.Column("utm_source", sa.String(length=100), nullable=True),
        sa.Column("utm_medium", sa.String(length=100), nullable=True),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.Column("occurred_day", sa.Date(), nullable=True),
        sa.Column("occurred_week", sa.Date(), nullable=True),
        sa.Column("occurred_month", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("touchpoint_id"),
    )
    with op.batch_alter_table("touchpoints", schema=None) as batch_op:
        batch_op.create_index("ix_touchpoints_day", ["occurred_day"], unique=False)

    op.create_table(
        "unsubscribes",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("campaign_id", sa.String(length=36), nullable=True),
        sa.Column("message_id", sa.String(length=36), nullable=True),
        sa.Column("method", sa.String(length=20), nullable=True),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("at_day", sa.Date(), nullable=True),
        sa.Column("at_week", sa.Date(), nullable=True),
        sa.Column("at_month", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("event_id"),
    )
    with op.batch_alter_table("unsubscribes", schema=None) as batch_op:
        batch_op.create_index("ix_unsubscribes_day", ["at_day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("unsubscribes", schema=None) as batch_op:
        batch_op.drop_index("ix_unsubscribes_day")

    op.drop_table("unsubscribes")
    with op.batch_alter_table("touchpoints", schema=None) as batch_op:
        batch_op.drop_index("ix_touchpoints_day")

    op.drop_table("touchpoints")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_opened_day")

    op.drop_table("tickets")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_completed_day")

    op.drop_table("tasks")
    with op.batch_alter_table("targets", schema=None) as batch_op:
        batch_op.drop_index("ix_targets_period")

    op.drop_table("targets")
    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_responses_answered_day")

    op.drop_table("survey_responses")
    op.drop_table("sla_breaches")
    op.drop_table("segments")
    with op.batch_alter_table("segment_members", schema=None) as batch_op:
        batch_op.drop_index("ix_segment_members_customer")

    op.drop_table("segment_members")
    op.drop_table("score_summary")
    op.drop_table("revenue_monthly")
    op.drop_table("revenue_daily")
    op.drop_table("return_requests")
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.drop_index("ix_quotes_created_day")

    op.drop_table("quotes")
    op.drop_table("products")
    op.drop_table("pipelines")

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_placed_day")

    op.drop_table("orders")
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_order_lines_day")

    op.drop_table("order_lines")
    with op.batch_alter_table("opportunity_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_opportunity_versions_valid_from")

    op.drop_table("opportunity_versions")
    with op.batch_alter_table("opportunity_stage_spells", schema=None) as batch_op:
        batch_op.drop_index("ix_opportunity_stage_spells_day")

    op.drop_table("opportunity_stage_spells")
    with op.batch_alter_table("opportunities", schema=None) as batch_op:
        batch_op.drop_index("ix_opportunities_status_close")
        batch_op.drop_index("ix_opportunities_closed_day")

    op.drop_table("opportunities")
    op.drop_table("messages")
    op.drop_table("message_engagements")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index("ix_leads_created_day")

    op.drop_table("leads")
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.drop_index("ix_interactions_actor_day")

    op.drop_table("interactions")

    with op.batch_alter_table("event_archive", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_event_archive_subject",
            sqlite_where=sa.text("subject_id IS NOT NULL"),
            postgresql_where=sa.text("subject_id IS NOT NULL"),
        )
        batch_op.drop_index("ix_event_archive_replay")
        batch_op.drop_index(
            "ix_event_archive_customer",
            sqlite_where=sa.text("customer_id IS NOT NULL"),
            postgresql_where=sa.text("customer_id IS NOT NULL"),
        )

    op.drop_table("event_archive")
    with op.batch_alter_table("engagement_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_engagement_daily_campaign")

    op.drop_table("engagement_daily")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index("ix_customers_owner")
        batch_op.drop_index("ix_customers_country")

    op.drop_table("customers")
    with op.batch_alter_table("customer_scores", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_scores_segment")
        batch_op.drop_index("ix_customer_scores_clv")

    op.drop_table("customer_scores")
    op.drop_table("customer_sales")
    with op.batch_alter_table("customer_aliases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_aliases_survivor_id"))

    op.drop_table("customer_aliases")
    op.drop_table("coupons")
    with op.batch_alter_table("coupon_redemptions", schema=None) as batch_op:
        batch_op.drop_index("ix_coupon_redemptions_day")

    op.drop_table("coupon_redemptions")
    op.drop_table("coupon_batches")
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.drop_index("ix_contracts_signed")

    op.drop_table("contracts")
    op.drop_table("cohort_cells")
    op.drop_table("channels")
    op.drop_table("campaigns")
    with op.batch_alter_table("campaign_costs", schema=None) as batch_op:
        batch_op.drop_index("ix_campaign_costs_campaign")

    op.drop_table("campaign_costs")
    op.drop_table("attributions")
    op.drop_table("attribution_items")
    with op.batch_alter_table("attribution_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_attribution_daily_day")

    op.drop_table("attribution_daily")
    drop_infrastructure_tables(op)
