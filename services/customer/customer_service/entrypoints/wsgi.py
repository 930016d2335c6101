"""The api process: ``gunicorn 'customer_service.entrypoints.wsgi:create_app()'``."""

from __future__ import annotations

from customer_service.adapters.repositories import ConcurrentModification
from customer_service.api import attributes, customers, imports, interactions, segments
from customer_service.domain import errors
from customer_service.entrypoints import runtime
from servicekit.app import create_app as build_app

ERROR_MAP = {
    errors.InvalidValue: (422, "invalid_value"),
    errors.NotFound: (404, "not_found"),
    errors.StateConflict: (409, "conflict"),
    ConcurrentModification: (409, "concurrent_modification"),
    errors.DuplicateCandidate: (409, "duplicate_candidate"),
}


def create_app(rt=None):
    rt = rt or runtime.build()
    return build_app(
        rt,
        title="Customer service",
        description="Customers, contacts, interactions, consent, segments, imports, merges "
        "and GDPR rights.",
        blueprints=[customers.blp, interactions.blp, segments.blp, imports.blp, attributes.blp],
        error_map=ERROR_MAP,
    )
