"""Campaign spend, attributed revenue and ROI, per attribution model and A/B variant.

Attributed revenue is the campaign service's attribution of paid orders (net of returns, zero
once cancelled) under each model - last touch, first touch, linear - by the day the order was
placed; spend is the campaign's recorded costs (without removed ones) by the day incurred, in the
base currency. ROI = (attributed revenue - spend) / spend; ROAS = revenue / spend. By variant,
a campaign's spend is shared out in proportion to the messages each variant sent in the period
(by the variants' split when nothing was sent); revenue attributed without a variant (coupon
orders) shows as "(no variant)" without spend.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from analytics_service.adapters import tables as t
from analytics_service.domain.money import ZERO, allocate
from analytics_service.service.reports import labels as lb
from analytics_service.service.reports.base import (
    Chart,
    Column,
    Report,
    ReportQuery,
    Series,
    as_float,
    money,
    per,
    ratio,
    sum_amount,
    top_keys,
)

DIMENSIONS = ("campaign", "variant", "channel")
FILTERS = ("campaign", "channel")
MODELS = ("last_touch", "first_touch", "linear")
MODEL_LABELS = {"last_touch": "Last touch", "first_touch": "First touch", "linear": "Linear"}


def _blank() -> dict:
    return {
        "spend": ZERO,
        "sent": 0,
        "redemptions": 0,
        "discount": ZERO,
        "touchpoints": 0,
        **{f"revenue_{m}": ZERO for m in MODELS},
        **{f"orders_{m}": 0 for m in MODELS},
    }


def report(session: Session, query: ReportQuery, currency: str) -> Report:
    model = query.options.get("model") or "last_touch"
    campaign_filter = set(query.filters.get("campaign", ()))
    channel_filter = set(query.filters.get("channel", ()))
    info = {
        r.campaign_id: r
        for r in session.execute(
            select(
                t.campaigns.c.campaign_id,
                t.campaigns.c.name,
                t.campaigns.c.channel,
                t.campaigns.c.status,
                t.campaigns.c.budget,
                t.campaigns.c.variants,
            )
        )
    }

    def keep(campaign_id: str) -> bool:
        if campaign_filter and campaign_id not in campaign_filter:
            return False
        if channel_filter:
            found = info.get(campaign_id)
            return found is not None and found.channel in channel_filter
        return True

    # per (campaign, variant) facts for the period
    facts: dict[tuple[str, str], dict] = defaultdict(_blank)
    ad = t.attribution_daily.c
    for campaign_id, variant_id, item_model, revenue, orders in session.execute(
        select(ad.campaign_id, ad.variant_id, ad.model, sum_amount(ad.revenue), func.sum(ad.orders))
        .where(ad.day >= query.start, ad.day <= query.end)
        .group_by(ad.campaign_id, ad.variant_id, ad.model)
    ):
        if keep(campaign_id) and item_model in MODELS:
            cell = facts[(campaign_id, variant_id or "")]
            cell[f"revenue_{item_model}"] += revenue
            cell[f"orders_{item_model}"] += int(orders or 0)
    e = t.engagement_daily.c
    for campaign_id, variant_id, sent in session.execute(
        select(e.campaign_id, e.variant_id, func.sum(e.sent))
        .where(e.day >= query.start, e.day <= query.end)
        .group_by(e.campaign_id, e.variant_id)
    ):
        if campaign_id and keep(campaign_id):
            facts[(campaign_id, variant_id or "")]["sent"] += int(sent or 0)
    spend: dict[str, Decimal] = defaultdict(lambda: ZERO)
    cc = t.campaign_costs.c
    for campaign_id, amount in session.execute(
        select(cc.campaign_id, sum_amount(cc.base_amount))
        .where(cc.removed.is_(False), cc.incurred_on >= query.start, cc.incurred_on <= query.end)
        .group_by(cc.campaign_id)
    ):
        if keep(campaign_id):
            spend[campaign_id] += amount
    redemptions: dict[str, list] = defaultdict(lambda: [0, ZERO])
    cr = t.coupon_redemptions.c
    for campaign_id, count, discount in session.execute(
        select(cr.campaign_id, func.count(), sum_amount(cr.base_discount))
        .where(
            cr.released_at.is_(None),
            cr.campaign_id.is_not(None),
            cr.redeemed_day >= query.start,
            cr.redeemed_day <= query.end,
        )
        .group_by(cr.campaign_id)
    ):
        if keep(campaign_id):
            redemptions[campaign_id][0] += count
            redemptions[campaign_id][1] += discount
    tp = t.touchpoints.c
    for campaign_id, count in session.execute(
        select(tp.campaign_id, func.count())
        .where(
            tp.campaign_id.is_not(None),
            tp.occurred_day >= query.start,
            tp.occurred_day <= query.end,
        )
        .group_by(tp.campaign_id)
    ):
        if keep(campaign_id):
            facts[(campaign_id, "")]["touchpoints"] += count
    _share_spend(facts, spend, info)
    for campaign_id, (count, discount) in redemptions.items():
        facts[(campaign_id, "")]["redemptions"] += count
        facts[(campaign_id, "")]["discount"] += discount
    # group by the requested dimension
    groups: dict[str, dict] = defaultdict(_blank)
    for (campaign_id, variant_id), cell in facts.items():
        if query.dimension == "campaign":
            key = campaign_id
        elif query.dimension == "variant":
            key = f"{campaign_id}:{variant_id}"
        else:
            found = info.get(campaign_id)
            key = found.channel if found is not None else ""
        group = groups[key]
        for name, value in cell.items():
            group[name] += value
    names = _labels(session, query.dimension, groups, info)
    order = top_keys(
        {k: g["spend"] + g[f"revenue_{model}"] for k, g in groups.items()}, len(groups)
    )
    rows = [_row(k, names[k], groups[k], info, query.dimension, model) for k in order]
    totals = _blank()
    for group in groups.values():
        for name, value in group.items():
            totals[name] += value
    shown = rows[: query.top]
    return Report(
        name="campaigns",
        title=f"Campaign spend, attributed revenue and ROI by {query.dimension}",
        subtitle=f"{MODEL_LABELS[model]} attribution, {query.start} to {query.end}",
        query=query,
        currency=currency,
        columns=_columns(query.dimension, currency),
        rows=rows,
        totals={
            "spend": money(totals["spend"]),
            **{f"revenue_{m}": money(totals[f"revenue_{m}"]) for m in MODELS},
            **{f"roi_{m}": _roi(totals[f"revenue_{m}"], totals["spend"]) for m in MODELS},
            "messages_sent": totals["sent"],
            "touchpoints": totals["touchpoints"],
            "redemptions": totals["redemptions"],
        },
        chart=Chart(
            kind="categorical",
            title=f"Spend and {MODEL_LABELS[model].lower()} attributed revenue by "
            f"{query.dimension}",
            categories=[r["label"] for r in shown],
            series=[
                Series("Spend", [as_float(r["spend"]) for r in shown]),
                Series(
                    f"Attributed revenue ({MODEL_LABELS[model].lower()})",
                    [as_float(r[f"revenue_{model}"]) for r in shown],
                ),
                Series(
                    "ROI",
                    [as_float(r[f"roi_{model}"]) for r in shown],
                    axis="right",
                    style="line",
                ),
            ],
            y_label=f"Amount ({currency})",
            y_format="money",
            y2_label="ROI",
            y2_format="percent",
        ),
        notes=__doc__.split("\n\n", 1)[1].replace("\n", " ").strip(),
        extra={"model": model},
    )


def _share_spend(facts, spend, info) -> None:
    for campaign_id, amount in spend.items():
        campaign = info.get(campaign_id)
        variants = [v["variant_id"] for v in (campaign.variants if campaign else [])]
        if not variants:
            facts[(campaign_id, "")]["spend"] += amount
            continue
        sent = [
            Decimal(facts[(campaign_id, v)]["sent"]) if (campaign_id, v) in facts else Decimal(0)
            for v in variants
        ]
        if not any(sent):
            sent = [Decimal(v.get("split_percent") or 0) for v in campaign.variants]
        for variant_id, share in zip(variants, allocate(amount, sent), strict=True):
            facts[(campaign_id, variant_id)]["spend"] += share


def _labels(session, dimension, groups, info) -> dict[str, str]:
    if dimension == "campaign":
        return {k: (info[k].name if k in info and info[k].name else lb.short_id(k)) for k in groups}
    if dimension == "channel":
        return {k: k.capitalize() if k else lb.NONE_LABEL for k in groups}
    variants = lb.variant_labels(session, {k.split(":")[0] for k in groups})
    found = {}
    for key in groups:
        campaign_id, variant_id = key.split(":")
        if variant_id:
            found[key] = variants.get(variant_id) or lb.short_id(variant_id)
        else:
            name = info[campaign_id].name if campaign_id in info else lb.short_id(campaign_id)
            found[key] = f"{name} / (no variant)"
    return found


def _roi(revenue: Decimal, spend: Decimal) -> Decimal | None:
    return ratio(revenue - spend, spend) if spend else None


def _row(key, label, g, info, dimension, model) -> dict:
    row = {"key": key, "label": label}
    if dimension in ("campaign", "variant"):
        found = info.get(key.split(":")[0])
        row["channel"] = found.channel if found else None
        row["status"] = found.status if found else None
        row["budget"] = money(found.budget) if found and found.budget is not None else None
    row["spend"] = money(g["spend"])
    row["messages_sent"] = g["sent"]
    for m in MODELS:
        row[f"revenue_{m}"] = money(g[f"revenue_{m}"])
        row[f"orders_{m}"] = g[f"orders_{m}"]
        row[f"roi_{m}"] = _roi(g[f"revenue_{m}"], g["spend"])
    row["roas"] = ratio(g[f"revenue_{model}"], g["spend"]) if g["spend"] else None
    row["cost_per_order"] = per(g["spend"], g[f"orders_{model}"])
    row["touchpoints"] = g["touchpoints"]
    row["redemptions"] = g["redemptions"]
    row["discount"] = money(g["discount"])
    return row


def _columns(dimension: str, currency: str) -> list[Column]:
    columns = [Column("key", dimension, "id"), Column("label", dimension.capitalize(), "text")]
    if dimension in ("campaign", "variant"):
        columns += [
            Column("channel", "Channel", "text"),
            Column("status", "Status", "text"),
            Column("budget", f"Budget ({currency})", "money"),
        ]
    columns += [
        Column("spend", f"Spend ({currency})", "money"),
        Column("messages_sent", "Messages sent", "count"),
    ]
    for m in MODELS:
        columns += [
            Column(f"revenue_{m}", f"Revenue, {MODEL_LABELS[m].lower()} ({currency})", "money"),
            Column(f"orders_{m}", f"Orders, {MODEL_LABELS[m].lower()}", "count"),
            Column(f"roi_{m}", f"ROI, {MODEL_LABELS[m].lower()}", "ratio"),
        ]
    columns += [
        Column("roas", "Return on ad spend (selected model)", "ratio"),
        Column("cost_per_order", f"Cost per attributed order ({currency})", "money"),
        Column("touchpoints", "Touchpoints (visits, clicks, tagged orders)", "count"),
        Column("redemptions", "Coupon redemptions", "count"),
        Column("discount", f"Coupon discounts ({currency})", "money"),
    ]
    return columns
