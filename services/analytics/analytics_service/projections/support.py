"""Support: tickets with response and resolution times and SLA outcomes, SLA breaches, complaint
root causes, return requests, and satisfaction answers (support CSAT/NPS and market-research
NPS)."""

from __future__ import annotations

from typing import Any

from analytics_service.adapters import tables as t
from analytics_service.domain.text import clip
from analytics_service.projections.framework import (
    Event,
    FactProjection,
    ImmutableFacts,
    blank_row,
    day_columns,
    earliest,
    parse_time,
)

# Ticket events whose classification (category, channel, priority, status, owner) is complete.
STATE_EVENTS = (
    "support.ticket.opened",
    "support.ticket.updated",
    "support.ticket.assigned",
    "support.ticket.first_responded",
    "support.ticket.responded",
    "support.ticket.pending",
    "support.ticket.on_hold",
    "support.ticket.resolved",
    "support.ticket.reopened",
    "support.ticket.closed",
)


class TicketsProjection(FactProjection):
    name = "tickets"
    table = t.tickets
    key = "ticket_id"
    handles = {
        **dict.fromkeys(STATE_EVENTS, (1,)),
        "support.ticket.merged": (1,),
        "support.complaint.recorded": (1,),
    }
    tables = (t.tickets,)

    def entity_key(self, event: Event) -> str:
        if event.event_type == "support.ticket.merged":
            return event.data["source_ticket_id"]
        return event.data["ticket_id"]

    def blank(self, key: str) -> dict[str, Any]:
        return blank_row(
            t.tickets,
            ticket_id=key,
            reopened_count=0,
            state_rev=0,
            first_response_rev=0,
            resolution_rev=0,
            complaint_rev=0,
        )

    def fold(self, row: dict[str, Any], event: Event, context: Any = None) -> bool:
        data = event.data
        kind = event.event_type
        before = dict(row)
        if kind == "support.ticket.merged":
            row["merged_into"] = data["target_ticket_id"]
            row["customer_id"] = row["customer_id"] or data["customer_id"]
            return row != before
        if kind == "support.complaint.recorded":
            if data["revision"] > row["complaint_rev"]:
                row["root_cause_category"] = clip(data["root_cause_category"], 100)
                row["complaint_rev"] = data["revision"]
            return row != before
        if data["revision"] > row["state_rev"]:
            row.update(
                number=clip(data["number"], 60),
                customer_id=data["customer_id"],
                order_id=data.get("order_id"),
                category=clip(data["category"], 100),
                channel=clip(data["channel"], 60),
                priority=clip(data["priority"], 20),
                status=clip(data["status"], 20),
                group_id=data.get("group_id"),
                agent_id=data.get("agent_id"),
                policy_id=data.get("policy_id"),
                state_rev=data["revision"],
            )
        if kind == "support.ticket.opened":
            row["opened_at"] = earliest(row["opened_at"], parse_time(data["opened_at"]))
            row["origin"] = clip(data.get("origin"), 40)
            row.update(day_columns("opened", row["opened_at"]))
        elif kind == "support.ticket.first_responded":
            responded = parse_time(data["responded_at"])
            if row["first_response_at"] is None or responded < row["first_response_at"]:
                row.update(
                    first_response_at=responded,
                    first_response_seconds=data["business_seconds"],
                    first_response_calendar_seconds=data["calendar_seconds"],
                    first_response_met=data.get("met"),
                    first_response_rev=data["revision"],
                )
        elif kind == "support.ticket.resolved":
            # After a reopening the ticket is resolved again: the latest resolution counts.
            if data["revision"] > row["resolution_rev"]:
                met = data.get("sla_met") or {}
                row.update(
                    resolved_at=parse_time(data["resolved_at"]),
                    resolution_seconds=data["resolution_business_seconds"],
                    resolution_calendar_seconds=data["resolution_calendar_seconds"],
                    resolution_met=met.get("resolution"),
                    resolution_rev=data["revision"],
                )
                if row["first_response_met"] is None and met.get("first_response") is not None:
                    row["first_response_met"] = met["first_response"]
                row["reopened_count"] = max(row["reopened_count"], data["reopened_count"])
        elif kind == "support.ticket.reopened":
            row["reopened_count"] = max(row["reopened_count"], data["reopened_count"])
        elif kind == "support.ticket.closed":
            row["closed_at"] = earliest(row["closed_at"], parse_time(data["closed_at"]))
            if data.get("merged_into"):
                row["merged_into"] = data["merged_into"]
        return row != before


class SlaBreachesProjection(ImmutableFacts):
    name = "sla_breaches"
    handles = {"support.ticket.sla_breached": (1,)}
    table = t.sla_breaches
    keys = ("ticket_id", "target", "cycle")
    tables = (t.sla_breaches,)

    def row(self, event: Event) -> dict[str, Any]:
        data = event.data
        return {
            "ticket_id": data["ticket_id"],
            "target": data["target"],
            "cycle": data["cycle"],
            "policy_id": data["policy_id"],
            "due_at": parse_time(data["due_at"]),
            "detected_at": parse_time(data["detected_at"]),
        }


RETURN_MILESTONES = {
    "support.return.requested": "requested_at",
    "support.return.approved": "approved_at",
    "support.return.rejected": "rejected_at",
}


class ReturnRequestsProjection(FactProjection):
    name = "return_requests"
    table = t.return_requests
    key = "return_request_id"
    handles = dict.fromkeys(RETURN_MILESTONES, (1,))
    tables = (t.return_requests,)

    def blank(self, key: str) -> dict[str, Any]:
        return blank_row(t.return_requests, return_request_id=key)

    def fold(self, row: dict[str, Any], event: Event, context: Any = None) -> bool:
        data = event.data
        before = dict(row)
        row.update(
            ticket_id=data["ticket_id"],
            order_id=data["order_id"],
            customer_id=data["customer_id"],
        )
        if "full" in data:
            row["full"] = data["full"]
        if event.event_type != "support.return.rejected" and data.get("reason"):
            row["reason"] = row["reason"] or clip(data["reason"], 300)
        milestone = RETURN_MILESTONES[event.event_type]
        row[milestone] = earliest(row[milestone], parse_time(data[milestone]))
        # Requests approved without a request event on record count from their approval.
        row.update(day_columns("requested", row["requested_at"] or row["approved_at"]))
        return row != before


def nps_category(score: int) -> str:
    if score >= 9:
        return "promoter"
    return "passive" if score >= 7 else "detractor"


class SurveyResponsesProjection(FactProjection):
    """Support's satisfaction surveys (sent and answered) and market research's NPS answers."""

    name = "survey_responses"
    table = t.survey_responses
    key = "response_key"
    handles = {
        "support.survey.sent": (1,),
        "support.survey.answered": (1,),
        "campaign.survey.answered": (1,),
    }
    tables = (t.survey_responses,)

    def entity_key(self, event: Event) -> str:
        if event.event_type == "campaign.survey.answered":
            return f"research:{event.data['response_id']}"
        return f"support:{event.data['survey_id']}"

    def blank(self, key: str) -> dict[str, Any]:
        return blank_row(t.survey_responses, response_key=key, source=key.split(":", 1)[0])

    def fold(self, row: dict[str, Any], event: Event, context: Any = None) -> bool:
        data = event.data
        before = dict(row)
        row["customer_id"] = row["customer_id"] or data.get("customer_id")
        row["campaign_id"] = row["campaign_id"] or data.get("campaign_id")
        if event.event_type == "campaign.survey.answered":
            answered = parse_time(data["answered_at"])
            score = data.get("nps")
            row.update(
                kind="nps" if score is not None else None,
                score=score,
                scale_min=0 if score is not None else None,
                scale_max=10 if score is not None else None,
                nps_category=nps_category(score) if score is not None else None,
                answered_at=answered,
                **day_columns("answered", answered),
            )
            return row != before
        row.update(
            kind=data["kind"],
            ticket_id=data["ticket_id"],
            agent_id=row["agent_id"] or data.get("agent_id"),
            group_id=row["group_id"] or data.get("group_id"),
        )
        sent = earliest(row["sent_at"], parse_time(data.get("sent_at")))
        row.update(sent_at=sent, **day_columns("sent", sent))
        if event.event_type == "support.survey.answered":
            answered = parse_time(data["answered_at"])
            row.update(
                score=data["score"],
                scale_min=data["scale_min"],
                scale_max=data["scale_max"],
                satisfied=data["satisfied"],
                nps_category=data.get("nps_category"),
                answered_at=answered,
                **day_columns("answered", answered),
            )
        return row != before
