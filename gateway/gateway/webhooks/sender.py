"""The HTTP side of a delivery: a pooled aiohttp client that reaches only allowed addresses.

aiohttp because the worker already has an event loop per delivery thread and it lets us plug in
both a resolver (the only source of addresses, checked by the policy) and a socket factory (the
address actually connected to is checked once more). Keep-alive connections are pooled per
host; redirects are never followed; proxies from the environment are ignored; no cookies.
"""

from __future__ import annotations

import time

import aiohttp
from yarl import URL

from gateway.webhooks.addresses import (
    AddressPolicy,
    BlockedDestination,
    GuardedResolver,
    UnresolvableHost,
    literal_address,
)
from gateway.webhooks.retry import AttemptResult
from gateway.webhooks.settings import WebhookSettings

MAX_READ = 64 * 1024


def _cause(exc: BaseException, kind: type) -> BaseException | None:
    seen = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, kind):
            return current
        os_error = getattr(current, "os_error", None)
        if isinstance(os_error, kind):
            return os_error
        current = current.__cause__ or current.__context__
    return None


def _peer(response: aiohttp.ClientResponse) -> str | None:
    """The address the answer came from (for the attempt log)."""
    # A small answer is read with its headers and the connection is back in the pool at once,
    # so ask the protocol (it outlives the response's hold on the connection).
    protocol = getattr(response, "_protocol", None)  # (a protocol can be falsy: test None)
    if protocol is None and response.connection is not None:
        protocol = response.connection.protocol
    transport = getattr(protocol, "transport", None)
    if transport is None:
        return None
    info = transport.get_extra_info("peername")
    return str(info[0]) if info else None


class WebhookClient:
    """One per event loop: ``await start()``, ``await post(...)``, ``await close()``."""

    def __init__(self, settings: WebhookSettings, policy: AddressPolicy) -> None:
        self.settings = settings
        self.policy = policy
        self.session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(
            limit=self.settings.concurrency,
            limit_per_host=0,
            resolver=GuardedResolver(self.policy),
            socket_factory=self.policy.socket_factory,
            ttl_dns_cache=10,
            enable_cleanup_closed=True,
        )
        self.session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,
            auto_decompress=True,
            timeout=aiohttp.ClientTimeout(
                total=self.settings.timeout,
                connect=self.settings.connect_timeout,
            ),
            headers={"User-Agent": self.settings.user_agent},
        )

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()
            self.session = None

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> AttemptResult:
        """POST ``body`` to ``url``; the result, never an exception."""
        if self.session is None:
            await self.start()
        started = time.perf_counter()

        def elapsed() -> float:
            return (time.perf_counter() - started) * 1000

        try:
            target = URL(url)
        except (ValueError, TypeError) as exc:
            return AttemptResult(elapsed(), error=f"invalid URL: {exc}", kind="invalid")
        literal = literal_address(target)
        if literal is not None:
            reason = self.policy.problem(literal)
            if reason:
                return AttemptResult(
                    elapsed(), error=f"destination refused: {reason}", kind="blocked"
                )
        try:
            async with self.session.post(
                target,
                data=body,
                headers=headers,
                allow_redirects=False,
            ) as response:
                peer = _peer(response)
                raw = await response.content.read(MAX_READ)
                if not response.content.at_eof():
                    response.close()  # a huge answer: drop the connection, not the worker
                excerpt = raw[: self.settings.response_excerpt].decode("utf-8", errors="replace")
                return AttemptResult(
                    elapsed(),
                    status_code=response.status,
                    excerpt=excerpt or None,
                    retry_after=response.headers.get("Retry-After"),
                    location=response.headers.get("Location"),
                    remote_address=peer,
                )
        except TimeoutError:
            return AttemptResult(
                elapsed(), error=f"timed out after {self.settings.timeout:g} s", kind="timeout"
            )
        except (aiohttp.ClientError, OSError) as exc:
            blocked = _cause(exc, BlockedDestination)
            if blocked is not None:
                return AttemptResult(
                    elapsed(), error=f"destination refused: {blocked.reason}", kind="blocked"
                )
            if _cause(exc, UnresolvableHost) is not None or isinstance(
                exc, aiohttp.ClientConnectorDNSError
            ):
                return AttemptResult(elapsed(), error=f"DNS: {exc}"[:500], kind="dns")
            if isinstance(exc, aiohttp.InvalidURL):
                return AttemptResult(elapsed(), error=f"invalid URL: {exc}"[:500], kind="invalid")
            if isinstance(exc, (aiohttp.ServerTimeoutError, aiohttp.ConnectionTimeoutError)):
                return AttemptResult(elapsed(), error=f"timeout: {exc}"[:500], kind="timeout")
            return AttemptResult(
                elapsed(), error=f"{type(exc).__name__}: {exc}"[:500], kind="network"
            )
