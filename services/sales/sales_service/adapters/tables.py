"""The sales service's database schema (SQLAlchemy Core)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from sales_service.adapters.types import Rate
from servicekit.tables import BigId, add_infrastructure_tables
from servicekit.types import Amount, UtcDateTime

metadata = MetaData()
add_infrastructure_tables(metadata)


def _id(name: str = "id", **kw) -> Column:
    return Column(name, String(36), primary_key=True, **kw)


def _ref(name: str, nullable: bool = True, **kw) -> Column:
    return Column(name, String(36), nullable=nullable, **kw)


def _stamps() -> list[Column]:
    return [
        Column("version", Integer, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("updated_at", UtcDateTime(), nullable=False),
    ]


def _owner() -> list[Column]:
    return [_ref("owner_id"), Column("owner_team", String(60))]


# -- replicas -------------------------------------------------------------------------------

customers = Table(
    # Fed by customer.* events; never written by a request.
    "customers",
    metadata,
    _id(),
    Column("kind", String(10), nullable=False),
    Column("name", String(300), nullable=False),
    Column("first_name", String(120)),
    Column("last_name", String(120)),
    _ref("company_id"),
    Column("country", String(2)),
    Column("region", String(100)),
    Column("city", String(100)),
    *_owner(),
    Column("tier", String(60)),
    Column("status", String(10), nullable=False),
    _ref("merged_into"),
    Column("revision", Integer, nullable=False),
    Column("updated_at", UtcDateTime()),
)

coupons = Table(
    # Fed by campaign.coupon.* events; ``redeemed`` is ours, the rest the campaign service's.
    "coupons",
    metadata,
    _id(),
    _ref("campaign_id"),
    Column("name", String(200), nullable=False),
    Column("mode", String(10), nullable=False),
    Column("code", String(100), index=True),
    Column("discount_kind", String(10), nullable=False),
    Column("value", Amount(), nullable=False),
    Column("currency", String(3)),
    Column("valid_from", UtcDateTime()),
    Column("valid_until", UtcDateTime()),
    Column("max_redemptions", Integer),
    Column("max_per_customer", Integer),
    Column("min_order_amount", Amount()),
    Column("min_order_currency", String(3)),
    Column("active", Boolean, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("redeemed", Integer, nullable=False, default=0),
)

coupon_codes = Table(
    # Unique single-use codes; ``order_id`` is the order holding the code right now.
    "coupon_codes",
    metadata,
    Column("code", String(100), primary_key=True),
    _ref("coupon_id", nullable=False, index=True),
    Column("batch", Integer, nullable=False),
    _ref("order_id"),
    Column("claimed_at", UtcDateTime()),
)

coupon_customer_uses = Table(
    "coupon_customer_uses",
    metadata,
    Column("coupon_id", String(36), primary_key=True),
    Column("customer_id", String(36), primary_key=True),
    Column("uses", Integer, nullable=False),
)

coupon_redemptions = Table(
    "coupon_redemptions",
    metadata,
    _id(),
    _ref("coupon_id", nullable=False, index=True),
    _ref("campaign_id"),
    Column("code", String(100), nullable=False),
    _ref("order_id", nullable=False, unique=True),
    Column("order_number", String(30)),
    _ref("customer_id", nullable=False, index=True),
    Column("discount", Amount(), nullable=False),
    Column("base_discount", Amount(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("base_currency", String(3), nullable=False),
    Column("status", String(10), nullable=False),
    Column("redeemed_at", UtcDateTime(), nullable=False),
    Column("released_at", UtcDateTime()),
)

# -- catalogue ------------------------------------------------------------------------------

products = Table(
    "products",
    metadata,
    _id(),
    Column("sku", String(64), nullable=False),
    Column("sku_key", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("category", String(100)),
    Column("unit", String(30), nullable=False),
    Column("list_price", Amount(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("tax_rate", Amount(), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("description", Text),
    *_stamps(),
    Index("ix_products_category", "category", "sku_key"),
    Index("ix_products_name", "name", "id"),
)

channels = Table(
    "channels",
    metadata,
    _id(),
    Column("kind", String(20), nullable=False),
    Column("name", String(200), nullable=False),
    Column("code", String(40), unique=True),
    Column("region", String(100)),
    Column("partner_name", String(200)),
    _ref("partner_customer_id"),
    Column("commission_rate", Amount()),
    Column("active", Boolean, nullable=False),
    *_stamps(),
)

price_lists = Table(
    "price_lists",
    metadata,
    _id(),
    Column("name", String(200), nullable=False),
    Column("currency", String(3), nullable=False),
    _ref("channel_id"),
    Column("customer_tier", String(60)),
    Column("valid_from", Date),
    Column("valid_until", Date),
    Column("active", Boolean, nullable=False),
    *_stamps(),
    Index("ix_price_lists_currency", "currency", "active"),
)

price_list_items = Table(
    "price_list_items",
    metadata,
    Column("price_list_id", String(36), primary_key=True),
    Column("product_id", String(36), primary_key=True),
    Column("min_quantity", Amount(), primary_key=True),
    Column("unit_price", Amount(), nullable=False),
    Index("ix_price_list_items_product", "product_id"),
)

# -- leads and deals ------------------------------------------------------------------------

leads = Table(
    "leads",
    metadata,
    _id(),
    Column("source", String(40), nullable=False),
    Column("status", String(15), nullable=False),
    Column("contact", JSON),
    Column("contact_email", String(320)),
    _ref("customer_id", index=True),
    _ref("campaign_id", index=True),
    *_owner(),
    Column("region", String(100)),
    Column("country", String(2)),
    Column("company", String(200)),
    Column("score", Integer),
    Column("utm", JSON),
    Column("notes", Text),
    Column("disqualify_reason", String(500)),
    _ref("opportunity_id"),
    Column("matched_on", String(20)),
    Column("customer_created", Boolean),
    _ref("assignment_rule_id"),
    _ref("created_by"),
    Column("assigned_at", UtcDateTime()),
    Column("linked_at", UtcDateTime()),
    Column("qualified_at", UtcDateTime()),
    Column("converted_at", UtcDateTime()),
    Column("disqualified_at", UtcDateTime()),
    *_stamps(),
    Index("ix_leads_created", "created_at", "id"),
    Index("ix_leads_status", "status", "created_at"),
    Index("ix_leads_owner", "owner_id"),
    Index("ix_leads_team", "owner_team"),
)

assignment_rules = Table(
    "assignment_rules",
    metadata,
    _id(),
    Column("name", String(200), nullable=False),
    Column("strategy", String(15), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("team", String(60)),
    Column("sources", JSON, nullable=False),
    Column("reps", JSON, nullable=False),
    Column("region_map", JSON, nullable=False),
    # Round-robin position, advanced with an atomic UPDATE so concurrent leads never collide.
    Column("cursor", Integer, nullable=False, default=0),
    *_stamps(),
)

pipelines = Table(
    "pipelines",
    metadata,
    _id(),
    Column("name", String(200), nullable=False),
    Column("is_default", Boolean, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("stages", JSON, nullable=False),
    *_stamps(),
)

opportunities = Table(
    "opportunities",
    metadata,
    _id(),
    Column("name", String(300), nullable=False),
    _ref("customer_id", nullable=False),
    _ref("lead_id"),
    _ref("pipeline_id", nullable=False),
    _ref("stage_id", nullable=False),
    Column("stage_name", String(100), nullable=False),
    Column("status", String(10), nullable=False),
    Column("probability", Integer, nullable=False),
    Column("forecast_category", String(12), nullable=False),
    Column("amount", Amount(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("fx_rate", Rate(), nullable=False),
    Column("base_amount", Amount(), nullable=False),
    Column("base_currency", String(3), nullable=False),
    Column("expected_close_date", Date),
    *_owner(),
    Column("region", String(100)),
    _ref("campaign_id"),
    Column("source", String(40)),
    Column("description", Text),
    Column("competitors", JSON, nullable=False),
    Column("next_step", String(500)),
    Column("next_step_due", UtcDateTime()),
    Column("win_reason", String(500)),
    Column("loss_reason", String(500)),
    Column("lost_to", String(200)),
    _ref("lost_to_id"),
    Column("closed_at", UtcDateTime()),
    Column("stage_entered_at", UtcDateTime(), nullable=False),
    _ref("created_by"),
    *_stamps(),
    Index("ix_opportunities_customer", "customer_id", "status"),
    Index("ix_opportunities_created", "created_at", "id"),
    Index("ix_opportunities_stage", "pipeline_id", "stage_id"),
    Index("ix_opportunities_close", "status", "expected_close_date"),
    Index("ix_opportunities_owner", "owner_id"),
    Index("ix_opportunities_team", "owner_team"),
)

stage_history = Table(
    "opportunity_stage_history",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    _ref("opportunity_id", nullable=False, index=True),
    _ref("from_stage_id"),
    Column("from_stage_name", String(100)),
    _ref("to_stage_id", nullable=False),
    Column("to_stage_name", String(100), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("seconds_in_previous", Integer, nullable=False),
    Column("probability", Integer, nullable=False),
    Column("amount", Amount(), nullable=False),
    Column("currency", String(3), nullable=False),
    _ref("by"),
)

# -- quotes, orders, coupons ------------------------------------------------------------------


def _priced() -> list[Column]:
    return [
        Column("currency", String(3), nullable=False),
        Column("base_currency", String(3), nullable=False),
        Column("lines", JSON, nullable=False),
        Column("subtotal", Amount(), nullable=False),
        Column("discount_total", Amount(), nullable=False),
        Column("tax_total", Amount(), nullable=False),
        Column("total", Amount(), nullable=False),
        Column("fx_rate", Rate(), nullable=False),
        Column("base_total", Amount(), nullable=False),
    ]


quotes = Table(
    "quotes",
    metadata,
    _id(),
    Column("number", String(30), nullable=False, unique=True),
    _ref("customer_id", nullable=False, index=True),
    _ref("opportunity_id", index=True),
    _ref("price_list_id"),
    _ref("channel_id"),
    Column("channel", String(20)),
    Column("customer_tier", String(60)),
    *_priced(),
    Column("status", String(10), nullable=False),
    Column("valid_until", Date),
    *_owner(),
    Column("region", String(100)),
    Column("notes", Text),
    Column("terms", Text),
    Column("sent_at", UtcDateTime()),
    Column("accepted_at", UtcDateTime()),
    Column("rejected_at", UtcDateTime()),
    Column("expired_at", UtcDateTime()),
    Column("reject_reason", String(500)),
    _ref("order_id"),
    _ref("created_by"),
    *_stamps(),
    Index("ix_quotes_created", "created_at", "id"),
    Index("ix_quotes_expiry", "status", "valid_until"),
    Index("ix_quotes_owner", "owner_id"),
    Index("ix_quotes_team", "owner_team"),
)

orders = Table(
    "orders",
    metadata,
    _id(),
    Column("number", String(30), nullable=False, unique=True),
    _ref("customer_id", nullable=False),
    Column("channel", String(20), nullable=False),
    _ref("channel_id"),
    Column("region", String(100)),
    *_owner(),
    *_priced(),
    Column("coupon_code", String(100)),
    _ref("coupon_id"),
    Column("coupon_discount", Amount(), nullable=False),
    _ref("campaign_id"),
    Column("utm", JSON),
    _ref("quote_id"),
    _ref("opportunity_id"),
    _ref("price_list_id"),
    Column("customer_tier", String(60)),
    Column("status", String(10), nullable=False),
    Column("was_paid", Boolean, nullable=False),
    Column("payment_reference", String(200)),
    Column("carrier", String(100)),
    Column("tracking_number", String(100)),
    Column("notes", Text),
    Column("cancel_reason", String(500)),
    Column("returned_amount", Amount(), nullable=False),
    Column("base_returned_amount", Amount(), nullable=False),
    Column("placed_at", UtcDateTime(), nullable=False),
    Column("paid_at", UtcDateTime()),
    Column("fulfilled_at", UtcDateTime()),
    Column("delivered_at", UtcDateTime()),
    Column("cancelled_at", UtcDateTime()),
    _ref("created_by"),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_orders_customer", "customer_id", "placed_at", "id"),
    Index("ix_orders_placed", "placed_at", "id"),
    Index("ix_orders_paid", "paid_at"),
    Index("ix_orders_status", "status", "placed_at"),
    Index("ix_orders_owner", "owner_id"),
    Index("ix_orders_team", "owner_team"),
)

order_returns = Table(
    "order_returns",
    metadata,
    _id(),
    _ref("order_id", nullable=False, index=True),
    Column("lines", JSON, nullable=False),
    Column("amount", Amount(), nullable=False),
    Column("base_amount", Amount(), nullable=False),
    Column("full", Boolean, nullable=False),
    Column("reason", String(500)),
    _ref("ticket_id"),
    _ref("return_request_id"),
    Column("returned_at", UtcDateTime(), nullable=False),
    _ref("created_by"),
    UniqueConstraint("order_id", "return_request_id", name="uq_order_returns_request"),
)

# -- contracts, targets, tasks, rates ---------------------------------------------------------

contracts = Table(
    "contracts",
    metadata,
    _id(),
    Column("number", String(30), nullable=False, unique=True),
    _ref("customer_id", nullable=False, index=True),
    Column("title", String(300), nullable=False),
    Column("description", Text),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("value", Amount(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("fx_rate", Rate(), nullable=False),
    Column("base_value", Amount(), nullable=False),
    Column("base_currency", String(3), nullable=False),
    Column("status", String(12), nullable=False),
    _ref("opportunity_id"),
    _ref("order_id"),
    Column("auto_renew", Boolean, nullable=False),
    Column("renewal_notice_days", Integer, nullable=False),
    *_owner(),
    Column("region", String(100)),
    Column("signed_at", UtcDateTime()),
    Column("terminated_at", UtcDateTime()),
    Column("termination_reason", String(500)),
    Column("expired_at", UtcDateTime()),
    Column("renewed_at", UtcDateTime()),
    _ref("renewed_from_id"),
    _ref("renewal_contract_id"),
    _ref("renewal_task_id"),
    Column("renewal_notified_at", UtcDateTime()),
    _ref("created_by"),
    *_stamps(),
    Index("ix_contracts_created", "created_at", "id"),
    Index("ix_contracts_end", "status", "end_date"),
    Index("ix_contracts_owner", "owner_id"),
    Index("ix_contracts_team", "owner_team"),
)

targets = Table(
    "targets",
    metadata,
    _id(),
    Column("subject", String(4), nullable=False),
    _ref("owner_id", index=True),
    Column("team", String(60), index=True),
    # owner_id for a rep, the team's name for a team: one target per subject, period and metric.
    Column("subject_key", String(60), nullable=False),
    Column("period_kind", String(7), nullable=False),
    Column("period", String(7), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("metric", String(10), nullable=False),
    Column("value", Amount(), nullable=False),
    Column("currency", String(3)),
    _ref("set_by"),
    Column("notes", String(1000)),
    *_stamps(),
    UniqueConstraint("subject", "subject_key", "period", "metric", name="uq_targets_subject"),
    Index("ix_targets_period", "period_start", "id"),
)

tasks = Table(
    "tasks",
    metadata,
    _id(),
    Column("kind", String(10), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("notes", Text),
    Column("priority", String(6), nullable=False),
    Column("status", String(10), nullable=False),
    Column("due_at", UtcDateTime()),
    _ref("assignee_id"),
    Column("assignee_team", String(60)),
    Column("related_type", String(12)),
    _ref("related_id"),
    _ref("customer_id", index=True),
    Column("outcome", String(500)),
    Column("reminded_at", UtcDateTime()),
    Column("completed_at", UtcDateTime()),
    Column("cancelled_at", UtcDateTime()),
    _ref("created_by"),
    *_stamps(),
    Index("ix_tasks_due", "status", "due_at"),
    Index("ix_tasks_list", "due_at", "id"),
    Index("ix_tasks_related", "related_type", "related_id"),
    Index("ix_tasks_assignee", "assignee_id"),
    Index("ix_tasks_team", "assignee_team"),
)

fx_rates = Table(
    "fx_rates",
    metadata,
    _id(),
    Column("currency", String(3), nullable=False),
    Column("base_currency", String(3), nullable=False),
    Column("rate", Rate(), nullable=False),
    Column("effective_from", UtcDateTime(), nullable=False),
    _ref("set_by"),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    UniqueConstraint("currency", "base_currency", "effective_from", name="uq_fx_rates_moment"),
)

sequences = Table(
    # Document numbers (SO-2026-000123): one counter per prefix and year.
    "sequences",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", Integer, nullable=False),
)
