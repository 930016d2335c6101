"""Satisfaction surveys: scheduled on resolution, answered through the public link, and the
low-score follow-up (reopen the ticket, or open a complaint about it)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from support_service.domain.errors import DomainError, InvalidTransition, NotFound
from support_service.domain.sla import SlaPolicy
from support_service.domain.surveys import Survey, hash_token
from support_service.domain.tickets import Satisfaction, Ticket
from support_service.service.context import SupportContext


def schedule_survey(
    uow,
    ctx: SupportContext,
    ticket: Ticket,
    policy: SlaPolicy | None,
    now,
    *,
    kind: str | None = None,
    delay_minutes: int | None = None,
) -> Survey | None:
    """Plan the survey about a resolution (the policy's or the service's settings decide the
    kind and delay); a survey still waiting to be sent for the ticket is replaced."""
    planned_kind, delay, action, threshold = ctx.survey_plan(policy)
    if kind is not None and kind != planned_kind:
        planned_kind, threshold = kind, ctx.settings.low_threshold(kind)
        if action == "none" and (policy is None or policy.low_score_action is None):
            action = ctx.settings.low_score_action
    if planned_kind is None:
        return None
    if delay_minutes is not None:
        delay = delay_minutes
    cancel_unsent_surveys(uow, ticket.id, reason="replaced by a newer survey")
    survey = Survey.schedule(
        ticket_id=ticket.id,
        customer_id=ticket.customer_id,
        kind=planned_kind,
        send_at=now + timedelta(minutes=delay),
        low_score_threshold=threshold,
        low_score_action=action,
        agent_id=ticket.agent_id,
        group_id=ticket.group_id,
        policy_id=ticket.sla.policy_id,
        now=now,
    )
    uow.surveys.add(survey)
    return survey


def cancel_unsent_surveys(uow, ticket_id: str, reason: str = "the ticket was reopened") -> None:
    """Cancel the ticket's surveys still waiting to be sent."""
    for survey in uow.surveys.of_ticket(ticket_id):
        if survey.status == "scheduled":
            survey.cancel(reason)
            uow.surveys.save(survey)


def find_by_token(uow, token: str, *, lock: bool = False) -> Survey:
    """The survey behind a link token, or NotFound."""
    if not token or len(token) > 200:
        raise NotFound("This survey link is not valid.")
    survey = uow.surveys.by_token_hash(hash_token(token), lock=lock)
    if survey is None:
        raise NotFound("This survey link is not valid.")
    return survey


def answer_survey(uow, ctx: SupportContext, token: str, score: int, comment: str | None) -> Survey:
    """Record the answer (once per link), publish it, and follow up a low score."""
    now = ctx.now()
    survey = find_by_token(uow, token, lock=True)
    survey.answer(score, comment, now)
    ticket = uow.tickets.get(survey.ticket_id, lock=True)
    if ticket is not None:
        ticket.record_satisfaction(Satisfaction(survey.id, survey.kind, score, now), now)
        if survey.low_score and survey.low_score_action != "none":
            _follow_up(uow, ctx, survey, ticket, now)
        uow.tickets.save(ticket)
    uow.surveys.save(survey)
    return survey


def _follow_up(uow, ctx: SupportContext, survey: Survey, ticket: Ticket, now) -> None:
    low, high = survey.scale
    reason = f"Low satisfaction score ({survey.score} on {low}-{high})"
    if survey.low_score_action == "reopen" and ticket.status == "resolved":
        try:
            ticket.reopen(
                trigger="survey",
                reason=reason,
                now=now,
                cal=ctx.calendar(uow, ticket.sla.calendar_id),
                window=ctx.settings.reopen_window,
            )
            survey.follow_up = "reopened"
            return
        except InvalidTransition:
            pass  # past the reopen window: a complaint follow-up takes its place
    elif survey.low_score_action == "reopen" and not ticket.is_resolved:
        return  # the conversation is already going on
    from support_service.service.tickets import open_ticket

    group_id = None
    if ticket.group_id:
        group = uow.groups.get(ticket.group_id)
        group_id = group.id if group is not None and group.active else None
    data: dict[str, Any] = {
        "customer_id": ticket.customer_id,
        "subject": f"Follow-up on {ticket.number}: {reason.lower()}",
        "category": "complaint",
        "channel": "web",
        "priority": "high",
        "tags": ["low-satisfaction"],
        "parent_ticket_id": ticket.id,
        "group_id": group_id,
        "order_id": ticket.order_id,
        "description": survey.comment,
        "contact": ticket.contact.as_dict(),
    }
    try:
        follow = open_ticket(uow, ctx, None, data, origin="survey_follow_up")
    except DomainError:
        return  # e.g. the customer was erased meanwhile: nobody to follow up with
    survey.follow_up = "complaint_opened"
    survey.follow_up_ticket_id = follow.id
