"""One JSON error shape for every failure, with a stable machine code.

    {"error": {"status": 422, "code": "validation_failed", "message": "...",
               "details": {"email": ["Not a valid email address."]}, "request_id": "..."}}

Use cases raise :class:`ApiError` subclasses (or domain exceptions mapped through ``error_map``
in :func:`servicekit.app.create_app`); everything else becomes a 500 that leaks nothing.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import exc as orm_exc
from werkzeug.exceptions import HTTPException

from servicekit.context import current_trace
from servicekit.logging import get_logger

log = get_logger(__name__)

_HTTP_CODES = {
    400: ("bad_request", "The request could not be understood."),
    401: ("unauthenticated", "Authentication is required."),
    403: ("forbidden", "You are not allowed to do this."),
    404: ("not_found", "No such resource."),
    405: ("method_not_allowed", "This method is not allowed on this resource."),
    409: ("conflict", "The request conflicts with the current state."),
    412: ("precondition_failed", "The resource changed since you read it (If-Match)."),
    413: ("payload_too_large", "The request body is too large."),
    415: ("unsupported_media_type", "Send the body as application/json."),
    422: ("validation_failed", "The request has invalid fields."),
    428: ("precondition_required", "Send If-Match with the ETag you read to change this."),
    429: ("rate_limited", "Too many requests; slow down."),
    500: ("internal_error", "An unexpected error occurred."),
    502: ("bad_gateway", "An upstream service answered badly."),
    503: ("service_unavailable", "The service is temporarily unavailable."),
    504: ("gateway_timeout", "An upstream service did not answer in time."),
}


class ApiError(Exception):
    """An error with an HTTP status, a stable code, a message and optional field details."""

    status = 400
    code = "bad_request"
    message = "The request could not be understood."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message
        self.code = code or self.code
        self.status = status or self.status
        self.details = details
        self.headers = headers or {}


class BadRequest(ApiError):
    status, code = 400, "bad_request"


class Unauthenticated(ApiError):
    status, code, message = 401, "unauthenticated", "Authentication is required."


class Forbidden(ApiError):
    status, code, message = 403, "forbidden", "You are not allowed to do this."


class NotFound(ApiError):
    status, code, message = 404, "not_found", "No such resource."


class Conflict(ApiError):
    status, code, message = 409, "conflict", "The request conflicts with the current state."


class PreconditionFailed(ApiError):
    status, code = 412, "precondition_failed"
    message = "The resource changed since you read it; fetch it again and retry with its ETag."


class PreconditionRequired(ApiError):
    status, code = 428, "precondition_required"
    message = "Send If-Match with the ETag you read to change this resource."


class ValidationFailed(ApiError):
    status, code, message = 422, "validation_failed", "The request has invalid fields."


class ServiceUnavailable(ApiError):
    status, code = 503, "service_unavailable"
    message = "The service is temporarily unavailable; retry shortly."


def error_body(status: int, code: str, message: str, details: Any = None) -> dict:
    body = {"status": status, "code": code, "message": message}
    if details:
        body["details"] = details
    body["request_id"] = current_trace().request_id
    return {"error": body}


def error_response(status: int, code: str, message: str, details: Any = None, headers=None):
    response = jsonify(error_body(status, code, message, details))
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _flatten_webargs(messages: Any) -> Any:
    """webargs nests messages by location; a single location is flattened away."""
    if isinstance(messages, dict) and len(messages) == 1:
        ((location, inner),) = messages.items()
        if location in {"json", "query", "form", "headers", "files", "path", "view_args"}:
            return inner
    return messages


def _from_http_exception(error: HTTPException):
    status = error.code or 500
    code, default_message = _HTTP_CODES.get(status, ("error", error.description or "Error"))
    data = getattr(error, "data", None) or {}
    details = None
    message = data.get("message") or default_message
    headers = dict(data.get("headers") or {})
    messages = data.get("messages") or data.get("errors")
    if messages is not None:
        details = _flatten_webargs(messages)
        if status == 400 and details == ["Invalid JSON body."]:
            code, message, details = "invalid_json", "The request body is not valid JSON.", None
        elif status == 422:
            message = _summarise(details) or default_message
    valid_methods = getattr(error, "valid_methods", None)
    if status == 405 and valid_methods:
        headers["Allow"] = ", ".join(sorted(valid_methods))
    if status == 413:
        message = "The request body is too large."
    return error_response(status, code, message, details, headers)


def _summarise(details: Any) -> str | None:
    """A human sentence naming the offending fields, e.g. 'Invalid fields: email, phones.0'."""
    if not isinstance(details, dict) or not details:
        return None
    names = []

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, dict):
            for key, child in node.items():
                walk(f"{prefix}.{key}" if prefix else str(key), child)
        else:
            names.append(prefix)

    walk("", details)
    shown = ", ".join(names[:8]) + (" …" if len(names) > 8 else "")
    return f"Invalid fields: {shown}."


def register_error_handlers(app: Flask, error_map: dict[type[Exception], tuple] | None = None):
    """Install handlers turning every exception into the standard error shape.

    ``error_map`` maps domain exception types to ``(status, code)``; their ``str()`` is the
    message and an optional ``details`` attribute becomes the details.
    """
    mapping = dict(error_map or {})

    @app.errorhandler(ApiError)
    def _api_error(error: ApiError):
        return error_response(error.status, error.code, error.message, error.details, error.headers)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        return _from_http_exception(error)

    @app.errorhandler(orm_exc.StaleDataError)
    def _stale(_error):
        return error_response(
            409,
            "concurrent_modification",
            "Someone else changed this resource at the same time; fetch it again and retry.",
        )

    @app.errorhandler(sa_exc.IntegrityError)
    def _integrity(error):
        # Two requests racing to create the same unique thing: the loser gets a clear 409, not a
        # 500. Use cases check uniqueness first; this is the net under that check.
        log.info("integrity_conflict", error=str(error.orig or error)[:300])
        return error_response(
            409,
            "conflict",
            "This conflicts with an existing record (a value that must be unique is taken, or a "
            "referenced record is gone); fetch the current state and retry.",
        )

    @app.errorhandler(sa_exc.OperationalError)
    @app.errorhandler(sa_exc.InterfaceError)
    def _db_down(error):
        log.warning("database_unavailable", error=str(error.orig or error)[:300])
        return error_response(
            503,
            "database_unavailable",
            "The service's database is unavailable; retry shortly.",
            headers={"Retry-After": "5"},
        )

    for exc_type, (status, code) in mapping.items():
        app.register_error_handler(exc_type, _mapped(status, code))

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
            return _db_down(error)
        log.exception("unhandled_error", error_type=type(error).__name__)
        status, (code, message) = 500, _HTTP_CODES[500]
        return error_response(status, code, message)


def _mapped(status: int, code: str):
    def handler(error: Exception):
        return error_response(status, code, str(error), getattr(error, "details", None))

    return handler
