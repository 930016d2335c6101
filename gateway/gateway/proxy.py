"""Forwarding one request to its service, with the signed identity, and streaming the answer.

Client-supplied identity headers (``X-MMS-*`` and friends), credentials (``Authorization``,
``X-API-Key``, cookies) and hop-by-hop headers never reach a service. Request ids, the
correlation id and a W3C ``traceparent`` (a child span of the caller's) always do.
"""

from __future__ import annotations

import re

from aiohttp import web
from multidict import CIMultiDict

from gateway import guard
from gateway.http import REQUEST_ID_KEY, check_length, continue_within, read_body
from gateway.http1 import ReadTimeout, UpstreamError
from gateway.ids import child_traceparent
from gateway.routing import UPLOAD_SEGMENTS, resolve
from gateway.scopes import required_scope
from gateway.security import decorate
from servicekit.context import safe_id, valid_traceparent
from servicekit.errors import ApiError, NotFound
from servicekit.identity import IDENTITY_HEADER
from servicekit.logging import get_logger

log = get_logger("gateway.proxy")

STRIP_REQUEST = frozenset(
    {
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "authorization",
        "x-api-key",
        "cookie",
        "forwarded",
        "x-forwarded-for",
        "x-forwarded-host",
        "x-forwarded-proto",
        "x-real-ip",
        "x-request-id",
        "x-correlation-id",
        "traceparent",
        "expect",
        "x-user",
        "x-user-id",
        "x-remote-user",
        "remote-user",
        "x-forwarded-user",
        "x-auth-user",
        "x-auth-request-user",
        "x-identity",
        "x-roles",
        "x-scopes",
    }
)
STRIP_RESPONSE = frozenset(
    {
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "proxy-authenticate",
        "content-length",
        "server",
        "date",
        "set-cookie",
    }
)
FORWARDED_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
BUFFER_LIMIT = 256 * 1024
CHUNK = 64 * 1024
_LIMIT_PARAM = re.compile(r"(?:^|&)limit=([^&]*)")


def forward_headers(
    request: web.Request, identity: str | None, request_id: str, trust_forwarded: bool = False
) -> dict:
    """The headers a service receives for ``request``."""
    out: dict[str, str] = {}
    for name, value in request.headers.items():
        lower = name.lower()
        if lower in STRIP_REQUEST or lower.startswith(("x-mms-", "proxy-")):
            continue
        out[name] = value
    if identity is not None:
        out[IDENTITY_HEADER] = identity
    out["X-Request-ID"] = request_id
    out["X-Correlation-ID"] = safe_id(request.headers.get("X-Correlation-ID")) or request_id
    out["traceparent"] = child_traceparent(valid_traceparent(request.headers.get("traceparent")))
    peer = request.remote or "unknown"
    chain = request.headers.get("X-Forwarded-For") if trust_forwarded else None
    out["X-Forwarded-For"] = f"{chain}, {peer}" if chain else peer
    out["X-Forwarded-Proto"] = request.scheme
    if request.host:
        out["X-Forwarded-Host"] = request.host
    return out


def check_path(path: str) -> None:
    """Refuse dot segments: a path must mean the same thing to the gateway and the service."""
    if "/." in path:
        for segment in path.split("/"):
            if segment in (".", ".."):
                raise ApiError(
                    "Path segments '.' and '..' are not allowed.",
                    status=400,
                    code="bad_request",
                )


def check_page_size(query_string: str, maximum: int) -> None:
    if "limit=" not in query_string:
        return
    for raw in _LIMIT_PARAM.findall(query_string):
        try:
            value = int(raw)
        except ValueError:
            continue  # the service names the problem
        if value > maximum or value < 1:
            raise ApiError(
                f"Invalid fields: limit (page sizes are 1 to {maximum}).",
                status=422,
                code="validation_failed",
                details={"limit": [f"Must be between 1 and {maximum}."]},
            )


def body_cap(settings, route, method: str) -> int:
    """The most a request to ``route`` may send: the upload cap for uploads, else the body cap."""
    if route is not None and route.segment in UPLOAD_SEGMENTS and method == "POST":
        return settings.max_upload_bytes
    return settings.max_body_bytes


async def expect_continue(request: web.Request) -> None:
    """``Expect: 100-continue`` on a proxied path: no 100 Continue for a body over its cap."""
    settings = guard.runtime(request).settings
    return await continue_within(request, body_cap(settings, resolve(request.path), request.method))


async def request_body(request: web.Request, cap: int):
    """The body to forward: bytes when small, a stream when large; 413 above ``cap`` (at once
    for a Content-Length over it, after at most ``cap`` + 1 bytes of a chunked body)."""
    if not request.body_exists:
        return None
    check_length(request, cap)
    length = request.content_length
    if length is not None and length > BUFFER_LIMIT:
        return request.content.iter_chunked(CHUNK)
    # Small, or chunked without a length: read it, but never more than the cap.
    return await read_body(request, cap)


async def proxy(request: web.Request) -> web.StreamResponse:
    """The catch-all handler: route, authenticate, authorise, limit, forward, stream back."""
    rt = guard.runtime(request)
    settings = rt.settings
    path = request.path
    route = resolve(path)
    if route is None:
        raise NotFound("No such resource.")
    check_path(path)
    if request.method not in FORWARDED_METHODS:
        raise ApiError(
            f"{request.method} is not allowed here.",
            status=405,
            code="method_not_allowed",
            headers={"Allow": ", ".join(sorted(FORWARDED_METHODS))},
        )
    if route.public:
        await guard.limit_anonymous(request)
        identity = None
    else:
        principal = await guard.authenticate(request)
        guard.require_scope(principal, required_scope(request.method, route.segment, route.rest))
        identity = rt.minter.token(principal)
        if request.method == "GET":
            check_page_size(request.query_string, settings.max_page_size)
    body = await request_body(request, body_cap(settings, route, request.method))
    request_id = request[REQUEST_ID_KEY]
    headers = forward_headers(request, identity, request_id, settings.trust_forwarded)
    upstream = await rt.upstreams.request(
        route.service,
        request.method,
        request.raw_path,
        headers,
        body,
        content_length=request.content_length,
    )
    try:
        # A multidict: repeated headers (Link, Vary, WWW-Authenticate) all pass through.
        out_headers = CIMultiDict(
            (k, v) for k, v in upstream.headers.items() if k.lower() not in STRIP_RESPONSE
        )
        length = upstream.content_length
        if length is not None and length <= BUFFER_LIMIT:
            try:
                payload = await upstream.read()
            except UpstreamError as exc:
                timeout = isinstance(exc, ReadTimeout)
                raise ApiError(
                    f"The {route.service} service "
                    + (
                        "did not finish its answer in time." if timeout else "broke off its answer."
                    ),
                    status=504 if timeout else 502,
                    code="gateway_timeout" if timeout else "bad_gateway",
                    details={"service": route.service},
                ) from None
            response = web.Response(body=payload, status=upstream.status, headers=out_headers)
            return response
        response = web.StreamResponse(status=upstream.status, headers=out_headers)
        if length is not None:
            response.content_length = length
        decorate(request, response)
        await response.prepare(request)
        try:
            async for chunk in upstream.iter_chunked(CHUNK):
                await response.write(chunk)
        except UpstreamError as exc:
            # Headers are out already: all that is left is to cut the stream short, so the
            # client sees an incomplete body rather than a silently truncated file.
            log.warning("upstream_stream_broken", service=route.service, error=str(exc))
            if request.transport is not None:
                request.transport.abort()
            return response
        await response.write_eof()
        return response
    finally:
        upstream.release()
