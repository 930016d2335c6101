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

_SQLITE_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS rate_limits ("
    "key VARCHAR(200) PRIMARY KEY, tat DOUBLE PRECISION NOT NULL, allowed INTEGER NOT NULL)"
)
_POSTGRES_SCHEMA = (
    "CREATE UNLOGGED TABLE IF NOT EXISTS rate_limits ("
    "key VARCHAR(200) PRIMARY KEY, tat DOUBLE PRECISION NOT NULL, allowed INTEGER NOT NULL)"
)

# ``allowed`` is computed from the OLD row (SET expressions all see the row before the update),
# so RETURNING tells apart "allowed" from "refused" without a second statement.
_UPSERT = """
INSERT INTO rate_limits (key, tat, allowed) VALUES ({p}, {p}, 1)
ON CONFLICT (key) DO UPDATE SET
  tat = CASE WHEN {mx}(rate_limits.tat, {p}) - {p} <= {p}
             THEN {mx}(rate_limits.tat, {p}) + {p} ELSE rate_limits.tat END,
  allowed = CASE WHEN {mx}(rate_limits.tat, {p}) - {p} <= {p} THEN 1 ELSE 0 END
RETURNING tat, allowed
"""
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
    """GCRA checks against the ``rate_limits`` table of ``db``."""

    def __init__(self, db: Database, *, clock=time.time) -> None:
        self.db = db
        self.clock = clock
        self._conn = None
        self._pid = None
        self._lock = threading.Lock()
        postgres = db.is_postgres
        p = "%s" if postgres else "?"
        mx = "GREATEST" if postgres else "MAX"
        self._upsert = _UPSERT.format(p=p, mx=mx)
        self._peek = _PEEK.format(p=p)
        self._purge = _PURGE.format(p=p)

    def _connection(self):
        import os

        if self._conn is None or self._pid != os.getpid():
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
                conn.execute(_SQLITE_SCHEMA)
            self._conn, self._pid = conn, os.getpid()
        return self._conn

    def hit(self, key: str, rate: Rate, now: float | None = None) -> Decision:
        """Count one request against ``key``; the decision says whether it may proceed."""
        now = self.clock() if now is None else now
        interval, tolerance = rate.interval, rate.tolerance
        params = (key, now + interval, now, now, tolerance, now, interval, now, now, tolerance)
        with self._lock:
            row = self._connection().execute(self._upsert, params).fetchone()
        return decide(rate, float(row[0]), bool(row[1]), now)

    def check(self, key: str, rate: Rate, now: float | None = None) -> Decision:
        """Would a request on ``key`` be allowed? (Nothing is counted.)"""
        now = self.clock() if now is None else now
        with self._lock:
            row = self._connection().execute(self._peek, (key,)).fetchone()
        if row is None:
            return Decision(True, 0.0, rate.burst)
        tat = max(float(row[0]), now)
        if tat - now <= rate.tolerance:
            return Decision(True, 0.0, int((rate.tolerance - (tat - now)) / rate.interval) + 1)
        return Decision(False, tat - rate.tolerance - now, 0)

    def reset(self, key: str) -> None:
        """Forget ``key`` (a successful login clears its failure bucket)."""
        p = "%s" if self.db.is_postgres else "?"
        with self._lock:
            self._connection().execute(f"DELETE FROM rate_limits WHERE key = {p}", (key,))  # noqa: S608

    def purge(self, older_than: float = 60.0) -> int:
        """Delete buckets that are full again (their ``tat`` lies in the past)."""
        with self._lock:
            cursor = self._connection().execute(self._purge, (self.clock() - older_than,))
            return cursor.rowcount or 0

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                try:
                    self._conn.close()
                except Exception:  # noqa: S110 - a dead connection has nothing to report
                    pass
                self._conn = None
