"""Every event analytics reads, bound explicitly (type and contract version) to one handler.

Binding explicit types rather than ``sales.#`` keeps each event checked against its contract by
the consumer before it reaches a projection, and keeps unknown future types off the queue. The
handler archives and projects the event inside the consumer's unit of work, after its inbox claim
(service/ingest.py).
"""

from __future__ import annotations

from analytics_service.projections.catalogue import CATALOGUE
from analytics_service.service.ingest import ingest
from servicekit.consumer import HandlerRegistry
from servicekit.events import Envelope


def project(envelope: Envelope, uow) -> None:
    """Archive and project one event (idempotent: a known event id has no second effect)."""
    ingest(uow.session, [envelope])


def build_registry() -> HandlerRegistry:
    registry = HandlerRegistry()
    for event_type, version in CATALOGUE.handled():
        registry.add(event_type, version, project)
    return registry


registry = build_registry()
