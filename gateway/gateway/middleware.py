"""The one middleware around every request: ids, errors, headers, metrics, access log.

One middleware instead of a chain keeps the per-request cost low (the gateway sits on every
request). Nothing unexpected ever reaches the client: any exception becomes the standard 500
body, without a stack trace.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time

import psycopg
from aiohttp import web
from sqlalchemy import exc as sa_exc

from gateway import metrics as gw_metrics
from gateway.accesslog import AccessLog
from gateway.guard import PRINCIPAL_KEY
from gateway.http import (
    BODY_CAP,
    REQUEST_ID_KEY,
    api_error_response,
    check_length,
    error_response,
)
from gateway.ids import request_id as new_id
from gateway.proxy import proxy
from gateway.routing import API_PREFIX
from gateway.security import add_challenges, decorate, preflight
from servicekit import metrics
from servicekit.context import Trace, safe_id, set_trace
from servicekit.errors import ApiError
from servicekit.logging import get_logger

log = get_logger("gateway.http")
DATABASE_DOWN = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sqlite3.OperationalError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)
SERVICE = "gateway"
_children: dict = {}


def _endpoint(request: web.Request) -> str:
    """A bounded label: the route's template, or /api/v1/<segment> for proxied paths."""
    path = request.path
    if path.startswith(API_PREFIX):
        resource = request.match_info.route.resource
        canonical = resource.canonical if resource is not None else ""
        if canonical and "{tail" not in canonical:
            return canonical
        segment = path[len(API_PREFIX) :].split("/", 1)[0]
        return API_PREFIX + segment
    if path.startswith(("/health", "/metrics")):
        return path
    return "other"


def _observe(method: str, endpoint: str, status: int, elapsed: float) -> None:
    key = (method, endpoint, status)
    children = _children.get(key)
    if children is None:
        children = (
            metrics.HTTP_REQUESTS.labels(SERVICE, method, endpoint, str(status)),
            metrics.HTTP_LATENCY.labels(SERVICE, method, endpoint),
        )
        if len(_children) < 5000:
            _children[key] = children
    children[0].inc()
    children[1].observe(elapsed)


def build_middleware(access_log: bool, log_format: str = "json", max_body_bytes: int = 1 << 20):
    writer = AccessLog(log_format)

    @web.middleware
    async def gateway_middleware(request: web.Request, handler):
        started = time.perf_counter()
        request_id = safe_id(request.headers.get("X-Request-ID")) or new_id()
        request[REQUEST_ID_KEY] = request_id
        correlation_id = safe_id(request.headers.get("X-Correlation-ID")) or request_id
        try:
            if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
                response = preflight(request)
            else:
                if request.match_info.handler is not proxy:
                    # The gateway's own operations: a body declared over the cap is refused
                    # before anything else (no authentication, rate limit budget or reading).
                    # Proxied bodies have per-route caps, checked in the proxy.
                    check_length(request, max_body_bytes)
                response = await handler(request)
        except ApiError as error:
            response = api_error_response(request, error)
            if error.status == 401:
                gw_metrics.AUTH_FAILURES.labels(error.code).inc()
                add_challenges(request, response, error.code, error.message)
        except web.HTTPException as error:
            response = _from_http_exception(request, error)
        except DATABASE_DOWN as error:
            log.warning("database_unavailable", error=str(error)[:300], request_id=request_id)
            response = error_response(
                request,
                503,
                "database_unavailable",
                "The gateway's database is unavailable; retry shortly.",
                headers={"Retry-After": "5"},
            )
        except asyncio.CancelledError:
            raise
        except ConnectionResetError:
            raise
        except Exception as error:
            set_trace(Trace(request_id=request_id, correlation_id=correlation_id))
            log.exception("unhandled_error", error_type=type(error).__name__, path=request.path)
            response = error_response(request, 500)
        if not response.prepared:
            decorate(request, response)
        elapsed = time.perf_counter() - started
        _observe(request.method, _endpoint(request), response.status, elapsed)
        if access_log and not request.path.startswith(("/health", "/metrics")):
            principal = request.get(PRINCIPAL_KEY)
            writer.write(
                method=request.method,
                path=request.path,
                status=response.status,
                ms=round(elapsed * 1000, 2),
                subject=principal.subject if principal is not None else None,
                request_id=request_id,
                correlation_id=correlation_id,
            )
        return response

    return gateway_middleware


def _from_http_exception(request: web.Request, error: web.HTTPException) -> web.StreamResponse:
    status = error.status
    if status < 400:
        return error  # redirects and the like pass through
    headers = {}
    message = None
    if status == 405 and isinstance(error, web.HTTPMethodNotAllowed):
        headers["Allow"] = ", ".join(sorted(error.allowed_methods))
    if status == 413:
        cap = request.app.get(BODY_CAP)
        message = "The request body is too large" + (f" (at most {cap} bytes)." if cap else ".")
    return error_response(request, status, message=message, headers=headers)
