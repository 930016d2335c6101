"""The api process: ``gunicorn 'campaign_service.entrypoints.wsgi:create_app()'``."""

from __future__ import annotations

from campaign_service.adapters.repositories import ConcurrentModification
from campaign_service.api import (
    campaigns,
    competitors,
    coupons,
    public,
    suppressions,
    surveys,
    templates,
    touchpoints,
)
from campaign_service.domain import errors
from campaign_service.entrypoints import runtime
from servicekit.app import create_app as build_app

ERROR_MAP = {
    errors.TemplateProblem: (422, "invalid_template"),
    errors.InvalidValue: (422, "invalid_value"),
    errors.NotFound: (404, "not_found"),
    ConcurrentModification: (409, "concurrent_modification"),
    errors.StateConflict: (409, "conflict"),
}


def create_app(rt=None):
    rt = rt or runtime.build()
    app = build_app(
        rt,
        title="Campaign service",
        description="Campaigns with budgets, costs and A/B variants; email sends with tracking "
        "(human and machine opens and clicks apart) and one-click unsubscribe; templates; "
        "coupons; touchpoints and attribution; ROI; competitors and market-research surveys.",
        blueprints=[
            campaigns.blp,
            templates.blp,
            coupons.blp,
            touchpoints.blp,
            suppressions.blp,
            competitors.blp,
            surveys.blp,
        ],
        error_map=ERROR_MAP,
    )
    # Public token links (/r/, /unsubscribe/, /f/) are HTML and images, not API: they stay out
    # of the OpenAPI document.
    app.register_blueprint(public.blp)
    return app
