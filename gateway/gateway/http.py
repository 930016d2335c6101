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
from aiohttp.web_urldispatcher import _default_expect_handler

from servicekit.errors import _HTTP_CODES, ApiError, _summarise
from servicekit.jsonutil import dumps

REQUEST_ID_KEY = web.RequestKey("mms_request_id", str)
# The documented cap on a request body (MMS_MAX_BODY_BYTES) for the gateway's own operations.
BODY_CAP = web.AppKey("mms_body_cap", int)
BODY_KEY = web.RequestKey("mms_body", bytes)
JSON_TYPE = "application/json"
READ_CHUNK = 64 * 1024


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


def too_large(cap: int) -> ApiError:
    return ApiError(
        f"The request body is too large (at most {cap} bytes).",
        status=413,
        code="payload_too_large",
    )


def check_length(request: web.Request, cap: int) -> None:
    """413 at once when the declared Content-Length is over ``cap`` (nothing is read)."""
    length = request.content_length
    if length is not None and length > cap:
        raise too_large(cap)


async def read_body(request: web.Request, cap: int | None = None) -> bytes:
    """The whole body, never more than ``cap`` bytes (the app's BODY_CAP by default): 413 at once
    when Content-Length is over it, and for a body without a length (chunked) as soon as one byte
    more than the cap has arrived. Read once; later calls get the same bytes."""
    cached = request.get(BODY_KEY)
    if cached is not None:
        return cached
    cap = request.app[BODY_CAP] if cap is None else cap
    check_length(request, cap)
    chunks, size = [], 0
    if request.body_exists:
        while True:
            chunk = await request.content.read(min(READ_CHUNK, cap + 1 - size))
            if not chunk:
                break
            size += len(chunk)
            if size > cap:
                raise too_large(cap)
            chunks.append(chunk)
    body = b"".join(chunks)
    request[BODY_KEY] = body
    return body


async def continue_within(request: web.Request, cap: int) -> None:
    """An ``Expect: 100-continue`` answer: no 100 Continue for a declared body over ``cap``, so
    the client never sends it and the handler answers 413 (RFC 9110 section 10.1.1)."""
    length = request.content_length
    if length is not None and length > cap:
        return None
    return await _default_expect_handler(request)


async def expect_within_cap(request: web.Request) -> None:
    """The expect handler of the gateway's own operations (cap: BODY_CAP)."""
    return await continue_within(request, request.app[BODY_CAP])


async def read_json(request: web.Request) -> Any:
    """The JSON body: 415 for another content type, 413 over the body cap (before anything is
    parsed), 400 for invalid JSON."""
    if request.content_type != JSON_TYPE:
        raise ApiError(
            "Send the body as application/json.", status=415, code="unsupported_media_type"
        )
    raw = await read_body(request)
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
