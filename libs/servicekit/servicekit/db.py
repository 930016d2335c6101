"""Database engines, created lazily in the process that uses them.

gunicorn forks its workers after importing the app, and a connection pool must never cross a
fork: :class:`Database` builds its engine on first use and rebuilds it when it finds itself in a
new process. SQLite gets WAL, a busy timeout, foreign keys and ``BEGIN IMMEDIATE`` for writes
(so two writers queue on the lock instead of failing to upgrade it); PostgreSQL uses psycopg 3.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 15_000


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` URLs and pick the psycopg 3 driver for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class Database:
    """Engine and session factory for one service database.

    ``session()`` gives a read session; ``write_session()`` one whose transaction takes the write
    lock up front on SQLite. Only :class:`servicekit.uow.UnitOfWork` commits.
    """

    def __init__(self, url: str, *, pool_size: int = 5, max_overflow: int = 10, echo: bool = False):
        self.url = normalise_url(url)
        self.dialect = make_url(self.url).get_backend_name()
        self._pool_size = pool_size
        self._max_overflow = max_overflow
        self._echo = echo
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._engine: Engine | None = None
        self._read_factory: sessionmaker | None = None
        self._write_factory: sessionmaker | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    @property
    def engine(self) -> Engine:
        if self._engine is None or self._pid != os.getpid():
            with self._lock:
                if self._engine is None or self._pid != os.getpid():
                    if self._engine is not None:
                        # Inherited from the parent: drop its connections without closing the
                        # parent's sockets.
                        self._engine.dispose(close=False)
                    self._build()
        return self._engine

    def _build(self) -> None:
        if self.is_sqlite:
            engine = self._sqlite_engine()
        else:
            engine = create_engine(
                self.url,
                pool_size=self._pool_size,
                max_overflow=self._max_overflow,
                pool_pre_ping=True,
                pool_recycle=1800,
                echo=self._echo,
                connect_args={"connect_timeout": 5},
            )
        write_engine = engine.execution_options(mms_write=True)
        self._read_factory = sessionmaker(bind=engine, expire_on_commit=False)
        self._write_factory = sessionmaker(bind=write_engine, expire_on_commit=False)
        # Published last: ``engine`` reads these without the lock, so another thread seeing the
        # new engine must also see its session factories.
        self._pid = os.getpid()
        self._engine = engine

    def _sqlite_engine(self) -> Engine:
        database = make_url(self.url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            self.url,
            echo=self._echo,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            pool_size=self._pool_size,
            max_overflow=self._max_overflow,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):
            # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection):
            if connection.get_execution_options().get("mms_write"):
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                connection.exec_driver_sql("BEGIN")

        return engine

    def session(self) -> Session:
        """A session for reads (it never commits anything)."""
        self.engine  # noqa: B018 - builds the factories in this process
        return self._read_factory()

    def write_session(self) -> Session:
        """A session for a unit of work: on SQLite its transaction takes the write lock first."""
        self.engine  # noqa: B018
        return self._write_factory()

    def ping(self) -> None:
        """Raise if the database cannot answer a trivial query."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
