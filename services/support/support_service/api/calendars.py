"""/api/v1/business-calendars: working hours per weekday, time zone, public holidays (the
``holidays`` package) and custom days, on which SLA clocks count business time.

Reading needs ``sla:read``, changing ``sla:write``.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from flask.views import MethodView

from servicekit.blueprint import Blueprint
from servicekit.etag import expected_version, with_etag
from servicekit.idempotency import idempotent
from servicekit.schemas import PageQuerySchema
from servicekit.webctx import require_scope, service
from support_service.api import schemas as s
from support_service.domain.businesstime import format_clock
from support_service.service import configuration as use
from support_service.service import queries
from support_service.service.context import SupportContext
from support_service.service.reading import reading

blp = Blueprint(
    "business_calendars",
    __name__,
    url_prefix="/api/v1/business-calendars",
    description="Business calendars: working hours per weekday (split shifts allowed) in an "
    "IANA time zone, public holidays of a country/subdivision with its official make-up "
    "working days, and custom closed or open days.",
)
_MICRO = timedelta(microseconds=1)
IF_MATCH = {"in": "header", "name": "If-Match", "required": True, "schema": {"type": "string"}}


def ctx() -> SupportContext:
    return service().extras["support"]


def _input(body: dict) -> dict:
    data = dict(body)
    if "custom_days" in data:
        data["custom_days"] = [
            {**d, "date": d["date"].isoformat()} for d in data["custom_days"] or []
        ]
    return data


@blp.route("")
class Calendars(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, s.CalendarPage)
    def get(self, query):
        """Business calendars by name (cursor pagination)."""
        require_scope("sla:read")
        with service().db.session() as session:
            return queries.list_calendars(
                session, limit=query["limit"], cursor=query["cursor"]
            ).to_dict()

    @idempotent
    @blp.arguments(s.CalendarCreate)
    @blp.response(201, s.CalendarSchema)
    def post(self, body):
        """Create a calendar."""
        require_scope("sla:write")
        with service().uow() as uow:
            definition = use.create_calendar(uow, ctx(), _input(body))
            uow.commit()
        return with_etag(
            definition,
            definition.version,
            201,
            {"Location": f"/api/v1/business-calendars/{definition.id}"},
        )


@blp.route("/<uuid:calendar_id>")
class CalendarItem(MethodView):
    @blp.response(200, s.CalendarSchema)
    def get(self, calendar_id):
        """One calendar."""
        require_scope("sla:read")
        with reading(service().db) as uow:
            definition = use.get_calendar(uow, str(calendar_id))
        return with_etag(definition, definition.version)

    @blp.arguments(s.CalendarPatch)
    @blp.response(200, s.CalendarSchema)
    @blp.doc(parameters=[IF_MATCH])
    def patch(self, body, calendar_id):
        """Change a calendar (send If-Match); the worker recomputes the deadlines of open
        tickets on it within a scan interval, keeping the business time already spent."""
        require_scope("sla:write")
        version = expected_version()
        with service().uow() as uow:
            definition = use.update_calendar(uow, ctx(), str(calendar_id), version, _input(body))
            uow.commit()
        return with_etag(definition, definition.version)

    @blp.response(204)
    def delete(self, calendar_id):
        """Delete a calendar no policy and no open ticket uses."""
        require_scope("sla:write")
        with service().uow() as uow:
            use.delete_calendar(uow, str(calendar_id))
            uow.commit()
        return None


@blp.route("/<uuid:calendar_id>/days")
class Days(MethodView):
    @blp.arguments(s.DaysQuery, location="query")
    @blp.response(200, s.DayOut(many=True))
    def get(self, query, calendar_id):
        """Day by day: working hours and why (weekday, weekend, holiday name, custom day)."""
        require_scope("sla:read")
        with reading(service().db) as uow:
            calendar = ctx().calendars.build(use.get_calendar(uow, str(calendar_id)))
        return [
            {
                "date": day.day.isoformat(),
                "working": bool(day.hours),
                "hours": [{"start": format_clock(a), "end": format_clock(b)} for a, b in day.hours],
                "reason": day.reason,
                "name": day.name,
            }
            for day in calendar.days(query["start"], query["end"])
        ]


@blp.route("/<uuid:calendar_id>/compute")
class Compute(MethodView):
    @blp.arguments(s.ComputeIn)
    @blp.response(200, s.ComputeOut)
    def post(self, body, calendar_id):
        """Business-time arithmetic on this calendar: a deadline (start + add_minutes of
        business time) or the business minutes between start and end."""
        require_scope("sla:read")
        with reading(service().db) as uow:
            calendar = ctx().calendars.build(use.get_calendar(uow, str(calendar_id)))
        start = body["start"]
        if "add_minutes" in body:
            end = calendar.add_minutes(start, body["add_minutes"])
            minutes = Decimal(body["add_minutes"])
        else:
            end = body["end"]
            delta = calendar.between(start, end)
            minutes = (Decimal(delta // _MICRO) / Decimal(60_000_000)).quantize(Decimal("0.000001"))
        return {
            "start": start,
            "end": end,
            "business_minutes": minutes,
            "start_is_working_time": calendar.is_working(start),
        }
