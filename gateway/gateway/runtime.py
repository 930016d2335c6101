"""Everything one gateway process needs, built once per process (after gunicorn's fork)."""

from __future__ import annotations

import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from gateway.authn import Authenticator, IdentityMinter
from gateway.passwords import Passwords
from gateway.ratelimit import Decision, RateLimiter
from gateway.settings import GatewaySettings, Rate
from gateway.store import Store
from gateway.tokens import AccessTokens
from gateway.upstream import Upstreams
from gateway.webhooks.service import WebhookService
from servicekit.db import Database

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


class GatewayRuntime:
    """Settings, databases, caches, the upstream client and the thread pools of one process."""

    def __init__(self, settings: GatewaySettings, *, db: Database | None = None) -> None:
        settings.require_secrets()
        self.settings = settings
        self.db = db or Database(settings.database_url)
        self.ratelimit_db = (
            self.db
            if settings.ratelimit_database_url == settings.database_url and not self.db.is_sqlite
            else Database(settings.ratelimit_database_url, pool_size=1, max_overflow=0)
        )
        self.store = Store(self.db)
        self.passwords = Passwords()
        self.tokens = AccessTokens(settings)
        self.limiter = RateLimiter(self.ratelimit_db)
        self.minter = IdentityMinter(settings)
        self.upstreams = Upstreams(settings)
        # Blocking work (database, argon2) runs here, never on the event loop.
        self.executor = ThreadPoolExecutor(
            max_workers=settings.blocking_threads, thread_name_prefix="gateway-blocking"
        )
        # Rate-limit statements are tiny and serialised per process on one connection.
        self.limit_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ratelimit")
        self.auth = Authenticator(settings, self.store, self.tokens, self.run)
        self.openapi = None  # set by the app (gateway.openapi.SpecCache)
        # None when webhooks are switched off or no key protects their secrets (answers 503).
        self.webhooks = (
            WebhookService(settings.webhooks, self.db) if settings.webhooks.configured else None
        )

    async def run(self, fn, *args, **kwargs):
        """Run a blocking function in the thread pool and await its result."""
        loop = asyncio.get_running_loop()
        call = functools.partial(fn, *args, **kwargs) if args or kwargs else fn
        return await loop.run_in_executor(self.executor, call)

    async def hit(self, checks: list[tuple[str, Rate]]) -> tuple[str, Decision] | None:
        """Count a request against every ``(key, rate)``; the first refusal, or None.

        On SQLite the upserts run inline: with synchronous=OFF they take tens of microseconds,
        less than handing them to a thread and back, and the connection waits at most a few
        milliseconds for another process's write lock before the check moves to the thread.
        PostgreSQL is a network round trip, so it always runs in the thread.
        """
        if not self.settings.rate_limits_enabled or not checks:
            return None
        loop = asyncio.get_running_loop()
        decisions = None
        if self.limiter.inline:
            try:
                decisions = self.limiter.hit_many(checks, fast=True)
            except self.limiter.busy_errors:
                pass  # another process holds the lock: wait for it off the event loop
        if decisions is None:
            decisions = await loop.run_in_executor(
                self.limit_executor, functools.partial(self.limiter.hit_many, checks)
            )
        for (key, _rate), decision in zip(checks, decisions, strict=True):
            if not decision.allowed:
                return key, decision
        return None

    async def limit_call(self, fn, *args):
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.limit_executor, functools.partial(fn, *args))

    async def start(self) -> None:
        await self.upstreams.start()

    async def close(self) -> None:
        await self.upstreams.close()
        if self.webhooks is not None:
            await self.webhooks.close()
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.limit_executor.submit(self.limiter.close)
        self.limit_executor.shutdown(wait=True)
        self.db.dispose()
        if self.ratelimit_db is not self.db:
            self.ratelimit_db.dispose()
