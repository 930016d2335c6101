"""Costs: spend items per campaign, converted to the base currency; budget burn and alerts."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from campaign_service.adapters import tables as t
from campaign_service.config import CampaignSettings
from campaign_service.domain import events
from campaign_service.domain.costs import Cost
from campaign_service.domain.errors import InvalidValue, NotFound, StateConflict
from campaign_service.domain.money import Money
from campaign_service.service.access import visible_campaign
from servicekit.identity import Identity
from servicekit.types import utcnow


def rate_for(
    session, currency: str, base_currency: str, on: date, cfg: CampaignSettings
) -> Decimal | None:
    """Sales' latest rate effective by the end of ``on``, else the configured one."""
    if currency == base_currency:
        return Decimal(1)
    fx = t.fx_rates.c
    end_of_day = datetime.combine(on, time.max, tzinfo=UTC)
    rate = session.execute(
        select(fx.rate)
        .where(
            fx.currency == currency,
            fx.base_currency == base_currency,
            fx.effective_from <= end_of_day,
        )
        .order_by(fx.effective_from.desc())
        .limit(1)
    ).scalar()
    if rate is not None:
        return Decimal(rate)
    return cfg.fx_rates.get(currency)


def record_cost(
    uow,
    actor: Identity,
    campaign_id: str,
    data: dict[str, Any],
    *,
    cfg: CampaignSettings,
) -> Cost:
    campaign = visible_campaign(uow, actor, campaign_id)
    if campaign.status == "cancelled":
        raise StateConflict("a cancelled campaign takes no more costs")
    amount = Money.of(data["amount"])
    incurred_on = data.get("incurred_on") or utcnow().date()
    rate = data.get("fx_rate")
    if rate is None:
        rate = rate_for(uow.session, amount.currency, campaign.base_currency, incurred_on, cfg)
    if rate is None:
        raise InvalidValue(
            f"no exchange rate from {amount.currency} to {campaign.base_currency}; "
            "give fx_rate on the cost"
        )
    cost = Cost.create(
        campaign_id=campaign.id,
        category=data["category"],
        amount=amount,
        rate=Decimal(rate),
        base_currency=campaign.base_currency,
        incurred_on=incurred_on,
        description=data.get("description"),
        created_by=actor.subject,
    )
    uow.costs.add(cost)
    total = uow.costs.total(campaign.id)
    campaign.apply_spend(total, cost.id)
    campaign.updated_at = utcnow()
    uow.campaigns.save(campaign)
    uow.add_event(events.CostRecorded(cost, campaign.spend_money(), campaign.budget))
    uow.commit()
    return cost


def remove_cost(uow, actor: Identity, campaign_id: str, cost_id: str) -> None:
    campaign = visible_campaign(uow, actor, campaign_id)
    cost = uow.costs.get(cost_id)
    if cost is None or cost.campaign_id != campaign.id:
        raise NotFound(f"no cost {cost_id}")
    uow.costs.remove(cost.id)
    campaign.apply_spend(uow.costs.total(campaign.id), None)
    campaign.updated_at = utcnow()
    uow.campaigns.save(campaign)
    uow.add_event(events.CostRemoved(cost, campaign.spend_money(), utcnow()))
    uow.commit()
