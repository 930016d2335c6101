"""Set-at-a-time SQL for projections, the same on SQLite and PostgreSQL.

Projections load every row a batch of events touches with one query, change them in Python and
write them back with one ``executemany`` per table: that is what lets the archive be replayed at
thousands of events a second. Rows are written in key order so two transactions touching the same
rows lock them in the same order, and on PostgreSQL each batch first takes transaction-scoped
advisory locks on the entities it will read-modify-write, so several workers never lose each
other's updates (SQLite serialises writers on its own).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, delete, select, text, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

CHUNK = 900  # bound parameters per IN list (SQLite's historical limit is 999)
# Entities map onto this many advisory locks per namespace: a batch of thousands of orders then
# takes at most this many locks, well inside PostgreSQL's shared lock table, while unrelated
# batches still mostly proceed side by side.
LOCK_BUCKETS = 256

# Built statements by shape: building an upsert (its EXCLUDED alias above all) costs more than
# running it, and reusing the very same statement object lets SQLAlchemy reuse its compiled form.
_STATEMENTS: dict[tuple, Any] = {}
# How many rows make COPY worth its extra statements on PostgreSQL.
COPY_FROM = 24


@dataclass(frozen=True)
class _Compiled:
    """A write statement as SQL text, its parameters with their bind processors, and on
    PostgreSQL the COPY and merge statements of its staging table."""

    sql: str
    pairs: tuple
    positional: bool
    table: str | None = None
    staging: str | None = None
    copy_sql: str | None = None
    merge_sql: str | None = None


# Compiled writes by (statement, dialect, columns).
_COMPILED: dict[tuple, _Compiled] = {}


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def lock_key(namespace: str, key: str) -> int:
    """A stable signed 64-bit advisory-lock key for the bucket of one entity."""
    bucket = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=4).digest()) % LOCK_BUCKETS
    digest = hashlib.blake2b(f"{namespace}:{bucket}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class Tx:
    """The SQL a projection needs, bound to the session of one unit of work."""

    def __init__(self, session: Session):
        self.session = session
        self.dialect = session.get_bind().dialect.name
        self._insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert

    # -- locking ----------------------------------------------------------------------------

    def lock(self, namespace: str, keys: Iterable[str]) -> None:
        """Serialise read-modify-write of these entities with other transactions (PostgreSQL)."""
        if self.dialect != "postgresql":
            return
        ids = sorted({lock_key(namespace, k) for k in keys if k is not None})
        if ids:
            self.session.execute(
                text("SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:keys AS bigint[])) AS k"),
                {"keys": ids},
            )

    # -- reading ----------------------------------------------------------------------------

    def fetch(self, table: Table, key: str, ids: Iterable[str]) -> dict[str, Any]:
        """Rows of ``table`` whose ``key`` column is in ``ids``, by that key."""
        wanted = sorted({i for i in ids if i is not None})
        found: dict[str, Any] = {}
        column = table.c[key]
        for chunk in _chunks(wanted):
            for row in self.session.execute(select(table).where(column.in_(chunk))):
                found[row._mapping[key]] = row
        return found

    def fetch_pairs(self, table: Table, keys: tuple[str, str], pairs: Iterable[tuple]) -> dict:
        """Rows of ``table`` keyed by a two-column primary key."""
        wanted = sorted(set(pairs))
        found: dict[tuple, Any] = {}
        columns = (table.c[keys[0]], table.c[keys[1]])
        for chunk in _chunks(wanted, CHUNK // 2):
            query = select(table).where(tuple_(*columns).in_(chunk))
            for row in self.session.execute(query):
                found[(row._mapping[keys[0]], row._mapping[keys[1]])] = row
        return found

    def existing(self, table: Table, key: str, ids: Iterable[str]) -> set[str]:
        wanted = sorted({i for i in ids if i is not None})
        column = table.c[key]
        found: set[str] = set()
        for chunk in _chunks(wanted):
            found.update(self.session.execute(select(column).where(column.in_(chunk))).scalars())
        return found

    # -- writing ----------------------------------------------------------------------------

    def _write(self, stmt, rows: Sequence[Mapping[str, Any]]) -> None:
        """Write ``rows`` with ``stmt``: SQLAlchemy's own SQL and type processing, without its
        per-row parameter bookkeeping (which costs more than the database here).

        SQLite gets one ``executemany`` (a loop in C). PostgreSQL gets ``COPY`` into a temporary
        twin of the table and one ``INSERT ... SELECT`` with the statement's conflict clause,
        instead of a round trip per row; a handful of rows still go one statement each.
        """
        columns = tuple(rows[0])
        shape = (id(stmt), self.dialect, columns)
        entry = _COMPILED.get(shape)
        if entry is None:
            entry = _COMPILED[shape] = self._compile(stmt, columns)
        if entry.copy_sql is not None and len(rows) >= COPY_FROM:
            self._copy(entry, rows)
            return
        pairs = entry.pairs
        if entry.positional:
            params = [
                tuple([p(row[n]) if p is not None else row[n] for n, p in pairs]) for row in rows
            ]
        else:
            params = [{n: p(row[n]) if p is not None else row[n] for n, p in pairs} for row in rows]
        cursor = self.session.connection().connection.cursor()
        try:
            cursor.executemany(entry.sql, params)
        finally:
            cursor.close()

    def _copy(self, entry: _Compiled, rows: Sequence[Mapping[str, Any]]) -> None:
        connection = self.session.connection()
        made = connection.info.setdefault("mms_staging_tables", set())
        cursor = connection.connection.cursor()
        try:
            if entry.staging not in made:
                cursor.execute(
                    f'CREATE TEMPORARY TABLE IF NOT EXISTS "{entry.staging}" '
                    f'(LIKE "{entry.table}" INCLUDING DEFAULTS) ON COMMIT DELETE ROWS'
                )
                made.add(entry.staging)
            cursor.execute(f'TRUNCATE "{entry.staging}"')
            pairs = entry.pairs
            with cursor.copy(entry.copy_sql) as copy:
                for row in rows:
                    copy.write_row([p(row[n]) if p is not None else row[n] for n, p in pairs])
            cursor.execute(entry.merge_sql)
        finally:
            cursor.close()

    def _compile(self, stmt, columns: tuple[str, ...]) -> _Compiled:
        dialect = self.session.get_bind().dialect
        compiled = stmt.compile(dialect=dialect, column_keys=list(columns))
        text_sql = compiled.string
        names = tuple(compiled.positiontup) if compiled.positional else tuple(compiled.binds)
        pairs = tuple(
            (n, compiled.binds[n].type.dialect_impl(dialect).bind_processor(dialect)) for n in names
        )
        if self.dialect != "postgresql":
            return _Compiled(text_sql, pairs, compiled.positional)
        # "INSERT INTO t (cols) VALUES (<row>) <conflict clause>" -> "... SELECT cols FROM
        # staging <conflict clause>"
        table = stmt.table.name
        staging = f"staging_{table}"
        start = text_sql.index(" VALUES (")
        depth, end = 0, start + len(" VALUES ")
        for end in range(start + len(" VALUES "), len(text_sql)):
            depth += {"(": 1, ")": -1}.get(text_sql[end], 0)
            if depth == 0:
                break
        # Names come from our own table definitions, never from a request.
        quoted = ", ".join(f'"{n}"' for n in names)
        merge_sql = f'{text_sql[:start]} SELECT {quoted} FROM "{staging}"{text_sql[end + 1 :]}'  # noqa: S608
        copy_sql = f'COPY "{staging}" ({quoted}) FROM STDIN'
        return _Compiled(text_sql, pairs, False, table, staging, copy_sql, merge_sql)

    def insert(self, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            self._write(self._statement("insert", table, (), ()), list(rows))

    def _statement(self, kind: str, table: Table, keys: Sequence[str], columns: Sequence[str]):
        shape = (self.dialect, kind, table.name, tuple(keys), tuple(columns))
        stmt = _STATEMENTS.get(shape)
        if stmt is None:
            stmt = self._insert(table)
            if kind == "insert":
                pass
            elif kind == "ignore":
                stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
            elif kind == "replace":
                stmt = stmt.on_conflict_do_update(
                    index_elements=list(keys), set_={c: stmt.excluded[c] for c in columns}
                )
            else:
                stmt = stmt.on_conflict_do_update(
                    index_elements=list(keys),
                    set_={m: table.c[m] + stmt.excluded[m] for m in columns},
                )
            _STATEMENTS[shape] = stmt
        return stmt

    def insert_ignore(self, table: Table, rows: Sequence[Mapping], keys: Sequence[str]) -> None:
        """Insert rows whose key is not there yet; leave existing rows alone."""
        if not rows:
            return
        self._write(self._statement("ignore", table, keys, ()), _sorted(rows, keys))

    def upsert(self, table: Table, rows: Sequence[Mapping], keys: Sequence[str]) -> None:
        """Insert rows, replacing every non-key column of rows that exist."""
        if not rows:
            return
        columns = [c for c in rows[0] if c not in keys]
        if not columns:
            self.insert_ignore(table, rows, keys)
            return
        self._write(self._statement("replace", table, keys, columns), _sorted(rows, keys))

    def accumulate(
        self,
        table: Table,
        rows: Sequence[Mapping],
        keys: Sequence[str],
        measures: Sequence[str],
    ) -> None:
        """Add each row's ``measures`` to the stored ones (inserting rows that are missing)."""
        if not rows:
            return
        self._write(self._statement("add", table, keys, measures), _sorted(rows, keys))

    def prune_zero(
        self, table: Table, keys: Sequence[str], measures: Sequence[str], touched: Iterable[tuple]
    ) -> None:
        """Delete rollup rows among ``touched`` whose every measure is back to zero.

        A rollup row exists exactly when something contributes to it, whatever order the events
        came in, so a replay in another order produces the very same rows.
        """
        touched = sorted(set(touched))
        if not touched:
            return
        columns = tuple(table.c[k] for k in keys)
        zero = [table.c[m] == 0 for m in measures]
        for chunk in _chunks(touched, CHUNK // len(keys)):
            self.session.execute(delete(table).where(tuple_(*columns).in_(chunk), *zero))

    def delete_in(self, table: Table, key: str, ids: Iterable[str]) -> None:
        wanted = sorted({i for i in ids if i is not None})
        for chunk in _chunks(wanted):
            self.session.execute(delete(table).where(table.c[key].in_(chunk)))


def _sorted(rows: Sequence[Mapping], keys: Sequence[str]) -> list[Mapping]:
    return sorted(rows, key=lambda r: tuple(_sortable(r[k]) for k in keys))


def _sortable(value: Any) -> Any:
    return (0, "") if value is None else (1, value)
