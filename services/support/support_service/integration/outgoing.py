"""Domain events rendered as contract events (libs/event_contracts/.../support)."""

from __future__ import annotations

from decimal import Decimal

from servicekit.events import OutgoingEvent
from support_service.domain import events
from support_service.domain.surveys import nps_category


def _ticket_event(name: str, ticket: dict, **extra) -> OutgoingEvent:
    return OutgoingEvent(
        f"support.ticket.{name}",
        {**ticket, **extra},
        aggregate_type="ticket",
        aggregate_id=ticket["ticket_id"],
        aggregate_version=ticket["revision"],
    )


def _quantity(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _return_data(r) -> dict:
    return {
        "return_request_id": r.id,
        "ticket_id": r.ticket_id,
        "order_id": r.order_id,
        "customer_id": r.customer_id,
        "full": r.full,
        "lines": [
            {"product_id": li.product_id, "sku": li.sku, "quantity": _quantity(li.quantity)}
            for li in r.lines
        ],
    }


def _sla_data(e, *, warning: bool) -> dict:
    t, c = e.ticket, e.clock
    data = {
        "ticket_id": t["ticket_id"],
        "number": t["number"],
        "customer_id": t["customer_id"],
        "policy_id": c["policy_id"],
        "policy_name": c["policy_name"],
        "calendar_id": t["calendar_id"],
        "target": c["target"],
        "cycle": c["cycle"],
        "due_at": c["due_at"],
        "target_minutes": c["target_minutes"],
        "elapsed_business_seconds": c["elapsed_business_seconds"],
        "detected_at": e.at,
        "priority": t["priority"],
        "category": t["category"],
        "channel": t["channel"],
        "group_id": t["group_id"],
        "agent_id": t["agent_id"],
        "revision": t["revision"],
    }
    if warning:
        data["threshold_percent"] = c["threshold_percent"]
    return data


def _survey_data(s) -> dict:
    return {
        "survey_id": s.id,
        "ticket_id": s.ticket_id,
        "customer_id": s.customer_id,
        "agent_id": s.agent_id,
        "group_id": s.group_id,
        "policy_id": s.policy_id,
        "kind": s.kind,
    }


def to_integration(event) -> OutgoingEvent | None:
    """The contract event for a domain event."""
    if isinstance(event, events.TicketOpened):
        return _ticket_event(
            "opened",
            event.ticket,
            origin=event.origin,
            opened_at=event.ticket["created_at"],
            first_response_due_at=event.first_response_due_at,
            resolution_due_at=event.resolution_due_at,
        )
    if isinstance(event, events.TicketUpdated):
        return _ticket_event(
            "updated", event.ticket, changed_fields=list(event.changed_fields), updated_at=event.at
        )
    if isinstance(event, events.TicketAssigned):
        return _ticket_event(
            "assigned",
            event.ticket,
            previous_agent_id=event.previous_agent_id,
            previous_group_id=event.previous_group_id,
            method=event.method,
            assigned_by=event.assigned_by,
            assigned_at=event.at,
        )
    if isinstance(event, events.TicketFirstResponded):
        return _ticket_event(
            "first_responded",
            event.ticket,
            responded_at=event.at,
            responder_id=event.responder_id,
            comment_id=event.comment_id,
            business_seconds=event.business_seconds,
            calendar_seconds=event.calendar_seconds,
            target_minutes=event.target_minutes,
            met=event.met,
        )
    if isinstance(event, events.TicketResponded):
        return _ticket_event(
            "responded",
            event.ticket,
            responded_at=event.at,
            responder_id=event.responder_id,
            comment_id=event.comment_id,
            cycle=event.cycle,
            business_seconds=event.business_seconds,
            calendar_seconds=event.calendar_seconds,
            target_minutes=event.target_minutes,
            met=event.met,
        )
    if isinstance(event, events.TicketPending):
        return _ticket_event("pending", event.ticket, pending_at=event.at, reason=event.reason)
    if isinstance(event, events.TicketOnHold):
        return _ticket_event("on_hold", event.ticket, on_hold_at=event.at, reason=event.reason)
    if isinstance(event, events.TicketResolved):
        return _ticket_event(
            "resolved",
            event.ticket,
            resolved_at=event.at,
            resolved_by=event.resolved_by,
            first_response_business_seconds=event.first_response_business_seconds,
            first_response_calendar_seconds=event.first_response_calendar_seconds,
            resolution_business_seconds=event.resolution_business_seconds,
            resolution_calendar_seconds=event.resolution_calendar_seconds,
            reopened_count=event.reopened_count,
            sla_met=event.sla_met,
        )
    if isinstance(event, events.TicketReopened):
        return _ticket_event(
            "reopened",
            event.ticket,
            reopened_at=event.at,
            trigger=event.trigger,
            reason=event.reason,
            reopened_count=event.reopened_count,
        )
    if isinstance(event, events.TicketClosed):
        return _ticket_event(
            "closed",
            event.ticket,
            closed_at=event.at,
            close_reason=event.reason,
            merged_into=event.merged_into,
        )
    if isinstance(event, events.TicketMerged):
        return OutgoingEvent(
            "support.ticket.merged",
            {
                "source_ticket_id": event.source_ticket_id,
                "target_ticket_id": event.target_ticket_id,
                "customer_id": event.customer_id,
                "moved_comments": event.moved_comments,
                "merged_by": event.merged_by,
                "merged_at": event.at,
                "revision": event.revision,
            },
            aggregate_type="ticket",
            aggregate_id=event.source_ticket_id,
            aggregate_version=event.revision,
        )
    if isinstance(event, events.SlaWarned):
        return OutgoingEvent(
            "support.ticket.sla_warning",
            _sla_data(event, warning=True),
            aggregate_type="ticket",
            aggregate_id=event.ticket["ticket_id"],
            aggregate_version=event.ticket["revision"],
        )
    if isinstance(event, events.SlaBreached):
        return OutgoingEvent(
            "support.ticket.sla_breached",
            _sla_data(event, warning=False),
            aggregate_type="ticket",
            aggregate_id=event.ticket["ticket_id"],
            aggregate_version=event.ticket["revision"],
        )
    if isinstance(event, events.ComplaintRecorded):
        t, c = event.ticket, event.complaint
        return OutgoingEvent(
            "support.complaint.recorded",
            {
                "ticket_id": t["ticket_id"],
                "number": t["number"],
                "customer_id": t["customer_id"],
                "order_id": t["order_id"],
                "root_cause_category": c["root_cause_category"],
                "root_cause": c["root_cause"],
                "corrective_action": c["corrective_action"],
                "recorded_by": c["recorded_by"],
                "recorded_at": c["recorded_at"],
                "revision": t["revision"],
            },
            aggregate_type="ticket",
            aggregate_id=t["ticket_id"],
            aggregate_version=t["revision"],
        )
    if isinstance(event, events.ReturnRequested):
        r = event.request
        return OutgoingEvent(
            "support.return.requested",
            {
                **_return_data(r),
                "reason": r.reason,
                "requested_by": r.requested_by,
                "requested_at": r.requested_at,
            },
            aggregate_type="return_request",
            aggregate_id=r.id,
        )
    if isinstance(event, events.ReturnApproved):
        r = event.request
        return OutgoingEvent(
            "support.return.approved",
            {
                **_return_data(r),
                "reason": r.reason,
                "approved_by": r.decided_by,
                "approved_at": r.decided_at,
            },
            aggregate_type="return_request",
            aggregate_id=r.id,
        )
    if isinstance(event, events.ReturnRejected):
        r = event.request
        return OutgoingEvent(
            "support.return.rejected",
            {
                "return_request_id": r.id,
                "ticket_id": r.ticket_id,
                "order_id": r.order_id,
                "customer_id": r.customer_id,
                "reason": r.decision_reason,
                "rejected_by": r.decided_by,
                "rejected_at": r.decided_at,
            },
            aggregate_type="return_request",
            aggregate_id=r.id,
        )
    if isinstance(event, events.SurveySent):
        s = event.survey
        return OutgoingEvent(
            "support.survey.sent",
            {**_survey_data(s), "sent_at": s.sent_at, "expires_at": s.expires_at},
            aggregate_type="survey",
            aggregate_id=s.id,
        )
    if isinstance(event, events.SurveyAnswered):
        s = event.survey
        low, high = s.scale
        return OutgoingEvent(
            "support.survey.answered",
            {
                **_survey_data(s),
                "score": s.score,
                "scale_min": low,
                "scale_max": high,
                "satisfied": bool(s.satisfied),
                "nps_category": nps_category(s.score) if s.kind == "nps" else None,
                "low_score": bool(s.low_score),
                "follow_up": s.follow_up,
                "follow_up_ticket_id": s.follow_up_ticket_id,
                "comment": s.comment,
                "sent_at": s.sent_at,
                "answered_at": s.answered_at,
            },
            aggregate_type="survey",
            aggregate_id=s.id,
        )
    raise TypeError(f"no contract for domain event {type(event).__name__}")
