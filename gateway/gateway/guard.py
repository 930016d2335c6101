"""The checks every request passes: who calls, may they, and are they within their limits."""

from __future__ import annotations

import math

from aiohttp import web

from gateway import metrics
from gateway.authn import Principal
from gateway.runtime import GatewayRuntime
from servicekit.errors import ApiError, Forbidden

RUNTIME = web.AppKey("mms_gateway_runtime", GatewayRuntime)
PRINCIPAL_KEY = web.RequestKey("mms_principal", Principal)


def runtime(request: web.Request) -> GatewayRuntime:
    return request.app[RUNTIME]


def client_ip(request: web.Request, trust_forwarded: bool) -> str:
    """The caller's address: the peer, or the first X-Forwarded-For hop behind a trusted proxy."""
    if trust_forwarded:
        forwarded = request.headers.get("X-Forwarded-For")
        if forwarded:
            return forwarded.split(",", 1)[0].strip()[:64] or "unknown"
    return request.remote or "unknown"


def too_many(limit: str, retry_after: float, message: str | None = None) -> ApiError:
    metrics.RATE_LIMITED.labels(limit).inc()
    seconds = max(1, math.ceil(retry_after))
    return ApiError(
        message or f"Too many requests; retry in {seconds} s.",
        status=429,
        code="rate_limited",
        details={"limit": limit, "retry_after": seconds},
        headers={"Retry-After": str(seconds)},
    )


async def authenticate(request: web.Request) -> Principal:
    """The caller (401 otherwise), rate-limited per identity and per IP (429)."""
    rt = runtime(request)
    principal = await rt.auth.authenticate(
        request.headers.get("Authorization"), request.headers.get("X-API-Key")
    )
    request[PRINCIPAL_KEY] = principal
    settings = rt.settings
    refused = await rt.hit(
        [
            (f"id:{principal.subject}", settings.rate_identity),
            (f"ip:{client_ip(request, settings.trust_forwarded)}", settings.rate_ip),
        ]
    )
    if refused is not None:
        key, decision = refused
        raise too_many("identity" if key.startswith("id:") else "ip", decision.retry_after)
    return principal


async def limit_anonymous(request: web.Request) -> None:
    """Per-IP limit for requests without a caller (public links, docs)."""
    rt = runtime(request)
    refused = await rt.hit(
        [(f"ip:{client_ip(request, rt.settings.trust_forwarded)}", rt.settings.rate_ip)]
    )
    if refused is not None:
        raise too_many("ip", refused[1].retry_after)


def require_scope(principal: Principal, scope: str) -> None:
    if not principal.has_scope(scope):
        raise Forbidden(f"This needs the '{scope}' permission.", code="missing_permission")


def require_admin(principal: Principal) -> None:
    """Managing users, teams and API keys is for signed-in admins (not API keys)."""
    if not principal.is_admin:
        raise Forbidden("Only an administrator may do this.", code="admin_only")
