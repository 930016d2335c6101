"""Infrastructure tables every service database holds beside its own.

- ``outbox``: events written in the same transaction as the state change, published by the relay.
- ``inbox``: ``(consumer, event_id)`` of every handled event, written with the handler's effects.
- ``idempotency_keys``: responses to POSTs sent with an ``Idempotency-Key``.
- ``job_leases``: which process runs a periodic job right now (scheduler), so that several
  workers of one service do not run the same job twice.

A service calls :func:`add_infrastructure_tables` on its MetaData and its first Alembic migration
calls :func:`servicekit.migrations.create_infrastructure_tables`.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)

from servicekit.types import UtcDateTime

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL wants a BIGINT identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("event_type", String(120), nullable=False),
        Column("payload", Text, nullable=False),
        Column("headers", Text, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("published_at", UtcDateTime(), nullable=True),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column("last_error", Text, nullable=True),
        Index(
            "ix_outbox_unpublished",
            "id",
            postgresql_where=text("published_at IS NULL"),
            sqlite_where=text("published_at IS NULL"),
        ),
        Index("ix_outbox_published_at", "published_at"),
    )


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox",
        metadata,
        Column("consumer", String(80), primary_key=True),
        Column("event_id", String(36), primary_key=True),
        Column("event_type", String(120), nullable=False),
        Column("received_at", UtcDateTime(), nullable=False, index=True),
    )


def idempotency_table(metadata: MetaData) -> Table:
    return Table(
        "idempotency_keys",
        metadata,
        Column("principal", String(80), primary_key=True),
        Column("key", String(200), primary_key=True),
        Column("fingerprint", String(64), nullable=False),
        Column("status_code", Integer, nullable=True),
        Column("response_body", Text, nullable=True),
        Column("response_headers", Text, nullable=True),
        Column("created_at", UtcDateTime(), nullable=False, index=True),
    )


def job_lease_table(metadata: MetaData) -> Table:
    return Table(
        "job_leases",
        metadata,
        Column("job", String(80), primary_key=True),
        Column("holder", String(120), nullable=False),
        Column("expires_at", UtcDateTime(), nullable=False),
        Column("last_run_at", UtcDateTime(), nullable=True),
    )


def add_infrastructure_tables(metadata: MetaData) -> dict[str, Table]:
    """Add the outbox, inbox, idempotency and job-lease tables to ``metadata``."""
    return {
        "outbox": outbox_table(metadata),
        "inbox": inbox_table(metadata),
        "idempotency_keys": idempotency_table(metadata),
        "job_leases": job_lease_table(metadata),
    }


_standalone = MetaData()
INFRA = add_infrastructure_tables(_standalone)
outbox = INFRA["outbox"]
inbox = INFRA["inbox"]
idempotency_keys = INFRA["idempotency_keys"]
job_leases = INFRA["job_leases"]
