"""Repositories: aggregates in and out of the database, mapped by hand with SQLAlchemy Core.

Every aggregate a repository hands out or takes in is kept in ``seen`` so the unit of work can
collect its events. ``save`` is an optimistic update that only succeeds when the row is still at
the version the aggregate was read at.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from campaign_service.adapters import tables as t
from campaign_service.domain.campaigns import AbTest, Campaign, Content, Variant
from campaign_service.domain.competitors import Competitor
from campaign_service.domain.costs import Cost
from campaign_service.domain.coupons import Coupon
from campaign_service.domain.errors import StateConflict
from campaign_service.domain.money import Money
from campaign_service.domain.surveys import Question, Survey
from campaign_service.domain.templates import Template


class ConcurrentModification(StateConflict):
    """Someone else saved the record after we read it."""


def _optimistic(session: Session, table, record_id: str, version: int, values: dict) -> None:
    result = session.execute(
        update(table)
        .where(table.c.id == record_id, table.c.version == version)
        .values(**values, version=version + 1)
    )
    if result.rowcount != 1:
        raise ConcurrentModification(
            f"{table.name[:-1]} {record_id} changed meanwhile; fetch it again and retry"
        )


# -- campaigns ------------------------------------------------------------------------------


def campaign_row(c: Campaign) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "description": c.description,
        "channel": c.channel,
        "objective": c.objective,
        "status": c.status,
        "budget_amount": c.budget.amount if c.budget else None,
        "budget_currency": c.budget.currency if c.budget else None,
        "spend": c.spend,
        "base_currency": c.base_currency,
        "planned_start": c.planned_start,
        "planned_end": c.planned_end,
        "scheduled_at": c.scheduled_at,
        "launched_at": c.launched_at,
        "paused_at": c.paused_at,
        "completed_at": c.completed_at,
        "cancelled_at": c.cancelled_at,
        "owner_id": c.owner_id,
        "owner_team": c.owner_team,
        "segment_ids": list(c.segment_ids),
        "exclude_segment_ids": list(c.exclude_segment_ids),
        "utm_campaign": c.utm_campaign,
        "coupon_id": c.coupon_id,
        "survey_id": c.survey_id,
        "ab_test": c.ab_test.as_dict() if c.ab_test else None,
        "winner_variant_id": c.winner_variant_id,
        "winner_selected_at": c.winner_selected_at,
        "respect_frequency_cap": c.respect_frequency_cap,
        "budget_exceeded_at": c.budget_exceeded_at,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
        "created_by": c.created_by,
        "version": c.version,
    }


def campaign_from_row(row: Any, variant_rows: list[Any]) -> Campaign:
    m = row._mapping if hasattr(row, "_mapping") else row
    budget = (
        Money(m["budget_amount"], m["budget_currency"]) if m["budget_amount"] is not None else None
    )
    return Campaign(
        id=m["id"],
        name=m["name"],
        description=m["description"],
        channel=m["channel"],
        objective=m["objective"],
        status=m["status"],
        budget=budget,
        spend=m["spend"],
        base_currency=m["base_currency"],
        planned_start=m["planned_start"],
        planned_end=m["planned_end"],
        scheduled_at=m["scheduled_at"],
        launched_at=m["launched_at"],
        paused_at=m["paused_at"],
        completed_at=m["completed_at"],
        cancelled_at=m["cancelled_at"],
        owner_id=m["owner_id"],
        owner_team=m["owner_team"],
        segment_ids=list(m["segment_ids"] or []),
        exclude_segment_ids=list(m["exclude_segment_ids"] or []),
        utm_campaign=m["utm_campaign"],
        coupon_id=m["coupon_id"],
        survey_id=m["survey_id"],
        variants=[
            Variant(
                id=v.id,
                name=v.name,
                split_percent=v.split_percent,
                template_id=v.template_id,
                position=v.position,
                content=Content.from_dict(v.content),
            )
            for v in sorted(variant_rows, key=lambda v: v.position)
        ],
        ab_test=AbTest(**m["ab_test"]) if m["ab_test"] else None,
        winner_variant_id=m["winner_variant_id"],
        winner_selected_at=m["winner_selected_at"],
        respect_frequency_cap=m["respect_frequency_cap"],
        budget_exceeded_at=m["budget_exceeded_at"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        created_by=m["created_by"],
        version=m["version"],
    )


def load_campaigns(session: Session, rows: list[Any]) -> list[Campaign]:
    """Campaigns for already-selected rows, with their variants in one query."""
    if not rows:
        return []
    ids = [r.id for r in rows]
    by_campaign: dict[str, list] = {}
    for v in session.execute(select(t.variants).where(t.variants.c.campaign_id.in_(ids))):
        by_campaign.setdefault(v.campaign_id, []).append(v)
    return [campaign_from_row(r, by_campaign.get(r.id, [])) for r in rows]


class CampaignRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.seen: dict[str, Campaign] = {}

    def get(self, campaign_id: str, *, for_update: bool = False) -> Campaign | None:
        if campaign_id in self.seen:
            return self.seen[campaign_id]
        query = select(t.campaigns).where(t.campaigns.c.id == campaign_id)
        if for_update and self.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        row = self.session.execute(query).first()
        if row is None:
            return None
        (campaign,) = load_campaigns(self.session, [row])
        self.seen[campaign.id] = campaign
        return campaign

    def id_for_utm(self, utm_campaign: str | None) -> str | None:
        if not utm_campaign:
            return None
        return self.session.execute(
            select(t.campaigns.c.id).where(t.campaigns.c.utm_campaign == utm_campaign.lower())
        ).scalar()

    def utm_taken(self, utm_campaign: str, exclude: str | None = None) -> bool:
        query = select(t.campaigns.c.id).where(t.campaigns.c.utm_campaign == utm_campaign)
        if exclude:
            query = query.where(t.campaigns.c.id != exclude)
        return self.session.execute(query).first() is not None

    def add(self, campaign: Campaign) -> None:
        self.session.execute(insert(t.campaigns).values(**campaign_row(campaign)))
        self._write_variants(campaign)
        self.seen[campaign.id] = campaign

    def save(self, campaign: Campaign) -> None:
        row = campaign_row(campaign)
        row.pop("id")
        row.pop("version")
        _optimistic(self.session, t.campaigns, campaign.id, campaign.version, row)
        campaign.version += 1
        self._write_variants(campaign, replace=True)
        self.seen[campaign.id] = campaign

    def _write_variants(self, campaign: Campaign, replace: bool = False) -> None:
        if replace:
            self.session.execute(delete(t.variants).where(t.variants.c.campaign_id == campaign.id))
        self.session.execute(
            insert(t.variants),
            [
                {
                    "id": v.id,
                    "campaign_id": campaign.id,
                    "name": v.name,
                    "position": v.position,
                    "split_percent": v.split_percent,
                    "template_id": v.template_id,
                    "content": v.content.as_dict() if v.content else None,
                }
                for v in campaign.variants
            ],
        )


# -- templates ------------------------------------------------------------------------------


def template_from_row(row: Any) -> Template:
    m = row._mapping
    return Template(
        id=m["id"],
        name=m["name"],
        description=m["description"],
        subject=m["subject"],
        preheader=m["preheader"],
        text=m["text_body"],
        html=m["html_body"],
        from_name=m["from_name"],
        defaults=dict(m["defaults"] or {}),
        status=m["status"],
        version=m["version"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        created_by=m["created_by"],
    )


def _template_values(tpl: Template) -> dict[str, Any]:
    return {
        "name": tpl.name,
        "description": tpl.description,
        "subject": tpl.subject,
        "preheader": tpl.preheader,
        "text_body": tpl.text,
        "html_body": tpl.html,
        "from_name": tpl.from_name,
        "defaults": tpl.defaults,
        "status": tpl.status,
        "updated_at": tpl.updated_at,
    }


class TemplateRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.seen: dict[str, Template] = {}

    def get(self, template_id: str) -> Template | None:
        row = self.session.execute(
            select(t.templates).where(t.templates.c.id == template_id)
        ).first()
        return template_from_row(row) if row else None

    def add(self, tpl: Template) -> None:
        self.session.execute(
            insert(t.templates).values(
                id=tpl.id,
                created_at=tpl.created_at,
                created_by=tpl.created_by,
                version=tpl.version,
                **_template_values(tpl),
            )
        )

    def save(self, tpl: Template) -> None:
        _optimistic(self.session, t.templates, tpl.id, tpl.version, _template_values(tpl))
        tpl.version += 1


# -- coupons --------------------------------------------------------------------------------


def coupon_from_row(row: Any) -> Coupon:
    m = row._mapping
    min_order = (
        Money(m["min_order_amount"], m["min_order_currency"])
        if m["min_order_amount"] is not None
        else None
    )
    return Coupon(
        id=m["id"],
        name=m["name"],
        mode=m["mode"],
        discount_kind=m["discount_kind"],
        value=Decimal(m["value"]).normalize(),
        currency=m["currency"],
        code=m["code"],
        campaign_id=m["campaign_id"],
        valid_from=m["valid_from"],
        valid_until=m["valid_until"],
        max_redemptions=m["max_redemptions"],
        max_per_customer=m["max_per_customer"],
        min_order=min_order,
        active=m["active"],
        codes_issued=m["codes_issued"],
        batches=m["batches"],
        redemptions=m["redemptions"],
        version=m["version"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        created_by=m["created_by"],
    )


def _coupon_values(c: Coupon) -> dict[str, Any]:
    return {
        "name": c.name,
        "campaign_id": c.campaign_id,
        "mode": c.mode,
        "code": c.code,
        "discount_kind": c.discount_kind,
        "value": c.value,
        "currency": c.currency,
        "valid_from": c.valid_from,
        "valid_until": c.valid_until,
        "max_redemptions": c.max_redemptions,
        "max_per_customer": c.max_per_customer,
        "min_order_amount": c.min_order.amount if c.min_order else None,
        "min_order_currency": c.min_order.currency if c.min_order else None,
        "active": c.active,
        "codes_issued": c.codes_issued,
        "batches": c.batches,
        "redemptions": c.redemptions,
        "updated_at": c.updated_at,
    }


class CouponRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.seen: dict[str, Coupon] = {}

    def get(self, coupon_id: str) -> Coupon | None:
        if coupon_id in self.seen:
            return self.seen[coupon_id]
        row = self.session.execute(select(t.coupons).where(t.coupons.c.id == coupon_id)).first()
        if row is None:
            return None
        coupon = coupon_from_row(row)
        self.seen[coupon.id] = coupon
        return coupon

    def campaign_for_code(self, code: str | None) -> tuple[str | None, str | None]:
        """``(coupon_id, campaign_id)`` of a shared or unique code, if it is ours."""
        if not code:
            return None, None
        code = code.strip().upper()
        row = self.session.execute(
            select(t.coupons.c.id, t.coupons.c.campaign_id).where(t.coupons.c.code == code)
        ).first()
        if row is None:
            row = self.session.execute(
                select(t.coupons.c.id, t.coupons.c.campaign_id)
                .join(t.coupon_codes, t.coupon_codes.c.coupon_id == t.coupons.c.id)
                .where(t.coupon_codes.c.code == code)
            ).first()
        return (row.id, row.campaign_id) if row else (None, None)

    def code_taken(self, code: str) -> bool:
        shared = self.session.execute(
            select(t.coupons.c.id).where(t.coupons.c.code == code)
        ).first()
        unique = self.session.execute(
            select(t.coupon_codes.c.code).where(t.coupon_codes.c.code == code)
        ).first()
        return shared is not None or unique is not None

    def codes_taken(self, codes: set[str]) -> set[str]:
        if not codes:
            return set()
        listed = list(codes)
        taken: set[str] = set()
        for start in range(0, len(listed), 900):
            chunk = listed[start : start + 900]
            taken |= set(
                self.session.execute(
                    select(t.coupon_codes.c.code).where(t.coupon_codes.c.code.in_(chunk))
                ).scalars()
            )
            taken |= set(
                self.session.execute(
                    select(t.coupons.c.code).where(t.coupons.c.code.in_(chunk))
                ).scalars()
            )
        return taken

    def add(self, coupon: Coupon) -> None:
        self.session.execute(
            insert(t.coupons).values(
                id=coupon.id,
                version=coupon.version,
                created_at=coupon.created_at,
                created_by=coupon.created_by,
                **_coupon_values(coupon),
            )
        )
        self.seen[coupon.id] = coupon

    def save(self, coupon: Coupon) -> None:
        _optimistic(self.session, t.coupons, coupon.id, coupon.version, _coupon_values(coupon))
        coupon.version += 1
        self.seen[coupon.id] = coupon

    def add_codes(self, coupon_id: str, batches: list[tuple[int, list[str]]], now) -> None:
        rows = [
            {"code": code, "coupon_id": coupon_id, "batch": batch, "created_at": now}
            for batch, codes in batches
            for code in codes
        ]
        for start in range(0, len(rows), 5000):
            self.session.execute(insert(t.coupon_codes), rows[start : start + 5000])


# -- costs ----------------------------------------------------------------------------------


def cost_from_row(row: Any) -> Cost:
    m = row._mapping
    return Cost(
        id=m["id"],
        campaign_id=m["campaign_id"],
        category=m["category"],
        amount=Money(m["amount"], m["currency"]),
        fx_rate=Decimal(m["fx_rate"]),
        base_amount=Money(m["base_amount"], m["base_currency"]),
        incurred_on=m["incurred_on"],
        description=m["description"],
        created_at=m["created_at"],
        created_by=m["created_by"],
    )


class CostRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, cost_id: str) -> Cost | None:
        row = self.session.execute(select(t.costs).where(t.costs.c.id == cost_id)).first()
        return cost_from_row(row) if row else None

    def add(self, cost: Cost) -> None:
        self.session.execute(
            insert(t.costs).values(
                id=cost.id,
                campaign_id=cost.campaign_id,
                category=cost.category,
                description=cost.description,
                amount=cost.amount.amount,
                currency=cost.amount.currency,
                fx_rate=format(cost.fx_rate, "f"),
                base_amount=cost.base_amount.amount,
                base_currency=cost.base_amount.currency,
                incurred_on=cost.incurred_on,
                created_at=cost.created_at,
                created_by=cost.created_by,
            )
        )

    def remove(self, cost_id: str) -> None:
        self.session.execute(delete(t.costs).where(t.costs.c.id == cost_id))

    def total(self, campaign_id: str) -> Decimal:
        value = self.session.execute(
            select(func.coalesce(func.sum(t.costs.c.base_amount), 0)).where(
                t.costs.c.campaign_id == campaign_id
            )
        ).scalar_one()
        return _amount(self.session, value)


def _amount(session: Session, value) -> Decimal:
    """A SUM over an Amount column (the column type already made it an exact Decimal)."""
    return Decimal(value or 0).quantize(Decimal("0.0001"))


def sum_amount(session: Session, value) -> Decimal:
    return _amount(session, value)


# -- surveys --------------------------------------------------------------------------------


def survey_from_row(row: Any) -> Survey:
    m = row._mapping
    return Survey(
        id=m["id"],
        name=m["name"],
        description=m["description"],
        intro=m["intro"],
        thank_you=m["thank_you"],
        language=m["language"],
        questions=[Question.from_dict(q) for q in m["questions"]],
        status=m["status"],
        responses=m["responses"],
        version=m["version"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        opened_at=m["opened_at"],
        closed_at=m["closed_at"],
        created_by=m["created_by"],
    )


def _survey_values(s: Survey) -> dict[str, Any]:
    return {
        "name": s.name,
        "description": s.description,
        "intro": s.intro,
        "thank_you": s.thank_you,
        "language": s.language,
        "questions": [q.as_dict() for q in s.questions],
        "status": s.status,
        "responses": s.responses,
        "updated_at": s.updated_at,
        "opened_at": s.opened_at,
        "closed_at": s.closed_at,
    }


class SurveyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.seen: dict[str, Survey] = {}

    def get(self, survey_id: str) -> Survey | None:
        if survey_id in self.seen:
            return self.seen[survey_id]
        row = self.session.execute(select(t.surveys).where(t.surveys.c.id == survey_id)).first()
        if row is None:
            return None
        survey = survey_from_row(row)
        self.seen[survey.id] = survey
        return survey

    def add(self, survey: Survey) -> None:
        self.session.execute(
            insert(t.surveys).values(
                id=survey.id,
                version=survey.version,
                created_at=survey.created_at,
                created_by=survey.created_by,
                **_survey_values(survey),
            )
        )
        self.seen[survey.id] = survey

    def save(self, survey: Survey) -> None:
        _optimistic(self.session, t.surveys, survey.id, survey.version, _survey_values(survey))
        survey.version += 1
        self.seen[survey.id] = survey


# -- competitors ----------------------------------------------------------------------------


def competitor_from_row(row: Any) -> Competitor:
    m = row._mapping
    return Competitor(
        id=m["id"],
        name=m["name"],
        website=m["website"],
        description=m["description"],
        products=list(m["products"] or []),
        strengths=list(m["strengths"] or []),
        weaknesses=list(m["weaknesses"] or []),
        notes=m["notes"],
        status=m["status"],
        version=m["version"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        created_by=m["created_by"],
    )


def _competitor_values(c: Competitor) -> dict[str, Any]:
    return {
        "name": c.name,
        "name_key": c.name.casefold(),
        "website": c.website,
        "description": c.description,
        "products": c.products,
        "strengths": c.strengths,
        "weaknesses": c.weaknesses,
        "notes": c.notes,
        "status": c.status,
        "updated_at": c.updated_at,
    }


class CompetitorRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.seen: dict[str, Competitor] = {}

    def get(self, competitor_id: str) -> Competitor | None:
        if competitor_id in self.seen:
            return self.seen[competitor_id]
        row = self.session.execute(
            select(t.competitors).where(t.competitors.c.id == competitor_id)
        ).first()
        if row is None:
            return None
        competitor = competitor_from_row(row)
        self.seen[competitor.id] = competitor
        return competitor

    def name_taken(self, name: str, exclude: str | None = None) -> bool:
        query = select(t.competitors.c.id).where(
            t.competitors.c.name_key == name.casefold(), t.competitors.c.status == "active"
        )
        if exclude:
            query = query.where(t.competitors.c.id != exclude)
        return self.session.execute(query).first() is not None

    def add(self, competitor: Competitor) -> None:
        self.session.execute(
            insert(t.competitors).values(
                id=competitor.id,
                version=competitor.version,
                created_at=competitor.created_at,
                created_by=competitor.created_by,
                **_competitor_values(competitor),
            )
        )
        self.seen[competitor.id] = competitor

    def save(self, competitor: Competitor) -> None:
        _optimistic(
            self.session,
            t.competitors,
            competitor.id,
            competitor.version,
            _competitor_values(competitor),
        )
        competitor.version += 1
        self.seen[competitor.id] = competitor
