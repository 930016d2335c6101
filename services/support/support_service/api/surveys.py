"""/api/v1/satisfaction-surveys: the CSAT/NPS surveys sent after resolutions and their answers.

Reading needs ``satisfaction:read``; sending one by hand needs ``satisfaction:write``. The link
tokens are never shown (only their hash is stored).
"""

from __future__ import annotations

from flask.views import MethodView

from servicekit.blueprint import Blueprint
from servicekit.idempotency import idempotent
from servicekit.webctx import require_scope, service
from support_service.api import schemas as s
from support_service.domain.errors import NotFound, StateConflict
from support_service.service import queries
from support_service.service.access import can_see, visible_ticket
from support_service.service.context import SupportContext
from support_service.service.reading import reading
from support_service.service.surveys import schedule_survey

blp = Blueprint(
    "satisfaction_surveys",
    __name__,
    url_prefix="/api/v1/satisfaction-surveys",
    description="Satisfaction surveys (CSAT 1-5, NPS 0-10): sent by email after a ticket is "
    "resolved with a single-use, expiring link; answers, low scores and their follow-ups.",
)


def ctx() -> SupportContext:
    return service().extras["support"]


@blp.route("")
class Surveys(MethodView):
    @blp.arguments(s.SurveyListQuery, location="query")
    @blp.response(200, s.SurveyPage)
    def get(self, query):
        """List surveys, newest first."""
        identity = require_scope("satisfaction:read")
        limit, cursor = query.pop("limit"), query.pop("cursor")
        with service().db.session() as session:
            page = queries.list_surveys(session, identity, query, limit=limit, cursor=cursor)
        return page.to_dict()

    @idempotent
    @blp.arguments(s.SurveyCreate)
    @blp.response(201, s.SurveySchema)
    def post(self, body):
        """Send a survey about a resolved ticket now (or after delay_minutes), replacing one
        still waiting to be sent."""
        identity = require_scope("satisfaction:write")
        with service().uow() as uow:
            ticket = visible_ticket(uow, identity, body["ticket_id"], lock=True)
            if not ticket.is_resolved:
                raise StateConflict(f"ticket {ticket.number} is not resolved")
            policy = uow.policies.get(ticket.sla.policy_id) if ticket.sla.policy_id else None
            survey = schedule_survey(
                uow,
                ctx(),
                ticket,
                policy,
                ctx().now(),
                kind=body.get("kind") or ctx().survey_plan(policy)[0] or "csat",
                delay_minutes=body["delay_minutes"],
            )
            uow.commit()
        return survey, 201


@blp.route("/<uuid:survey_id>")
class SurveyItem(MethodView):
    @blp.response(200, s.SurveySchema)
    def get(self, survey_id):
        """One survey."""
        identity = require_scope("satisfaction:read")
        with reading(service().db) as uow:
            survey = uow.surveys.get(str(survey_id))
            ticket = uow.tickets.get(survey.ticket_id) if survey else None
            if survey is None or ticket is None or not can_see(uow.session, identity, ticket):
                raise NotFound(f"no survey {survey_id}")
        return survey
