"""Follow-up records: calls, visits, emails, meetings and notes on a customer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from customer_service.domain import events
from customer_service.domain.errors import InvalidValue
from servicekit.domain import EventRecorder

KINDS = ("call", "visit", "email", "meeting", "note")
OUTCOMES = (
    "reached",
    "no_answer",
    "left_message",
    "interested",
    "not_interested",
    "follow_up",
    "won",
    "lost",
    "other",
)


@dataclass(eq=False)
class Interaction(EventRecorder):
    id: str
    customer_id: str
    kind: str
    occurred_at: datetime
    actor_id: str | None
    actor_name: str | None
    subject: str | None = None
    notes: str | None = None
    outcome: str | None = None
    next_step: str | None = None
    next_step_due: datetime | None = None
    version: int = 1
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @classmethod
    def log(
        cls,
        *,
        customer_id: str,
        kind: str,
        occurred_at: datetime | None = None,
        actor_id,
        actor_name,
        subject=None,
        notes=None,
        outcome=None,
        next_step=None,
        next_step_due=None,
    ):
        if kind not in KINDS:
            raise InvalidValue(f"kind must be one of {', '.join(KINDS)}")
        if outcome is not None and outcome not in OUTCOMES:
            raise InvalidValue(f"outcome must be one of {', '.join(OUTCOMES)}")
        now = datetime.now(UTC)
        occurred_at = occurred_at or now
        if occurred_at > now.replace(microsecond=0).replace(year=now.year + 1):
            raise InvalidValue("occurred_at is more than a year in the future")
        if next_step_due is not None and next_step is None:
            raise InvalidValue("next_step_due needs a next_step")
        interaction = cls(
            id=str(uuid.uuid4()),
            customer_id=customer_id,
            kind=kind,
            occurred_at=occurred_at,
            actor_id=actor_id,
            actor_name=actor_name,
            subject=subject,
            notes=notes,
            outcome=outcome,
            next_step=next_step,
            next_step_due=next_step_due,
        )
        interaction.record(events.InteractionLogged(interaction))
        return interaction
