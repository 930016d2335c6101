"""The customer service's database schema (SQLAlchemy Core)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from servicekit.tables import add_infrastructure_tables
from servicekit.types import Amount, UtcDateTime

metadata = MetaData()
add_infrastructure_tables(metadata)

customers = Table(
    "customers",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("kind", String(10), nullable=False),
    Column("name", String(300), nullable=False),
    Column("name_key", String(300), nullable=False),
    Column("first_name", String(120)),
    Column("last_name", String(120)),
    Column("company_id", String(36), ForeignKey("customers.id"), nullable=True),
    Column("job_title", String(200)),
    Column("emails", JSON, nullable=False),
    Column("phones", JSON, nullable=False),
    Column("primary_email", String(320)),
    Column("primary_phone", String(32)),
    Column("country", String(2)),
    Column("region", String(100)),
    Column("city", String(100)),
    Column("postal_code", String(20)),
    Column("street", String(300)),
    Column("industry", String(100)),
    Column("size", String(20)),
    Column("source", String(100)),
    Column("lifecycle_stage", String(30)),
    Column("owner_id", String(36)),
    Column("owner_team", String(60)),
    Column("tags", JSON, nullable=False),
    Column("attributes", JSON, nullable=False),
    Column("demographics", JSON, nullable=False),
    Column("psychographics", JSON, nullable=False),
    Column("consents", JSON, nullable=False),
    Column("scores", JSON, nullable=False),
    Column("orders_count", Integer, nullable=False, default=0),
    Column("total_spent", Amount(), nullable=False, default=0),
    Column("spent_currency", String(3)),
    Column("first_order_at", UtcDateTime()),
    Column("last_order_at", UtcDateTime()),
    Column("status", String(10), nullable=False),
    Column("merged_into", String(36)),
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("created_by", String(36)),
    Index("ix_customers_name", "status", "name_key", "id"),
    Index("ix_customers_created", "status", "created_at", "id"),
    Index("ix_customers_updated", "updated_at", "id"),
    Index("ix_customers_owner", "owner_id"),
    Index("ix_customers_team", "owner_team"),
    Index("ix_customers_company", "company_id"),
    Index("ix_customers_country_city", "country", "city"),
)

contact_points = Table(
    "customer_contact_points",
    metadata,
    Column(
        "customer_id", String(36), ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("kind", String(5), primary_key=True),  # email | phone
    Column("value", String(320), primary_key=True),
    Index("ix_contact_points_value", "kind", "value"),
)

customer_tags = Table(
    "customer_tags",
    metadata,
    Column(
        "customer_id", String(36), ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("tag", String(50), primary_key=True),
    Index("ix_customer_tags_tag", "tag"),
)

consent_history = Table(
    "consent_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "customer_id",
        String(36),
        ForeignKey("customers.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("channel", String(10), nullable=False),
    Column("status", String(10), nullable=False),
    Column("source", String(100), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("recorded_by", String(80)),
    Column("evidence", Text),
)

customer_orders = Table(
    # The behavioural ledger: one row per sales order, rebuilt into orders_count/total_spent.
    "customer_orders",
    metadata,
    Column("order_id", String(36), primary_key=True),
    Column("customer_id", String(36), nullable=False, index=True),
    Column("status", String(12), nullable=False),  # placed | paid | cancelled
    Column("base_total", Amount(), nullable=False, default=0),
    Column("paid_amount", Amount(), nullable=False, default=0),
    Column("returned_amount", Amount(), nullable=False, default=0),
    Column("currency", String(3)),
    Column("placed_at", UtcDateTime()),
    Column("revision", Integer, nullable=False, default=0),
)

interactions = Table(
    "interactions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("customer_id", String(36), ForeignKey("customers.id"), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("occurred_at", UtcDateTime(), nullable=False),
    Column("actor_id", String(36)),
    Column("actor_name", String(200)),
    Column("subject", String(300)),
    Column("notes", Text),
    Column("outcome", String(20)),
    Column("next_step", String(500)),
    Column("next_step_due", UtcDateTime()),
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_interactions_customer", "customer_id", "occurred_at", "id"),
)

attribute_definitions = Table(
    "attribute_definitions",
    metadata,
    Column("key", String(50), primary_key=True),
    Column("label", String(200), nullable=False),
    Column("type", String(12), nullable=False),
    Column("options", JSON, nullable=False),
    Column("required", Boolean, nullable=False, default=False),
    Column("description", Text),
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

segments = Table(
    "segments",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("description", Text),
    Column("rules", JSON),
    Column("status", String(10), nullable=False),
    Column("evaluation", String(10), nullable=False),
    Column("member_count", Integer, nullable=False, default=0),
    Column("evaluated_at", UtcDateTime()),
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("created_by", String(36)),
    Index("ix_segments_status_kind", "status", "kind"),
)

segment_members = Table(
    "segment_members",
    metadata,
    Column(
        "segment_id", String(36), ForeignKey("segments.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("customer_id", String(36), primary_key=True),
    Column("added_at", UtcDateTime(), nullable=False),
    Index("ix_segment_members_customer", "customer_id"),
)

import_jobs = Table(
    "import_jobs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("filename", String(300)),
    Column("policy", String(10), nullable=False),
    Column("status", String(12), nullable=False),
    Column("total_rows", Integer, nullable=False, default=0),
    Column("rows_done", Integer, nullable=False, default=0),
    Column("created", Integer, nullable=False, default=0),
    Column("updated", Integer, nullable=False, default=0),
    Column("skipped", Integer, nullable=False, default=0),
    Column("failed", Integer, nullable=False, default=0),
    Column("errors", JSON, nullable=False),
    Column("created_by", String(36)),
    Column("owner_team", String(60)),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("started_at", UtcDateTime()),
    Column("finished_at", UtcDateTime()),
    Column("heartbeat_at", UtcDateTime()),
    Column("version", Integer, nullable=False),
    Index("ix_import_jobs_status", "status", "created_at"),
)

import_files = Table(
    "import_files",
    metadata,
    Column(
        "job_id", String(36), ForeignKey("import_jobs.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("content", Text, nullable=False),
)

merges = Table(
    "merges",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("survivor_id", String(36), nullable=False, index=True),
    Column("merged_ids", JSON, nullable=False),
    Column("changed_fields", JSON, nullable=False),
    Column("performed_by", String(80)),
    Column("performed_at", UtcDateTime(), nullable=False),
)
