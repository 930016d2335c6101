"""/api/v1/me, /users, /teams, /api-keys and /roles: the gateway's own records.

Users, teams and API keys are managed by signed-in admins. A user may read and rename
themselves and change their own password, never their roles, team or active flag (those fields
are unknown to the /me schemas, so sending them is a 422). Sales managers may list their team.
"""

from __future__ import annotations

import re

from aiohttp import web

from gateway import guard
from gateway.apikeys import new_api_key
from gateway.handlers.auth import account_key, count_failure, throttle_failures, token_pair
from gateway.http import json_response, query_args, read_json, validate
from gateway.passwords import password_problem
from gateway.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyListQuery,
    ApiKeyOut,
    MeOut,
    MePatch,
    PasswordChangeIn,
    PasswordResetIn,
    TeamIn,
    TeamOut,
    TeamPatch,
    UserCreate,
    UserListQuery,
    UserOut,
    UserPatch,
)
from gateway.scopes import ALL_SCOPES, ROLE_SCOPES
from servicekit.errors import ApiError, Forbidden, NotFound, PreconditionFailed
from servicekit.types import utcnow

_ETAG = re.compile(r'^\s*(?:W/)?"(\d{1,18})"\s*$')


def _user_response(user, status: int = 200, headers: dict | None = None) -> web.Response:
    out = {"ETag": f'"{user.version}"', **(headers or {})}
    return json_response(UserOut().dump(user.public()), status, out)


def _password_error(problem: str, field: str = "password") -> ApiError:
    return ApiError(
        f"Invalid fields: {field}.",
        status=422,
        code="validation_failed",
        details={field: [problem]},
    )


def _if_match(request: web.Request) -> int | None:
    header = request.headers.get("If-Match")
    if not header:
        return None
    match = _ETAG.match(header)
    if not match:
        raise PreconditionFailed('If-Match must be an ETag this API returned, such as "3".')
    return int(match.group(1))


# -- /me ------------------------------------------------------------------------------------


async def me(request: web.Request) -> web.Response:
    """Who am I: identity, roles, effective scopes, team (and my user record)."""
    rt = guard.runtime(request)
    principal = await guard.authenticate(request)
    user = await rt.run(rt.store.user, principal.id) if principal.kind == "user" else None
    return json_response(
        MeOut().dump(
            {
                "kind": principal.kind,
                "id": principal.id,
                "subject": principal.subject,
                "name": principal.name,
                "email": principal.email,
                "roles": sorted(principal.roles),
                "scopes": sorted(principal.scopes),
                "team": principal.team,
                "user": user.public() if user else None,
            }
        )
    )


async def patch_me(request: web.Request) -> web.Response:
    """Change my display name (roles, team and status are for admins)."""
    rt = guard.runtime(request)
    principal = await guard.authenticate(request)
    if principal.kind != "user":
        raise Forbidden("API keys have no profile to change.", code="users_only")
    body = validate(MePatch(), await read_json(request))
    user = await rt.run(rt.store.update_user, principal.id, body, _if_match(request))
    rt.auth.forget_user(principal.id)
    return _user_response(user)


async def change_my_password(request: web.Request) -> web.Response:
    """Change my password; every other session ends and a fresh token pair is returned."""
    rt = guard.runtime(request)
    principal = await guard.authenticate(request)
    if principal.kind != "user":
        raise Forbidden("API keys have no password.", code="users_only")
    body = validate(PasswordChangeIn(), await read_json(request))
    email = principal.email or ""
    await throttle_failures(rt, request, email)
    problem = password_problem(body["new_password"], email=email)
    if problem:
        raise _password_error(problem, "new_password")

    def change():
        user = rt.store.user(principal.id)
        if user is None or not rt.passwords.verify(user.password_hash, body["current_password"]):
            return None
        rt.store.set_password(user.id, rt.passwords.hash(body["new_password"]), end_sessions=True)
        return token_pair(rt, rt.store.user(user.id))[0]

    result = await rt.run(change)
    if result is None:
        await count_failure(rt, request, email)
        raise ApiError(
            "The current password is wrong.",
            status=422,
            code="validation_failed",
            details={"current_password": ["Wrong password."]},
        )
    await rt.limit_call(rt.limiter.reset, account_key(email))
    rt.auth.forget_user(principal.id)
    return json_response(result)


# -- /users ---------------------------------------------------------------------------------


async def list_users(request: web.Request) -> web.Response:
    """Users (admins: everyone; sales managers: their own team)."""
    rt = guard.runtime(request)
    principal = await guard.authenticate(request)
    query = query_args(request, UserListQuery())
    if not principal.is_admin:
        if principal.kind != "user" or "sales_manager" not in principal.roles:
            raise Forbidden("Only administrators and sales managers list users.", code="admin_only")
        if not principal.team:
            return json_response({"items": [], "next_cursor": None})
        query["team"] = principal.team
    limit, cursor = query.pop("limit"), query.pop("cursor")
    page = await rt.run(lambda: rt.store.list_users(limit=limit, cursor=cursor, **query))
    return json_response(
        {"items": [UserOut().dump(u.public()) for u in page.items], "next_cursor": page.next_cursor}
    )


async def create_user(request: web.Request) -> web.Response:
    """Create a user with roles and an optional team (admins)."""
    rt = guard.runtime(request)
    guard.require_admin(await guard.authenticate(request))
    body = validate(UserCreate(), await read_json(request))
    problem = password_problem(body["password"], email=body["email"])
    if problem:
        raise _password_error(problem)

    def create():
        return rt.store.create_user(
            email=body["email"],
            name=body["name"],
            password_hash=rt.passwords.hash(body["password"]),
            roles=body["roles"],
            team=body["team"],
            active=body["active"],
        )

    user = await rt.run(create)
    return _user_response(user, 201, {"Location": f"/api/v1/users/{user.id}"})


async def get_user(request: web.Request) -> web.Response:
    """One user (admins; yourself; a sales manager for their team's members)."""
    rt = guard.runtime(request)
    principal = await guard.authenticate(request)
    user = await rt.run(rt.store.user, request.match_info["user_id"].lower())
    if user is None or not (
        principal.is_admin
        or (principal.kind == "user" and principal.id == user.id)
        or (
            "sales_manager" in principal.roles
            and principal.team is not None
            and principal.team == user.team
        )
    ):
        raise NotFound(f"no user {request.match_info['user_id']}")
    return _user_response(user)


async def patch_user(request: web.Request) -> web.Response:
    """Change a user's name, roles, team or active flag (admins; If-Match optional)."""
    rt = guard.runtime(request)
    guard.require_admin(await guard.authenticate(request))
    body = validate(UserPatch(), await read_json(request))
    user_id = request.match_info["user_id"].lower()
    user = await rt.run(rt.store.update_user, user_id, body, _if_match(request))
    rt.auth.forget_user(user_id)
    return _user_response(user)


async def reset_password(request: web.Request) -> web.Response:
    """Set a user's password (admins); the user's sessions end."""
    rt = guard.runtime(request)
    guard.require_admin(await guard.authenticate(request))
    body = validate(PasswordResetIn(), await read_json(request))
    user_id = request.match_info["user_id"].lower()
    user = await rt.run(rt.store.user, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    problem = password_problem(body["password"], email=user.email)
    if problem:
        raise _password_error(problem)
    await rt.run(
        lambda: rt.store.set_password(
            user_id, rt.passwords.hash(body["password"]), end_sessions=True
        )
    )
    rt.auth.forget_user(user_id)
    return web.Response(status=204)


# -- /teams ---------------------------------------------------------------------------------


async def list_teams(request: web.Request) -> web.Response:
    """Teams with their member counts (any signed-in user)."""
    rt = guard.runtime(request)
    await guard.authenticate(request)
    teams = await rt.run(rt.store.teams)
    return json_response({"items": TeamOut(many=True).dump(teams), "next_cursor": None})


async def create_team(request: web.Request) -> web.Response:
    rt = guard.runtime(request)
    guard.require_admin(await guard.authenticate(request))
    body = validate(TeamIn(), await read_json(request))
    team = await rt.run(rt.store.create_team, body["name"], body["description"])
    return json_response(TeamOut().dump(team), 201, {"Location": f"/api/v1/teams/{team['name']}"})


async def get_team(request: web.Request) -> web.Response:
    rt = guard.runtime(request)
    await guard.authenticate(request)
    team = await rt.run(rt.store.team, request.match_info["name"])
    return json_response(TeamOut().dump(team))


async def patch_team(request: web.Request) -> web.Response:
    rt = guard.runtime(request)
    guard.require_admin(await guard.authenticate(request))
    body = validate(TeamPatch(), await read_json(request))
    team = await rt.run(rt.store.update_team, request.match_info["name"], body["description"])
    return json_response(TeamOut().dump(team))


async def delete_team(request: web.Request) -> web.Response:
    rt = guard.runtime(request)
    guard.require_admin(await guard.authenticate(request))
    await rt.run(rt.store.delete_team, request.match_info["name"])
    return web.Response(status=204)


# -- /api-keys ------------------------------------------------------------------------------


async def list_api_keys(request: web.Request) -> web.Response:
    rt = guard.runtime(request)
    guard.require_admin(await guard.authenticate(request))
    query = query_args(request, ApiKeyListQuery())
    page = await rt.run(
        lambda: rt.store.list_api_keys(
            limit=query["limit"], cursor=query["cursor"], include_revoked=query["include_revoked"]
        )
    )
    now = utcnow()
    return json_response(
        {
            "items": [ApiKeyOut().dump(k.public(now)) for k in page.items],
            "next_cursor": page.next_cursor,
        }
    )


async def create_api_key(request: web.Request) -> web.Response:
    """Create a scoped API key; the key itself is in this response only."""
    rt = guard.runtime(request)
    principal = await guard.authenticate(request)
    guard.require_admin(principal)
    body = validate(ApiKeyCreate(), await read_json(request))
    if body["expires_at"] is not None and body["expires_at"] <= utcnow():
        raise ApiError(
            "Invalid fields: expires_at.",
            status=422,
            code="validation_failed",
            details={"expires_at": ["Must be in the future."]},
        )
    plaintext, prefix, key_hash = new_api_key()
    record = await rt.run(
        lambda: rt.store.create_api_key(
            name=body["name"],
            description=body["description"],
            prefix=prefix,
            key_hash=key_hash,
            scopes=body["scopes"],
            created_by=principal.id,
            expires_at=body["expires_at"],
        )
    )
    return json_response(
        ApiKeyCreated().dump({**record.public(), "key": plaintext}),
        201,
        {"Location": f"/api/v1/api-keys/{record.id}"},
    )


async def get_api_key(request: web.Request) -> web.Response:
    rt = guard.runtime(request)
    guard.require_admin(await guard.authenticate(request))
    record = await rt.run(rt.store.api_key, request.match_info["key_id"].lower())
    return json_response(ApiKeyOut().dump(record.public()))


async def revoke_api_key(request: web.Request) -> web.Response:
    """Revoke a key: refused everywhere within the API-key cache time (10 s by default)."""
    rt = guard.runtime(request)
    guard.require_admin(await guard.authenticate(request))
    record = await rt.run(rt.store.revoke_api_key, request.match_info["key_id"].lower())
    rt.auth.forget_keys()
    return json_response(ApiKeyOut().dump(record.public()))


# -- /roles ---------------------------------------------------------------------------------


async def roles(request: web.Request) -> web.Response:
    """Roles and the scopes each grants; every scope an API key may carry."""
    await guard.authenticate(request)
    return json_response(
        {
            "roles": {role: sorted(scopes) for role, scopes in ROLE_SCOPES.items()},
            "scopes": list(ALL_SCOPES),
        }
    )
