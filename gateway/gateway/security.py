"""Response headers every answer carries: request id, security headers and CORS.

HSTS is sent only when the request arrived over TLS (directly, or per X-Forwarded-Proto behind a
trusted proxy): sending it over plain HTTP on a developer machine would pin the browser to HTTPS.
"""

from __future__ import annotations

from aiohttp import web

from gateway.http import REQUEST_ID_KEY

SETTINGS_KEY = "mms_security"
API_CSP = "default-src 'none'; frame-ancestors 'none'"
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
)
ALLOWED_HEADERS = (
    "Authorization, Content-Type, X-API-Key, If-Match, If-None-Match, Idempotency-Key, "
    "X-Request-ID, X-Correlation-ID, traceparent, tracestate"
)
EXPOSED_HEADERS = "ETag, Location, Retry-After, X-Request-ID, Content-Disposition"
ALLOWED_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"


class SecurityPolicy:
    def __init__(self, cors_origins, trust_forwarded: bool) -> None:
        self.any_origin = "*" in cors_origins
        self.origins = frozenset(o.rstrip("/") for o in cors_origins if o != "*")
        self.trust_forwarded = trust_forwarded

    def origin_allowed(self, origin: str | None) -> bool:
        return bool(origin) and (self.any_origin or origin in self.origins)

    def https(self, request: web.Request) -> bool:
        if request.secure:
            return True
        if self.trust_forwarded:
            return request.headers.get("X-Forwarded-Proto", "").lower() == "https"
        return False


def decorate(request: web.Request, response: web.StreamResponse) -> None:
    """Add the standard headers to a response that is not sent yet."""
    policy: SecurityPolicy = request.app[POLICY]
    headers = response.headers
    headers["X-Request-ID"] = request.get(REQUEST_ID_KEY, "")
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "no-referrer"
    headers["Server"] = "mms-gateway"
    if "Content-Security-Policy" not in headers:
        headers["Content-Security-Policy"] = API_CSP
    if "Cache-Control" not in headers:
        headers["Cache-Control"] = "no-store"
    if policy.https(request):
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    origin = request.headers.get("Origin")
    if policy.origin_allowed(origin):
        headers["Access-Control-Allow-Origin"] = origin
        headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        headers.add("Vary", "Origin")


def preflight(request: web.Request) -> web.Response:
    """Answer a CORS preflight (no authentication: browsers send none)."""
    policy: SecurityPolicy = request.app[POLICY]
    origin = request.headers.get("Origin")
    response = web.Response(status=204)
    if policy.origin_allowed(origin):
        response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = "600"
    return response


POLICY = web.AppKey("mms_security_policy", SecurityPolicy)
