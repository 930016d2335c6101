"""Leases in the ``job_leases`` table: which process may do a piece of work right now.

The scheduler holds one per periodic job, the SQLite outbox relays take turns through one. A lease
is taken in one write transaction (an UPDATE of an expired or own row, else an INSERT), so two
processes never hold it at once, and a crashed holder's lease simply expires.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from servicekit import tables
from servicekit.db import Database
from servicekit.types import utcnow


def take_lease(
    db: Database, name: str, holder: str, seconds: float, *, not_within: float | None = None
) -> bool:
    """Take (or renew) lease ``name`` for ``seconds``; False when another holder has it.

    With ``not_within``, also refuse while the last recorded run (see :func:`release_lease`) is
    less than that many seconds ago: a periodic job is not due yet.
    """
    leases = tables.job_leases
    now = utcnow()
    expires = now + timedelta(seconds=seconds)
    with db.write_session() as session:
        row = session.execute(select(leases.c.last_run_at).where(leases.c.job == name)).first()
        if row is None:
            try:
                session.execute(insert(leases).values(job=name, holder=holder, expires_at=expires))
                session.commit()
                return True
            except IntegrityError:  # another process inserted it first
                session.rollback()
                return False
        if (
            not_within is not None
            and row.last_run_at is not None
            and row.last_run_at + timedelta(seconds=not_within) > now
        ):
            session.rollback()
            return False
        taken = session.execute(
            update(leases)
            .where(leases.c.job == name, or_(leases.c.expires_at < now, leases.c.holder == holder))
            .values(holder=holder, expires_at=expires)
        ).rowcount
        session.commit()
        return taken == 1


def release_lease(db: Database, name: str, holder: str, *, ran: bool = False) -> None:
    """Give lease ``name`` up if ``holder`` has it; ``ran`` records now as its last run."""
    leases = tables.job_leases
    now = utcnow()
    with db.write_session() as session:
        session.execute(
            update(leases)
            .where(leases.c.job == name, leases.c.holder == holder)
            .values(expires_at=now, last_run_at=now if ran else leases.c.last_run_at)
        )
        session.commit()
