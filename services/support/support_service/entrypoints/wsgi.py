"""The api process: ``gunicorn 'support_service.entrypoints.wsgi:create_app()'``."""

from __future__ import annotations

from servicekit.app import create_app as build_app
from support_service.api import calendars, csat, groups, policies, reports, surveys, tickets
from support_service.domain import errors
from support_service.domain.businesstime import NoWorkingTime
from support_service.entrypoints import runtime

ERROR_MAP = {
    NoWorkingTime: (422, "no_working_time"),
    errors.InvalidValue: (422, "invalid_value"),
    errors.NotFound: (404, "not_found"),
    errors.Gone: (410, "gone"),
    errors.ConcurrentModification: (409, "concurrent_modification"),
    errors.InvalidTransition: (409, "invalid_transition"),
    errors.StateConflict: (409, "conflict"),
}


def create_app(rt=None):
    """The Flask app of the api process."""
    rt = rt or runtime.build()
    app = build_app(
        rt,
        title="Support service",
        description="After-sales support: tickets, complaints, returns, SLA policies on business "
        "calendars, agent groups, satisfaction surveys and reports.",
        blueprints=[
            tickets.blp,
            groups.blp,
            policies.blp,
            calendars.blp,
            surveys.blp,
            reports.blp,
        ],
        error_map=ERROR_MAP,
    )
    # Public survey page: outside /api, so no internal identity is required (the gateway
    # routes /csat/ here without authentication).
    app.register_blueprint(csat.bp)
    return app
