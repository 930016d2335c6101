"""Leads: the top of the funnel (sales.lead.* and the customer service's match).

The lead's state comes from its full-state events by revision; milestones (qualified, converted,
disqualified) keep the first time they were reached, so a late or repeated event cannot move
them. ``sales.lead.captured`` and ``customer.lead.matched`` carry no revision: capture only fills
what no state event has set, and the match is kept beside the state's own customer.
"""

from __future__ import annotations

from typing import Any

from analytics_service.adapters import tables as t
from analytics_service.domain.text import clip
from analytics_service.projections.framework import (
    Event,
    FactProjection,
    blank_row,
    day_columns,
    earliest,
    parse_time,
)

STATE_EVENTS = (
    "sales.lead.created",
    "sales.lead.updated",
    "sales.lead.assigned",
    "sales.lead.qualified",
    "sales.lead.converted",
    "sales.lead.disqualified",
    "sales.lead.linked",
)


class LeadsProjection(FactProjection):
    name = "leads"
    table = t.leads
    key = "lead_id"
    handles = {
        **dict.fromkeys(STATE_EVENTS, (1,)),
        "sales.lead.captured": (1,),
        "customer.lead.matched": (1,),
    }
    tables = (t.leads,)

    def blank(self, key: str) -> dict[str, Any]:
        return blank_row(t.leads, lead_id=key, state_rev=0)

    def fold(self, row: dict[str, Any], event: Event, context: Any = None) -> bool:
        data = event.data
        before = dict(row)
        kind = event.event_type
        if kind == "customer.lead.matched":
            row["matched_customer_id"] = data["customer_id"]
            row["matched_created"] = data["created"]
        elif kind == "sales.lead.captured":
            row["captured_at"] = earliest(row["captured_at"], parse_time(data["captured_at"]))
            if row["state_rev"] == 0:
                contact = data.get("contact") or {}
                row.update(
                    source=clip(data.get("source"), 100),
                    campaign_id=data.get("campaign_id"),
                    owner_id=data.get("owner_id"),
                    owner_team=clip(data.get("owner_team"), 60),
                    country=clip(contact.get("country"), 100),
                    region=clip(data.get("region") or contact.get("region"), 100),
                )
        else:
            if data["revision"] > row["state_rev"]:
                row.update(
                    status=data["status"],
                    source=clip(data.get("source"), 100),
                    campaign_id=data.get("campaign_id"),
                    customer_id=data.get("customer_id"),
                    owner_id=data.get("owner_id"),
                    owner_team=clip(data.get("owner_team"), 60),
                    country=clip(data.get("country"), 100),
                    region=clip(data.get("region"), 100),
                    score=data.get("score"),
                    disqualify_reason=clip(data.get("disqualify_reason"), 300),
                    created_at=parse_time(data["created_at"]),
                    state_rev=data["revision"],
                )
            if kind == "sales.lead.qualified":
                row["qualified_at"] = earliest(
                    row["qualified_at"], parse_time(data["qualified_at"])
                )
            elif kind == "sales.lead.converted":
                converted = parse_time(data["converted_at"])
                if row["converted_at"] is None or converted < row["converted_at"]:
                    row["converted_at"] = converted
                    row["opportunity_id"] = data["opportunity_id"]
            elif kind == "sales.lead.disqualified":
                row["disqualified_at"] = earliest(
                    row["disqualified_at"], parse_time(data["disqualified_at"])
                )
        row.update(day_columns("created", row["created_at"] or row["captured_at"]))
        return row != before
