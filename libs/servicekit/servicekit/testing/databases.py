"""A migrated database per test, on SQLite or PostgreSQL, cloned from a per-run template.

Migrating for every test would dominate the run time, so each service's migrations run once per
test run into a template (a SQLite file, or a PostgreSQL template database) and each test gets a
copy.
"""

from __future__ import annotations

import gc
import hashlib
import shutil
import time
import uuid
from pathlib import Path

import psycopg
from filelock import FileLock

from servicekit import migrations
from servicekit.db import Database


def migrations_key(migrations_dir: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(migrations_dir.rglob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


class DatabaseFactory:
    def __init__(self, backend: str, shared_dir: Path, test_dir: Path, pg_dsn: str | None):
        self.backend = backend
        self.shared_dir = shared_dir
        self.test_dir = test_dir
        self.pg_dsn = pg_dsn
        self._created: list[str] = []
        self._databases: list[Database] = []

    def url(self, migrations_dir: Path) -> str:
        """A fresh, fully migrated database for ``migrations_dir``'s service."""
        key = migrations_key(migrations_dir)
        if self.backend == "sqlite":
            return self._sqlite(migrations_dir, key)
        if self.backend == "postgres":
            return self._postgres(migrations_dir, key)
        raise ValueError(f"unknown test database backend {self.backend!r}")

    def empty_url(self) -> str:
        """A fresh, empty database (no migrations)."""
        if self.backend == "sqlite":
            return f"sqlite:///{self.test_dir / f'empty-{uuid.uuid4().hex[:8]}.sqlite3'}"
        name = f"t_{uuid.uuid4().hex[:16]}"
        self._admin(f'CREATE DATABASE "{name}"')
        self._created.append(name)
        return self._pg_url(name)

    def database(self, migrations_dir: Path) -> Database:
        db = Database(self.url(migrations_dir))
        self._databases.append(db)
        return db

    def _sqlite(self, migrations_dir: Path, key: str) -> str:
        template = self.shared_dir / "db-templates" / f"{migrations_dir.parent.name}-{key}.sqlite3"
        template.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(template) + ".lock"):
            if not template.exists():
                partial = template.with_suffix(".partial")
                partial.unlink(missing_ok=True)
                db = Database(f"sqlite:///{partial}")
                migrations.upgrade(migrations_dir, db)
                db.dispose()
                # WAL content must be in the main file before copying it.
                import sqlite3

                with sqlite3.connect(partial) as conn:
                    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                    conn.execute("PRAGMA journal_mode=DELETE")
                partial.rename(template)
        target = self.test_dir / f"{migrations_dir.parent.name}-{uuid.uuid4().hex[:8]}.sqlite3"
        shutil.copyfile(template, target)
        return f"sqlite:///{target}"

    def _pg_url(self, name: str) -> str:
        base = self.pg_dsn.rsplit("/", 1)[0]
        return f"{base}/{name}"

    def _admin(self, sql: str) -> None:
        with psycopg.connect(self.pg_dsn, autocommit=True) as conn:
            conn.execute(sql)

    def _postgres(self, migrations_dir: Path, key: str) -> str:
        if not self.pg_dsn:
            raise RuntimeError("no PostgreSQL server for the postgres backend")
        template = f"tmpl_{migrations_dir.parent.name}_{key}"
        lock = self.shared_dir / f"{template}.lock"
        with FileLock(str(lock)):
            with psycopg.connect(self.pg_dsn, autocommit=True) as conn:
                exists = conn.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", (template,)
                ).fetchone()
            if not exists:
                self._admin(f'CREATE DATABASE "{template}"')
                db = Database(self._pg_url(template))
                migrations.upgrade(migrations_dir, db)
                db.dispose()
        name = f"t_{uuid.uuid4().hex[:16]}"
        for attempt in range(50):
            try:
                self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
                break
            except psycopg.errors.ObjectInUse:
                # Another test is cloning the same template right now.
                time.sleep(0.05 * (attempt + 1))
        else:
            raise RuntimeError(f"could not clone {template}")
        self._created.append(name)
        return self._pg_url(name)

    def cleanup(self) -> None:
        for db in self._databases:
            db.dispose()
        if self._created:
            # A connection a test left checked out (say, in an unclosed streamed response) is
            # returned by its finalizer whenever the garbage collector gets to it; after the
            # DROP below that finalizer fails and logs. Collect now, while the database exists,
            # and dispose of what came back. (A finalizer running inside ``ast.parse`` also
            # trips CPython 3.11's "AST constructor recursion depth mismatch".)
            gc.collect()
            for db in self._databases:
                db.dispose()
        for name in self._created:
            try:
                self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except psycopg.Error:
                pass
