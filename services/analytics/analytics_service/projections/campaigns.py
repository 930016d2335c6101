"""Campaigns, their spend, the campaign service's attribution of orders, coupons and their
redemptions, unsubscriptions and touchpoints (campaign.* and sales.coupon.*)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from analytics_service.adapters import tables as t
from analytics_service.adapters.sql import Tx
from analytics_service.domain.money import ZERO, q4
from analytics_service.domain.periods import month_start, week_start
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
from analytics_service.projections.rollups import RollupDelta

CAMPAIGN_STATE_EVENTS = (
    "campaign.created",
    "campaign.updated",
    "campaign.scheduled",
    "campaign.launched",
    "campaign.paused",
    "campaign.resumed",
    "campaign.completed",
    "campaign.cancelled",
)


def _amount(money: dict | None) -> Decimal | None:
    return q4(Decimal(money["amount"])) if money else None


class CampaignsProjection(FactProjection):
    """Campaigns (full state by revision) and the A/B winner when one is selected."""

    name = "campaigns"
    table = t.campaigns
    key = "campaign_id"
    handles = {
        **dict.fromkeys(CAMPAIGN_STATE_EVENTS, (1,)),
        "campaign.variant.winner_selected": (1,),
    }
    tables = (t.campaigns,)

    def blank(self, key: str) -> dict[str, Any]:
        return blank_row(t.campaigns, campaign_id=key, variants=[], revision=0)

    def fold(self, row: dict[str, Any], event: Event, context: Any = None) -> bool:
        data = event.data
        if event.event_type == "campaign.variant.winner_selected":
            # Not a full state: it must not claim the revision a full-state event carries.
            if data["revision"] < row["revision"] or row["winner_variant_id"] == data["variant_id"]:
                return False
            row["winner_variant_id"] = data["variant_id"]
            row["variants"] = [
                {**v, "is_winner": v["variant_id"] == data["variant_id"]} for v in row["variants"]
            ]
            return True
        if data["revision"] <= row["revision"]:
            return False
        budget = data.get("budget")
        row.update(
            name=clip(data["name"], 200),
            channel=data["channel"],
            objective=clip(data.get("objective"), 200),
            status=data["status"],
            budget=_amount(budget),
            budget_currency=budget["currency"] if budget else None,
            owner_id=data.get("owner_id"),
            owner_team=clip(data.get("owner_team"), 60),
            utm_campaign=clip(data.get("utm_campaign"), 200),
            coupon_id=data.get("coupon_id"),
            launched_at=parse_time(data.get("launched_at")),
            completed_at=parse_time(data.get("completed_at")),
            created_at=parse_time(data.get("created_at")),
            variants=[
                {
                    "variant_id": v["variant_id"],
                    "name": clip(v["name"], 100),
                    "split_percent": v["split_percent"],
                    "is_winner": v["is_winner"],
                }
                for v in data["variants"]
            ],
            winner_variant_id=data.get("winner_variant_id"),
            revision=data["revision"],
        )
        return True


class CostsProjection(FactProjection):
    """Spend items in the base currency; a removal sticks whichever event comes first."""

    name = "campaign_costs"
    table = t.campaign_costs
    key = "cost_id"
    handles = {"campaign.cost.recorded": (1,), "campaign.cost.removed": (1,)}
    tables = (t.campaign_costs,)

    def blank(self, key: str) -> dict[str, Any]:
        return blank_row(t.campaign_costs, cost_id=key, removed=False)

    def fold(self, row: dict[str, Any], event: Event, context: Any = None) -> bool:
        data = event.data
        before = dict(row)
        if event.event_type == "campaign.cost.removed":
            row["removed"] = True
            row["campaign_id"] = data["campaign_id"]
            if row["base_amount"] is None:
                row["base_amount"] = _amount(data["base_amount"])
        else:
            incurred = date.fromisoformat(data["incurred_on"])
            row.update(
                campaign_id=data["campaign_id"],
                category=clip(data["category"], 100),
                base_amount=_amount(data["base_amount"]),
                incurred_on=incurred,
                incurred_week=week_start(incurred),
                incurred_month=month_start(incurred),
            )
        return row != before


class AttributionProjection(FactProjection):
    """Per paid order, the campaigns credited under each model (the newest revision replaces
    the items of older ones)."""

    name = "attributions"
    table = t.attributions
    key = "order_id"
    handles = {"campaign.attribution.recorded": (1,)}
    tables = (t.attributions, t.attribution_items, t.attribution_daily)

    def blank(self, key: str) -> dict[str, Any]:
        return blank_row(t.attributions, order_id=key, revision=0)

    def fold(self, row: dict[str, Any], event: Event, context: Any = None) -> bool:
        data = event.data
        if data["revision"] <= row["revision"]:
            return False
        row.update(
            customer_id=data["customer_id"],
            status=data["status"],
            method=data["method"],
            revenue=_amount(data["revenue"]),
            placed_at=parse_time(data.get("placed_at") or data["attributed_at"]),
            revision=data["revision"],
            _items=data["attributions"],
        )
        return True

    def after_write(self, tx: Tx, changed) -> None:
        orders = [row["order_id"] for _, row in changed]
        rollup = RollupDelta(
            t.attribution_daily,
            ("day", "campaign_id", "variant_id", "model"),
            ("orders", "revenue"),
            counts=(0,),
        )
        old: dict[tuple, tuple] = {}
        for chunk_start in range(0, len(orders), 900):
            chunk = orders[chunk_start : chunk_start + 900]
            for item in tx.session.execute(
                select(t.attribution_items).where(t.attribution_items.c.order_id.in_(chunk))
            ):
                key = (item.placed_day, item.campaign_id, item.variant_id or "", item.model)
                orders_before, revenue_before = old.get(key, (0, ZERO))
                old[key] = (orders_before + 1, revenue_before + item.revenue)
        rollup.add(old, -1)
        tx.delete_in(t.attribution_items, "order_id", orders)
        items: dict[tuple, dict] = {}
        for _, row in changed:
            days = day_columns("placed", row["placed_at"])
            for item in row["_items"]:
                key = (row["order_id"], item["model"], item["campaign_id"])
                found = items.get(key)
                share, revenue = q4(Decimal(item["share"])), _amount(item["revenue"])
                if found is not None:  # the same campaign twice under one model: add up
                    found["share"] += share
                    found["revenue"] += revenue
                    continue
                items[key] = {
                    "order_id": row["order_id"],
                    "model": item["model"],
                    "campaign_id": item["campaign_id"],
                    "variant_id": item.get("variant_id"),
                    "share": share,
                    "revenue": revenue,
                    **days,
                }
        tx.insert(t.attribution_items, list(items.values()))
        new: dict[tuple, tuple] = {}
        for item in items.values():
            key = (item["placed_day"], item["campaign_id"], item["variant_id"] or "", item["model"])
            orders_after, revenue_after = new.get(key, (0, ZERO))
            new[key] = (orders_after + 1, revenue_after + item["revenue"])
        rollup.add(new, +1)
        rollup.write(tx)


class CouponsProjection(FactProjection):
    name = "coupons"
    table = t.coupons
    key = "coupon_id"
    handles = {"campaign.coupon.issued": (1,), "campaign.coupon.updated": (1,)}
    tables = (t.coupons,)

    def blank(self, key: str) -> dict[str, Any]:
        return blank_row(t.coupons, coupon_id=key, revision=0)

    def fold(self, row: dict[str, Any], event: Event, context: Any = None) -> bool:
        data = event.data
        if data["revision"] <= row["revision"]:
            return False
        row.update(
            campaign_id=data.get("campaign_id"),
            name=clip(data["name"], 200),
            mode=data["mode"],
            code=clip(data.get("code"), 60),
            discount_kind=data["discount_kind"],
            value=q4(Decimal(data["value"])),
            currency=data.get("currency"),
            active=data["active"],
            revision=data["revision"],
        )
        return True


class CouponBatchesProjection(ImmutableFacts):
    name = "coupon_batches"
    handles = {"campaign.coupon.codes_issued": (1,)}
    table = t.coupon_batches
    keys = ("coupon_id", "batch")
    tables = (t.coupon_batches,)

    def row(self, event: Event) -> dict[str, Any]:
        data = event.data
        return {"coupon_id": data["coupon_id"], "batch": data["batch"], "codes": len(data["codes"])}


class RedemptionsProjection(FactProjection):
    name = "coupon_redemptions"
    table = t.coupon_redemptions
    key = "redemption_id"
    handles = {"sales.coupon.redeemed": (1,), "sales.coupon.released": (1,)}
    tables = (t.coupon_redemptions,)

    def blank(self, key: str) -> dict[str, Any]:
        return blank_row(t.coupon_redemptions, redemption_id=key)

    def fold(self, row: dict[str, Any], event: Event, context: Any = None) -> bool:
        data = event.data
        before = dict(row)
        redeemed = parse_time(data["redeemed_at"])
        row.update(
            coupon_id=data["coupon_id"],
            campaign_id=data.get("campaign_id"),
            order_id=data["order_id"],
            customer_id=data["customer_id"],
            base_discount=_amount(data["base_discount"]),
            redeemed_at=redeemed,
            **day_columns("redeemed", redeemed),
        )
        if event.event_type == "sales.coupon.released":
            row["released_at"] = earliest(row["released_at"], parse_time(data["released_at"]))
        return row != before


class UnsubscribesProjection(ImmutableFacts):
    name = "unsubscribes"
    handles = {"campaign.recipient.unsubscribed": (1,)}
    table = t.unsubscribes
    keys = ("event_id",)
    tables = (t.unsubscribes,)

    def row(self, event: Event) -> dict[str, Any]:
        data = event.data
        at = parse_time(data["unsubscribed_at"])
        return {
            "event_id": event.event_id,
            "customer_id": data["customer_id"],
            "channel": data["channel"],
            "campaign_id": data.get("campaign_id"),
            "message_id": data.get("message_id"),
            "method": data.get("method"),
            "at": at,
            **day_columns("at", at),
        }


class TouchpointsProjection(ImmutableFacts):
    name = "touchpoints"
    handles = {"campaign.touchpoint.recorded": (1,)}
    table = t.touchpoints
    keys = ("touchpoint_id",)
    tables = (t.touchpoints,)

    def row(self, event: Event) -> dict[str, Any]:
        data = event.data
        utm = data.get("utm") or {}
        at = parse_time(data["occurred_at"])
        return {
            "touchpoint_id": data["touchpoint_id"],
            "customer_id": data.get("customer_id"),
            "campaign_id": data.get("campaign_id"),
            "kind": clip(data["kind"], 40),
            "utm_source": clip(utm.get("source"), 100),
            "utm_medium": clip(utm.get("medium"), 100),
            "occurred_at": at,
            **day_columns("occurred", at),
        }
