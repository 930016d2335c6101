"""What a campaign achieved: message counts, opens and clicks (human and machine apart),
conversions, revenue, cost and ROI, per campaign and per variant.

Definitions (per message, so a recipient counts once however often they open):

- ``sent``: handed to the SMTP server at least once; ``delivered``: accepted by it;
  ``bounced_hard`` / ``bounced_soft``: refused for good / temporary failures until retries ran
  out; ``in_doubt``: handed over when a worker crashed before the outcome was stored;
- ``opened_human``: delivered messages with at least one human open; ``opened_machine``: with at
  least one machine open (proxies, scanners); the same for clicks; ``*_total`` count every event;
- ``conversions`` / ``revenue``: orders attributed to the campaign under ``model`` and their
  attributed revenue (base currency); ``cost``: recorded spend (per variant: in proportion to
  the messages sent); ``roi`` = (revenue - cost) / cost, null when nothing was spent.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import case, func, select

from campaign_service.adapters import tables as t
from campaign_service.adapters.repositories import sum_amount
from campaign_service.domain.attribution import roi
from campaign_service.domain.campaigns import Campaign
from campaign_service.domain.money import round_money
from campaign_service.domain.winner import VariantResult, choose

STATUS_COUNTS = (
    "held",
    "pending",
    "sending",
    "deferred",
    "delivered",
    "bounced_hard",
    "bounced_soft",
    "skipped",
    "cancelled",
    "in_doubt",
)
_RATE = Decimal("0.0001")


def _count(condition):
    return func.sum(case((condition, 1), else_=0))


def message_counts(session, campaign_id: str) -> dict[str | None, dict[str, int]]:
    """Counts per variant id (None: recipients still waiting for the A/B winner)."""
    m = t.messages.c
    columns = [
        m.variant_id,
        func.count().label("recipients"),
        _count(m.sent_at.is_not(None)).label("sent"),
        *(_count(m.status == status).label(status) for status in STATUS_COUNTS),
        _count(m.first_open_at.is_not(None)).label("opened_human"),
        _count(m.first_machine_open_at.is_not(None)).label("opened_machine"),
        func.coalesce(func.sum(m.opens), 0).label("opens_human_total"),
        func.coalesce(func.sum(m.machine_opens), 0).label("opens_machine_total"),
        _count(m.first_click_at.is_not(None)).label("clicked_human"),
        _count(m.first_machine_click_at.is_not(None)).label("clicked_machine"),
        func.coalesce(func.sum(m.clicks), 0).label("clicks_human_total"),
        func.coalesce(func.sum(m.machine_clicks), 0).label("clicks_machine_total"),
        _count(m.unsubscribed_at.is_not(None)).label("unsubscribed"),
    ]
    rows = session.execute(
        select(*columns).where(m.campaign_id == campaign_id).group_by(m.variant_id)
    ).all()
    out = {}
    for row in rows:
        values = dict(row._mapping)
        variant_id = values.pop("variant_id")
        out[variant_id] = {k: int(v or 0) for k, v in values.items()}
    return out


def send_totals(session, campaign_id: str) -> dict[str, int]:
    merged = _merge(message_counts(session, campaign_id).values())
    return {
        "sent": merged.get("sent", 0),
        "delivered": merged.get("delivered", 0),
        "bounced_hard": merged.get("bounced_hard", 0),
        "bounced_soft": merged.get("bounced_soft", 0),
        "skipped": merged.get("skipped", 0),
        "in_doubt": merged.get("in_doubt", 0),
    }


def _merge(items) -> dict[str, int]:
    total: dict[str, int] = {}
    for item in items:
        for key, value in item.items():
            total[key] = total.get(key, 0) + value
    return total


def attributed(session, campaign_id: str, model: str) -> dict[str | None, tuple[int, Decimal]]:
    """(conversions, revenue) per variant id (None: attributed without a message)."""
    a = t.attributions.c
    rows = session.execute(
        select(a.variant_id, func.count(func.distinct(a.order_id)), func.sum(a.revenue))
        .where(a.campaign_id == campaign_id, a.model == model)
        .group_by(a.variant_id)
    ).all()
    return {row[0]: (int(row[1]), round_money(sum_amount(session, row[2]))) for row in rows}


def _rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(_RATE, rounding=ROUND_HALF_EVEN)


def _figures(counts: dict[str, int], conversions: int, revenue: Decimal, cost: Decimal) -> dict:
    delivered = counts.get("delivered", 0)
    opened = counts.get("opened_human", 0)
    return {
        **{k: counts.get(k, 0) for k in ("recipients", "sent", *STATUS_COUNTS)},
        "opened_human": opened,
        "opened_machine": counts.get("opened_machine", 0),
        "opens_human_total": counts.get("opens_human_total", 0),
        "opens_machine_total": counts.get("opens_machine_total", 0),
        "clicked_human": counts.get("clicked_human", 0),
        "clicked_machine": counts.get("clicked_machine", 0),
        "clicks_human_total": counts.get("clicks_human_total", 0),
        "clicks_machine_total": counts.get("clicks_machine_total", 0),
        "unsubscribed": counts.get("unsubscribed", 0),
        "conversions": conversions,
        "revenue": revenue,
        "cost": round_money(cost),
        "roi": roi(revenue, round_money(cost)),
        "rates": {
            "delivery": _rate(delivered, counts.get("sent", 0)),
            "open": _rate(opened, delivered),
            "click": _rate(counts.get("clicked_human", 0), delivered),
            "click_to_open": _rate(counts.get("clicked_human", 0), opened),
            "unsubscribe": _rate(counts.get("unsubscribed", 0), delivered),
            "conversion": _rate(conversions, delivered),
        },
    }


def campaign_report(session, campaign: Campaign, model: str) -> dict[str, Any]:
    counts = message_counts(session, campaign.id)
    money = attributed(session, campaign.id, model)
    total_counts = _merge(counts.values())
    conversions = _distinct_orders(session, campaign.id, model)
    revenue = sum((r for _, r in money.values()), Decimal("0.00"))
    cost = Decimal(campaign.spend)
    sent_total = total_counts.get("sent", 0)
    variants = []
    for variant in campaign.variants:
        v_counts = counts.get(variant.id, {})
        v_conv, v_rev = money.get(variant.id, (0, Decimal("0.00")))
        share = Decimal(v_counts.get("sent", 0)) / Decimal(sent_total) if sent_total else Decimal(0)
        variants.append(
            {
                "variant_id": variant.id,
                "name": variant.name,
                "split_percent": variant.split_percent,
                "is_winner": variant.id == campaign.winner_variant_id,
                **_figures(v_counts, v_conv, v_rev, cost * share),
            }
        )
    send = session.execute(select(t.sends).where(t.sends.c.campaign_id == campaign.id)).first()
    unattributed_conv, unattributed_rev = money.get(None, (0, Decimal("0.00")))
    return {
        "campaign_id": campaign.id,
        "name": campaign.name,
        "status": campaign.status,
        "channel": campaign.channel,
        "model": model,
        "currency": campaign.base_currency,
        "budget": campaign.budget.as_dict() if campaign.budget else None,
        "budget_burn": campaign.budget_burn(),
        "audience": {
            "recipients": send.recipients if send else 0,
            "held_for_winner": send.held_for_winner if send else 0,
            "excluded": dict(send.excluded) if send else {},
            "phase": send.phase if send else None,
        },
        "totals": _figures(total_counts, conversions, revenue, cost),
        "variants": variants,
        "not_via_message": {"conversions": unattributed_conv, "revenue": unattributed_rev},
        "winner_variant_id": campaign.winner_variant_id,
    }


def _distinct_orders(session, campaign_id: str, model: str) -> int:
    a = t.attributions.c
    return int(
        session.execute(
            select(func.count(func.distinct(a.order_id))).where(
                a.campaign_id == campaign_id, a.model == model
            )
        ).scalar_one()
    )


def variant_scores(session, campaign: Campaign, metric: str, model: str = "last_touch"):
    """The best variant by ``metric`` and the scores behind it (test-group results)."""
    counts = message_counts(session, campaign.id)
    money = attributed(session, campaign.id, model)
    results = [
        VariantResult(
            variant_id=v.id,
            position=v.position,
            delivered=counts.get(v.id, {}).get("delivered", 0),
            opens=counts.get(v.id, {}).get("opened_human", 0),
            clicks=counts.get(v.id, {}).get("clicked_human", 0),
            revenue=money.get(v.id, (0, Decimal(0)))[1],
        )
        for v in campaign.variants
    ]
    return choose(results, metric)
