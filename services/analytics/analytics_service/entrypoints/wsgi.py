"""The api process: ``gunicorn 'analytics_service.entrypoints.wsgi:create_app()'``."""

from __future__ import annotations

from analytics_service.api import reports
from analytics_service.domain import errors
from analytics_service.entrypoints import runtime
from servicekit.app import create_app as build_app

ERROR_MAP = {
    errors.InvalidQuery: (422, "invalid_parameter"),
    errors.NotFound: (404, "not_found"),
}


def create_app(rt=None):
    rt = rt or runtime.build()
    return build_app(
        rt,
        title="Analytics service",
        description=reports.DESCRIPTION,
        blueprints=[reports.blp],
        error_map=ERROR_MAP,
    )
