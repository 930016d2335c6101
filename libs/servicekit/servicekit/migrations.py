"""Alembic, per service: each service keeps its revisions in ``services/<name>/migrations``.

``upgrade(runtime)`` runs them programmatically (the runner and the ``migrate`` CLI command);
``run_env`` is what every service's ``env.py`` calls; ``create_infrastructure_tables`` is what every
service's first revision calls for the outbox, inbox, idempotency and job-lease tables.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command, context
from alembic.config import Config
from alembic.operations import Operations
from sqlalchemy import MetaData

from servicekit.db import Database
from servicekit.tables import add_infrastructure_tables


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["database_url"] = database_url
    return config


def upgrade(migrations_dir: Path, db: Database, revision: str = "head") -> None:
    """Bring the database to ``revision`` (default: the newest)."""
    config = alembic_config(migrations_dir, db.url)
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current(migrations_dir: Path, db: Database) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def run_env(target_metadata: MetaData) -> None:
    """Body of a service's ``migrations/env.py``."""
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection, target_metadata)
        return
    db = Database(config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url"))
    with db.engine.begin() as conn:
        _run(conn, target_metadata)


def _run(connection, target_metadata: MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def create_infrastructure_tables(op: Operations) -> None:
    """Create the outbox, inbox, idempotency and job-lease tables inside a migration."""
    metadata = MetaData()
    for table in add_infrastructure_tables(metadata).values():
        table.create(op.get_bind(), checkfirst=True)


def drop_infrastructure_tables(op: Operations) -> None:
    """The reverse of :func:`create_infrastructure_tables`."""
    for name in ("job_leases", "idempotency_keys", "inbox", "outbox"):
        op.drop_table(name)
