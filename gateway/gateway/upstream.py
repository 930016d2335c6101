"""Calls to the services: one pooled keep-alive client, timeouts, retries, circuit breakers.

- Retries only for idempotent reads (GET/HEAD) and only when no response arrived (refused or
  dropped connection), with a short backoff.
- A circuit breaker per service opens after ``breaker_failures`` consecutive transport failures,
  timeouts or 503/504 answers, fails fast for ``breaker_reset`` seconds, then lets one trial
  request through (half-open) and closes again on its success.
- Failures become the standard error shape: 503 ``service_unavailable`` (not running, not
  installed, or breaker open), 504 ``gateway_timeout``, 502 ``bad_gateway``.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp

from gateway import metrics
from gateway.http1 import BadResponse, ConnectFailed, Disconnected, Pool, ReadTimeout
from gateway.settings import GatewaySettings
from servicekit.errors import ApiError

IDEMPOTENT = frozenset({"GET", "HEAD"})


class CircuitBreaker:
    """Closed -> open after N consecutive failures -> half-open after ``reset`` -> closed."""

    def __init__(self, failures: int, reset: float, clock=time.monotonic) -> None:
        self.threshold = max(1, failures)
        self.reset = reset
        self.clock = clock
        self.failures = 0
        self.opened_at: float | None = None
        self.trial_running = False

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        if self.clock() - self.opened_at >= self.reset:
            return "half_open"
        return "open"

    def allow(self) -> bool:
        state = self.state
        if state == "closed":
            return True
        if state == "half_open" and not self.trial_running:
            self.trial_running = True
            return True
        return False

    def retry_after(self) -> int:
        if self.opened_at is None:
            return 1
        return max(1, int(self.reset - (self.clock() - self.opened_at) + 0.999))

    def succeeded(self) -> None:
        self.failures = 0
        self.opened_at = None
        self.trial_running = False

    def failed(self) -> None:
        self.failures += 1
        if self.trial_running or self.failures >= self.threshold:
            self.opened_at = self.clock()
        self.trial_running = False


def unavailable(service: str, message: str, retry_after: int = 5) -> ApiError:
    return ApiError(
        message,
        status=503,
        code="service_unavailable",
        details={"service": service},
        headers={"Retry-After": str(retry_after)},
    )


class Upstreams:
    """The services' base URLs, one shared client session and a breaker per service."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.urls = dict(settings.upstreams)
        self.breakers = {
            name: CircuitBreaker(settings.breaker_failures, settings.breaker_reset)
            for name in self.urls
        }
        self.pools = {
            name: Pool(
                url,
                size=settings.pool_size,
                connect_timeout=settings.connect_timeout,
                read_timeout=settings.upstream_timeout,
            )
            for name, url in self.urls.items()
        }
        # aiohttp's client for the few calls off the hot path (OpenAPI documents).
        self.session: aiohttp.ClientSession | None = None
        self.timeout = aiohttp.ClientTimeout(
            total=None,
            connect=settings.connect_timeout,
            sock_connect=settings.connect_timeout,
            sock_read=settings.upstream_timeout,
        )

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(
            limit=self.settings.pool_size,
            limit_per_host=self.settings.pool_size,
            # Shorter than the services' gunicorn keepalive (75 s), so the service never closes
            # a connection the gateway is about to reuse.
            keepalive_timeout=60,
            ttl_dns_cache=300,
        )
        self.session = aiohttp.ClientSession(
            connector=connector,
            timeout=self.timeout,
            auto_decompress=False,
            skip_auto_headers=("User-Agent", "Accept-Encoding", "Content-Type"),
            cookie_jar=aiohttp.DummyCookieJar(),
        )

    async def close(self) -> None:
        for pool in self.pools.values():
            await pool.close()
        if self.session is not None:
            await self.session.close()
            self.session = None

    async def request(
        self,
        service: str,
        method: str,
        path_qs: str,
        headers,
        data=None,
        *,
        content_length: int | None = None,
        read_timeout: float | None = None,
    ):
        """Send one request to ``service``; the caller releases the response.

        ``path_qs`` is forwarded byte for byte. Raises :class:`ApiError` (503/504/502) when the
        service cannot answer.
        """
        breaker = self.breakers[service]
        if not breaker.allow():
            metrics.UPSTREAM_ERRORS.labels(service, "breaker_open").inc()
            raise unavailable(
                service,
                f"The {service} service is failing; the gateway holds calls to it for a few "
                "seconds. Retry shortly.",
                breaker.retry_after(),
            )
        pool = self.pools[service]
        attempts = 1 + (self.settings.retries if method in IDEMPOTENT else 0)
        for attempt in range(attempts):
            try:
                response = await pool.request(
                    method,
                    path_qs,
                    headers,
                    data,
                    content_length=content_length,
                    read_timeout=read_timeout,
                )
            except ConnectFailed:
                kind, error = (
                    "connect",
                    unavailable(
                        service,
                        f"The {service} service is not reachable (it is not running or not "
                        "installed). Retry shortly.",
                    ),
                )
            except Disconnected:
                kind, error = (
                    "disconnected",
                    ApiError(
                        f"The {service} service dropped the connection.",
                        status=502,
                        code="bad_gateway",
                        details={"service": service},
                    ),
                )
            except ReadTimeout:
                breaker.failed()
                metrics.UPSTREAM_ERRORS.labels(service, "timeout").inc()
                raise ApiError(
                    f"The {service} service did not answer in time.",
                    status=504,
                    code="gateway_timeout",
                    details={"service": service},
                ) from None
            except BadResponse:
                breaker.failed()
                metrics.UPSTREAM_ERRORS.labels(service, "bad_response").inc()
                raise ApiError(
                    f"The {service} service sent an invalid response.",
                    status=502,
                    code="bad_gateway",
                    details={"service": service},
                ) from None
            else:
                if response.status in (503, 504):
                    breaker.failed()
                    metrics.UPSTREAM_ERRORS.labels(service, f"status_{response.status}").inc()
                else:
                    breaker.succeeded()
                return response
            metrics.UPSTREAM_ERRORS.labels(service, kind).inc()
            if attempt + 1 < attempts:
                await asyncio.sleep(0.05 * (2**attempt))
                continue
            breaker.failed()
            raise error
        raise AssertionError("unreachable")
