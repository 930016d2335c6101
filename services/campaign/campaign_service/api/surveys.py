"""/api/v1/surveys: market-research questionnaires and their aggregated results.

A survey is sent by a campaign with channel ``survey`` (its ``survey_id``): each recipient gets a
personal, single-use link to the form at ``/f/<token>``.
"""

from __future__ import annotations

from flask.views import MethodView

from campaign_service.adapters.repositories import SurveyRepository
from campaign_service.api import schemas as s
from campaign_service.api.common import if_match_doc
from campaign_service.domain.errors import NotFound
from campaign_service.service import queries
from campaign_service.service import surveys as use
from servicekit.blueprint import Blueprint
from servicekit.etag import expected_version, with_etag
from servicekit.idempotency import idempotent
from servicekit.webctx import current_identity, require_scope, service

blp = Blueprint(
    "surveys",
    __name__,
    url_prefix="/api/v1/surveys",
    description="Market-research surveys: single/multiple choice, scale, NPS and text "
    "questions; results aggregated per question. Sent by survey campaigns. Scopes: "
    "research:read / research:write.",
)


def _survey(session, survey_id: str):
    survey = SurveyRepository(session).get(survey_id)
    if survey is None:
        raise NotFound(f"no survey {survey_id}")
    return survey


@blp.route("")
class Surveys(MethodView):
    @blp.arguments(s.SurveyListQuery, location="query")
    @blp.response(200, s.SurveyPage)
    def get(self, query):
        """List surveys, newest first."""
        require_scope("research:read")
        with service().db.session() as session:
            page = queries.surveys_page(
                session, query, limit=query["limit"], cursor=query["cursor"]
            )
        return page.to_dict()

    @idempotent
    @blp.arguments(s.SurveyCreate)
    @blp.response(201, s.SurveyOut)
    def post(self, body):
        """Write a questionnaire (a draft)."""
        require_scope("research:write")
        with service().uow() as uow:
            survey = use.create_survey(uow, current_identity(), body)
        return with_etag(survey, survey.version, 201, {"Location": f"/api/v1/surveys/{survey.id}"})


@blp.route("/<uuid:survey_id>")
class SurveyItem(MethodView):
    @blp.response(200, s.SurveyOut)
    def get(self, survey_id):
        """One survey."""
        require_scope("research:read")
        with service().db.session() as session:
            survey = _survey(session, str(survey_id))
        return with_etag(survey, survey.version)

    @blp.arguments(s.SurveyPatch)
    @blp.response(200, s.SurveyOut)
    @blp.doc(parameters=[if_match_doc()])
    def patch(self, body, survey_id):
        """Change a survey (If-Match); questions only until the first answer arrives."""
        require_scope("research:write")
        version = expected_version()
        with service().uow() as uow:
            survey = use.update_survey(uow, str(survey_id), version, body)
        return with_etag(survey, survey.version)


@blp.route("/<uuid:survey_id>/open")
class Open(MethodView):
    @idempotent
    @blp.response(200, s.SurveyOut)
    def post(self, survey_id):
        """Open for answers (needed before a survey campaign launches)."""
        require_scope("research:write")
        with service().uow() as uow:
            survey = use.open_survey(uow, str(survey_id))
        return with_etag(survey, survey.version)


@blp.route("/<uuid:survey_id>/close")
class Close(MethodView):
    @idempotent
    @blp.response(200, s.SurveyOut)
    def post(self, survey_id):
        """Close: the form answers that the survey has ended."""
        require_scope("research:write")
        with service().uow() as uow:
            survey = use.close_survey(uow, str(survey_id))
        return with_etag(survey, survey.version)


@blp.route("/<uuid:survey_id>/results")
class Results(MethodView):
    @blp.arguments(s.ResultsQuery, location="query")
    @blp.response(200, s.ResultsOut)
    def get(self, query, survey_id):
        """Results per question: counts and percentages, averages and distributions, the NPS
        score, and the text answers (newest first, up to text_limit)."""
        require_scope("research:read")
        with service().db.session() as session:
            survey = _survey(session, str(survey_id))
            return use.results(session, survey, text_limit=query["text_limit"])


@blp.route("/<uuid:survey_id>/responses")
class Responses(MethodView):
    @blp.arguments(s.PageQuerySchema, location="query")
    @blp.response(200, s.ResponsePage)
    def get(self, query, survey_id):
        """Individual responses, newest first."""
        require_scope("research:read")
        with service().db.session() as session:
            _survey(session, str(survey_id))
            page = queries.responses_page(
                session, str(survey_id), limit=query["limit"], cursor=query["cursor"]
            )
        return page.to_dict()
