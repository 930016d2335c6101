"""Response headers every answer carries: request id, security headers and CORS, and on a 401
the ``WWW-Authenticate`` challenges naming how to authenticate.

HSTS is sent only when the request arrived over TLS (directly, or per X-Forwarded-Proto behind a
trusted proxy): sending it over plain HTTP on a developer machine would pin the browser to HTTPS.

Every 401 names both schemes the gateway accepts (RFC 9110 section 11.6.1), one challenge per
field line: ``Bearer realm="mms"`` (RFC 6750: with ``error="invalid_token"`` and a description
when a bearer token was sent and refused, ``error="invalid_request"`` when the request is
malformed, no error code when no bearer token was sent) and ``ApiKey realm="mms",
header="X-API-Key"``.
"""

from __future__ import annotations

import re

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
EXPOSED_HEADERS = "ETag, Location, Retry-After, X-Request-ID, Content-Disposition, WWW-Authenticate"
REALM = "mms"
API_KEY_HEADER = "X-API-Key"
API_KEY_CHALLENGE = f'ApiKey realm="{REALM}", header="{API_KEY_HEADER}"'
# 401 codes that are not about an access token (a password, a refresh token, an API key).
NOT_ABOUT_A_BEARER_TOKEN = frozenset(
    {"invalid_credentials", "invalid_refresh_token", "refresh_token_expired", "invalid_api_key"}
)
# RFC 6750 section 3: error_description is %x20-21 / %x23-5B / %x5D-7E (no quote, no backslash).
_NOT_DESCRIPTION = re.compile(r"[^\x20-\x21\x23-\x5b\x5d-\x7e]")
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
    if response.status == 401:
        add_challenges(request, response)
    if policy.https(request):
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    origin = request.headers.get("Origin")
    if policy.origin_allowed(origin):
        headers["Access-Control-Allow-Origin"] = origin
        headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        headers.add("Vary", "Origin")


def _bearer_error(request: web.Request, code: str) -> str | None:
    if code == "ambiguous_auth":
        return "invalid_request"  # a bearer token and an API key at once
    if code in NOT_ABOUT_A_BEARER_TOKEN:
        return None
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return None  # no bearer token sent (none, or another scheme): no error code
    return "invalid_token" if token.strip() else "invalid_request"


def challenges(request: web.Request, code: str | None = None, message: str = "") -> list[str]:
    """The ``WWW-Authenticate`` challenges of a 401. ``code``/``message`` are the gateway's
    error when it refused the credentials itself; without them (a service's 401 passed on) the
    schemes are named without an error code."""
    bearer = f'Bearer realm="{REALM}"'
    error = _bearer_error(request, code) if code is not None else None
    if error is not None:
        bearer += f', error="{error}"'
        description = _NOT_DESCRIPTION.sub("", message.replace('"', "'"))[:200].strip()
        if description:
            bearer += f', error_description="{description}"'
    return [bearer, API_KEY_CHALLENGE]


def add_challenges(
    request: web.Request, response: web.StreamResponse, code: str | None = None, message: str = ""
) -> None:
    """Name the schemes on a 401 that does not already (one challenge per field line)."""
    if response.status != 401 or "WWW-Authenticate" in response.headers:
        return
    for challenge in challenges(request, code, message):
        response.headers.add("WWW-Authenticate", challenge)


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
