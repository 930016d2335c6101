"""Market-research surveys: questionnaires, invitations' answers and aggregated results."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select

from campaign_service.adapters import tables as t
from campaign_service.adapters.repositories import survey_from_row
from campaign_service.domain import events
from campaign_service.domain.errors import NotFound
from campaign_service.domain.surveys import Survey, aggregate, parse_answers
from campaign_service.domain.tokens import TokenSigner
from servicekit.etag import check_version
from servicekit.identity import Identity
from servicekit.types import utcnow


def create_survey(uow, actor: Identity, data: dict[str, Any]) -> Survey:
    survey = Survey.create(created_by=actor.subject, **data)
    uow.surveys.add(survey)
    uow.commit()
    return survey


def _survey(uow, survey_id: str) -> Survey:
    survey = uow.surveys.get(survey_id)
    if survey is None:
        raise NotFound(f"no survey {survey_id}")
    return survey


def update_survey(uow, survey_id: str, expected_version: int | None, changes: dict) -> Survey:
    survey = _survey(uow, survey_id)
    if expected_version is not None:
        check_version(survey.version, expected_version)
    if survey.update(changes):
        uow.surveys.save(survey)
    uow.commit()
    return survey


def open_survey(uow, survey_id: str) -> Survey:
    survey = _survey(uow, survey_id)
    survey.open()
    uow.surveys.save(survey)
    uow.commit()
    return survey


def close_survey(uow, survey_id: str) -> Survey:
    survey = _survey(uow, survey_id)
    survey.close()
    uow.surveys.save(survey)
    uow.commit()
    return survey


@dataclass(frozen=True)
class Invitation:
    survey: Survey
    message_id: str
    campaign_id: str
    customer_id: str | None
    answered: bool


def invitation(session, signer: TokenSigner, token: str) -> Invitation | None:
    """The survey a personal link leads to (None for a forged or unknown token)."""
    verified = signer.verify("survey", token)
    if verified is None:
        return None
    m, c = t.messages.c, t.campaigns.c
    row = session.execute(
        select(m.id, m.campaign_id, m.customer_id, c.survey_id)
        .join(t.campaigns, c.id == m.campaign_id)
        .where(m.id == verified[0])
    ).first()
    if row is None or row.survey_id is None:
        return None
    survey_row = session.execute(select(t.surveys).where(t.surveys.c.id == row.survey_id)).first()
    if survey_row is None:
        return None
    answered = (
        session.execute(
            select(t.survey_responses.c.id).where(t.survey_responses.c.message_id == row.id)
        ).first()
        is not None
    )
    return Invitation(
        survey_from_row(survey_row), row.id, row.campaign_id, row.customer_id, answered
    )


def submit_response(
    uow, signer: TokenSigner, token: str, form: dict[str, list[str]]
) -> tuple[str, dict[str, str], Invitation | None]:
    """``(outcome, errors, invitation)``: done, invalid, already, closed or unknown."""
    found = invitation(uow.session, signer, token)
    if found is None:
        return "unknown", {}, None
    if found.answered:
        return "already", {}, found
    survey = uow.surveys.get(found.survey.id)
    if survey.status != "open":
        return "closed", {}, found
    answers, errors = parse_answers(survey.questions, form)
    if errors:
        return "invalid", errors, found
    now = utcnow()
    response = {
        "id": str(uuid.uuid4()),
        "survey_id": survey.id,
        "campaign_id": found.campaign_id,
        "message_id": found.message_id,
        "customer_id": found.customer_id,
        "answers": answers,
        "answered_at": now,
    }
    # The unique message_id makes a double submit race lose here, not count twice.
    uow.session.execute(insert(t.survey_responses).values(**response))
    survey.responses += 1
    uow.surveys.save(survey)
    uow.add_event(events.SurveyAnswered(response))
    uow.commit()
    return "done", {}, found


def results(session, survey: Survey, *, text_limit: int = 200) -> dict[str, Any]:
    r = t.survey_responses.c
    responses = [
        (row.answered_at, row.answers)
        for row in session.execute(
            select(r.answered_at, r.answers).where(r.survey_id == survey.id)
        ).yield_per(2000)
    ]
    return {
        "survey_id": survey.id,
        "name": survey.name,
        "status": survey.status,
        "responses": len(responses),
        "questions": aggregate(survey.questions, responses, text_limit=text_limit),
    }
