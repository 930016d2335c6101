"""The contract-test harness every consumer plugs into.

``check_consumer(registry, uow_factory, consumer)`` runs every golden sample of every event type
the consumer handles through its real handler (in a unit of work with the inbox, as in
production), then once more to prove the duplicate has no second effect, and fails when the
consumer handles an event type or version for which no contract exists.
"""

from __future__ import annotations

from event_contracts import golden_samples
from servicekit.consumer import HandlerRegistry, handle_envelope
from servicekit.events import Envelope
from servicekit.uow import DuplicateEvent, UnitOfWorkFactory


def check_consumer(
    registry: HandlerRegistry, uow_factory: UnitOfWorkFactory, consumer: str
) -> list[tuple[str, int]]:
    """Return the (type, version) pairs exercised; raise AssertionError on any problem."""
    known = {(item.event_type, item.version) for item, _ in golden_samples()}
    unknown = [key for key in registry.handled() if key not in known]
    assert not unknown, f"{consumer} handles events without a contract: {unknown}"
    exercised = []
    for item, sample in golden_samples():
        handler = registry.resolve(item.event_type, item.version)
        if handler is None:
            continue
        envelope = Envelope.from_dict(sample)
        handle_envelope(consumer, envelope, handler, uow_factory)
        try:
            handle_envelope(consumer, envelope, handler, uow_factory)
        except DuplicateEvent:
            pass
        else:
            raise AssertionError(f"{item.event_type}: a redelivered sample was handled twice")
        exercised.append(item.key)
    return exercised
