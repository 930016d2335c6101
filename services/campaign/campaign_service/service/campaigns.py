"""Campaign use cases: plan, change, schedule, launch, pause, resume, complete, cancel, winner."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from campaign_service.adapters import tables as t
from campaign_service.domain.campaigns import Campaign
from campaign_service.domain.errors import InvalidValue, NotFound, StateConflict
from campaign_service.domain.events import SendFinished
from campaign_service.service import results
from campaign_service.service.access import CAMPAIGN_REACH, visible_campaign
from servicekit.etag import check_version
from servicekit.identity import Identity
from servicekit.logging import get_logger
from servicekit.types import utcnow

OPEN_MESSAGE_STATES = ("pending", "held", "deferred")
log = get_logger("campaign.campaigns")


def _check_references(uow, campaign: Campaign, fields: set[str] | None = None) -> None:
    """Segments, templates, coupon and survey named by the plan must exist."""
    check_all = fields is None
    if check_all or fields & {"segment_ids", "exclude_segment_ids"}:
        wanted = set(campaign.segment_ids) | set(campaign.exclude_segment_ids)
        if wanted:
            known = dict(
                uow.session.execute(
                    select(t.segments.c.id, t.segments.c.status).where(t.segments.c.id.in_(wanted))
                ).all()
            )
            missing = sorted(wanted - set(known))
            if missing:
                raise InvalidValue(
                    f"unknown segment(s): {', '.join(missing)} (segments come from the "
                    "customer service; a new one can take a moment to arrive)"
                )
            archived = sorted(s for s in campaign.segment_ids if known[s] != "active")
            if archived:
                raise InvalidValue(f"archived segment(s) cannot be targeted: {', '.join(archived)}")
    if check_all or "variants" in fields:
        for variant in campaign.variants:
            if variant.template_id:
                template = uow.templates.get(variant.template_id)
                if template is None:
                    raise InvalidValue(f"variant {variant.name}: no template {variant.template_id}")
                if template.status != "active":
                    raise InvalidValue(f"variant {variant.name}: template is archived")
    if (check_all or "coupon_id" in fields) and campaign.coupon_id:
        coupon = uow.coupons.get(campaign.coupon_id)
        if coupon is None:
            raise InvalidValue(f"no coupon {campaign.coupon_id}")
        if coupon.campaign_id not in (None, campaign.id):
            raise InvalidValue("that coupon belongs to another campaign")
    survey_check = (check_all or "survey_id" in fields) and campaign.survey_id
    if survey_check and uow.surveys.get(campaign.survey_id) is None:
        raise InvalidValue(f"no survey {campaign.survey_id}")
    if (check_all or "utm_campaign" in fields) and uow.campaigns.utm_taken(
        campaign.utm_campaign, exclude=campaign.id
    ):
        raise InvalidValue(f"utm_campaign {campaign.utm_campaign!r} is used by another campaign")


def _claim_coupon(uow, campaign: Campaign) -> None:
    """A coupon offered by a campaign belongs to it (that is how orders find the campaign)."""
    if not campaign.coupon_id:
        return
    coupon = uow.coupons.get(campaign.coupon_id)
    if coupon is not None and coupon.campaign_id is None:
        coupon.update({"campaign_id": campaign.id})
        uow.coupons.save(coupon)


def create_campaign(uow, actor: Identity, data: dict[str, Any], *, base_currency: str) -> Campaign:
    data = dict(data)
    if "owner_id" not in data and actor.kind == "user":
        data["owner_id"] = actor.id
        data.setdefault("owner_team", actor.team)
    reach = actor.reach(CAMPAIGN_REACH)
    if reach in ("own", "none"):
        # Roles that only see their own campaigns can only create their own.
        data["owner_id"], data["owner_team"] = actor.id, actor.team
    elif reach == "team":
        data["owner_team"] = actor.team
    campaign = Campaign.create(base_currency=base_currency, created_by=actor.subject, **data)
    _check_references(uow, campaign)
    uow.campaigns.add(campaign)
    _claim_coupon(uow, campaign)
    uow.commit()
    return campaign


def update_campaign(
    uow, actor: Identity, campaign_id: str, expected_version: int | None, changes: dict[str, Any]
) -> Campaign:
    campaign = visible_campaign(uow, actor, campaign_id)
    if expected_version is not None:
        check_version(campaign.version, expected_version)
    changed = campaign.update(dict(changes))
    if changed:
        _check_references(uow, campaign, set(changed))
        if "budget" in changed:
            campaign.apply_spend(campaign.spend, None)
        uow.campaigns.save(campaign)
        if "coupon_id" in changed:
            _claim_coupon(uow, campaign)
    uow.commit()
    return campaign


def _check_sendable(uow, campaign: Campaign) -> None:
    _check_references(uow, campaign)
    if campaign.channel == "survey" and campaign.survey_id:
        survey = uow.surveys.get(campaign.survey_id)
        if survey.status != "open":
            raise StateConflict("open the survey before sending its invitations")


def schedule(uow, actor: Identity, campaign_id: str, send_at: datetime) -> Campaign:
    campaign = visible_campaign(uow, actor, campaign_id)
    campaign.schedule(send_at)
    _check_sendable(uow, campaign)
    uow.campaigns.save(campaign)
    uow.commit()
    return campaign


def launch(uow, actor: Identity | None, campaign_id: str, *, now: datetime | None = None):
    """Go live; a sending campaign freezes its content and queues its send for the worker."""
    now = now or utcnow()
    campaign = (
        visible_campaign(uow, actor, campaign_id) if actor else uow.campaigns.get(campaign_id)
    )
    if campaign is None:
        raise NotFound(f"no campaign {campaign_id}")
    campaign.launch(now=now)
    if campaign.sends_email:
        _check_sendable(uow, campaign)
        campaign.freeze_content(
            {v.id: uow.templates.get(v.template_id).content() for v in campaign.variants}
        )
        existing = uow.session.execute(
            select(t.sends.c.campaign_id).where(t.sends.c.campaign_id == campaign.id)
        ).first()
        if existing is None:
            uow.session.execute(
                t.sends.insert().values(
                    campaign_id=campaign.id,
                    phase="pending",
                    recipients=0,
                    held_for_winner=0,
                    excluded={},
                    requested_at=now,
                    updated_at=now,
                )
            )
    uow.campaigns.save(campaign)
    uow.commit()
    return campaign


def _transition(uow, actor: Identity | None, campaign_id: str, action: str) -> Campaign:
    campaign = (
        visible_campaign(uow, actor, campaign_id) if actor else uow.campaigns.get(campaign_id)
    )
    if campaign is None:
        raise NotFound(f"no campaign {campaign_id}")
    getattr(campaign, action)()
    if action in ("cancel", "complete"):
        _stop_send(uow, campaign, final_phase="cancelled" if action == "cancel" else "finished")
    uow.campaigns.save(campaign)
    uow.commit()
    return campaign


def _stop_send(uow, campaign: Campaign, final_phase: str) -> None:
    """Messages not yet handed to SMTP will never be sent."""
    now = utcnow()
    m = t.messages.c
    uow.session.execute(
        update(t.messages)
        .where(m.campaign_id == campaign.id, m.status.in_(OPEN_MESSAGE_STATES))
        .values(status="cancelled", next_attempt_at=None)
    )
    send = uow.session.execute(select(t.sends).where(t.sends.c.campaign_id == campaign.id)).first()
    if send is None or send.phase in ("finished", "cancelled"):
        return
    uow.session.execute(
        update(t.sends)
        .where(t.sends.c.campaign_id == campaign.id)
        .values(phase=final_phase, finished_at=now, updated_at=now)
    )
    if send.phase != "pending":
        uow.add_event(SendFinished(campaign.id, results.send_totals(uow.session, campaign.id), now))


def pause(uow, actor, campaign_id):
    return _transition(uow, actor, campaign_id, "pause")


def resume(uow, actor, campaign_id):
    return _transition(uow, actor, campaign_id, "resume")


def complete(uow, actor, campaign_id):
    return _transition(uow, actor, campaign_id, "complete")


def cancel(uow, actor, campaign_id):
    return _transition(uow, actor, campaign_id, "cancel")


def select_winner(
    uow,
    actor: Identity | None,
    campaign_id: str,
    variant_id: str | None,
    *,
    method: str,
    now: datetime | None = None,
) -> Campaign:
    """Choose the winner (given, or by the campaign's metric) and release the held audience."""
    now = now or utcnow()
    campaign = (
        visible_campaign(uow, actor, campaign_id) if actor else uow.campaigns.get(campaign_id)
    )
    if campaign is None:
        raise NotFound(f"no campaign {campaign_id}")
    metric = campaign.ab_test.winner_metric if campaign.ab_test else "clicks"
    best, scores = results.variant_scores(uow.session, campaign, metric)
    chosen = variant_id or best
    campaign.select_winner(chosen, metric=metric, method=method, scores=scores, now=now)
    m = t.messages.c
    released = uow.session.execute(
        update(t.messages)
        .where(m.campaign_id == campaign.id, m.status == "held")
        .values(status="pending", variant_id=chosen)
    ).rowcount
    if released:
        uow.session.execute(
            update(t.sends)
            .where(t.sends.c.campaign_id == campaign.id, t.sends.c.phase == "awaiting_winner")
            .values(phase="sending", updated_at=now)
        )
    uow.campaigns.save(campaign)
    uow.commit()
    return campaign


# -- the clock's actions (worker) ------------------------------------------------------------


def launch_due(uow_factory, *, now: datetime | None = None) -> int:
    """Launch scheduled campaigns whose time has come; one transaction each."""
    now = now or utcnow()
    c = t.campaigns.c
    with uow_factory() as uow:
        due = list(
            uow.session.execute(
                select(c.id).where(c.status == "scheduled", c.scheduled_at <= now)
            ).scalars()
        )
    launched = 0
    for campaign_id in due:
        try:
            with uow_factory() as uow:
                launch(uow, None, campaign_id, now=now)
                launched += 1
        except (StateConflict, InvalidValue) as exc:
            # The plan broke meanwhile (a template archived, a segment gone): it stays scheduled,
            # the log says why, and it goes out once someone fixes the plan.
            log.warning("scheduled_launch_failed", campaign_id=campaign_id, error=str(exc))
    return launched


def complete_due(uow_factory, *, now: datetime | None = None) -> int:
    """Complete running campaigns past their planned end whose send (if any) has finished."""
    now = now or utcnow()
    c = t.campaigns.c
    s = t.sends.c
    with uow_factory() as uow:
        due = list(
            uow.session.execute(
                select(c.id)
                .select_from(t.campaigns.outerjoin(t.sends, s.campaign_id == c.id))
                .where(
                    c.status.in_(("running", "paused")),
                    c.planned_end.is_not(None),
                    c.planned_end <= now,
                    (s.phase.is_(None)) | (s.phase.in_(("finished", "cancelled"))),
                )
            ).scalars()
        )
    for campaign_id in due:
        with uow_factory() as uow:
            complete(uow, None, campaign_id)
    return len(due)


def test_window_end(campaign: Campaign, resolved_at: datetime) -> datetime | None:
    if not campaign.has_test_phase:
        return None
    return resolved_at + timedelta(hours=campaign.ab_test.test_duration_hours)
