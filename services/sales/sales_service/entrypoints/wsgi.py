"""The api process: ``gunicorn 'sales_service.entrypoints.wsgi:create_app()'``."""

from __future__ import annotations

from sales_service.api import (
    channels,
    contracts,
    forecasts,
    leads,
    opportunities,
    orders,
    pipelines,
    products,
    quotes,
    targets,
    tasks,
)
from sales_service.domain import errors
from sales_service.entrypoints import runtime
from servicekit.app import create_app as build_app

ERROR_MAP = {
    errors.InvalidValue: (422, "invalid_value"),
    errors.NotFound: (404, "not_found"),
    errors.ConcurrentModification: (409, "concurrent_modification"),
    errors.StateConflict: (409, "conflict"),
    errors.NotAllowed: (403, "forbidden"),
    errors.MissingFxRate: (422, "fx_rate_missing"),
    errors.CouponRejected: (422, "coupon_rejected"),
}


def create_app(rt=None):
    rt = rt or runtime.build()
    return build_app(
        rt,
        title="Sales service",
        description="Products, price lists, channels, leads, pipelines, opportunities, quotes, "
        "orders (with coupons), contracts, targets, tasks, forecasts and exchange rates.",
        blueprints=[
            products.products,
            products.price_lists,
            channels.blp,
            leads.blp,
            pipelines.blp,
            opportunities.blp,
            quotes.blp,
            orders.blp,
            contracts.blp,
            targets.blp,
            tasks.blp,
            forecasts.forecasts,
            forecasts.fx_rates,
        ],
        error_map=ERROR_MAP,
    )
