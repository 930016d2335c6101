"""Repositories on a read session, for requests that only read.

A unit of work takes SQLite's write lock when it begins; a GET must not queue behind writers
for that, so reads get the same repositories on a plain session that never commits.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from servicekit.db import Database
from support_service.adapters.repositories import REPOSITORIES


class Reader:
    """The repositories of a unit of work (``reader.tickets`` ...) without committing."""

    def __init__(self, session) -> None:
        self.session = session
        for name, factory in REPOSITORIES.items():
            setattr(self, name, factory(session))


@contextmanager
def reading(db: Database) -> Iterator[Reader]:
    """A Reader on a fresh read session, closed at the end of the block."""
    with db.session() as session:
        yield Reader(session)
