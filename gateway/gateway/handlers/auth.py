"""/api/v1/auth: sign in, refresh (rotating), sign out.

Failed sign-ins are throttled per account and per IP. The account bucket is keyed by a hash of
the email whether or not the account exists, and unknown accounts are checked against a dummy
password hash, so answers and timing do not reveal which accounts exist.
"""

from __future__ import annotations

import hashlib

from aiohttp import web

from gateway import guard, metrics
from gateway.http import json_response, read_body, read_json, validate
from gateway.schemas import LoginIn, LogoutIn, RefreshIn, UserOut
from gateway.store import User
from gateway.tokens import hash_token, new_refresh_token
from servicekit.errors import Unauthenticated

WRONG = "Email or password is wrong."


def account_key(email: str) -> str:
    return "loginfail:acct:" + hashlib.sha256(email.encode()).hexdigest()[:40]


def token_pair(rt, user: User, family_id: str | None = None) -> tuple[dict, str]:
    """Blocking: a new access token and refresh token (a new session unless ``family_id``)."""
    refresh, refresh_hash = new_refresh_token()
    family = rt.store.issue_refresh(user.id, refresh_hash, rt.settings.refresh_token_ttl, family_id)
    access, expires_in = rt.tokens.issue(user.id, family)
    return {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": expires_in,
        "refresh_token": refresh,
        "refresh_expires_in": rt.settings.refresh_token_ttl,
        "user": UserOut().dump(user.public()),
    }, family


async def throttle_failures(rt, request, email: str) -> None:
    """429 while the account or the IP has too many recent failures (nothing is counted)."""
    settings = rt.settings
    ip = guard.client_ip(request, settings.trust_forwarded)
    if not settings.rate_limits_enabled:
        return
    account, by_ip = await rt.limit_call(
        lambda: (
            rt.limiter.check(account_key(email), settings.login_failures_account),
            rt.limiter.check(f"loginfail:ip:{ip}", settings.login_failures_ip),
        )
    )
    for decision in (account, by_ip):
        if not decision.allowed:
            metrics.LOGINS.labels("throttled").inc()
            raise guard.too_many(
                "login_failures",
                decision.retry_after,
                "Too many failed sign-ins; wait before trying again.",
            )


async def count_failure(rt, request, email: str) -> None:
    settings = rt.settings
    ip = guard.client_ip(request, settings.trust_forwarded)
    await rt.hit(
        [
            (account_key(email), settings.login_failures_account),
            (f"loginfail:ip:{ip}", settings.login_failures_ip),
        ]
    )


async def login(request: web.Request) -> web.Response:
    """Sign in with email and password; returns an access token and a refresh token."""
    rt = guard.runtime(request)
    settings = rt.settings
    ip = guard.client_ip(request, settings.trust_forwarded)
    # A body over the cap is refused (413) before it costs any of the login budget: one with
    # a Content-Length over it never gets here, a chunked one is read up to the cap only.
    await read_body(request)
    refused = await rt.hit([(f"login:ip:{ip}", settings.rate_login_ip)])
    if refused is not None:
        raise guard.too_many("login", refused[1].retry_after)
    body = validate(LoginIn(), await read_json(request))
    email = body["email"].strip().lower()
    await throttle_failures(rt, request, email)

    def check():
        user = rt.store.user_by_email(email)
        usable = user is not None and user.active
        ok = rt.passwords.verify(user.password_hash if usable else None, body["password"])
        if not ok:
            return None
        new_hash = (
            rt.passwords.hash(body["password"])
            if rt.passwords.needs_rehash(user.password_hash)
            else None
        )
        rt.store.record_login(user.id, new_hash)
        return token_pair(rt, user)[0]

    result = await rt.run(check)
    if result is None:
        await count_failure(rt, request, email)
        metrics.LOGINS.labels("failed").inc()
        raise Unauthenticated(WRONG, code="invalid_credentials")
    if settings.rate_limits_enabled:
        await rt.limit_call(rt.limiter.reset, account_key(email))
    metrics.LOGINS.labels("ok").inc()
    return json_response(result)


async def refresh(request: web.Request) -> web.Response:
    """Trade a refresh token for a new pair; the old one is spent (reuse revokes the session)."""
    rt = guard.runtime(request)
    await guard.limit_anonymous(request)
    body = validate(RefreshIn(), await read_json(request))

    def rotate():
        new, new_hash = new_refresh_token()
        user, family = rt.store.rotate_refresh(
            hash_token(body["refresh_token"]), new_hash, rt.settings.refresh_token_ttl
        )
        access, expires_in = rt.tokens.issue(user.id, family)
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": expires_in,
            "refresh_token": new,
            "refresh_expires_in": rt.settings.refresh_token_ttl,
            "user": UserOut().dump(user.public()),
        }

    return json_response(await rt.run(rotate))


async def logout(request: web.Request) -> web.Response:
    """End a session (by its refresh token or the bearer's), or every session of the caller."""
    rt = guard.runtime(request)
    await guard.limit_anonymous(request)
    body = validate(LogoutIn(), await read_json(request)) if request.body_exists else {}
    if body.get("refresh_token") and not body.get("all_sessions"):
        found = await rt.run(rt.store.family_of, hash_token(body["refresh_token"]))
        if found is not None:
            family_id, user_id = found
            await rt.run(rt.store.revoke_family, family_id, user_id)
            rt.auth.forget_session(family_id)
        return web.Response(status=204)
    principal = await guard.authenticate(request)
    if principal.kind != "user":
        raise Unauthenticated("Sign out needs a user's bearer token or refresh token.")
    if body.get("all_sessions"):
        await rt.run(rt.store.revoke_user_sessions, principal.id)
        rt.auth.forget_user(principal.id)
    else:
        await rt.run(rt.store.revoke_family, principal.session_id, principal.id)
        rt.auth.forget_session(principal.session_id)
    return web.Response(status=204)
