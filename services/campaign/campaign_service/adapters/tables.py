"""The campaign service's database schema (SQLAlchemy Core).

Own records: campaigns, variants, templates, sends and messages with their links and tracking
events, suppressions, costs, coupons and codes, touchpoints, attribution, competitors, surveys.
Replicas fed by events (never another service's database): customers, consent, segments and
memberships (customer service), orders and exchange rates (sales).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from servicekit.tables import add_infrastructure_tables
from servicekit.types import Amount, UtcDateTime

metadata = MetaData()
add_infrastructure_tables(metadata)

ID = 36

# -- campaigns ------------------------------------------------------------------------------

campaigns = Table(
    "campaigns",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("description", Text),
    Column("channel", String(12), nullable=False),
    Column("objective", String(20), nullable=False),
    Column("status", String(12), nullable=False),
    Column("budget_amount", Amount()),
    Column("budget_currency", String(3)),
    Column("spend", Amount(), nullable=False),
    Column("base_currency", String(3), nullable=False),
    Column("planned_start", UtcDateTime()),
    Column("planned_end", UtcDateTime()),
    Column("scheduled_at", UtcDateTime()),
    Column("launched_at", UtcDateTime()),
    Column("paused_at", UtcDateTime()),
    Column("completed_at", UtcDateTime()),
    Column("cancelled_at", UtcDateTime()),
    Column("owner_id", String(ID)),
    Column("owner_team", String(60)),
    Column("segment_ids", JSON, nullable=False),
    Column("exclude_segment_ids", JSON, nullable=False),
    Column("utm_campaign", String(100), nullable=False, unique=True),
    Column("coupon_id", String(ID)),
    Column("survey_id", String(ID)),
    Column("ab_test", JSON),
    Column("winner_variant_id", String(ID)),
    Column("winner_selected_at", UtcDateTime()),
    Column("respect_frequency_cap", Boolean, nullable=False),
    Column("budget_exceeded_at", UtcDateTime()),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("created_by", String(80)),
    Column("version", Integer, nullable=False),
    Index("ix_campaigns_created", "created_at", "id"),
    Index("ix_campaigns_name", "name", "id"),
    Index("ix_campaigns_status", "status", "scheduled_at"),
    Index("ix_campaigns_owner", "owner_id"),
    Index("ix_campaigns_team", "owner_team"),
)

variants = Table(
    "campaign_variants",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column(
        "campaign_id", String(ID), ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False
    ),
    Column("name", String(60), nullable=False),
    Column("position", Integer, nullable=False),
    Column("split_percent", Integer, nullable=False),
    Column("template_id", String(ID)),
    Column("content", JSON),
    Index("ix_variants_campaign", "campaign_id", "position"),
)

templates = Table(
    "templates",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("description", Text),
    Column("subject", Text, nullable=False),
    Column("preheader", Text),
    Column("text_body", Text, nullable=False),
    Column("html_body", Text),
    Column("from_name", String(100)),
    Column("defaults", JSON, nullable=False),
    Column("status", String(10), nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("created_by", String(80)),
    Index("ix_templates_name", "name", "id"),
)

# -- sending --------------------------------------------------------------------------------

sends = Table(
    "sends",
    metadata,
    Column("campaign_id", String(ID), ForeignKey("campaigns.id"), primary_key=True),
    # pending -> sending -> (awaiting_winner -> sending) -> finished | cancelled
    Column("phase", String(20), nullable=False),
    Column("recipients", Integer, nullable=False),
    Column("held_for_winner", Integer, nullable=False),
    Column("excluded", JSON, nullable=False),
    Column("test_ends_at", UtcDateTime()),
    Column("requested_at", UtcDateTime(), nullable=False),
    Column("resolved_at", UtcDateTime()),
    Column("finished_at", UtcDateTime()),
    Column("last_error", Text),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_sends_phase", "phase"),
)

messages = Table(
    "messages",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("campaign_id", String(ID), ForeignKey("campaigns.id"), nullable=False),
    Column("variant_id", String(ID)),
    Column("customer_id", String(ID), nullable=False),
    Column("to_address", String(320)),
    Column("purpose", String(20), nullable=False),
    # held (waits for the A/B winner) | pending | sending | deferred | delivered | bounced_hard |
    # bounced_soft | skipped | cancelled | in_doubt
    Column("status", String(14), nullable=False),
    Column("skip_reason", String(30)),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime()),
    Column("claimed_at", UtcDateTime()),
    Column("smtp_code", Integer),
    Column("last_error", Text),
    Column("coupon_code", String(60)),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("sent_at", UtcDateTime()),
    Column("delivered_at", UtcDateTime()),
    Column("bounced_at", UtcDateTime()),
    Column("first_open_at", UtcDateTime()),
    Column("first_machine_open_at", UtcDateTime()),
    Column("opens", Integer, nullable=False),
    Column("machine_opens", Integer, nullable=False),
    Column("first_click_at", UtcDateTime()),
    Column("first_machine_click_at", UtcDateTime()),
    Column("clicks", Integer, nullable=False),
    Column("machine_clicks", Integer, nullable=False),
    Column("unsubscribed_at", UtcDateTime()),
    # One message per recipient per campaign, whatever happens to the worker.
    UniqueConstraint("campaign_id", "customer_id", name="uq_messages_campaign_customer"),
    Index("ix_messages_work", "campaign_id", "status", "next_attempt_at"),
    Index("ix_messages_customer", "customer_id", "created_at", "id"),
    Index("ix_messages_recent", "created_at", "customer_id"),
    Index("ix_messages_variant", "campaign_id", "variant_id"),
)

message_links = Table(
    "message_links",
    metadata,
    Column("variant_id", String(ID), primary_key=True),
    Column("link_id", String(16), primary_key=True),
    Column("campaign_id", String(ID), nullable=False),
    Column("url", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

tracking_events = Table(
    "tracking_events",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("message_id", String(ID), ForeignKey("messages.id"), nullable=False),
    Column("campaign_id", String(ID), nullable=False),
    Column("kind", String(8), nullable=False),  # open | click
    Column("link_id", String(16)),
    Column("occurred_at", UtcDateTime(), nullable=False),
    Column("machine", Boolean, nullable=False),
    Column("machine_reason", String(60)),
    Column("user_agent", String(300)),
    Index("ix_tracking_message", "message_id", "kind", "occurred_at"),
    Index("ix_tracking_campaign", "campaign_id", "kind"),
)

suppressions = Table(
    "suppressions",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("address_hash", String(64), nullable=False, unique=True),
    Column("address", String(320)),
    Column("customer_id", String(ID)),
    Column("reason", String(20), nullable=False),  # unsubscribed | hard_bounce | manual | complaint
    Column("campaign_id", String(ID)),
    Column("message_id", String(ID)),
    Column("note", Text),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", String(80)),
    Index("ix_suppressions_customer", "customer_id"),
    Index("ix_suppressions_created", "created_at", "id"),
)

# -- money ----------------------------------------------------------------------------------

costs = Table(
    "costs",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("campaign_id", String(ID), ForeignKey("campaigns.id"), nullable=False),
    Column("category", String(20), nullable=False),
    Column("description", Text),
    Column("amount", Amount(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("fx_rate", String(24), nullable=False),  # exact decimal text
    Column("base_amount", Amount(), nullable=False),
    Column("base_currency", String(3), nullable=False),
    Column("incurred_on", Date, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", String(80)),
    Index("ix_costs_campaign", "campaign_id", "incurred_on", "id"),
)

coupons = Table(
    "coupons",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("campaign_id", String(ID)),
    Column("mode", String(8), nullable=False),
    Column("code", String(60), unique=True),
    Column("discount_kind", String(8), nullable=False),
    Column("value", Amount(), nullable=False),
    Column("currency", String(3)),
    Column("valid_from", UtcDateTime()),
    Column("valid_until", UtcDateTime()),
    Column("max_redemptions", Integer),
    Column("max_per_customer", Integer),
    Column("min_order_amount", Amount()),
    Column("min_order_currency", String(3)),
    Column("active", Boolean, nullable=False),
    Column("codes_issued", Integer, nullable=False),
    Column("batches", Integer, nullable=False),
    Column("redemptions", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("created_by", String(80)),
    Index("ix_coupons_campaign", "campaign_id"),
    Index("ix_coupons_created", "created_at", "id"),
)

coupon_codes = Table(
    "coupon_codes",
    metadata,
    Column("code", String(60), primary_key=True),
    Column("coupon_id", String(ID), ForeignKey("coupons.id"), nullable=False),
    Column("batch", Integer, nullable=False),
    Column("customer_id", String(ID)),
    Column("message_id", String(ID)),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("assigned_at", UtcDateTime()),
    Index("ix_coupon_codes_free", "coupon_id", "customer_id"),
)

redemptions = Table(
    "coupon_redemptions",
    metadata,
    Column("redemption_id", String(ID), primary_key=True),
    Column("coupon_id", String(ID), nullable=False),
    Column("order_id", String(ID), nullable=False),
    Column("customer_id", String(ID), nullable=False),
    Column("code", String(60), nullable=False),
    Column("base_discount", Amount(), nullable=False),
    Column("redeemed_at", UtcDateTime(), nullable=False),
    Column("released_at", UtcDateTime()),
    Index("ix_redemptions_coupon", "coupon_id"),
)

# -- touchpoints and attribution ------------------------------------------------------------

touchpoints = Table(
    "touchpoints",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("customer_id", String(ID)),
    Column("anonymous_id", String(100)),
    Column("campaign_id", String(ID)),
    Column("kind", String(20), nullable=False),  # visit | email_click | order
    Column("source", String(100)),
    Column("medium", String(100)),
    Column("utm_campaign", String(100)),
    Column("term", String(200)),
    Column("content", String(200)),
    Column("landing_url", Text),
    Column("referrer", Text),
    Column("message_id", String(ID)),
    Column("order_id", String(ID)),
    Column("occurred_at", UtcDateTime(), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("recorded_by", String(80)),
    Index("ix_touchpoints_customer", "customer_id", "occurred_at", "id"),
    Index("ix_touchpoints_anonymous", "anonymous_id", "occurred_at", "id"),
    Index("ix_touchpoints_campaign", "campaign_id", "occurred_at"),
    Index("ix_touchpoints_recorded", "occurred_at", "id"),
)

orders = Table(
    "orders",
    metadata,
    Column("order_id", String(ID), primary_key=True),
    Column("customer_id", String(ID), nullable=False),
    Column("coupon_id", String(ID)),
    Column("coupon_code", String(60)),
    Column("campaign_id", String(ID)),
    Column("utm", JSON),
    Column("placed_at", UtcDateTime()),
    Column("paid_at", UtcDateTime()),
    Column("gross", Amount()),
    Column("currency", String(3)),
    Column("status", String(12), nullable=False),  # placed | paid | cancelled
    Column("placed_revision", Integer, nullable=False),
    Column("paid_revision", Integer, nullable=False),
    Column("cancelled_revision", Integer, nullable=False),
    Column("method", String(12)),
    Column("attribution_status", String(12)),
    Column("attribution_revision", Integer, nullable=False),
    Column("attributed_at", UtcDateTime()),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_orders_customer", "customer_id"),
)

order_returns = Table(
    "order_returns",
    metadata,
    Column("return_id", String(ID), primary_key=True),
    Column("order_id", String(ID), nullable=False, index=True),
    Column("base_amount", Amount(), nullable=False),
    Column("returned_at", UtcDateTime(), nullable=False),
)

attributions = Table(
    "attributions",
    metadata,
    Column("order_id", String(ID), primary_key=True),
    Column("model", String(12), primary_key=True),
    Column("campaign_id", String(ID), primary_key=True),
    Column("variant_id", String(ID)),
    Column("customer_id", String(ID), nullable=False),
    Column("method", String(12), nullable=False),
    Column("share", String(12), nullable=False),
    Column("revenue", Amount(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("attributed_at", UtcDateTime(), nullable=False),
    Index("ix_attributions_campaign", "campaign_id", "model"),
)

fx_rates = Table(
    "fx_rates",
    metadata,
    Column("fx_rate_id", String(ID), primary_key=True),
    Column("currency", String(3), nullable=False),
    Column("base_currency", String(3), nullable=False),
    Column("rate", String(24), nullable=False),  # exact decimal text
    Column("effective_from", UtcDateTime(), nullable=False),
    Index("ix_fx_rates_lookup", "currency", "effective_from"),
)

# -- market research ------------------------------------------------------------------------

competitors = Table(
    "competitors",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("name_key", String(200), nullable=False),
    Column("website", String(300)),
    Column("description", Text),
    Column("products", JSON, nullable=False),
    Column("strengths", JSON, nullable=False),
    Column("weaknesses", JSON, nullable=False),
    Column("notes", Text),
    Column("status", String(10), nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("created_by", String(80)),
    Index("ix_competitors_name", "name_key", "id"),
)

surveys = Table(
    "surveys",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("description", Text),
    Column("intro", Text),
    Column("thank_you", Text),
    Column("language", String(35), nullable=False),
    Column("questions", JSON, nullable=False),
    Column("status", String(10), nullable=False),
    Column("responses", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("opened_at", UtcDateTime()),
    Column("closed_at", UtcDateTime()),
    Column("created_by", String(80)),
    Index("ix_surveys_created", "created_at", "id"),
)

survey_responses = Table(
    "survey_responses",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("survey_id", String(ID), ForeignKey("surveys.id"), nullable=False),
    Column("campaign_id", String(ID)),
    # One response per invitation: the message is the token's identity.
    Column("message_id", String(ID), unique=True),
    Column("customer_id", String(ID)),
    Column("answers", JSON, nullable=False),
    Column("answered_at", UtcDateTime(), nullable=False),
    Index("ix_responses_survey", "survey_id", "answered_at", "id"),
)

# -- replicas -------------------------------------------------------------------------------

customers = Table(
    "customers",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("kind", String(10)),
    Column("name", String(300)),
    Column("first_name", String(120)),
    Column("last_name", String(120)),
    Column("company_id", String(ID)),
    Column("job_title", String(200)),
    Column("email", String(320)),
    Column("country", String(2)),
    Column("city", String(100)),
    Column("language", String(35)),
    Column("attributes", JSON, nullable=False),
    Column("status", String(10), nullable=False),  # active | merged | erased
    Column("merged_into", String(ID)),
    Column("revision", Integer, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

consents = Table(
    "consents",
    metadata,
    Column("customer_id", String(ID), primary_key=True),
    Column("channel", String(8), primary_key=True),
    Column("status", String(10), nullable=False),
    Column("source", String(100)),
    Column("revision", Integer, nullable=False),
    Column("changed_at", UtcDateTime(), nullable=False),
)

segments = Table(
    "segments",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("name", String(200)),
    Column("kind", String(10)),
    Column("status", String(10), nullable=False),
    Column("revision", Integer, nullable=False),
)

segment_members = Table(
    "segment_members",
    metadata,
    Column("segment_id", String(ID), primary_key=True),
    Column("customer_id", String(ID), primary_key=True),
    # A removal keeps the row (member false) so an older "added" arriving late is ignored.
    Column("member", Boolean, nullable=False),
    Column("changed_at", UtcDateTime(), nullable=False),
    Index("ix_segment_members_customer", "customer_id"),
)
