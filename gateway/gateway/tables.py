"""The gateway's database schema (SQLAlchemy Core): users, teams, API keys, refresh tokens.

Rate-limit state lives in its own table (``rate_limits``), created by the migration on
PostgreSQL (UNLOGGED) and by :mod:`gateway.ratelimit` in its own SQLite file on the embedded
default.
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
    MetaData,
    String,
    Table,
    Text,
)

from servicekit.tables import add_infrastructure_tables
from servicekit.types import UtcDateTime

metadata = MetaData()
add_infrastructure_tables(metadata)

teams = Table(
    "teams",
    metadata,
    Column("name", String(60), primary_key=True),
    Column("description", Text, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("roles", JSON, nullable=False),
    Column("team", String(60), ForeignKey("teams.name"), nullable=True, index=True),
    Column("active", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("last_login_at", UtcDateTime(), nullable=True),
    # Access tokens issued before this instant are refused (password change, deactivation).
    Column("tokens_valid_after", UtcDateTime(), nullable=True),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(120), nullable=False),
    Column("description", Text, nullable=True),
    Column("prefix", String(16), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("scopes", JSON, nullable=False),
    Column("created_by", String(36), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=True),
    Column("revoked_at", UtcDateTime(), nullable=True),
    Column("last_used_at", UtcDateTime(), nullable=True),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False),
    Column("family_id", String(36), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("used_at", UtcDateTime(), nullable=True),
    Column("revoked_at", UtcDateTime(), nullable=True),
    Index("ix_refresh_tokens_family", "family_id"),
    Index("ix_refresh_tokens_user", "user_id"),
    Index("ix_refresh_tokens_expires", "expires_at"),
)

# Sessions (refresh-token families) that were revoked, checked when an access token's principal
# is revalidated so that logout ends the access token too, not only its refresh token.
revoked_sessions = Table(
    "revoked_sessions",
    metadata,
    Column("family_id", String(36), primary_key=True),
    Column("user_id", String(36), nullable=False),
    Column("revoked_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False, index=True),
)

# GCRA state: key -> theoretical arrival time (epoch seconds). See gateway.ratelimit.
rate_limits_metadata = MetaData()
rate_limits = Table(
    "rate_limits",
    rate_limits_metadata,
    Column("key", String(200), primary_key=True),
    Column("tat", Float, nullable=False),
    Column("allowed", Integer, nullable=False),
    Column("step", Float, nullable=False),
    Column("slack", Float, nullable=False),
)
