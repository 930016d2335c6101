"""Pipelines and opportunities: define stages, open deals, move, win, lose, reopen."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sales_service.domain.errors import InvalidValue, NotFound, StateConflict
from sales_service.domain.opportunities import Opportunity
from sales_service.domain.pipelines import Pipeline
from sales_service.service.access import settle_owner, visible
from sales_service.service.common import customer_for, fx_rate, now
from servicekit.etag import check_version
from servicekit.identity import Identity

DEFAULT_STAGES = [
    {"name": "Qualification", "probability": 10, "forecast_category": "pipeline"},
    {"name": "Needs analysis", "probability": 25, "forecast_category": "pipeline"},
    {"name": "Proposal", "probability": 50, "forecast_category": "best_case"},
    {"name": "Negotiation", "probability": 80, "forecast_category": "commit"},
    {"name": "Won", "is_won": True},
    {"name": "Lost", "is_lost": True},
]


# -- pipelines --------------------------------------------------------------------------------


def _pipeline(uow, pipeline_id: str, version: int | None = None) -> Pipeline:
    pipeline = uow.pipelines.get(pipeline_id)
    if pipeline is None:
        raise NotFound(f"no pipeline {pipeline_id}")
    if version is not None:
        check_version(pipeline.version, version)
    return pipeline


def create_pipeline(uow, actor: Identity, data: dict[str, Any]) -> Pipeline:
    first = uow.pipelines.default() is None
    pipeline = Pipeline.create(
        data["name"], data["stages"], is_default=bool(data.get("is_default")) or first
    )
    uow.pipelines.add(pipeline)
    if pipeline.is_default:
        uow.pipelines.clear_default(pipeline.id)
    uow.commit()
    return pipeline


def update_pipeline(uow, actor: Identity, pipeline_id: str, version: int, changes: dict):
    pipeline = _pipeline(uow, pipeline_id, version)
    if changes.get("is_default") is False and pipeline.is_default:
        raise InvalidValue("make another pipeline the default instead")
    old = {s.id: s for s in pipeline.stages}
    changed = pipeline.update(changes, now(uow))
    if "stages" in changed:
        kept = {s.id for s in pipeline.stages}
        removed = [sid for sid in old if sid not in kept]
        if removed and uow.pipelines.stage_in_use(pipeline.id, removed):
            raise StateConflict(
                "opportunities are still in stages you removed; move them first",
                details={"stages": [old[sid].name for sid in removed]},
            )
        for stage in pipeline.stages:
            before = old.get(stage.id)
            if before is not None and before.is_open != stage.is_open:
                raise InvalidValue(f"stage {stage.name} cannot switch between open and closed")
        # Deals keep their own probability; names and forecast categories follow the stage.
        for deal in uow.opportunities.in_stages(pipeline.id, [s.id for s in pipeline.stages]):
            stage = pipeline.stage(deal.stage_id)
            if (deal.stage_name, deal.forecast_category) != (stage.name, stage.forecast_category):
                deal.rename_stage(stage)
                uow.opportunities.save(deal)
    if changed:
        uow.pipelines.save(pipeline)
        if pipeline.is_default:
            uow.pipelines.clear_default(pipeline.id)
    uow.commit()
    return pipeline


def ensure_default_pipeline(uow) -> Pipeline:
    pipeline = uow.pipelines.default()
    if pipeline is None:
        pipeline = Pipeline.create("Sales pipeline", DEFAULT_STAGES, is_default=True)
        uow.pipelines.add(pipeline)
    return pipeline


# -- opportunities ----------------------------------------------------------------------------


def _deal(uow, actor: Identity, deal_id: str, version: int | None = None) -> Opportunity:
    deal = visible(uow.opportunities, actor, "opportunities", deal_id)
    if version is not None:
        check_version(deal.version, version)
    return deal


def open_opportunity(uow, actor: Identity, data: dict[str, Any], *, commit: bool = True):
    data = dict(data)
    customer = customer_for(uow, data.pop("customer_id"))
    if data.get("pipeline_id"):
        pipeline = _pipeline(uow, data.pop("pipeline_id"))
        if not pipeline.active:
            raise InvalidValue(f"pipeline {pipeline.name} is not active")
    else:
        data.pop("pipeline_id", None)
        pipeline = ensure_default_pipeline(uow)
    stage = pipeline.stage(data.pop("stage_id")) if data.get("stage_id") else None
    data.pop("stage_id", None)
    stage = stage or pipeline.first_open_stage
    at = now(uow)
    currency = data.pop("currency", None) or uow.config.base_currency
    owner = settle_owner(
        actor,
        data.pop("owner_id", None),
        data.pop("owner_team", None),
        fallback=(customer.owner_id, customer.owner_team),
    )
    probability = data.pop("probability", None)
    lead_id = data.pop("lead_id", None)
    data.setdefault("region", customer.region or customer.country)
    deal = Opportunity.open(
        name=data.pop("name"),
        customer_id=customer.id,
        pipeline_id=pipeline.id,
        stage=stage,
        amount=Decimal(data.pop("amount", 0)),
        currency=currency,
        fx_rate=fx_rate(uow, currency, at),
        base_currency=uow.config.base_currency,
        created_by=actor.id,
        now=at,
        **data,
    )
    deal.owner_id, deal.owner_team = owner
    deal.lead_id = lead_id
    if probability is not None:
        deal._edit({"probability": probability})
    uow.opportunities.add(deal)
    if commit:
        uow.commit()
    return deal


def update_opportunity(uow, actor: Identity, deal_id: str, version: int, changes: dict):
    deal = _deal(uow, actor, deal_id, version)
    changes = dict(changes)
    if "amount" in changes or "currency" in changes:
        changes["fx_rate"] = fx_rate(uow, changes.get("currency", deal.currency), now(uow))
    if deal.update(changes, now(uow)):
        uow.opportunities.save(deal)
    uow.commit()
    return deal


def reassign(uow, actor: Identity, deal_id: str, owner_id, owner_team) -> Opportunity:
    deal = _deal(uow, actor, deal_id)
    owner = settle_owner(actor, owner_id, owner_team, explicit=True)
    if deal.reassign(*owner, now=now(uow)):
        uow.opportunities.save(deal)
    uow.commit()
    return deal


def move(uow, actor: Identity, deal_id: str, body: dict) -> Opportunity:
    deal = _deal(uow, actor, deal_id, body.get("expected_version"))
    pipeline = _pipeline(uow, deal.pipeline_id)
    deal.move(
        pipeline.stage(body["stage_id"]),
        probability=body.get("probability"),
        by=actor.id,
        now=now(uow),
    )
    uow.opportunities.save(deal)
    uow.commit()
    return deal


def win(uow, actor: Identity, deal_id: str, body: dict) -> Opportunity:
    deal = _deal(uow, actor, deal_id, body.get("expected_version"))
    pipeline = _pipeline(uow, deal.pipeline_id)
    deal.win(pipeline.won_stage, reason=body.get("reason"), by=actor.id, now=now(uow))
    uow.opportunities.save(deal)
    uow.commit()
    return deal


def lose(uow, actor: Identity, deal_id: str, body: dict) -> Opportunity:
    deal = _deal(uow, actor, deal_id, body.get("expected_version"))
    pipeline = _pipeline(uow, deal.pipeline_id)
    stage = pipeline.stage(body["stage_id"]) if body.get("stage_id") else pipeline.lost_stage
    if not stage.is_lost:
        raise InvalidValue(f"stage {stage.name} is not a lost stage")
    deal.lose(
        stage,
        reason=body.get("reason"),
        competitor=body.get("competitor"),
        competitor_id=body.get("competitor_id"),
        by=actor.id,
        now=now(uow),
    )
    uow.opportunities.save(deal)
    uow.commit()
    return deal


def reopen(uow, actor: Identity, deal_id: str, body: dict) -> Opportunity:
    deal = _deal(uow, actor, deal_id, body.get("expected_version"))
    pipeline = _pipeline(uow, deal.pipeline_id)
    stage = pipeline.stage(body["stage_id"]) if body.get("stage_id") else pipeline.first_open_stage
    deal.reopen(stage, by=actor.id, now=now(uow))
    uow.opportunities.save(deal)
    uow.commit()
    return deal
