"""Opportunities, their history and stage durations, pipelines, and quotes (sales.*).

Every opportunity event carries the full state: the fact row keeps the newest revision, each
revision is also kept as a version valid from its ``updated_at`` (the pipeline as of any day),
and each move out of a stage (stage change, win, loss) records how long it stayed there.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from analytics_service.adapters import tables as t
from analytics_service.adapters.sql import Tx
from analytics_service.domain.money import q4
from analytics_service.domain.periods import month_start, week_start
from analytics_service.domain.text import clip
from analytics_service.projections.framework import (
    Event,
    FactProjection,
    blank_row,
    day_columns,
    earliest,
    parse_time,
)

OPPORTUNITY_EVENTS = (
    "sales.opportunity.created",
    "sales.opportunity.updated",
    "sales.opportunity.stage_changed",
    "sales.opportunity.won",
    "sales.opportunity.lost",
)
LEAVING_EVENTS = {
    "sales.opportunity.stage_changed": "moved",
    "sales.opportunity.won": "won",
    "sales.opportunity.lost": "lost",
}


def _weighted(data: dict) -> Decimal:
    weighted = data.get("weighted_base_amount")
    if weighted:
        return q4(Decimal(weighted["amount"]))
    return q4(Decimal(data["base_amount"]["amount"]) * data["probability"] / 100)


def _close_date(data: dict) -> date | None:
    value = data.get("expected_close_date")
    return date.fromisoformat(value) if value else None


class OpportunitiesProjection(FactProjection):
    name = "opportunities"
    table = t.opportunities
    key = "opportunity_id"
    handles = dict.fromkeys(OPPORTUNITY_EVENTS, (1,))
    tables = (t.opportunities, t.opportunity_versions, t.opportunity_stage_spells)

    def blank(self, key: str) -> dict[str, Any]:
        return blank_row(t.opportunities, opportunity_id=key, revision=0)

    def fold(self, row: dict[str, Any], event: Event, context: Any = None) -> bool:
        data = event.data
        if data["revision"] <= row["revision"]:
            return False
        close = _close_date(data)
        closed_at = parse_time(data.get("closed_at") or data.get("won_at") or data.get("lost_at"))
        row.update(
            name=clip(data.get("name"), 300),
            customer_id=data["customer_id"],
            lead_id=data.get("lead_id"),
            pipeline_id=data["pipeline_id"],
            stage_id=data["stage_id"],
            stage_name=clip(data.get("stage_name"), 100),
            status=data["status"],
            probability=data["probability"],
            forecast_category=data["forecast_category"],
            base_amount=q4(Decimal(data["base_amount"]["amount"])),
            weighted_amount=_weighted(data),
            expected_close_date=close,
            expected_close_week=week_start(close) if close else None,
            expected_close_month=month_start(close) if close else None,
            owner_id=data.get("owner_id"),
            owner_team=clip(data.get("owner_team"), 60),
            region=clip(data.get("region"), 100),
            campaign_id=data.get("campaign_id"),
            source=clip(data.get("source"), 100),
            created_at=parse_time(data["created_at"]),
            closed_at=closed_at if data["status"] != "open" else None,
            revision=data["revision"],
        )
        row.update(day_columns("created", row["created_at"]))
        row.update(day_columns("closed", row["closed_at"]))
        if data["status"] == "lost":
            if event.event_type == "sales.opportunity.lost":
                row["lost_reason"] = clip(data.get("reason"), 300)
                row["competitor"] = clip(data.get("competitor"), 200)
        else:
            row["lost_reason"] = row["competitor"] = None
        return True

    def apply(self, tx: Tx, events: Sequence[Event]) -> None:
        super().apply(tx, events)
        versions, spells = [], []
        for event in events:
            data = event.data
            versions.append(
                {
                    "opportunity_id": data["opportunity_id"],
                    "revision": data["revision"],
                    "valid_from": parse_time(data["updated_at"]),
                    "status": data["status"],
                    "pipeline_id": data["pipeline_id"],
                    "stage_id": data["stage_id"],
                    "stage_name": clip(data.get("stage_name"), 100),
                    "probability": data["probability"],
                    "forecast_category": data["forecast_category"],
                    "base_amount": q4(Decimal(data["base_amount"]["amount"])),
                    "weighted_amount": _weighted(data),
                    "expected_close_date": _close_date(data),
                    "owner_id": data.get("owner_id"),
                    "owner_team": clip(data.get("owner_team"), 60),
                }
            )
            outcome = LEAVING_EVENTS.get(event.event_type)
            if outcome is not None:
                left_at = parse_time(
                    data.get("changed_at") or data.get("won_at") or data.get("lost_at")
                )
                spells.append(
                    {
                        "opportunity_id": data["opportunity_id"],
                        "revision": data["revision"],
                        "pipeline_id": data["pipeline_id"],
                        "stage_id": data["from_stage_id"],
                        "stage_name": clip(data.get("from_stage_name"), 100),
                        "seconds": max(int(data["time_in_previous_stage_seconds"]), 0),
                        "left_at": left_at,
                        **day_columns("left", left_at),
                        "outcome": outcome,
                        "owner_id": data.get("owner_id"),
                        "owner_team": clip(data.get("owner_team"), 60),
                    }
                )
        tx.insert_ignore(t.opportunity_versions, _unique(versions), ("opportunity_id", "revision"))
        tx.insert_ignore(
            t.opportunity_stage_spells, _unique(spells), ("opportunity_id", "revision")
        )


def _unique(rows: list[dict]) -> list[dict]:
    seen: dict[tuple, dict] = {}
    for row in rows:
        seen.setdefault((row["opportunity_id"], row["revision"]), row)
    return list(seen.values())


class PipelinesProjection(FactProjection):
    name = "pipelines"
    table = t.pipelines
    key = "pipeline_id"
    handles = {"sales.pipeline.created": (1,), "sales.pipeline.updated": (1,)}
    tables = (t.pipelines,)

    def blank(self, key: str) -> dict[str, Any]:
        return blank_row(t.pipelines, pipeline_id=key, stages=[], revision=0)

    def fold(self, row: dict[str, Any], event: Event, context: Any = None) -> bool:
        data = event.data
        if data["revision"] <= row["revision"]:
            return False
        row.update(
            name=clip(data["name"], 200),
            is_default=data["is_default"],
            active=data["active"],
            stages=[
                {
                    "stage_id": s["stage_id"],
                    "name": clip(s["name"], 100),
                    "position": s["position"],
                    "probability": s["probability"],
                    "is_won": s["is_won"],
                    "is_lost": s["is_lost"],
                }
                for s in sorted(data["stages"], key=lambda s: s["position"])
            ],
            revision=data["revision"],
        )
        return True


QUOTE_MILESTONES = {
    "sales.quote.sent": "sent_at",
    "sales.quote.accepted": "accepted_at",
    "sales.quote.rejected": "rejected_at",
    "sales.quote.expired": "expired_at",
}


class QuotesProjection(FactProjection):
    name = "quotes"
    table = t.quotes
    key = "quote_id"
    handles = {
        "sales.quote.created": (1,),
        "sales.quote.updated": (1,),
        **dict.fromkeys(QUOTE_MILESTONES, (1,)),
    }
    tables = (t.quotes,)

    def blank(self, key: str) -> dict[str, Any]:
        return blank_row(t.quotes, quote_id=key, revision=0)

    def fold(self, row: dict[str, Any], event: Event, context: Any = None) -> bool:
        data = event.data
        before = dict(row)
        if data["revision"] > row["revision"]:
            created = parse_time(data["created_at"])
            row.update(
                customer_id=data["customer_id"],
                opportunity_id=data.get("opportunity_id"),
                owner_id=data.get("owner_id"),
                owner_team=clip(data.get("owner_team"), 60),
                status=data["status"],
                base_total=q4(Decimal(data["base_total"]["amount"])),
                created_at=created,
                revision=data["revision"],
                **day_columns("created", created),
            )
        milestone = QUOTE_MILESTONES.get(event.event_type)
        if milestone is not None:
            row[milestone] = earliest(row[milestone], parse_time(data[milestone]))
            if event.event_type == "sales.quote.accepted":
                row["order_id"] = data["order_id"]
        return row != before


CONTRACT_MILESTONES = {
    "sales.contract.signed": "signed_at",
    "sales.contract.renewed": "renewed_at",
    "sales.contract.terminated": "terminated_at",
    "sales.contract.expired": "expired_at",
}


class ContractsProjection(FactProjection):
    """Sales contracts: value, term, and when they were signed, renewed, ended."""

    name = "contracts"
    table = t.contracts
    key = "contract_id"
    handles = {
        "sales.contract.created": (1,),
        "sales.contract.updated": (1,),
        "sales.contract.renewal_due": (1,),
        **dict.fromkeys(CONTRACT_MILESTONES, (1,)),
    }
    tables = (t.contracts,)

    def blank(self, key: str) -> dict[str, Any]:
        return blank_row(t.contracts, contract_id=key, revision=0)

    def fold(self, row: dict[str, Any], event: Event, context: Any = None) -> bool:
        data = event.data
        before = dict(row)
        if data["revision"] > row["revision"]:
            row.update(
                customer_id=data["customer_id"],
                owner_id=data.get("owner_id"),
                owner_team=clip(data.get("owner_team"), 60),
                region=clip(data.get("region"), 100),
                status=data["status"],
                base_value=q4(Decimal(data["base_value"]["amount"])),
                start_date=date.fromisoformat(data["start_date"]),
                end_date=date.fromisoformat(data["end_date"]),
                auto_renew=data["auto_renew"],
                renewed_from_id=data.get("renewed_from_id"),
                revision=data["revision"],
            )
        milestone = CONTRACT_MILESTONES.get(event.event_type)
        if milestone is not None:
            moment = data.get(milestone) or data.get("signed_at")
            row[milestone] = earliest(row[milestone], parse_time(moment))
        return row != before
