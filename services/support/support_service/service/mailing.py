"""Worker jobs that talk to the SMTP server: survey invitations and public replies.

The link token of a survey is made just before sending and only its hash is stored (committed
before the SMTP conversation, so a link in a delivered mail always works). Deliveries that fail
temporarily are retried with growing delays; hard bounces are not.
"""

from __future__ import annotations

import html
from datetime import timedelta

from sqlalchemy import select, update

from servicekit.logging import get_logger
from servicekit.mail import Mail, SmtpSender
from support_service.adapters import tables as t
from support_service.domain.surveys import SCALES, Survey
from support_service.service.context import SupportContext

log = get_logger("support.mailing")

BATCH = 50


def _retry_delay(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def survey_mail(ctx: SupportContext, survey: Survey, token: str, ticket_number: str, subject: str):
    """The invitation email: a link to the public survey page, text and HTML."""
    link = f"{ctx.settings.public_base_url}/csat/{token}"
    low, high = SCALES[survey.kind]
    if survey.kind == "csat":
        question = "How satisfied are you with the support you received?"
    else:
        question = "How likely are you to recommend us to a friend or colleague?"
    greeting = f"Hello {survey.recipient_name}," if survey.recipient_name else "Hello,"
    expires = survey_expiry_text(ctx)
    text = (
        f"{greeting}\n\n"
        f"your request {ticket_number} ({subject}) was resolved. {question}\n"
        f"Answer on a scale from {low} to {high} here (one click, no login):\n\n{link}\n\n"
        f"The link works once and {expires}.\n\n-- \n{ctx.settings.support_name}\n"
    )
    body_html = (
        f"<p>{html.escape(greeting)}</p>"
        f"<p>your request {html.escape(ticket_number)} ({html.escape(subject)}) was resolved. "
        f"{html.escape(question)}</p>"
        f'<p><a href="{html.escape(link)}">Answer the survey</a> '
        f"(a scale from {low} to {high}; one click, no login).</p>"
        f"<p>The link works once and {html.escape(expires)}.</p>"
        f"<p>{html.escape(ctx.settings.support_name)}</p>"
    )
    return Mail(
        to=survey.recipient_email,
        to_name=survey.recipient_name,
        subject=f"How did we do? Your request {ticket_number}",
        text=text,
        html=body_html,
        headers={"X-MMS-Survey": survey.id, "Auto-Submitted": "auto-generated"},
    )


def survey_expiry_text(ctx: SupportContext) -> str:
    """How long a survey link lives, in words."""
    return f"expires after {ctx.settings.survey_ttl_days} days"


def send_due_surveys(uow_factory, ctx: SupportContext, sender: SmtpSender) -> int:
    """Send every survey whose time has come; return how many went out."""
    now = ctx.now()
    with uow_factory() as uow:
        due = uow.surveys.due(now, BATCH)
    sent = 0
    for survey_id in due:
        prepared = _prepare(uow_factory, ctx, survey_id)
        if prepared is None:
            continue
        survey, token, number, subject = prepared
        delivery = sender.send([survey_mail(ctx, survey, token, number, subject)])[0]
        with uow_factory() as uow:
            current = uow.surveys.get(survey_id, lock=True)
            if current is None or current.status != "scheduled":
                continue
            if delivery.sent:
                current.mark_sent(ctx.now(), ctx.settings.survey_ttl)
                sent += 1
            else:
                current.mark_failed(
                    delivery.detail or delivery.outcome,
                    permanent=delivery.outcome == "permanent",
                    retry_at=ctx.now() + _retry_delay(current.attempts),
                )
                log.warning("survey_not_sent", survey_id=survey_id, outcome=delivery.outcome)
            uow.surveys.save(current)
            uow.commit()
    return sent


def _prepare(uow_factory, ctx: SupportContext, survey_id: str):
    with uow_factory() as uow:
        survey = uow.surveys.get(survey_id, lock=True)
        if survey is None or survey.status != "scheduled":
            return None
        ticket = uow.tickets.get(survey.ticket_id)
        if ticket is None or not ticket.is_resolved:
            survey.cancel("the ticket is no longer resolved")
            uow.surveys.save(survey)
            uow.commit()
            return None
        customer = uow.customers.resolve(ticket.customer_id)
        if customer is not None and customer.status == "erased":
            survey.cancel("the customer was erased")
            uow.surveys.save(survey)
            uow.commit()
            return None
        address = ticket.contact.email or (customer.email if customer else None)
        if not address:
            survey.mark_failed(
                "no email address for the customer", permanent=True, retry_at=ctx.now()
            )
            uow.surveys.save(survey)
            uow.commit()
            return None
        name = ticket.contact.name or (customer.name if customer else None)
        token = survey.issue_token(address, name)
        uow.surveys.save(survey)
        uow.commit()
        return survey, token, ticket.number, ticket.subject


def expire_surveys(uow_factory, ctx: SupportContext) -> int:
    """Mark sent surveys whose link expired; return how many."""
    now = ctx.now()
    with uow_factory() as uow:
        ids = uow.surveys.expired(now, 1000)
        for survey_id in ids:
            survey = uow.surveys.get(survey_id)
            if survey is not None and survey.expire(now):
                uow.surveys.save(survey)
        uow.commit()
    return len(ids)


def send_queued_mail(uow_factory, ctx: SupportContext, sender: SmtpSender) -> int:
    """Deliver queued reply emails; return how many went out."""
    now = ctx.now()
    mail = t.outbound_mail
    with uow_factory() as uow:
        rows = uow.session.execute(
            select(mail)
            .where(mail.c.status == "queued", mail.c.send_after <= now)
            .order_by(mail.c.send_after)
            .limit(BATCH)
        ).all()
    sent = 0
    for row in rows:
        delivery = sender.send(
            [
                Mail(
                    to=row.to_address,
                    to_name=row.to_name,
                    subject=row.subject,
                    text=row.body,
                    headers={"X-MMS-Ticket": row.ticket_id},
                )
            ]
        )[0]
        attempts = row.attempts + 1
        if delivery.sent:
            values = {"status": "sent", "sent_at": ctx.now(), "attempts": attempts}
            sent += 1
        elif delivery.outcome == "permanent" or attempts >= 6:
            values = {"status": "failed", "attempts": attempts, "last_error": delivery.detail}
        else:
            values = {
                "attempts": attempts,
                "last_error": delivery.detail,
                "send_after": ctx.now() + _retry_delay(attempts),
            }
        with uow_factory() as uow:
            uow.session.execute(
                update(mail).where(mail.c.id == row.id, mail.c.status == "queued").values(**values)
            )
            uow.commit()
    return sent
