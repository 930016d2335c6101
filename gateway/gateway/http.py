"""aiohttp helpers: the suite's error shape, JSON bodies and marshmallow validation.

Errors look exactly like servicekit's (``{"error": {"status", "code", "message", "details?",
"request_id"}}``) so a client cannot tell whether the gateway or a service answered.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import marshmallow as ma
from aiohttp import web

from servicekit.errors import _HTTP_CODES, ApiError, _summarise
from servicekit.jsonutil import dumps

REQUEST_ID_KEY = web.RequestKey("mms_request_id", str)
JSON_TYPE = "application/json"


def error_body(status: int, code: str, message: str, details: Any, request_id: str) -> bytes:
    body: dict[str, Any] = {"status": status, "code": code, "message": message}
    if details:
        body["details"] = details
    body["request_id"] = request_id
    return dumps({"error": body}).encode()


def error_response(
    request: web.Request | None,
    status: int,
    code: str | None = None,
    message: str | None = None,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    default_code, default_message = _HTTP_CODES.get(status, ("error", "Error"))
    request_id = request.get(REQUEST_ID_KEY, "") if request is not None else ""
    response = web.Response(
        body=error_body(
            status, code or default_code, message or default_message, details, request_id
        ),
        status=status,
        content_type=JSON_TYPE,
    )
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def api_error_response(request: web.Request, error: ApiError) -> web.Response:
    return error_response(
        request, error.status, error.code, error.message, error.details, error.headers
    )


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None):
    return web.Response(
        body=dumps(data).encode(), status=status, content_type=JSON_TYPE, headers=headers
    )


async def read_json(request: web.Request) -> Any:
    """The JSON body: 415 for another content type, 400 for invalid JSON."""
    if request.content_type != JSON_TYPE:
        raise ApiError(
            "Send the body as application/json.", status=415, code="unsupported_media_type"
        )
    raw = await request.read()
    if not raw:
        return {}
    try:
        return json.loads(raw, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(
            "The request body is not valid JSON.", status=400, code="invalid_json"
        ) from None


def validate(schema: ma.Schema, data: Any) -> dict[str, Any]:
    """Load ``data`` with ``schema``; 422 naming the invalid fields otherwise."""
    if not isinstance(data, dict):
        raise ApiError(
            "The body must be a JSON object.",
            status=422,
            code="validation_failed",
            details={"_schema": ["Expected a JSON object."]},
        )
    try:
        return schema.load(data)
    except ma.ValidationError as exc:
        raise ApiError(
            _summarise(exc.messages) or "The request has invalid fields.",
            status=422,
            code="validation_failed",
            details=exc.messages,
        ) from None


def query_args(request: web.Request, schema: ma.Schema, lists: tuple[str, ...] = ()) -> dict:
    """Query parameters loaded with ``schema`` (repeated names for the fields in ``lists``)."""
    data: dict[str, Any] = {}
    for key in request.query:
        if key in lists:
            data[key] = request.query.getall(key)
        else:
            values = request.query.getall(key)
            if len(values) > 1:
                raise ApiError(
                    f"Give '{key}' once.",
                    status=422,
                    code="validation_failed",
                    details={key: ["Given more than once."]},
                )
            data[key] = values[0]
    return validate(schema, data)
