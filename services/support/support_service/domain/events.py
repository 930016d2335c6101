"""What happens in support, in the past tense.

Ticket events carry ``ticket``: a snapshot of the ticket taken when the change happened (with the
revision it reached), so several changes in one transaction publish distinct, ordered revisions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class TicketOpened:
    ticket: dict[str, Any]
    origin: str
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None


@dataclass(frozen=True)
class TicketUpdated:
    ticket: dict[str, Any]
    changed_fields: tuple[str, ...]
    at: datetime


@dataclass(frozen=True)
class TicketAssigned:
    ticket: dict[str, Any]
    previous_agent_id: str | None
    previous_group_id: str | None
    method: str
    assigned_by: str | None
    at: datetime


@dataclass(frozen=True)
class TicketFirstResponded:
    ticket: dict[str, Any]
    comment_id: str
    responder_id: str | None
    at: datetime
    business_seconds: int
    calendar_seconds: int
    target_minutes: int | None
    met: bool | None


@dataclass(frozen=True)
class TicketResponded:
    ticket: dict[str, Any]
    comment_id: str
    responder_id: str | None
    at: datetime
    cycle: int | None
    business_seconds: int | None
    calendar_seconds: int | None
    target_minutes: int | None
    met: bool | None


@dataclass(frozen=True)
class TicketPending:
    ticket: dict[str, Any]
    at: datetime
    reason: str | None


@dataclass(frozen=True)
class TicketOnHold:
    ticket: dict[str, Any]
    at: datetime
    reason: str | None


@dataclass(frozen=True)
class TicketResolved:
    ticket: dict[str, Any]
    at: datetime
    resolved_by: str | None
    first_response_business_seconds: int | None
    first_response_calendar_seconds: int | None
    resolution_business_seconds: int
    resolution_calendar_seconds: int
    reopened_count: int
    sla_met: dict[str, bool | None]


@dataclass(frozen=True)
class TicketReopened:
    ticket: dict[str, Any]
    at: datetime
    trigger: str
    reason: str | None
    reopened_count: int


@dataclass(frozen=True)
class TicketClosed:
    ticket: dict[str, Any]
    at: datetime
    reason: str
    merged_into: str | None


@dataclass(frozen=True)
class TicketMerged:
    source_ticket_id: str
    target_ticket_id: str
    customer_id: str
    moved_comments: int
    merged_by: str | None
    at: datetime
    revision: int


@dataclass(frozen=True)
class SlaWarned:
    ticket: dict[str, Any]
    clock: dict[str, Any]
    at: datetime


@dataclass(frozen=True)
class SlaBreached:
    ticket: dict[str, Any]
    clock: dict[str, Any]
    at: datetime


@dataclass(frozen=True)
class ComplaintRecorded:
    ticket: dict[str, Any]
    complaint: dict[str, Any]


@dataclass(frozen=True)
class ReturnRequested:
    request: Any


@dataclass(frozen=True)
class ReturnApproved:
    request: Any


@dataclass(frozen=True)
class ReturnRejected:
    request: Any


@dataclass(frozen=True)
class SurveySent:
    survey: Any


@dataclass(frozen=True)
class SurveyAnswered:
    survey: Any
