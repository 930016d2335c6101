"""/api/v1/support-reports: backlog, SLA compliance, response/resolution times, CSAT and NPS.

Agents' reports cover their groups' tickets; everyone else's cover all. Ticket reports need
``tickets:read``; the satisfaction report needs ``satisfaction:read``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask.views import MethodView

from servicekit.blueprint import Blueprint
from servicekit.errors import ValidationFailed
from servicekit.webctx import require_scope, service
from support_service.api import schemas as s
from support_service.service import reports
from support_service.service.context import SupportContext

blp = Blueprint(
    "support_reports",
    __name__,
    url_prefix="/api/v1/support-reports",
    description="Support reports. Times are in seconds (business time on each ticket's "
    "calendar with pauses excluded, and calendar time); medians and nearest-rank p90.",
)


DEFAULT_SPAN = timedelta(days=30)


def ctx() -> SupportContext:
    return service().extras["support"]


def _range(query: dict) -> dict:
    """The period with its defaults filled in, checked like one given in full."""
    now = ctx().now()
    end = query.get("end") or now
    start = query.get("start")
    if start is None:
        if end - datetime.min.replace(tzinfo=UTC) < DEFAULT_SPAN:
            raise ValidationFailed(
                "end is too early for the default period",
                details={"end": ["too early: give start as well"]},
            )
        start = end - DEFAULT_SPAN
    if end <= start:
        raise ValidationFailed("end must be after start", details={"end": ["before start"]})
    if end - start > s.REPORT_MAX_SPAN:
        raise ValidationFailed(
            "at most ten years at a time", details={"start": ["more than ten years before end"]}
        )
    return {**query, "start": start, "end": end}


@blp.route("/backlog")
class Backlog(MethodView):
    @blp.arguments(s.BacklogQuery, location="query")
    @blp.response(200, s.BacklogOut)
    def get(self, query):
        """Unresolved tickets by status and priority, breached and unassigned counts, oldest."""
        identity = require_scope("tickets:read")
        with service().db.session() as session:
            return reports.backlog(session, identity, query, ctx().now())


@blp.route("/sla-compliance")
class SlaCompliance(MethodView):
    @blp.arguments(s.SlaReportQuery, location="query")
    @blp.response(200, s.SlaReportOut)
    def get(self, query):
        """Per policy and target: met and breached counts and percentages, for the clocks
        started in the period (next responses count once per cycle)."""
        identity = require_scope("tickets:read")
        with service().db.session() as session:
            return reports.sla_compliance(session, identity, _range(query))


@blp.route("/response-times")
class ResponseTimes(MethodView):
    @blp.arguments(s.TimesQuery, location="query")
    @blp.response(200, s.TimesOut)
    def get(self, query):
        """First-response and resolution times (business and calendar, median and p90) per
        period, by when the response or resolution happened."""
        identity = require_scope("tickets:read")
        with service().db.session() as session:
            return reports.response_times(session, identity, _range(query))


@blp.route("/satisfaction")
class Satisfaction(MethodView):
    @blp.arguments(s.SatisfactionQuery, location="query")
    @blp.response(200, s.SatisfactionOut)
    def get(self, query):
        """CSAT (average, % satisfied = 4-5) and NPS (% promoters - % detractors) per period."""
        identity = require_scope("satisfaction:read")
        with service().db.session() as session:
            return reports.satisfaction(session, identity, _range(query))
