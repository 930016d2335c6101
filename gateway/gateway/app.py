"""The gateway's aiohttp application: its own operations, docs, health and the catch-all proxy.

gunicorn runs ``gateway.app:make_app`` with ``aiohttp.GunicornWebWorker``; the app (database
engines, thread pools, the upstream connection pool) is built in each worker after the fork.
"""

from __future__ import annotations

from aiohttp import web

from gateway import schemas as s
from gateway.docs import Docs
from gateway.guard import RUNTIME
from gateway.handlers import auth, customer360, users
from gateway.http import BODY_CAP, expect_within_cap, json_response
from gateway.middleware import build_middleware
from gateway.openapi import Operation, SpecCache, gateway_spec
from gateway.proxy import expect_continue, proxy
from gateway.runtime import GatewayRuntime
from gateway.security import POLICY, SecurityPolicy
from gateway.settings import GatewaySettings
from gateway.webhooks.api import ROUTES as WEBHOOK_ROUTES
from servicekit import metrics
from servicekit.logging import configure_logging

UUID = "{%s:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}}"
TEAM = "{name:[A-Za-z0-9][A-Za-z0-9 _.%-]{0,180}}"
V1 = "/api/v1"

# (method, route path, handler, documentation)
OWN_ROUTES = [
    (
        "POST",
        "/auth/login",
        auth.login,
        Operation(
            "post",
            "/api/v1/auth/login",
            "Sign in with email and password",
            "auth",
            request=s.LoginIn,
            response=s.TokenPairOut,
            public=True,
            errors=(401, 429),
        ),
    ),
    (
        "POST",
        "/auth/refresh",
        auth.refresh,
        Operation(
            "post",
            "/api/v1/auth/refresh",
            "Rotate a refresh token for a new token pair",
            "auth",
            request=s.RefreshIn,
            response=s.TokenPairOut,
            public=True,
            errors=(401,),
            description="Each refresh token works once; presenting a spent one revokes the "
            "whole session (token family).",
        ),
    ),
    (
        "POST",
        "/auth/logout",
        auth.logout,
        Operation(
            "post",
            "/api/v1/auth/logout",
            "Sign out (one session or all)",
            "auth",
            request=s.LogoutIn,
            status=204,
            public=True,
            description="With refresh_token: ends that session. With a bearer token: ends "
            "the bearer's session, or every session with all_sessions=true.",
        ),
    ),
    ("GET", "/me", users.me, Operation("get", "/api/v1/me", "Who am I", "me", response=s.MeOut)),
    (
        "PATCH",
        "/me",
        users.patch_me,
        Operation(
            "patch",
            "/api/v1/me",
            "Change my display name",
            "me",
            request=s.MePatch,
            response=s.UserOut,
        ),
    ),
    (
        "POST",
        "/me/password",
        users.change_my_password,
        Operation(
            "post",
            "/api/v1/me/password",
            "Change my password",
            "me",
            request=s.PasswordChangeIn,
            response=s.TokenPairOut,
        ),
    ),
    (
        "GET",
        "/users",
        users.list_users,
        Operation(
            "get",
            "/api/v1/users",
            "List users",
            "users",
            query=s.UserListQuery,
            response=s.UserPage,
        ),
    ),
    (
        "POST",
        "/users",
        users.create_user,
        Operation(
            "post",
            "/api/v1/users",
            "Create a user (admins)",
            "users",
            request=s.UserCreate,
            response=s.UserOut,
            status=201,
            errors=(409,),
        ),
    ),
    (
        "GET",
        f"/users/{UUID % 'user_id'}",
        users.get_user,
        Operation(
            "get",
            "/api/v1/users/{user_id}",
            "One user",
            "users",
            response=s.UserOut,
            path_params=("user_id",),
            errors=(404,),
        ),
    ),
    (
        "PATCH",
        f"/users/{UUID % 'user_id'}",
        users.patch_user,
        Operation(
            "patch",
            "/api/v1/users/{user_id}",
            "Change roles, team, name or status (admins)",
            "users",
            request=s.UserPatch,
            response=s.UserOut,
            path_params=("user_id",),
            errors=(404, 409, 412),
        ),
    ),
    (
        "POST",
        f"/users/{UUID % 'user_id'}/password",
        users.reset_password,
        Operation(
            "post",
            "/api/v1/users/{user_id}/password",
            "Set a user's password (admins)",
            "users",
            request=s.PasswordResetIn,
            status=204,
            path_params=("user_id",),
            errors=(404,),
        ),
    ),
    ("GET", "/teams", users.list_teams, Operation("get", "/api/v1/teams", "List teams", "teams")),
    (
        "POST",
        "/teams",
        users.create_team,
        Operation(
            "post",
            "/api/v1/teams",
            "Create a team (admins)",
            "teams",
            request=s.TeamIn,
            response=s.TeamOut,
            status=201,
            errors=(409,),
        ),
    ),
    (
        "GET",
        f"/teams/{TEAM}",
        users.get_team,
        Operation(
            "get",
            "/api/v1/teams/{name}",
            "One team",
            "teams",
            response=s.TeamOut,
            path_params=("name",),
            errors=(404,),
        ),
    ),
    (
        "PATCH",
        f"/teams/{TEAM}",
        users.patch_team,
        Operation(
            "patch",
            "/api/v1/teams/{name}",
            "Change a team's description (admins)",
            "teams",
            request=s.TeamPatch,
            response=s.TeamOut,
            path_params=("name",),
            errors=(404,),
        ),
    ),
    (
        "DELETE",
        f"/teams/{TEAM}",
        users.delete_team,
        Operation(
            "delete",
            "/api/v1/teams/{name}",
            "Delete an empty team (admins)",
            "teams",
            status=204,
            path_params=("name",),
            errors=(404, 409),
        ),
    ),
    (
        "GET",
        "/api-keys",
        users.list_api_keys,
        Operation(
            "get",
            "/api/v1/api-keys",
            "List API keys (admins)",
            "api-keys",
            query=s.ApiKeyListQuery,
            response=s.ApiKeyPage,
        ),
    ),
    (
        "POST",
        "/api-keys",
        users.create_api_key,
        Operation(
            "post",
            "/api/v1/api-keys",
            "Create an API key (admins; shown once)",
            "api-keys",
            request=s.ApiKeyCreate,
            response=s.ApiKeyCreated,
            status=201,
        ),
    ),
    (
        "GET",
        f"/api-keys/{UUID % 'key_id'}",
        users.get_api_key,
        Operation(
            "get",
            "/api/v1/api-keys/{key_id}",
            "One API key (admins)",
            "api-keys",
            response=s.ApiKeyOut,
            path_params=("key_id",),
            errors=(404,),
        ),
    ),
    (
        "POST",
        f"/api-keys/{UUID % 'key_id'}/revoke",
        users.revoke_api_key,
        Operation(
            "post",
            "/api/v1/api-keys/{key_id}/revoke",
            "Revoke an API key (admins)",
            "api-keys",
            response=s.ApiKeyOut,
            path_params=("key_id",),
            errors=(404,),
        ),
    ),
    (
        "GET",
        "/roles",
        users.roles,
        Operation(
            "get", "/api/v1/roles", "Roles and the scopes they grant", "roles", response=s.RolesOut
        ),
    ),
    (
        "GET",
        f"/customers/{UUID % 'customer_id'}/360",
        customer360.customer_360,
        Operation(
            "get",
            "/api/v1/customers/{customer_id}/360",
            "Customer 360: profile, open opportunities, recent orders, open tickets, "
            "campaign touches and scores",
            "customers (360)",
            response=s.Customer360Out,
            path_params=("customer_id",),
            errors=(404,),
            description="Fetched in parallel with your identity. Sections you may not see, "
            "whose service is down or whose service answers with the wrong shape are null and "
            "listed in 'missing'; the rest is returned.",
        ),
    ),
]


OWN_ROUTES += WEBHOOK_ROUTES


def build_spec() -> dict:
    return gateway_spec([op for *_, op in OWN_ROUTES])


def create_app(settings: GatewaySettings | None = None, rt: GatewayRuntime | None = None):
    """The aiohttp application of one gateway process."""
    settings = settings or (rt.settings if rt else GatewaySettings.load())
    configure_logging(settings.log_level, settings.log_format, "gateway")
    rt = rt or GatewayRuntime(settings)
    # The gateway's own operations take at most max_body_bytes (the documented 1 MiB): the
    # middleware refuses a larger Content-Length before anything is read, read_body stops a
    # chunked body one byte past it, and aiohttp's own request.read() is held to the same cap.
    # Proxied bodies are capped per route in the proxy (uploads: max_upload_bytes, streamed).
    app = web.Application(
        middlewares=[
            build_middleware(settings.access_log, settings.log_format, settings.max_body_bytes)
        ],
        client_max_size=settings.max_body_bytes,
        handler_args={"max_field_size": 16384},
    )
    app[RUNTIME] = rt
    app[BODY_CAP] = settings.max_body_bytes
    app[POLICY] = SecurityPolicy(settings.cors_origins, settings.trust_forwarded)
    rt.openapi = SpecCache(rt, build_spec(), refresh=settings.openapi_refresh)
    docs = Docs()

    for method, path, handler, _doc in OWN_ROUTES:
        app.router.add_route(method, V1 + path, handler, expect_handler=expect_within_cap)

    async def openapi_json(_request):
        return json_response(await rt.openapi.document())

    async def live(_request):
        return json_response({"status": "live", "service": "gateway"})

    async def ready(_request):
        checks = {}
        healthy = True
        for name, db in (("database", rt.db), ("rate_limits", rt.ratelimit_db)):
            try:
                await rt.run(db.ping)
                checks[name] = {"status": "ok", "critical": True}
            except Exception as exc:  # a failing probe is what readiness reports
                healthy = False
                checks[name] = {
                    "status": "failing",
                    "critical": True,
                    "problem": f"{type(exc).__name__}: {str(exc)[:200]}",
                }
        for service, breaker in rt.upstreams.breakers.items():
            checks[f"upstream:{service}"] = {"status": breaker.state, "critical": False}
        body = {
            "status": "ready" if healthy else "not_ready",
            "service": "gateway",
            "checks": checks,
        }
        return json_response(body, 200 if healthy else 503)

    async def prometheus(_request):
        payload, content_type = metrics.render()
        response = web.Response(body=payload)
        response.headers["Content-Type"] = content_type
        return response

    app.router.add_get(V1 + "/openapi.json", openapi_json)
    app.router.add_get(V1 + "/docs", docs.page)
    app.router.add_get(V1 + "/docs/assets/{name}", docs.asset)
    app.router.add_get("/health/live", live)
    app.router.add_get("/health/ready", ready)
    app.router.add_get("/metrics", prometheus)
    app.router.add_route("*", "/{tail:.*}", proxy, expect_handler=expect_continue)

    async def on_startup(_app):
        await rt.start()

    async def on_cleanup(_app):
        await rt.close()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app


async def make_app() -> web.Application:
    """gunicorn entry point (``gateway.app:make_app``), called in each worker."""
    return create_app()
