"""sales schema

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from sales_service.adapters.types import Rate
from servicekit.migrations import create_infrastructure_tables, drop_infrastructure_tables
from servicekit.types import Amount, UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_infrastructure_tables(op)
    op.create_table(
        "assignment_rules",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("strategy", sa.String(length=15), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("team", sa.String(length=60), nullable=True),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("reps", sa.JSON(), nullable=False),
        sa.Column("region_map", sa.JSON(), nullable=False),
        sa.Column("cursor", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "channels",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=True),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("partner_name", sa.String(length=200), nullable=True),
        sa.Column("partner_customer_id", sa.String(length=36), nullable=True),
        sa.Column("commission_rate", Amount(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "contracts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=30), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("value", Amount(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("fx_rate", Rate(), nullable=False),
        sa.Column("base_value", Amount(), nullable=False),
        sa.Column("base_currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("opportunity_id", sa.String(length=36), nullable=True),
        sa.Column("order_id", sa.String(length=36), nullable=True),
        sa.Column("auto_renew", sa.Boolean(), nullable=False),
        sa.Column("renewal_notice_days", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=True),
        sa.Column("owner_team", sa.String(length=60), nullable=True),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("signed_at", UtcDateTime(), nullable=True),
        sa.Column("terminated_at", UtcDateTime(), nullable=True),
        sa.Column("termination_reason", sa.String(length=500), nullable=True),
        sa.Column("expired_at", UtcDateTime(), nullable=True),
        sa.Column("renewed_at", UtcDateTime(), nullable=True),
        sa.Column("renewed_from_id", sa.String(length=36), nullable=True),
        sa.Column("renewal_contract_id", sa.String(length=36), nullable=True),
        sa.Column("renewal_task_id", sa.String(length=36), nullable=True),
        sa.Column("renewal_notified_at", UtcDateTime(), nullable=True),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.create_index("ix_contracts_created", ["created_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contracts_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index("ix_contracts_end", ["status", "end_date"], unique=False)
        batch_op.create_index("ix_contracts_owner", ["owner_id"], unique=False)
        batch_op.create_index("ix_contracts_team", ["owner_team"], unique=False)

    op.create_table(
        "coupon_codes",
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("coupon_id", sa.String(length=36), nullable=False),
        sa.Column("batch", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=True),
        sa.Column("claimed_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("code"),
    )
    with op.batch_alter_table("coupon_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coupon_codes_coupon_id"), ["coupon_id"], unique=False)

    op.create_table(
        "coupon_customer_uses",
        sa.Column("coupon_id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("coupon_id", "customer_id"),
    )
    op.create_table(
        "coupon_redemptions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("coupon_id", sa.String(length=36), nullable=False),
        sa.Column("campaign_id", sa.String(length=36), nullable=True),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("order_number", sa.String(length=30), nullable=True),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("discount", Amount(), nullable=False),
        sa.Column("base_discount", Amount(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("base_currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("redeemed_at", UtcDateTime(), nullable=False),
        sa.Column("released_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("order_id"),
    )
    with op.batch_alter_table("coupon_redemptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coupon_redemptions_coupon_id"), ["coupon_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_coupon_redemptions_customer_id"), ["customer_id"], unique=False
        )

    op.create_table(
        "coupons",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("campaign_id", sa.String(length=36), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=True),
        sa.Column("discount_kind", sa.String(length=10), nullable=False),
        sa.Column("value", Amount(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("valid_from", UtcDateTime(), nullable=True),
        sa.Column("valid_until", UtcDateTime(), nullable=True),
        sa.Column("max_redemptions", sa.Integer(), nullable=True),
        sa.Column("max_per_customer", sa.Integer(), nullable=True),
        sa.Column("min_order_amount", Amount(), nullable=True),
        sa.Column("min_order_currency", sa.String(length=3), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("redeemed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("coupons", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coupons_code"), ["code"], unique=False)

    op.create_table(
        "customers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("first_name", sa.String(length=120), nullable=True),
        sa.Column("last_name", sa.String(length=120), nullable=True),
        sa.Column("company_id", sa.String(length=36), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("owner_id", sa.String(length=36), nullable=True),
        sa.Column("owner_team", sa.String(length=60), nullable=True),
        sa.Column("tier", sa.String(length=60), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("merged_into", sa.String(length=36), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "fx_rates",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("base_currency", sa.String(length=3), nullable=False),
        sa.Column("rate", Rate(), nullable=False),
        sa.Column("effective_from", UtcDateTime(), nullable=False),
        sa.Column("set_by", sa.String(length=36), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "currency", "base_currency", "effective_from", name="uq_fx_rates_moment"
        ),
    )

    op.create_table(
        "leads",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=15), nullable=False),
        sa.Column("contact", sa.JSON(), nullable=True),
        sa.Column("contact_email", sa.String(length=320), nullable=True),
        sa.Column("customer_id", sa.String(length=36), nullable=True),
        sa.Column("campaign_id", sa.String(length=36), nullable=True),
        sa.Column("owner_id", sa.String(length=36), nullable=True),
        sa.Column("owner_team", sa.String(length=60), nullable=True),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("company", sa.String(length=200), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("utm", sa.JSON(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("disqualify_reason", sa.String(length=500), nullable=True),
        sa.Column("opportunity_id", sa.String(length=36), nullable=True),
        sa.Column("matched_on", sa.String(length=20), nullable=True),
        sa.Column("customer_created", sa.Boolean(), nullable=True),
        sa.Column("assignment_rule_id", sa.String(length=36), nullable=True),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("assigned_at", UtcDateTime(), nullable=True),
        sa.Column("linked_at", UtcDateTime(), nullable=True),
        sa.Column("qualified_at", UtcDateTime(), nullable=True),
        sa.Column("converted_at", UtcDateTime(), nullable=True),
        sa.Column("disqualified_at", UtcDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_leads_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index("ix_leads_created", ["created_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_leads_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index("ix_leads_owner", ["owner_id"], unique=False)
        batch_op.create_index("ix_leads_status", ["status", "created_at"], unique=False)
        batch_op.create_index("ix_leads_team", ["owner_team"], unique=False)

    op.create_table(
        "opportunities",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("lead_id", sa.String(length=36), nullable=True),
        sa.Column("pipeline_id", sa.String(length=36), nullable=False),
        sa.Column("stage_id", sa.String(length=36), nullable=False),
        sa.Column("stage_name", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("probability", sa.Integer(), nullable=False),
        sa.Column("forecast_category", sa.String(length=12), nullable=False),
        sa.Column("amount", Amount(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("fx_rate", Rate(), nullable=False),
        sa.Column("base_amount", Amount(), nullable=False),
        sa.Column("base_currency", sa.String(length=3), nullable=False),
        sa.Column("expected_close_date", sa.Date(), nullable=True),
        sa.Column("owner_id", sa.String(length=36), nullable=True),
        sa.Column("owner_team", sa.String(length=60), nullable=True),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("campaign_id", sa.String(length=36), nullable=True),
        sa.Column("source", sa.String(length=40), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("competitors", sa.JSON(), nullable=False),
        sa.Column("next_step", sa.String(length=500), nullable=True),
        sa.Column("next_step_due", UtcDateTime(), nullable=True),
        sa.Column("win_reason", sa.String(length=500), nullable=True),
        sa.Column("loss_reason", sa.String(length=500), nullable=True),
        sa.Column("lost_to", sa.String(length=200), nullable=True),
        sa.Column("lost_to_id", sa.String(length=36), nullable=True),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.Column("stage_entered_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("opportunities", schema=None) as batch_op:
        batch_op.create_index(
            "ix_opportunities_close", ["status", "expected_close_date"], unique=False
        )
        batch_op.create_index("ix_opportunities_created", ["created_at", "id"], unique=False)
        batch_op.create_index("ix_opportunities_customer", ["customer_id", "status"], unique=False)
        batch_op.create_index("ix_opportunities_owner", ["owner_id"], unique=False)
        batch_op.create_index("ix_opportunities_stage", ["pipeline_id", "stage_id"], unique=False)
        batch_op.create_index("ix_opportunities_team", ["owner_team"], unique=False)

    op.create_table(
        "opportunity_stage_history",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("opportunity_id", sa.String(length=36), nullable=False),
        sa.Column("from_stage_id", sa.String(length=36), nullable=True),
        sa.Column("from_stage_name", sa.String(length=100), nullable=True),
        sa.Column("to_stage_id", sa.String(length=36), nullable=False),
        sa.Column("to_stage_name", sa.String(length=100), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("seconds_in_previous", sa.Integer(), nullable=False),
        sa.Column("probability", sa.Integer(), nullable=False),
        sa.Column("amount", Amount(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("by", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("opportunity_stage_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_opportunity_stage_history_opportunity_id"),
            ["opportunity_id"],
            unique=False,
        )

    op.create_table(
        "order_returns",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("amount", Amount(), nullable=False),
        sa.Column("base_amount", Amount(), nullable=False),
        sa.Column("full", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("ticket_id", sa.String(length=36), nullable=True),
        sa.Column("return_request_id", sa.String(length=36), nullable=True),
        sa.Column("returned_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("order_id", "return_request_id", name="uq_order_returns_request"),
    )
    with op.batch_alter_table("order_returns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_returns_order_id"), ["order_id"], unique=False)

    op.create_table(
        "orders",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=30), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("channel_id", sa.String(length=36), nullable=True),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("owner_id", sa.String(length=36), nullable=True),
        sa.Column("owner_team", sa.String(length=60), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("base_currency", sa.String(length=3), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("subtotal", Amount(), nullable=False),
        sa.Column("discount_total", Amount(), nullable=False),
        sa.Column("tax_total", Amount(), nullable=False),
        sa.Column("total", Amount(), nullable=False),
        sa.Column("fx_rate", Rate(), nullable=False),
        sa.Column("base_total", Amount(), nullable=False),
        sa.Column("coupon_code", sa.String(length=100), nullable=True),
        sa.Column("coupon_id", sa.String(length=36), nullable=True),
        sa.Column("coupon_discount", Amount(), nullable=False),
        sa.Column("campaign_id", sa.String(length=36), nullable=True),
        sa.Column("utm", sa.JSON(), nullable=True),
        sa.Column("quote_id", sa.String(length=36), nullable=True),
        sa.Column("opportunity_id", sa.String(length=36), nullable=True),
        sa.Column("price_list_id", sa.String(length=36), nullable=True),
        sa.Column("customer_tier", sa.String(length=60), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("was_paid", sa.Boolean(), nullable=False),
        sa.Column("payment_reference", sa.String(length=200), nullable=True),
        sa.Column("carrier", sa.String(length=100), nullable=True),
        sa.Column("tracking_number", sa.String(length=100), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("cancel_reason", sa.String(length=500), nullable=True),
        sa.Column("returned_amount", Amount(), nullable=False),
        sa.Column("base_returned_amount", Amount(), nullable=False),
        sa.Column("placed_at", UtcDateTime(), nullable=False),
        sa.Column("paid_at", UtcDateTime(), nullable=True),
        sa.Column("fulfilled_at", UtcDateTime(), nullable=True),
        sa.Column("delivered_at", UtcDateTime(), nullable=True),
        sa.Column("cancelled_at", UtcDateTime(), nullable=True),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_orders_customer", ["customer_id", "placed_at", "id"], unique=False
        )
        batch_op.create_index("ix_orders_owner", ["owner_id"], unique=False)
        batch_op.create_index("ix_orders_paid", ["paid_at"], unique=False)
        batch_op.create_index("ix_orders_placed", ["placed_at", "id"], unique=False)
        batch_op.create_index("ix_orders_status", ["status", "placed_at"], unique=False)
        batch_op.create_index("ix_orders_team", ["owner_team"], unique=False)

    op.create_table(
        "pipelines",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("stages", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "price_list_items",
        sa.Column("price_list_id", sa.String(length=36), nullable=False),
        sa.Column("product_id", sa.String(length=36), nullable=False),
        sa.Column("min_quantity", Amount(), nullable=False),
        sa.Column("unit_price", Amount(), nullable=False),
        sa.PrimaryKeyConstraint("price_list_id", "product_id", "min_quantity"),
    )
    with op.batch_alter_table("price_list_items", schema=None) as batch_op:
        batch_op.create_index("ix_price_list_items_product", ["product_id"], unique=False)

    op.create_table(
        "price_lists",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("channel_id", sa.String(length=36), nullable=True),
        sa.Column("customer_tier", sa.String(length=60), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("price_lists", schema=None) as batch_op:
        batch_op.create_index("ix_price_lists_currency", ["currency", "active"], unique=False)

    op.create_table(
        "products",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("sku_key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("unit", sa.String(length=30), nullable=False),
        sa.Column("list_price", Amount(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("tax_rate", Amount(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sku_key"),
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_index("ix_products_category", ["category", "sku_key"], unique=False)
        batch_op.create_index("ix_products_name", ["name", "id"], unique=False)

    op.create_table(
        "quotes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=30), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("opportunity_id", sa.String(length=36), nullable=True),
        sa.Column("price_list_id", sa.String(length=36), nullable=True),
        sa.Column("channel_id", sa.String(length=36), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("customer_tier", sa.String(length=60), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("base_currency", sa.String(length=3), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("subtotal", Amount(), nullable=False),
        sa.Column("discount_total", Amount(), nullable=False),
        sa.Column("tax_total", Amount(), nullable=False),
        sa.Column("total", Amount(), nullable=False),
        sa.Column("fx_rate", Rate(), nullable=False),
        sa.Column("base_total", Amount(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("owner_id", sa.String(length=36), nullable=True),
        sa.Column("owner_team", sa.String(length=60), nullable=True),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("terms", sa.Text(), nullable=True),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
        sa.Column("accepted_at", UtcDateTime(), nullable=True),
        sa.Column("rejected_at", UtcDateTime(), nullable=True),
        sa.Column("expired_at", UtcDateTime(), nullable=True),
        sa.Column("reject_reason", sa.String(length=500), nullable=True),
        sa.Column("order_id", sa.String(length=36), nullable=True),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.create_index("ix_quotes_created", ["created_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_quotes_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index("ix_quotes_expiry", ["status", "valid_until"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_quotes_opportunity_id"), ["opportunity_id"], unique=False
        )
        batch_op.create_index("ix_quotes_owner", ["owner_id"], unique=False)
        batch_op.create_index("ix_quotes_team", ["owner_team"], unique=False)

    op.create_table(
        "sequences",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "targets",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("subject", sa.String(length=4), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=True),
        sa.Column("team", sa.String(length=60), nullable=True),
        sa.Column("subject_key", sa.String(length=60), nullable=False),
        sa.Column("period_kind", sa.String(length=7), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("metric", sa.String(length=10), nullable=False),
        sa.Column("value", Amount(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("set_by", sa.String(length=36), nullable=True),
        sa.Column("notes", sa.String(length=1000), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "subject", "subject_key", "period", "metric", name="uq_targets_subject"
        ),
    )
    with op.batch_alter_table("targets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_targets_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index("ix_targets_period", ["period_start", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_targets_team"), ["team"], unique=False)

    op.create_table(
        "tasks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("priority", sa.String(length=6), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("due_at", UtcDateTime(), nullable=True),
        sa.Column("assignee_id", sa.String(length=36), nullable=True),
        sa.Column("assignee_team", sa.String(length=60), nullable=True),
        sa.Column("related_type", sa.String(length=12), nullable=True),
        sa.Column("related_id", sa.String(length=36), nullable=True),
        sa.Column("customer_id", sa.String(length=36), nullable=True),
        sa.Column("outcome", sa.String(length=500), nullable=True),
        sa.Column("reminded_at", UtcDateTime(), nullable=True),
        sa.Column("completed_at", UtcDateTime(), nullable=True),
        sa.Column("cancelled_at", UtcDateTime(), nullable=True),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index("ix_tasks_assignee", ["assignee_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tasks_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index("ix_tasks_due", ["status", "due_at"], unique=False)
        batch_op.create_index("ix_tasks_list", ["due_at", "id"], unique=False)
        batch_op.create_index("ix_tasks_related", ["related_type", "related_id"], unique=False)
        batch_op.create_index("ix_tasks_team", ["assignee_team"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_team")
        batch_op.drop_index("ix_tasks_related")
        batch_op.drop_index("ix_tasks_list")
        batch_op.drop_index("ix_tasks_due")
        batch_op.drop_index(batch_op.f("ix_tasks_customer_id"))
        batch_op.drop_index("ix_tasks_assignee")

    op.drop_table("tasks")
    with op.batch_alter_table("targets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_targets_team"))
        batch_op.drop_index("ix_targets_period")
        batch_op.drop_index(batch_op.f("ix_targets_owner_id"))

    op.drop_table("targets")
    op.drop_table("sequences")
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.drop_index("ix_quotes_team")
        batch_op.drop_index("ix_quotes_owner")
        batch_op.drop_index(batch_op.f("ix_quotes_opportunity_id"))
        batch_op.drop_index("ix_quotes_expiry")
        batch_op.drop_index(batch_op.f("ix_quotes_customer_id"))
        batch_op.drop_index("ix_quotes_created")

    op.drop_table("quotes")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index("ix_products_name")
        batch_op.drop_index("ix_products_category")

    op.drop_table("products")
    with op.batch_alter_table("price_lists", schema=None) as batch_op:
        batch_op.drop_index("ix_price_lists_currency")

    op.drop_table("price_lists")
    with op.batch_alter_table("price_list_items", schema=None) as batch_op:
        batch_op.drop_index("ix_price_list_items_product")

    op.drop_table("price_list_items")
    op.drop_table("pipelines")

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_team")
        batch_op.drop_index("ix_orders_status")
        batch_op.drop_index("ix_orders_placed")
        batch_op.drop_index("ix_orders_paid")
        batch_op.drop_index("ix_orders_owner")
        batch_op.drop_index("ix_orders_customer")

    op.drop_table("orders")
    with op.batch_alter_table("order_returns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_returns_order_id"))

    op.drop_table("order_returns")
    with op.batch_alter_table("opportunity_stage_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opportunity_stage_history_opportunity_id"))

    op.drop_table("opportunity_stage_history")
    with op.batch_alter_table("opportunities", schema=None) as batch_op:
        batch_op.drop_index("ix_opportunities_team")
        batch_op.drop_index("ix_opportunities_stage")
        batch_op.drop_index("ix_opportunities_owner")
        batch_op.drop_index("ix_opportunities_customer")
        batch_op.drop_index("ix_opportunities_created")
        batch_op.drop_index("ix_opportunities_close")

    op.drop_table("opportunities")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index("ix_leads_team")
        batch_op.drop_index("ix_leads_status")
        batch_op.drop_index("ix_leads_owner")
        batch_op.drop_index(batch_op.f("ix_leads_customer_id"))
        batch_op.drop_index("ix_leads_created")
        batch_op.drop_index(batch_op.f("ix_leads_campaign_id"))

    op.drop_table("leads")

    op.drop_table("fx_rates")
    op.drop_table("customers")
    with op.batch_alter_table("coupons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coupons_code"))

    op.drop_table("coupons")
    with op.batch_alter_table("coupon_redemptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coupon_redemptions_customer_id"))
        batch_op.drop_index(batch_op.f("ix_coupon_redemptions_coupon_id"))

    op.drop_table("coupon_redemptions")
    op.drop_table("coupon_customer_uses")
    with op.batch_alter_table("coupon_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coupon_codes_coupon_id"))

    op.drop_table("coupon_codes")
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.drop_index("ix_contracts_team")
        batch_op.drop_index("ix_contracts_owner")
        batch_op.drop_index("ix_contracts_end")
        batch_op.drop_index(batch_op.f("ix_contracts_customer_id"))
        batch_op.drop_index("ix_contracts_created")

    op.drop_table("contracts")
    op.drop_table("channels")
    op.drop_table("assignment_rules")
    drop_infrastructure_tables(op)
