"""The Flask app factory every service uses.

It wires the standard error shape, request and correlation ids, the identity check (every
``/api/`` route needs the gateway's signed identity; everything else — health, metrics, the
OpenAPI document, public tracking links — is public), a body-size cap, a JSON-only rule for request
bodies, metrics, access logs, and flask-smorest for the OpenAPI document.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from decimal import Decimal

import flask_smorest
from flask import Flask, Response, g, request
from flask.json.provider import DefaultJSONProvider

from servicekit import metrics
from servicekit.context import (
    Trace,
    child_traceparent,
    clear_trace,
    new_id,
    safe_id,
    set_trace,
    valid_traceparent,
)
from servicekit.errors import ApiError, error_response, register_error_handlers
from servicekit.health import Check, database_check, run_checks
from servicekit.identity import IDENTITY_HEADER
from servicekit.jsonutil import _default as _json_default
from servicekit.logging import configure_logging, get_logger
from servicekit.runtime import ServiceRuntime
from servicekit.schemas import ErrorSchema, document_fields

log = get_logger("servicekit.http")

JSON_TYPES = ("application/json",)


class SuiteJSONProvider(DefaultJSONProvider):
    """Numbers with a fraction parse as Decimal (money is never a float); Decimal dumps as text."""

    sort_keys = False
    ensure_ascii = False

    def loads(self, s, **kwargs):
        kwargs.setdefault("parse_float", Decimal)
        return json.loads(s, **kwargs)

    @staticmethod
    def default(o):
        return _json_default(o)


class Api(flask_smorest.Api):
    """flask-smorest's Api documenting the suite's error shape and leaving errors to servicekit."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        # servicekit.errors owns every error response.
        return None

    def _init_spec(self, **kwargs):
        super()._init_spec(**kwargs)
        document_fields(self.ma_plugin.converter)


def accepts(*content_types: str, max_bytes: int | None = None):
    """Let a view take bodies of other types (CSV upload) or larger than the default cap."""

    def decorator(view):
        view._mms_content_types = tuple(content_types)
        view._mms_max_bytes = max_bytes
        return view

    return decorator


def _view_attr(name: str, default=None):
    view = None
    if request.url_rule is not None:
        from flask import current_app

        view = current_app.view_functions.get(request.endpoint)
    if view is None:
        return default
    value = getattr(view, name, None)
    if value is None and hasattr(view, "view_class"):
        method = getattr(view.view_class, request.method.lower(), None)
        value = getattr(method, name, None)
    return default if value is None else value


def create_app(
    context: ServiceRuntime,
    *,
    title: str,
    description: str,
    blueprints: Iterable[flask_smorest.Blueprint],
    error_map: dict | None = None,
    extra_checks: Iterable[Check] = (),
    access_log: bool = True,
) -> Flask:
    """Build the Flask app of one service around its :class:`ServiceRuntime`."""
    settings = context.settings
    configure_logging(settings.log_level, settings.log_format, settings.service)
    app = Flask(f"{settings.service}_service")
    app.json = SuiteJSONProvider(app)
    app.config.update(
        API_TITLE=title,
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        PROPAGATE_EXCEPTIONS=False,
        TRAP_HTTP_EXCEPTIONS=False,
        JSON_SORT_KEYS=False,
    )
    app.extensions["mms"] = context
    api = Api(app, spec_kwargs={"info": {"description": description}})
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    register_error_handlers(app, error_map)

    checks = [database_check(context.db), *extra_checks]
    service_name = settings.service

    @app.before_request
    def _begin():
        g.mms_started = time.perf_counter()
        request_id = safe_id(request.headers.get("X-Request-ID")) or new_id()
        parent = valid_traceparent(request.headers.get("traceparent"))
        set_trace(
            Trace(
                request_id=request_id,
                correlation_id=safe_id(request.headers.get("X-Correlation-ID")) or request_id,
                traceparent=child_traceparent(parent),
            )
        )
        if not request.path.startswith("/api/"):
            return None
        g.mms_identity = context.verifier.verify(request.headers.get(IDENTITY_HEADER))
        max_bytes = _view_attr("_mms_max_bytes")
        if max_bytes:
            request.max_content_length = max_bytes
        if request.method in ("POST", "PUT", "PATCH") and _has_body():
            allowed = _view_attr("_mms_content_types") or JSON_TYPES
            if request.mimetype not in allowed:
                raise ApiError(
                    f"Send the body as {' or '.join(allowed)}.",
                    status=415,
                    code="unsupported_media_type",
                )
        return None

    @app.after_request
    def _finish(response: Response):
        from servicekit.context import current_trace

        trace = current_trace()
        response.headers["X-Request-ID"] = trace.request_id
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers["X-Content-Type-Options"] = "nosniff"
        started = g.get("mms_started")
        if started is not None:
            elapsed = time.perf_counter() - started
            endpoint = request.url_rule.rule if request.url_rule else "unmatched"
            metrics.HTTP_REQUESTS.labels(
                service_name, request.method, endpoint, str(response.status_code)
            ).inc()
            metrics.HTTP_LATENCY.labels(service_name, request.method, endpoint).observe(elapsed)
            if access_log and not request.path.startswith(("/health", "/metrics")):
                log.info(
                    "request",
                    method=request.method,
                    path=request.path,
                    status=response.status_code,
                    ms=round(elapsed * 1000, 2),
                    subject=getattr(g.get("mms_identity"), "subject", None),
                )
        return response

    @app.teardown_request
    def _teardown(_exc):
        clear_trace()

    @app.get("/health/live")
    def _live():
        return {"status": "live", "service": service_name}

    @app.get("/health/ready")
    def _ready():
        status, body = run_checks(checks)
        body["service"] = service_name
        return body, status

    @app.get("/metrics")
    def _metrics():
        payload, content_type = metrics.render()
        return Response(payload, content_type=content_type)

    return app


def _has_body() -> bool:
    if request.content_length:
        return True
    return request.headers.get("Transfer-Encoding", "").lower() == "chunked"


def not_found_response():
    return error_response(404, "not_found", "No such resource.")
