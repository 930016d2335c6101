"""Every event analytics reads, bound explicitly (type and contract version) to one handler.

Binding explicit types rather than ``sales.#`` keeps each event checked against its contract by
the consumer before it reaches a projection, and keeps unknown future types off the queue.

The handler does not project at once: it queues the envelope on the unit of work's session, and
the whole queue is archived and projected together just before that transaction commits. The
consumer handles a batch of messages in one transaction, so projections get the batch at once -
one read and one write per table instead of one per event - while the inbox, the archive and
the projections still commit (or roll back) together. A failure at commit makes the consumer
handle the batch message by message, each in its own transaction, as for a failing handler.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from analytics_service.projections.catalogue import CATALOGUE
from analytics_service.service.ingest import ingest
from servicekit.consumer import HandlerRegistry
from servicekit.events import Envelope

PENDING = "analytics_pending_envelopes"


def project(envelope: Envelope, uow) -> None:
    """Queue one event for archiving and projection when the unit of work commits."""
    session: Session = uow.session
    pending = session.info.get(PENDING)
    if pending is None:
        pending = session.info[PENDING] = []
        event.listen(session, "before_commit", _project_pending)
    pending.append(envelope)


def _project_pending(session: Session) -> None:
    pending = session.info.pop(PENDING, None)
    if pending:
        ingest(session, pending)


def build_registry() -> HandlerRegistry:
    registry = HandlerRegistry()
    for event_type, version in CATALOGUE.handled():
        registry.add(event_type, version, project)
    return registry


registry = build_registry()
