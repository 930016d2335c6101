"""The analytics database (SQLAlchemy Core): the event archive, fact tables, rollups, scores.

Facts hold one row per source record (order, lead, ticket ...) keyed by the source id, with the
revision of each group of fields so a stale event never overwrites a newer one. Rollups hold sums
of per-fact contributions; a projection changes them only by the difference between a fact's
contribution before and after an event, so a late or repeated event corrects them instead of
counting twice. Every fact row keeps its UTC day together with that day's ISO week and month, so
reports group by any of them without date functions that differ between SQLite and PostgreSQL.
"""

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
    text,
)

from servicekit.tables import add_infrastructure_tables
from servicekit.types import Amount, UtcDateTime

metadata = MetaData()
add_infrastructure_tables(metadata)

ID = 36


def _day_columns(prefix: str) -> list[Column]:
    return [
        Column(f"{prefix}_day", Date),
        Column(f"{prefix}_week", Date),
        Column(f"{prefix}_month", Date),
    ]


# -- the archive: every consumed envelope, the source of every rebuild ---------------------------

event_archive = Table(
    "event_archive",
    metadata,
    Column("event_id", String(ID), primary_key=True),
    Column("event_type", String(120), nullable=False),
    Column("version", Integer, nullable=False),
    Column("occurred_at", UtcDateTime(), nullable=False),
    Column("producer", String(60), nullable=False),
    Column("aggregate_type", String(60)),
    Column("aggregate_id", String(128)),
    Column("aggregate_version", Integer),
    # Whose personal data the payload carries (only for events that carry any), so an erasure
    # can find and scrub it; the partial indexes leave the millions of other events out.
    Column("customer_id", String(ID)),
    Column("subject_id", String(ID)),
    Column("payload", Text, nullable=False),
    Column("archived_at", UtcDateTime(), nullable=False),
    Index("ix_event_archive_replay", "occurred_at", "event_id"),
    Index(
        "ix_event_archive_customer",
        "customer_id",
        sqlite_where=text("customer_id IS NOT NULL"),
        postgresql_where=text("customer_id IS NOT NULL"),
    ),
    Index(
        "ix_event_archive_subject",
        "subject_id",
        sqlite_where=text("subject_id IS NOT NULL"),
        postgresql_where=text("subject_id IS NOT NULL"),
    ),
)

# -- customers ------------------------------------------------------------------------------------

customers = Table(
    "customers",
    metadata,
    Column("customer_id", String(ID), primary_key=True),
    Column("kind", String(10)),
    Column("name", String(300)),
    Column("country", String(100)),
    Column("region", String(100)),
    Column("city", String(100)),
    Column("industry", String(100)),
    Column("size", String(40)),
    Column("source", String(100)),
    Column("lifecycle_stage", String(40)),
    Column("owner_id", String(ID)),
    Column("owner_team", String(60)),
    # active | merged | erased: erasure and merges override what the profile says.
    Column("status", String(10), nullable=False),
    Column("profile_status", String(10)),
    Column("created_at", UtcDateTime()),
    Column("profile_rev", Integer, nullable=False),
    Column("consents", JSON, nullable=False),
    Column("merged_into", String(ID)),
    Column("erased_at", UtcDateTime()),
    Index("ix_customers_country", "country"),
    Index("ix_customers_owner", "owner_id"),
)

# merged id -> the customer it finally lives on (chains are resolved when they form).
customer_aliases = Table(
    "customer_aliases",
    metadata,
    Column("merged_id", String(ID), primary_key=True),
    Column("survivor_id", String(ID), nullable=False, index=True),
    Column("merged_at", UtcDateTime(), nullable=False),
)

segments = Table(
    "segments",
    metadata,
    Column("segment_id", String(ID), primary_key=True),
    Column("name", String(200)),
    Column("kind", String(10)),
    Column("status", String(10)),
    Column("revision", Integer, nullable=False),
)

segment_members = Table(
    "segment_members",
    metadata,
    Column("segment_id", String(ID), primary_key=True),
    Column("customer_id", String(ID), primary_key=True),
    Column("member", Boolean, nullable=False),
    Column("changed_at", UtcDateTime(), nullable=False),
    Column("event_id", String(ID), nullable=False),
    Index("ix_segment_members_customer", "customer_id"),
)

interactions = Table(
    "interactions",
    metadata,
    Column("interaction_id", String(ID), primary_key=True),
    Column("customer_id", String(ID), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("actor_id", String(ID)),
    Column("occurred_at", UtcDateTime(), nullable=False),
    *_day_columns("occurred"),
    Index("ix_interactions_actor_day", "actor_id", "occurred_day"),
)

# -- sales: orders, their lines, revenue rollups, customer value, cohorts -------------------------

orders = Table(
    "orders",
    metadata,
    Column("order_id", String(ID), primary_key=True),
    Column("number", String(60)),
    Column("customer_id", String(ID)),
    Column("channel", String(60)),
    Column("channel_id", String(ID)),
    Column("region", String(100)),
    Column("owner_id", String(ID)),
    Column("owner_team", String(60)),
    Column("campaign_id", String(ID)),
    Column("coupon_id", String(ID)),
    Column("coupon_code", String(60)),
    Column("utm_source", String(100)),
    Column("utm_medium", String(100)),
    Column("utm_campaign", String(200)),
    Column("opportunity_id", String(ID)),
    Column("quote_id", String(ID)),
    Column("currency", String(3)),
    Column("total", Amount()),
    Column("base_total", Amount()),
    Column("placed_at", UtcDateTime()),
    *_day_columns("placed"),
    Column("paid_at", UtcDateTime()),
    Column("cancelled_at", UtcDateTime()),
    Column("cancel_reason", String(300)),
    Column("was_paid", Boolean),
    Column("fulfilled_at", UtcDateTime()),
    Column("delivered_at", UtcDateTime()),
    Column("status", String(12), nullable=False),
    # Lines and returns exactly as the events gave them: the projection recomputes from these.
    Column("lines", JSON, nullable=False),
    Column("returns", JSON, nullable=False),
    Column("returned_base", Amount(), nullable=False),
    Column("header_rev", Integer, nullable=False),
    Column("lines_rev", Integer, nullable=False),
    Column("paid_rev", Integer, nullable=False),
    Column("cancel_rev", Integer, nullable=False),
    Column("fulfil_rev", Integer, nullable=False),
    # The order's contribution to every revenue figure (see domain.orders.OrderMeasures).
    Column("m_orders", Integer, nullable=False),
    Column("m_cancelled", Integer, nullable=False),
    Column("m_paid", Integer, nullable=False),
    Column("m_units", Amount(), nullable=False),
    Column("m_booked", Amount(), nullable=False),
    Column("m_gross", Amount(), nullable=False),
    Column("m_returns", Amount(), nullable=False),
    Column("m_net", Amount(), nullable=False),
    # Reports select orders by day; every other index would be paid on each write.
    Index("ix_orders_placed_day", "placed_day"),
)

# An order's lines with their share of its base total and of its refunds. What they count for
# (booked, paid ...) follows the order's status, read from ``orders`` when a report needs it, so
# a line is rewritten only when the order's lines, returns or day change - not on every payment.
order_lines = Table(
    "order_lines",
    metadata,
    Column("order_id", String(ID), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("product_id", String(ID), nullable=False),
    Column("sku", String(100)),
    Column("category", String(100)),
    Column("quantity", Amount(), nullable=False),
    Column("base_amount", Amount(), nullable=False),
    Column("returned", Amount(), nullable=False),
    *_day_columns("placed"),
    Index("ix_order_lines_day", "placed_day"),
)

# Sums of order contributions per UTC day and one dimension value.
# dim: total | channel | region | rep | team | campaign | coupon | product | category
revenue_daily = Table(
    "revenue_daily",
    metadata,
    # Key order (dim, day, key): reports ask for one dimension over a range of days.
    Column("dim", String(12), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("key", String(100), primary_key=True),
    Column("week", Date, nullable=False),
    Column("month", Date, nullable=False),
    Column("quarter", Date, nullable=False),
    Column("orders", Integer, nullable=False),
    Column("cancelled", Integer, nullable=False),
    Column("paid_orders", Integer, nullable=False),
    Column("units", Amount(), nullable=False),
    Column("booked", Amount(), nullable=False),
    Column("gross", Amount(), nullable=False),
    Column("returns", Amount(), nullable=False),
    Column("net", Amount(), nullable=False),
)

# The same sums per calendar month: monthly and longer reports over whole months read 30 times
# fewer rows here (edge months that are only partly in a period come from the daily rows).
revenue_monthly = Table(
    "revenue_monthly",
    metadata,
    Column("dim", String(12), primary_key=True),
    Column("month", Date, primary_key=True),
    Column("key", String(100), primary_key=True),
    Column("quarter", Date, nullable=False),
    Column("orders", Integer, nullable=False),
    Column("cancelled", Integer, nullable=False),
    Column("paid_orders", Integer, nullable=False),
    Column("units", Amount(), nullable=False),
    Column("booked", Amount(), nullable=False),
    Column("gross", Amount(), nullable=False),
    Column("returns", Amount(), nullable=False),
    Column("net", Amount(), nullable=False),
)

products = Table(
    "products",
    metadata,
    Column("product_id", String(ID), primary_key=True),
    Column("sku", String(100)),
    Column("name", String(300)),
    Column("category", String(100)),
    # From the product catalogue's own events when there are any; order lines fill gaps only.
    Column("catalog_rev", Integer, nullable=False),
    # "<placed_at>|<order_id>" of the order line it was last taken from (latest wins).
    Column("seen_key", String(100)),
)

# Per (merge-resolved) customer: paid orders and net revenue per day, the base of RFM, CLV and
# cohorts. ``days`` maps ISO day -> [orders, net amount as a decimal string].
customer_sales = Table(
    "customer_sales",
    metadata,
    Column("customer_id", String(ID), primary_key=True),
    Column("days", JSON, nullable=False),
    Column("orders", Integer, nullable=False),
    Column("net", Amount(), nullable=False),
    Column("first_day", Date),
    Column("last_day", Date),
)

# Customers first buying in ``cohort`` (month) who bought again in ``month``, and their revenue.
cohort_cells = Table(
    "cohort_cells",
    metadata,
    Column("cohort", Date, primary_key=True),
    Column("month", Date, primary_key=True),
    Column("customers", Integer, nullable=False),
    Column("revenue", Amount(), nullable=False),
)

# -- leads, opportunities, pipelines, targets, tasks, channels, quotes ----------------------------

leads = Table(
    "leads",
    metadata,
    Column("lead_id", String(ID), primary_key=True),
    Column("status", String(20)),
    Column("source", String(100)),
    Column("campaign_id", String(ID)),
    Column("customer_id", String(ID)),
    Column("matched_customer_id", String(ID)),
    Column("matched_created", Boolean),
    Column("owner_id", String(ID)),
    Column("owner_team", String(60)),
    Column("country", String(100)),
    Column("region", String(100)),
    Column("score", Integer),
    Column("disqualify_reason", String(300)),
    # When the lead entered the funnel: created_at of its state, else when it was captured.
    Column("created_at", UtcDateTime()),
    *_day_columns("created"),
    Column("captured_at", UtcDateTime()),
    # Milestones keep the first time they were reached.
    Column("qualified_at", UtcDateTime()),
    Column("converted_at", UtcDateTime()),
    Column("opportunity_id", String(ID)),
    Column("disqualified_at", UtcDateTime()),
    Column("state_rev", Integer, nullable=False),
    Index("ix_leads_created_day", "created_day"),
)

opportunities = Table(
    "opportunities",
    metadata,
    Column("opportunity_id", String(ID), primary_key=True),
    Column("name", String(300)),
    Column("customer_id", String(ID)),
    Column("lead_id", String(ID)),
    Column("pipeline_id", String(ID)),
    Column("stage_id", String(ID)),
    Column("stage_name", String(100)),
    Column("status", String(10)),
    Column("probability", Integer),
    Column("forecast_category", String(20)),
    Column("base_amount", Amount()),
    Column("weighted_amount", Amount()),
    Column("expected_close_date", Date),
    Column("expected_close_week", Date),
    Column("expected_close_month", Date),
    Column("owner_id", String(ID)),
    Column("owner_team", String(60)),
    Column("region", String(100)),
    Column("campaign_id", String(ID)),
    Column("source", String(100)),
    Column("created_at", UtcDateTime()),
    *_day_columns("created"),
    Column("closed_at", UtcDateTime()),
    *_day_columns("closed"),
    Column("lost_reason", String(300)),
    Column("competitor", String(200)),
    Column("revision", Integer, nullable=False),
    Index("ix_opportunities_status_close", "status", "expected_close_date"),
    Index("ix_opportunities_closed_day", "closed_day"),
)

# Every state an opportunity was in, from when: the pipeline as of any past day.
opportunity_versions = Table(
    "opportunity_versions",
    metadata,
    Column("opportunity_id", String(ID), primary_key=True),
    Column("revision", Integer, primary_key=True),
    Column("valid_from", UtcDateTime(), nullable=False),
    Column("status", String(10), nullable=False),
    Column("pipeline_id", String(ID)),
    Column("stage_id", String(ID)),
    Column("stage_name", String(100)),
    Column("probability", Integer),
    Column("forecast_category", String(20)),
    Column("base_amount", Amount()),
    Column("weighted_amount", Amount()),
    Column("expected_close_date", Date),
    Column("owner_id", String(ID)),
    Column("owner_team", String(60)),
    Index("ix_opportunity_versions_valid_from", "valid_from"),
)

# How long an opportunity stayed in a stage before it moved on, was won or was lost.
opportunity_stage_spells = Table(
    "opportunity_stage_spells",
    metadata,
    Column("opportunity_id", String(ID), primary_key=True),
    Column("revision", Integer, primary_key=True),
    Column("pipeline_id", String(ID)),
    Column("stage_id", String(ID), nullable=False),
    Column("stage_name", String(100)),
    Column("seconds", Integer, nullable=False),
    Column("left_at", UtcDateTime(), nullable=False),
    *_day_columns("left"),
    Column("outcome", String(10), nullable=False),
    Column("owner_id", String(ID)),
    Column("owner_team", String(60)),
    Index("ix_opportunity_stage_spells_day", "left_day"),
)

pipelines = Table(
    "pipelines",
    metadata,
    Column("pipeline_id", String(ID), primary_key=True),
    Column("name", String(200)),
    Column("is_default", Boolean),
    Column("active", Boolean),
    # [{stage_id, name, position, probability, is_won, is_lost}]
    Column("stages", JSON, nullable=False),
    Column("revision", Integer, nullable=False),
)

targets = Table(
    "targets",
    metadata,
    Column("target_id", String(ID), primary_key=True),
    Column("subject", String(10)),
    Column("owner_id", String(ID)),
    Column("team", String(60)),
    Column("period_kind", String(10)),
    Column("period", String(20)),
    Column("period_start", Date),
    Column("period_end", Date),
    Column("metric", String(20)),
    Column("value", Amount()),
    Column("currency", String(3)),
    Column("removed", Boolean, nullable=False),
    Column("revision", Integer, nullable=False),
    Index("ix_targets_period", "period_start"),
)

tasks = Table(
    "tasks",
    metadata,
    Column("task_id", String(ID), primary_key=True),
    Column("kind", String(20)),
    Column("status", String(12)),
    Column("priority", String(10)),
    Column("assignee_id", String(ID)),
    Column("assignee_team", String(60)),
    Column("related_type", String(20)),
    Column("customer_id", String(ID)),
    Column("created_at", UtcDateTime()),
    Column("due_at", UtcDateTime()),
    Column("completed_at", UtcDateTime()),
    *_day_columns("completed"),
    Column("revision", Integer, nullable=False),
    Index("ix_tasks_completed_day", "completed_day"),
)

channels = Table(
    "channels",
    metadata,
    Column("channel_id", String(ID), primary_key=True),
    Column("kind", String(20)),
    Column("name", String(200)),
    Column("region", String(100)),
    Column("active", Boolean),
    Column("revision", Integer, nullable=False),
)

quotes = Table(
    "quotes",
    metadata,
    Column("quote_id", String(ID), primary_key=True),
    Column("customer_id", String(ID)),
    Column("opportunity_id", String(ID)),
    Column("owner_id", String(ID)),
    Column("owner_team", String(60)),
    Column("status", String(10)),
    Column("base_total", Amount()),
    Column("created_at", UtcDateTime()),
    *_day_columns("created"),
    Column("sent_at", UtcDateTime()),
    Column("accepted_at", UtcDateTime()),
    Column("rejected_at", UtcDateTime()),
    Column("expired_at", UtcDateTime()),
    Column("order_id", String(ID)),
    Column("revision", Integer, nullable=False),
    Index("ix_quotes_created_day", "created_day"),
)

contracts = Table(
    "contracts",
    metadata,
    Column("contract_id", String(ID), primary_key=True),
    Column("customer_id", String(ID)),
    Column("owner_id", String(ID)),
    Column("owner_team", String(60)),
    Column("region", String(100)),
    Column("status", String(12)),
    Column("base_value", Amount()),
    Column("start_date", Date),
    Column("end_date", Date),
    Column("auto_renew", Boolean),
    Column("renewed_from_id", String(ID)),
    Column("signed_at", UtcDateTime()),
    Column("renewed_at", UtcDateTime()),
    Column("terminated_at", UtcDateTime()),
    Column("expired_at", UtcDateTime()),
    Column("revision", Integer, nullable=False),
    Index("ix_contracts_signed", "signed_at"),
)

# -- campaigns, spend, attribution, messages, coupons, touchpoints --------------------------------

campaigns = Table(
    "campaigns",
    metadata,
    Column("campaign_id", String(ID), primary_key=True),
    Column("name", String(200)),
    Column("channel", String(20)),
    Column("objective", String(200)),
    Column("status", String(12)),
    Column("budget", Amount()),
    Column("budget_currency", String(3)),
    Column("owner_id", String(ID)),
    Column("owner_team", String(60)),
    Column("utm_campaign", String(200)),
    Column("coupon_id", String(ID)),
    Column("launched_at", UtcDateTime()),
    Column("completed_at", UtcDateTime()),
    Column("created_at", UtcDateTime()),
    # [{variant_id, name, split_percent, is_winner}]
    Column("variants", JSON, nullable=False),
    Column("winner_variant_id", String(ID)),
    Column("revision", Integer, nullable=False),
)

campaign_costs = Table(
    "campaign_costs",
    metadata,
    Column("cost_id", String(ID), primary_key=True),
    Column("campaign_id", String(ID), nullable=False),
    Column("category", String(100)),
    Column("base_amount", Amount(), nullable=False),
    Column("incurred_on", Date),
    Column("incurred_week", Date),
    Column("incurred_month", Date),
    Column("removed", Boolean, nullable=False),
    Index("ix_campaign_costs_campaign", "campaign_id"),
)

# The campaign service's attribution of each paid order (latest revision), one item per model
# and campaign.
attributions = Table(
    "attributions",
    metadata,
    Column("order_id", String(ID), primary_key=True),
    Column("customer_id", String(ID)),
    Column("status", String(10)),
    Column("method", String(12)),
    Column("revenue", Amount()),
    Column("placed_at", UtcDateTime()),
    Column("revision", Integer, nullable=False),
)

attribution_items = Table(
    "attribution_items",
    metadata,
    Column("order_id", String(ID), primary_key=True),
    Column("model", String(12), primary_key=True),
    Column("campaign_id", String(ID), primary_key=True),
    Column("variant_id", String(ID)),
    Column("share", Amount(), nullable=False),
    Column("revenue", Amount(), nullable=False),
    *_day_columns("placed"),
)

# Sums of attributed revenue per day placed, campaign, variant and model.
attribution_daily = Table(
    "attribution_daily",
    metadata,
    Column("day", Date, primary_key=True),
    Column("campaign_id", String(ID), primary_key=True),
    Column("variant_id", String(ID), primary_key=True),
    Column("model", String(12), primary_key=True),
    Column("week", Date, nullable=False),
    Column("month", Date, nullable=False),
    Column("quarter", Date, nullable=False),
    Column("orders", Integer, nullable=False),
    Column("revenue", Amount(), nullable=False),
    Index("ix_attribution_daily_day", "day"),
)

messages = Table(
    "messages",
    metadata,
    Column("message_id", String(ID), primary_key=True),
    Column("campaign_id", String(ID)),
    Column("variant_id", String(ID)),
    Column("customer_id", String(ID)),
    Column("purpose", String(20)),
    Column("sent_at", UtcDateTime()),
    *_day_columns("sent"),
    Column("delivered_at", UtcDateTime()),
    Column("bounced_at", UtcDateTime()),
    Column("bounce_type", String(4)),
    # First opens and clicks, people and machines (mail privacy proxies, scanners) apart.
    Column("human_open_at", UtcDateTime()),
    Column("machine_open_at", UtcDateTime()),
    Column("human_click_at", UtcDateTime()),
    Column("machine_click_at", UtcDateTime()),
    Column("human_opens", Integer, nullable=False),
    Column("machine_opens", Integer, nullable=False),
    Column("human_clicks", Integer, nullable=False),
    Column("machine_clicks", Integer, nullable=False),
)

# Each open and click once, so counting them survives replays.
message_engagements = Table(
    "message_engagements",
    metadata,
    Column("event_id", String(ID), primary_key=True),
    Column("message_id", String(ID), nullable=False),
    Column("kind", String(6), nullable=False),
    Column("machine", Boolean, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
)

# Sums of message contributions per day sent, campaign and variant.
engagement_daily = Table(
    "engagement_daily",
    metadata,
    Column("day", Date, primary_key=True),
    Column("campaign_id", String(ID), primary_key=True),
    Column("variant_id", String(ID), primary_key=True),
    Column("week", Date, nullable=False),
    Column("month", Date, nullable=False),
    Column("quarter", Date, nullable=False),
    Column("sent", Integer, nullable=False),
    Column("delivered", Integer, nullable=False),
    Column("bounced", Integer, nullable=False),
    Column("hard_bounced", Integer, nullable=False),
    Column("opened", Integer, nullable=False),
    Column("machine_opened", Integer, nullable=False),
    Column("clicked", Integer, nullable=False),
    Column("machine_clicked", Integer, nullable=False),
    Column("opens", Integer, nullable=False),
    Column("machine_opens", Integer, nullable=False),
    Column("clicks", Integer, nullable=False),
    Column("machine_clicks", Integer, nullable=False),
    Index("ix_engagement_daily_campaign", "campaign_id", "day"),
)

coupons = Table(
    "coupons",
    metadata,
    Column("coupon_id", String(ID), primary_key=True),
    Column("campaign_id", String(ID)),
    Column("name", String(200)),
    Column("mode", String(10)),
    Column("code", String(60)),
    Column("discount_kind", String(10)),
    Column("value", Amount()),
    Column("currency", String(3)),
    Column("active", Boolean),
    Column("revision", Integer, nullable=False),
)

coupon_batches = Table(
    "coupon_batches",
    metadata,
    Column("coupon_id", String(ID), primary_key=True),
    Column("batch", Integer, primary_key=True),
    Column("codes", Integer, nullable=False),
)

coupon_redemptions = Table(
    "coupon_redemptions",
    metadata,
    Column("redemption_id", String(ID), primary_key=True),
    Column("coupon_id", String(ID)),
    Column("campaign_id", String(ID)),
    Column("order_id", String(ID)),
    Column("customer_id", String(ID)),
    Column("base_discount", Amount()),
    Column("redeemed_at", UtcDateTime()),
    *_day_columns("redeemed"),
    Column("released_at", UtcDateTime()),
    Index("ix_coupon_redemptions_day", "redeemed_day"),
)

unsubscribes = Table(
    "unsubscribes",
    metadata,
    Column("event_id", String(ID), primary_key=True),
    Column("customer_id", String(ID), nullable=False),
    Column("channel", String(10), nullable=False),
    Column("campaign_id", String(ID)),
    Column("message_id", String(ID)),
    Column("method", String(20)),
    Column("at", UtcDateTime(), nullable=False),
    *_day_columns("at"),
    Index("ix_unsubscribes_day", "at_day"),
)

touchpoints = Table(
    "touchpoints",
    metadata,
    Column("touchpoint_id", String(ID), primary_key=True),
    Column("customer_id", String(ID)),
    Column("campaign_id", String(ID)),
    Column("kind", String(40)),
    Column("utm_source", String(100)),
    Column("utm_medium", String(100)),
    Column("occurred_at", UtcDateTime(), nullable=False),
    *_day_columns("occurred"),
    Index("ix_touchpoints_day", "occurred_day"),
)

# -- support --------------------------------------------------------------------------------------

tickets = Table(
    "tickets",
    metadata,
    Column("ticket_id", String(ID), primary_key=True),
    Column("number", String(60)),
    Column("customer_id", String(ID)),
    Column("order_id", String(ID)),
    Column("category", String(100)),
    Column("channel", String(60)),
    Column("priority", String(20)),
    Column("status", String(20)),
    Column("group_id", String(ID)),
    Column("agent_id", String(ID)),
    Column("policy_id", String(ID)),
    Column("origin", String(40)),
    Column("opened_at", UtcDateTime()),
    *_day_columns("opened"),
    Column("first_response_at", UtcDateTime()),
    Column("first_response_seconds", Integer),
    Column("first_response_calendar_seconds", Integer),
    Column("first_response_met", Boolean),
    Column("resolved_at", UtcDateTime()),
    Column("resolution_seconds", Integer),
    Column("resolution_calendar_seconds", Integer),
    Column("resolution_met", Boolean),
    Column("reopened_count", Integer, nullable=False),
    Column("closed_at", UtcDateTime()),
    Column("merged_into", String(ID)),
    Column("root_cause_category", String(100)),
    Column("state_rev", Integer, nullable=False),
    Column("first_response_rev", Integer, nullable=False),
    Column("resolution_rev", Integer, nullable=False),
    Column("complaint_rev", Integer, nullable=False),
    Index("ix_tickets_opened_day", "opened_day"),
)

sla_breaches = Table(
    "sla_breaches",
    metadata,
    Column("ticket_id", String(ID), primary_key=True),
    Column("target", String(20), primary_key=True),
    Column("cycle", Integer, primary_key=True),
    Column("policy_id", String(ID)),
    Column("due_at", UtcDateTime(), nullable=False),
    Column("detected_at", UtcDateTime(), nullable=False),
)

return_requests = Table(
    "return_requests",
    metadata,
    Column("return_request_id", String(ID), primary_key=True),
    Column("ticket_id", String(ID)),
    Column("order_id", String(ID)),
    Column("customer_id", String(ID)),
    Column("full", Boolean),
    Column("reason", String(300)),
    Column("requested_at", UtcDateTime()),
    *_day_columns("requested"),
    Column("approved_at", UtcDateTime()),
    Column("rejected_at", UtcDateTime()),
)

# Satisfaction answers: support's CSAT/NPS surveys and the NPS question of market research.
survey_responses = Table(
    "survey_responses",
    metadata,
    Column("response_key", String(50), primary_key=True),
    Column("source", String(10), nullable=False),
    Column("kind", String(4)),
    Column("score", Integer),
    Column("scale_min", Integer),
    Column("scale_max", Integer),
    Column("satisfied", Boolean),
    Column("nps_category", String(10)),
    Column("ticket_id", String(ID)),
    Column("customer_id", String(ID)),
    Column("agent_id", String(ID)),
    Column("group_id", String(ID)),
    Column("campaign_id", String(ID)),
    Column("sent_at", UtcDateTime()),
    *_day_columns("sent"),
    Column("answered_at", UtcDateTime()),
    *_day_columns("answered"),
    Index("ix_survey_responses_answered_day", "answered_day"),
)

# -- scores (derived by the scoring job, not by events) -------------------------------------------

customer_scores = Table(
    "customer_scores",
    metadata,
    Column("customer_id", String(ID), primary_key=True),
    Column("as_of", Date, nullable=False),
    Column("recency_days", Integer, nullable=False),
    Column("frequency", Integer, nullable=False),
    Column("monetary", Amount(), nullable=False),
    Column("r", Integer, nullable=False),
    Column("f", Integer, nullable=False),
    Column("m", Integer, nullable=False),
    Column("score", String(3), nullable=False),
    Column("segment", String(30), nullable=False),
    Column("first_order_day", Date),
    Column("last_order_day", Date),
    Column("average_order_value", Amount(), nullable=False),
    Column("clv_historic", Amount(), nullable=False),
    Column("clv_predicted", Amount(), nullable=False),
    Column("churn_risk", Amount(), nullable=False),
    Column("computed_at", UtcDateTime(), nullable=False),
    # What the customer service was last told, so only changed scores are published again.
    Column("published_fingerprint", String(64)),
    Column("published_at", UtcDateTime()),
    Index("ix_customer_scores_segment", "segment"),
    Index("ix_customer_scores_clv", "clv_predicted"),
)

# The scores summed per segment, R/F/M, country and cohort, rewritten by every scoring run: the
# RFM and CLV reports read this instead of every customer.
score_summary = Table(
    "score_summary",
    metadata,
    Column("segment", String(30), primary_key=True),
    Column("r", Integer, primary_key=True),
    Column("f", Integer, primary_key=True),
    Column("m", Integer, primary_key=True),
    Column("country", String(100), primary_key=True),
    Column("cohort", Date, primary_key=True),
    Column("customers", Integer, nullable=False),
    Column("recency_days", Integer, nullable=False),
    Column("frequency", Integer, nullable=False),
    Column("monetary", Amount(), nullable=False),
    Column("clv_historic", Amount(), nullable=False),
    Column("clv_predicted", Amount(), nullable=False),
    Column("average_order_value", Amount(), nullable=False),
    Column("churn_risk", Amount(), nullable=False),
)
