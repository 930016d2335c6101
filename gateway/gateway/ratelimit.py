"""Rate limits shared by every gateway process: GCRA with its state in SQL.

GCRA (the generic cell rate algorithm) keeps one number per key, the theoretical arrival time
``tat``. A request at ``now`` is allowed when ``max(tat, now) - now <= tolerance`` and then moves
``tat`` to ``max(tat, now) + interval``. One atomic upsert per check decides and records it, so
several gunicorn workers (or gateway hosts on PostgreSQL) share limits exactly, without Redis.

Storage: on the embedded default a separate SQLite file written with ``synchronous=OFF`` (a few
lost buckets after a power cut are harmless; the main database keeps its durability); on
PostgreSQL an UNLOGGED table. Each process holds one dedicated DB-API connection in autocommit
mode and one thread that runs the statements, so the event loop never waits on a lock.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from gateway.settings import Rate
from servicekit.db import Database

_COLUMNS = (
    "key VARCHAR(200) PRIMARY KEY, tat DOUBLE PRECISION NOT NULL, allowed INTEGER NOT NULL, "
    "step DOUBLE PRECISION NOT NULL, slack DOUBLE PRECISION NOT NULL"
)
_SQLITE_SCHEMA = f"CREATE TABLE IF NOT EXISTS rate_limits ({_COLUMNS})"
_POSTGRES_SCHEMA = f"CREATE UNLOGGED TABLE IF NOT EXISTS rate_limits ({_COLUMNS})"

# Several buckets in one statement. ``step`` (the emission interval) and ``slack`` (the burst
# tolerance) travel with each row so ``excluded`` can name them; ``allowed`` is computed from the
# OLD row (SET expressions all see the row before the update), so RETURNING tells "allowed" from
# "refused" without a second statement.
_UPSERT = """
INSERT INTO rate_limits (key, tat, allowed, step, slack) VALUES {rows}
ON CONFLICT (key) DO UPDATE SET
  tat = CASE WHEN {mx}(rate_limits.tat, {p}) - {p} <= excluded.slack
             THEN {mx}(rate_limits.tat, {p}) + excluded.step ELSE rate_limits.tat END,
  allowed = CASE WHEN {mx}(rate_limits.tat, {p}) - {p} <= excluded.slack THEN 1 ELSE 0 END,
  step = excluded.step,
  slack = excluded.slack
RETURNING key, tat, allowed
"""
INLINE_BUSY_MS = 5
_PEEK = "SELECT tat FROM rate_limits WHERE key = {p}"
_PURGE = "DELETE FROM rate_limits WHERE tat < {p}"


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    retry_after: float = 0.0
    remaining: int = 0


def decide(rate: Rate, tat: float, allowed: bool, now: float) -> Decision:
    """Turn the stored ``tat`` after a check into a decision with Retry-After and remaining."""
    if allowed:
        remaining = int((rate.tolerance - (tat - rate.interval - now)) / rate.interval)
        return Decision(True, 0.0, max(0, min(rate.burst - 1, remaining)))
    return Decision(False, max(0.0, tat - rate.tolerance - now), 0)


class RateLimiter:
    """GCRA checks against the ``rate_limits`` table of ``db``.

    Two connections per process: a "fast" one for checks made on the event loop (SQLite only:
    it waits at most ``INLINE_BUSY_MS`` for another process's write lock, then raises one of
    ``busy_errors``), and a patient one for everything run in a thread.
    """

    def __init__(self, db: Database, *, clock=time.time) -> None:
        self.db = db
        self.clock = clock
        self._conns: dict[bool, object] = {}
        self._pid = None
        self._lock = threading.Lock()
        postgres = db.is_postgres
        p = "%s" if postgres else "?"
        mx = "GREATEST" if postgres else "MAX"
        self._p, self._mx = p, mx
        self._upserts: dict[int, str] = {}
        self._peek = _PEEK.format(p=p)
        self._purge = _PURGE.format(p=p)
        self._delete = f"DELETE FROM rate_limits WHERE key = {p}"  # noqa: S608 - fixed text
        self.inline = not postgres
        self.busy_errors: tuple[type[BaseException], ...] = ()
        if not postgres:
            import sqlite3

            self.busy_errors = (sqlite3.OperationalError,)

    def _connection(self, fast: bool = False):
        import os

        if self._pid != os.getpid():
            self._conns, self._pid = {}, os.getpid()  # never use a parent's connection
        conn = self._conns.get(fast)
        if conn is None:
            raw = self.db.engine.raw_connection()
            # Detached from the pool: this connection lives as long as the process.
            conn = raw.driver_connection
            raw.detach()
            if self.db.is_postgres:
                conn.autocommit = True
                conn.execute(_POSTGRES_SCHEMA)
            else:
                conn.isolation_level = None  # autocommit: each statement is its own transaction
                conn.execute("PRAGMA synchronous=OFF")
                if fast:
                    conn.execute(f"PRAGMA busy_timeout={INLINE_BUSY_MS}")
                conn.execute(_SQLITE_SCHEMA)
            self._conns[fast] = conn
        return conn

    def _execute(self, fast: bool, sql: str, params):
        try:
            return self._connection(fast).execute(sql, params)
        except Exception as error:
            if isinstance(error, self.busy_errors) and "locked" in str(error):
                raise  # another process holds the lock; the connection is fine
            # A broken connection (database restarted, file gone) must not stay cached.
            conn = self._conns.pop(fast, None)
            if conn is not None:
                try:
                    conn.close()
                except Exception:  # noqa: S110 - it is already broken
                    pass
            raise

    def _upsert(self, rows: int) -> str:
        sql = self._upserts.get(rows)
        if sql is None:
            p = self._p
            values = ", ".join([f"({p}, {p}, 1, {p}, {p})"] * rows)
            sql = self._upserts[rows] = _UPSERT.format(rows=values, p=p, mx=self._mx)
        return sql

    def hit_many(self, checks, now: float | None = None, *, fast: bool = False) -> list[Decision]:
        """Count one request against every ``(key, rate)`` in one statement (distinct keys).

        ``fast=True`` only from the event loop thread (see the class docstring).
        """
        now = self.clock() if now is None else now
        params: list = []
        for key, rate in checks:
            params += [key, now + rate.interval, rate.interval, rate.tolerance]
        params += [now] * 5
        sql = self._upsert(len(checks))
        if fast:
            rows = self._execute(True, sql, params).fetchall()
        else:
            with self._lock:
                rows = self._execute(False, sql, params).fetchall()
        found = {row[0]: row for row in rows}
        return [
            decide(rate, float(found[key][1]), bool(found[key][2]), now) for key, rate in checks
        ]

    def hit(self, key: str, rate: Rate, now: float | None = None, *, fast: bool = False):
        """Count one request against ``key``; the :class:`Decision` says if it may proceed."""
        return self.hit_many([(key, rate)], now, fast=fast)[0]

    def check(self, key: str, rate: Rate, now: float | None = None) -> Decision:
        """Would a request on ``key`` be allowed? (Nothing is counted.)"""
        now = self.clock() if now is None else now
        with self._lock:
            row = self._execute(False, self._peek, (key,)).fetchone()
        if row is None:
            return Decision(True, 0.0, rate.burst)
        tat = max(float(row[0]), now)
        if tat - now <= rate.tolerance:
            return Decision(True, 0.0, int((rate.tolerance - (tat - now)) / rate.interval) + 1)
        return Decision(False, tat - rate.tolerance - now, 0)

    def reset(self, key: str) -> None:
        """Forget ``key`` (a successful login clears its failure bucket)."""
        with self._lock:
            self._execute(False, self._delete, (key,))

    def purge(self, older_than: float = 60.0) -> int:
        """Delete buckets that are full again (their ``tat`` lies in the past)."""
        with self._lock:
            cursor = self._execute(False, self._purge, (self.clock() - older_than,))
            return cursor.rowcount or 0

    def close(self) -> None:
        with self._lock:
            for conn in self._conns.values():
                try:
                    conn.close()
                except Exception:  # noqa: S110 - a dead connection has nothing to report
                    pass
            self._conns = {}
