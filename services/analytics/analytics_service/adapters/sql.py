"""Set-at-a-time SQL for projections, the same on SQLite and PostgreSQL.

Projections load every row a batch of events touches with one query, change them in Python and
write them back with one ``executemany`` per table: that is what lets the archive be replayed at
thousands of events a second. Rows are written in key order so two transactions touching the same
rows lock them in the same order, and on PostgreSQL each batch first takes transaction-scoped
advisory locks on the entities it will read-modify-write, so several workers never lose each
other's updates (SQLite serialises writers on its own).

Several workers must also never deadlock, so every transaction takes its locks in one global
order: advisory locks by ascending id (a lock space's ``stage`` is the top of the id, so a stage
sorts before the next), then rollup rows, table by table in key order, at :meth:`Tx.flush`.
Rollup rows are the only rows two workers write without an advisory lock between them, which is
why they wait until every advisory lock is held: a worker waiting for a lock while holding a
rollup row another worker is about to add to is exactly the cycle PostgreSQL reports.
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
_LOCKS = text("SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:keys AS bigint[])) AS k")
_SHARED_LOCKS = text(
    "SELECT pg_advisory_xact_lock_shared(k) FROM unnest(CAST(:keys AS bigint[])) AS k"
)
_STAGE_SHIFT = 60  # ids are (stage << 60) | 60 bits of hash: ascending ids are the lock order

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


class LockOrderError(RuntimeError):
    """A lock requested below one already held: taking it could deadlock with another worker."""


@dataclass(frozen=True)
class LockSpace:
    """A namespace of advisory locks.

    ``stage`` orders spaces: a transaction takes all of one stage's locks before any of the
    next, so a space whose keys are only known from rows read under another space's locks (the
    products an order names) belongs in a later stage than that space (see :class:`LockPlan`).
    """

    name: str
    stage: int = 1
    buckets: int = LOCK_BUCKETS

    def lock_id(self, key: str) -> int:
        return lock_key(self.name, key, self.buckets, self.stage)


def lock_key(namespace: str, key: str, buckets: int = LOCK_BUCKETS, stage: int = 1) -> int:
    """A stable 64-bit advisory-lock id for the bucket of one entity, ordered by stage first."""
    bucket = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=4).digest()) % buckets
    digest = hashlib.blake2b(f"{namespace}:{bucket}".encode(), digest_size=8).digest()
    return (stage << _STAGE_SHIFT) | (int.from_bytes(digest) >> (64 - _STAGE_SHIFT))


def stage_of(lock_id: int) -> int:
    return lock_id >> _STAGE_SHIFT


class LockPlan:
    """The advisory locks a batch will take, gathered before it takes any.

    Locks are taken stage by stage in ascending id order (:meth:`Tx.take_plan`): the first
    stages' keys come from the events alone; keys of later stages may come from rows read under
    the earlier stages' locks. A lock wanted both shared and exclusive is taken exclusive.
    """

    def __init__(self) -> None:
        self.locks: dict[int, bool] = {}  # id -> shared
        self.names: dict[int, str] = {}

    def add(self, space: LockSpace, keys: Iterable[str], shared: bool = False) -> None:
        for key in keys:
            if key is None:
                continue
            lock_id = space.lock_id(key)
            self.locks[lock_id] = self.locks.get(lock_id, True) and shared
            self.names[lock_id] = space.name


@dataclass
class _Rollup:
    """Additions to one rollup table queued until :meth:`Tx.flush`, merged by key."""

    table: Table
    keys: tuple[str, ...]
    measures: tuple[str, ...]
    rows: dict[tuple, dict[str, Any]]
    shrinking: set[tuple]


class Tx:
    """The SQL a projection needs, bound to the session of one unit of work."""

    def __init__(self, session: Session):
        self.session = session
        self.dialect = session.get_bind().dialect.name
        self._insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        # advisory lock id -> held shared; kept on SQLite too, so the order is checked there
        self._held: dict[int, bool] = {}
        self._sealed = False
        self._rollups: dict[str, _Rollup] = {}
        # What a projection's lock plan read (under the plan's first locks) for its apply.
        self.memo: dict[str, Any] = {}

    # -- locking ----------------------------------------------------------------------------

    def lock(self, space: LockSpace, keys: Iterable[str], shared: bool = False) -> None:
        """Serialise read-modify-write of these entities with other transactions (PostgreSQL).

        Locks already held cost nothing: that is how a projection states, where it reads, the
        locks its plan took up front. Once the plan is sealed no other lock may be taken; before,
        a new lock must sort above every lock held. Either way :class:`LockOrderError` is raised
        instead of waiting.
        """
        plan = LockPlan()
        plan.add(space, keys, shared)
        self.take_plan(plan)

    def seal_locks(self) -> None:
        """Refuse every lock not held yet: the batch's plan is complete."""
        self._sealed = True

    def take_plan(self, plan: LockPlan, below_stage: int | None = None) -> None:
        """Take the plan's locks not held yet (only those of stages before ``below_stage``)."""
        wanted: list[tuple[int, bool]] = []
        for lock_id, shared in plan.locks.items():
            if below_stage is not None and stage_of(lock_id) >= below_stage:
                continue
            held = self._held.get(lock_id)
            if held is None:
                wanted.append((lock_id, shared))
            elif held and not shared:
                raise LockOrderError(f"{plan.names[lock_id]}: held shared, wanted exclusive")
        if not wanted:
            return
        if self._sealed:
            raise LockOrderError(
                f"{plan.names[wanted[0][0]]} lock not in the batch's plan: declare it in the "
                "projection's locks() or later_locks()"
            )
        wanted.sort()
        top = max(self._held, default=None)
        if top is not None and wanted[0][0] < top:
            raise LockOrderError(
                f"{plan.names[wanted[0][0]]} lock {wanted[0][0]} wanted while holding {top}"
            )
        if self.dialect == "postgresql":
            # One statement per run of the same mode, in ascending id order within each.
            start = 0
            while start < len(wanted):
                shared = wanted[start][1]
                end = start
                while end < len(wanted) and wanted[end][1] == shared:
                    end += 1
                self.session.execute(
                    _SHARED_LOCKS if shared else _LOCKS,
                    {"keys": [lock_id for lock_id, _ in wanted[start:end]]},
                )
                start = end
        self._held.update(wanted)

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
        shrinking: Iterable[tuple] = (),
    ) -> None:
        """Add each row's ``measures`` to the stored ones (inserting rows that are missing) at
        :meth:`flush`; rows of ``shrinking`` keys are deleted there if every measure is zero.

        Waiting for the flush lets every addition to a table in the batch go in one statement,
        after the batch's advisory locks (see the module docstring).
        """
        if not rows:
            return
        pending = self._rollups.get(table.name)
        if pending is None:
            pending = self._rollups[table.name] = _Rollup(
                table, tuple(keys), tuple(measures), {}, set()
            )
        if pending.keys != tuple(keys) or pending.measures != tuple(measures):
            raise ValueError(f"{table.name}: rollup written with other keys or measures")
        queued = pending.rows
        for row in rows:
            key = tuple(row[k] for k in keys)
            found = queued.get(key)
            if found is None:
                queued[key] = dict(row)
            else:
                for m in measures:
                    found[m] += row[m]
        pending.shrinking.update(shrinking)

    def flush(self) -> None:
        """Write the queued rollup additions, table by table in name order, rows in key order."""
        pending, self._rollups = self._rollups, {}
        for name in sorted(pending):
            rollup = pending[name]
            rows = [r for r in rollup.rows.values() if any(r[m] for m in rollup.measures)]
            if not rows:
                continue
            self._write(
                self._statement("add", rollup.table, rollup.keys, rollup.measures),
                _sorted(rows, rollup.keys),
            )
            # Only rows this batch wrote (and so has locked already) can have reached zero.
            written = {tuple(r[k] for k in rollup.keys) for r in rows}
            self._prune_zero(rollup.table, rollup.keys, rollup.measures, rollup.shrinking & written)

    def _prune_zero(
        self, table: Table, keys: Sequence[str], measures: Sequence[str], touched: Iterable[tuple]
    ) -> None:
        """Delete rollup rows among ``touched`` whose every measure is back to zero.

        A rollup row exists exactly when something contributes to it, whatever order the events
        came in, so a replay in another order produces the very same rows.
        """
        touched = sorted(set(touched), key=lambda key: tuple(_sortable(v) for v in key))
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
