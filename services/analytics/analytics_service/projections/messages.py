"""Campaign messages: delivery, bounces, opens and clicks, people and machines apart.

One fact row per message keeps the first moment of each outcome (so order does not matter) and
counts of opens and clicks; each open or click is also recorded once under its event id, which is
what keeps the counts right when an event is applied twice. ``engagement_daily`` sums the
messages' contributions per day sent, campaign and variant (projections/rollups.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from analytics_service.adapters import tables as t
from analytics_service.adapters.sql import Tx
from analytics_service.projections.framework import (
    Event,
    FactProjection,
    blank_row,
    day_columns,
    earliest,
    parse_time,
)
from analytics_service.projections.rollups import RollupDelta

MESSAGE_EVENTS = (
    "campaign.message.sent",
    "campaign.message.delivered",
    "campaign.message.bounced",
    "campaign.message.opened",
    "campaign.message.clicked",
)
ENGAGEMENT_MEASURES = (
    "sent",
    "delivered",
    "bounced",
    "hard_bounced",
    "opened",
    "machine_opened",
    "clicked",
    "machine_clicked",
    "opens",
    "machine_opens",
    "clicks",
    "machine_clicks",
)


def contribution(row: dict[str, Any] | None) -> dict[tuple, tuple]:
    """What a message adds to engagement_daily (nothing until it is known to be sent)."""
    if row is None or row["sent_day"] is None:
        return {}
    key = (row["sent_day"], row["campaign_id"] or "", row["variant_id"] or "")
    return {
        key: (
            1,
            int(row["delivered_at"] is not None),
            int(row["bounced_at"] is not None),
            int(row["bounce_type"] == "hard"),
            int(row["human_open_at"] is not None),
            int(row["machine_open_at"] is not None),
            int(row["human_click_at"] is not None),
            int(row["machine_click_at"] is not None),
            row["human_opens"],
            row["machine_opens"],
            row["human_clicks"],
            row["machine_clicks"],
        )
    }


class MessagesProjection(FactProjection):
    name = "messages"
    table = t.messages
    key = "message_id"
    handles = dict.fromkeys(MESSAGE_EVENTS, (1,))
    tables = (t.messages, t.message_engagements, t.engagement_daily)

    def blank(self, key: str) -> dict[str, Any]:
        return blank_row(
            t.messages,
            message_id=key,
            human_opens=0,
            machine_opens=0,
            human_clicks=0,
            machine_clicks=0,
        )

    def prepare(self, tx: Tx, events: Sequence[Event]) -> set[str]:
        """Record each open and click once; return the ids of those not recorded before."""
        engagements = {
            e.event_id: e
            for e in events
            if e.event_type in ("campaign.message.opened", "campaign.message.clicked")
        }
        if not engagements:
            return set()
        known = tx.existing(t.message_engagements, "event_id", engagements)
        fresh = {i: e for i, e in engagements.items() if i not in known}
        tx.insert(
            t.message_engagements,
            [
                {
                    "event_id": event_id,
                    "message_id": e.data["message_id"],
                    "kind": "open" if e.event_type.endswith("opened") else "click",
                    "machine": e.data["machine"],
                    "at": parse_time(e.data.get("opened_at") or e.data.get("clicked_at")),
                }
                for event_id, e in sorted(fresh.items())
            ],
        )
        return set(fresh)

    def fold(self, row: dict[str, Any], event: Event, context: Any = None) -> bool:
        data = event.data
        before = dict(row)
        for name in ("campaign_id", "variant_id", "customer_id"):
            row[name] = row[name] or data.get(name)
        row["purpose"] = row["purpose"] or data.get("purpose")
        kind = event.event_type
        if kind == "campaign.message.sent":
            row["sent_at"] = earliest(row["sent_at"], parse_time(data["sent_at"]))
            row.update(day_columns("sent", row["sent_at"]))
        elif kind == "campaign.message.delivered":
            row["delivered_at"] = earliest(row["delivered_at"], parse_time(data["delivered_at"]))
        elif kind == "campaign.message.bounced":
            row["bounced_at"] = earliest(row["bounced_at"], parse_time(data["bounced_at"]))
            # A hard bounce is final whatever soft ones say.
            if row["bounce_type"] != "hard":
                row["bounce_type"] = data["bounce_type"]
        else:
            verb = "open" if kind == "campaign.message.opened" else "click"
            who = "machine" if data["machine"] else "human"
            at = parse_time(data["opened_at" if verb == "open" else "clicked_at"])
            row[f"{who}_{verb}_at"] = earliest(row[f"{who}_{verb}_at"], at)
            if context is not None and event.event_id in context:
                row[f"{who}_{verb}s"] += 1
        return row != before

    def after_write(self, tx: Tx, changed) -> None:
        rollup = RollupDelta(
            t.engagement_daily,
            ("day", "campaign_id", "variant_id"),
            ENGAGEMENT_MEASURES,
            counts=(0,),
        )
        for before, after in changed:
            rollup.change(contribution(before), contribution(after))
        rollup.write(tx)
