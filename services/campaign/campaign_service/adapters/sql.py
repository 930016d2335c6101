"""Dialect-aware statements SQLite and PostgreSQL both understand (upserts)."""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def _insert(session: Session, table: Table):
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


def insert_ignore(session: Session, table: Table, rows: list[dict], keys: list[str]) -> None:
    """Insert rows, silently skipping those whose key already exists."""
    if not rows:
        return
    statement = _insert(session, table).on_conflict_do_nothing(index_elements=keys)
    session.execute(statement, rows)


def upsert(
    session: Session,
    table: Table,
    values: dict,
    keys: list[str],
    *,
    update: list[str] | None = None,
    where=None,
) -> int:
    """Insert ``values`` or update the existing row's ``update`` columns (when ``where`` holds).

    ``where`` may refer to the row being inserted as ``excluded(table)``. Returns the row count.
    """
    statement = _insert(session, table).values(**values)
    columns = update if update is not None else [c for c in values if c not in keys]
    statement = statement.on_conflict_do_update(
        index_elements=keys,
        set_={c: statement.excluded[c] for c in columns},
        where=where(statement.excluded) if callable(where) else where,
    )
    return session.execute(statement).rowcount
