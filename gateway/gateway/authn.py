"""Who is calling: bearer JWTs and API keys turned into principals, cached for the hot path.

- A JWT is verified once and its claims cached for the token's life; the principal behind it
  (active flag, roles, team, session not revoked) is revalidated from the database at most every
  ``principal_cache_seconds`` (30 s by default), so deactivation, role changes and logout reach
  every gateway process within that time.
- An API key's principal is cached for ``api_key_cache_seconds`` (10 s): revocation takes effect
  within that time. Its last-used time is written at most once a minute.
- The signed internal identity for a principal is minted once and reused for most of its life.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime

from gateway.apikeys import looks_like_key
from gateway.scopes import has_scope, scopes_for_roles
from gateway.settings import GatewaySettings
from gateway.store import Store
from gateway.tokens import AccessTokens, hash_token
from servicekit.errors import Unauthenticated
from servicekit.identity import IdentitySigner


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller as the gateway forwards it."""

    kind: str  # "user" | "api_key"
    id: str
    roles: frozenset[str]
    scopes: frozenset[str]
    team: str | None = None
    name: str | None = None
    email: str | None = None
    session_id: str | None = None

    @property
    def subject(self) -> str:
        return f"{'user' if self.kind == 'user' else 'key'}:{self.id}"

    @property
    def is_admin(self) -> bool:
        return self.kind == "user" and "admin" in self.roles

    def has_scope(self, scope: str) -> bool:
        return has_scope(self.scopes, scope)


class TtlCache:
    """A small LRU whose entries expire at a given time (monotonic clock)."""

    def __init__(self, size: int = 20_000) -> None:
        self._data: OrderedDict = OrderedDict()
        self._size = size

    def get(self, key, now: float):
        entry = self._data.get(key)
        if entry is None:
            return None
        value, expires = entry
        if expires <= now:
            del self._data[key]
            return None
        return value

    def put(self, key, value, expires: float) -> None:
        self._data[key] = (value, expires)
        self._data.move_to_end(key)
        if len(self._data) > self._size:
            self._data.popitem(last=False)

    def discard_where(self, predicate) -> None:
        for key in [k for k, (v, _) in self._data.items() if predicate(v)]:
            del self._data[key]

    def clear(self) -> None:
        self._data.clear()


class Authenticator:
    """Resolve ``Authorization: Bearer`` / ``X-API-Key`` to a :class:`Principal`."""

    def __init__(self, settings: GatewaySettings, store: Store, tokens: AccessTokens, run) -> None:
        self.settings = settings
        self.store = store
        self.tokens = tokens
        self._run = run  # runs a blocking function in the thread pool
        self._claims = TtlCache()
        self._principals = TtlCache()
        self._keys = TtlCache()
        self._key_touched: dict[str, float] = {}
        self._pending: dict = {}

    async def authenticate(self, authorization: str | None, api_key: str | None) -> Principal:
        if api_key is not None:
            if authorization:
                raise Unauthenticated(
                    "Send either a bearer token or an API key, not both.", code="ambiguous_auth"
                )
            return await self._api_key(api_key.strip())
        if not authorization:
            raise Unauthenticated(
                "Sign in and send 'Authorization: Bearer <token>', or send an API key in X-API-Key."
            )
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated(
                "Use 'Authorization: Bearer <access token>'.", code="invalid_token"
            )
        return await self._bearer(token.strip())

    async def _bearer(self, token: str) -> Principal:
        now = time.monotonic()
        claims = self._claims.get(token, now)
        if claims is None:
            claims = self.tokens.verify(token)
            wall = time.time()
            self._claims.put(token, claims, now + max(0.0, claims.expires_at + 5 - wall))
        elif claims.expires_at + 5 < time.time():
            raise Unauthenticated("The access token has expired; refresh it.", code="token_expired")
        key = (claims.user_id, claims.session_id)
        principal = self._principals.get(key, now)
        if principal is None:
            principal = await self._shared(key, lambda: self._load_user(claims))
            self._principals.put(key, principal, now + self.settings.principal_cache_seconds)
        if isinstance(principal, Unauthenticated):
            raise Unauthenticated(principal.message, code=principal.code)
        return principal

    async def _shared(self, key, load):
        """Run ``load`` once for concurrent misses on the same key."""
        future = self._pending.get(key)
        if future is not None:
            return await asyncio.shield(future)
        future = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            result = await self._run(load)
            future.set_result(result)
            return result
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it themselves
            raise
        finally:
            del self._pending[key]

    def _load_user(self, claims) -> Principal | Unauthenticated:
        """Blocking: the user's current state; an Unauthenticated (cached briefly) if refused."""
        user = self.store.user(claims.user_id)
        if user is None or not user.active:
            return Unauthenticated("This account no longer exists or is deactivated.")
        if user.tokens_valid_after is not None and claims.issued_at < (
            user.tokens_valid_after.replace(tzinfo=UTC).timestamp() - 1
        ):
            return Unauthenticated(
                "This access token was issued before the password or access changed; "
                "sign in again.",
                code="token_revoked",
            )
        if self.store.session_revoked(claims.session_id):
            return Unauthenticated("This session was signed out.", code="token_revoked")
        return Principal(
            kind="user",
            id=user.id,
            roles=frozenset(user.roles),
            scopes=scopes_for_roles(user.roles),
            team=user.team,
            name=user.name,
            email=user.email,
            session_id=claims.session_id,
        )

    async def _api_key(self, key: str) -> Principal:
        if not looks_like_key(key):
            raise Unauthenticated("The API key is not valid.", code="invalid_api_key")
        now = time.monotonic()
        digest = hash_token(key)
        cached = self._keys.get(digest, now)
        if cached is None:
            cached = await self._shared(("key", digest), lambda: self._load_key(digest))
            self._keys.put(digest, cached, now + self.settings.api_key_cache_seconds)
        principal, expires_at = cached
        if principal is None or (expires_at is not None and expires_at <= time.time()):
            raise Unauthenticated(
                "The API key is not valid, expired or revoked.", code="invalid_api_key"
            )
        last = self._key_touched.get(principal.id, 0.0)
        if now - last >= 60.0:
            self._key_touched[principal.id] = now
            asyncio.get_running_loop().create_task(self._touch(principal.id))
        return principal

    def _load_key(self, digest: str):
        record = self.store.api_key_by_hash(digest)
        if record is None or not record.usable(datetime.now(UTC)):
            return (None, None)
        principal = Principal(
            kind="api_key",
            id=record.id,
            roles=frozenset(),
            scopes=frozenset(record.scopes),
            name=record.name,
        )
        return (principal, record.expires_at.timestamp() if record.expires_at else None)

    async def _touch(self, key_id: str) -> None:
        try:
            await self._run(lambda: self.store.touch_api_key(key_id, datetime.now(UTC)))
        except Exception:  # bookkeeping only; never fail a request over it
            self._key_touched.pop(key_id, None)

    def forget_user(self, user_id: str) -> None:
        """Drop cached principals of a user (this process) after an admin change."""
        self._principals.discard_where(lambda p: getattr(p, "id", None) == user_id)

    def forget_session(self, session_id: str) -> None:
        self._principals.discard_where(lambda p: getattr(p, "session_id", None) == session_id)

    def forget_keys(self) -> None:
        self._keys.clear()


class IdentityMinter:
    """One signed internal identity per principal, reused until 75% of its life is spent."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.signer = IdentitySigner(
            settings.identity_private_key,
            issuer=settings.identity_issuer,
            audience=settings.identity_audience,
            ttl_seconds=settings.identity_ttl,
        )
        self._reuse = settings.identity_ttl * 0.75
        self._cache: dict[Principal, tuple[str, float]] = {}

    def token(self, principal: Principal) -> str:
        now = time.time()
        entry = self._cache.get(principal)
        if entry is not None and entry[1] > now:
            return entry[0]
        token, _expires = self.signer.mint(
            principal.subject,
            principal.kind,
            roles=principal.roles,
            scopes=principal.scopes,
            team=principal.team,
            name=principal.name,
            email=principal.email,
            now=now,
        )
        if len(self._cache) > 50_000:
            self._cache.clear()
        self._cache[principal] = (token, now + self._reuse)
        return token
