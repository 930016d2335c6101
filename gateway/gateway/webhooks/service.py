"""What the API process holds for webhooks: the store, the secret box, the address policy and
(lazily, for pings) an HTTP client; plus the checks a subscription definition must pass."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from datetime import datetime
from typing import Any

from yarl import URL

from gateway.webhooks.access import refused_types
from gateway.webhooks.addresses import (
    AddressPolicy,
    BlockedDestination,
    UnresolvableHost,
    url_problems,
)
from gateway.webhooks.engine import Job, request_headers
from gateway.webhooks.filters import FilterError, normalise
from gateway.webhooks.model import Subscription
from gateway.webhooks.patterns import matching_types, pattern_problem
from gateway.webhooks.retry import RetryPolicy, decide
from gateway.webhooks.secretbox import SecretBox, SecretUnreadable
from gateway.webhooks.sender import WebhookClient
from gateway.webhooks.settings import WebhookSettings
from gateway.webhooks.store import WebhookStore
from servicekit.db import Database
from servicekit.errors import ApiError, Forbidden
from servicekit.jsonutil import isoformat
from servicekit.types import utcnow

PING_EVENT = "gateway.webhook.pinged"
RESOLVE_TIMEOUT = 5.0
MAX_LISTED = 20


def invalid(details: dict[str, Any], message: str | None = None) -> ApiError:
    fields = ", ".join(sorted(details))
    return ApiError(
        message or f"Invalid fields: {fields}.",
        status=422,
        code="validation_failed",
        details=details,
    )


class WebhookService:
    def __init__(
        self, settings: WebhookSettings, db: Database, *, policy: AddressPolicy | None = None
    ):
        self.settings = settings
        self.store = WebhookStore(db, retry_window=settings.retry_window)
        self.box = SecretBox(settings.secret_keys)
        self.policy = policy or AddressPolicy(settings.allowed_networks, settings.denied_networks)
        self._client: WebhookClient | None = None
        self._rng = random.Random()

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    # -- definitions ------------------------------------------------------------------------

    def check_patterns(self, patterns: list[str]) -> list[str]:
        """The patterns without duplicates; 422 naming each bad one."""
        problems = {}
        for index, pattern in enumerate(patterns):
            problem = pattern_problem(pattern)
            if problem:
                problems[str(index)] = [f"{pattern!r}: {problem}"]
        if problems:
            raise invalid({"event_types": problems})
        return list(dict.fromkeys(patterns))

    @staticmethod
    def check_filters(spec: Any) -> dict[str, Any]:
        try:
            return normalise(spec)
        except FilterError as exc:
            raise invalid({"filters": exc.details}) from None

    @staticmethod
    def check_access(scopes: frozenset[str], patterns: list[str]) -> None:
        """403 unless the owner may read every event type the patterns select."""
        refused = refused_types(scopes, matching_types(patterns))
        if refused:
            listed = dict(sorted(refused.items())[:MAX_LISTED])
            needed = sorted(set(refused.values()) - {"*"})
            hint = f" (needs {', '.join(needed)})" if needed else ""
            raise Forbidden(
                f"These patterns select {len(refused)} event type(s) you may not read{hint}; "
                "narrow them.",
                code="missing_permission",
                details={"event_types": listed},
            )

    async def check_url(self, url: str) -> str:
        """The URL as stored; 422 when it is malformed or its destination is refused."""
        problems = url_problems(url, require_https=self.settings.require_https)
        if problems:
            raise invalid({"url": problems})
        parsed = URL(url)
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        try:
            await asyncio.wait_for(
                self.policy.resolve(parsed.raw_host or "", port), RESOLVE_TIMEOUT
            )
        except TimeoutError:
            raise invalid({"url": [f"{parsed.raw_host} did not resolve in time."]}) from None
        except BlockedDestination as exc:
            raise invalid(
                {"url": [f"Destination refused: {exc.reason}."]},
                "Webhooks are not sent to private, loopback, link-local or other internal "
                "addresses (an operator can allow chosen networks).",
            ) from None
        except UnresolvableHost as exc:
            raise invalid({"url": [str(exc)]}) from None
        return str(parsed)

    # -- secrets ----------------------------------------------------------------------------

    def seal(self, secret: str, subscription_id: str) -> str:
        return self.box.encrypt(secret, subscription_id)

    def signing_secrets(self, subscription: Subscription, now: datetime) -> tuple[str, ...]:
        current = self.box.decrypt(subscription.secret, subscription.id)
        expires = subscription.previous_secret_expires_at
        if subscription.previous_secret and expires is not None and expires > now:
            return (current, self.box.decrypt(subscription.previous_secret, subscription.id))
        return (current,)

    def _secrets_or_503(self, subscription: Subscription, now: datetime) -> tuple[str, ...]:
        try:
            return self.signing_secrets(subscription, now)
        except SecretUnreadable as exc:
            raise ApiError(
                f"The subscription's secret cannot be read ({exc}); the operator must restore "
                "the webhook key it was encrypted with.",
                status=503,
                code="webhook_secret_unreadable",
            ) from None

    # -- ping -------------------------------------------------------------------------------

    async def ping(self, subscription: Subscription, *, correlation_id: str, by: str, run):
        """Send a signed ``gateway.webhook.pinged`` event now and log it as a delivery."""
        if self._client is None:
            self._client = WebhookClient(self.settings, self.policy)
            await self._client.start()
        now = utcnow()
        envelope = {
            "event_id": str(uuid.uuid4()),
            "event_type": PING_EVENT,
            "version": 1,
            "occurred_at": isoformat(now),
            "producer": "gateway",
            "correlation_id": correlation_id,
            "causation_id": None,
            "data": {
                "subscription_id": subscription.id,
                "message": "Ping from the Marketing Management Suite: your endpoint is reachable.",
            },
        }
        body = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()
        job = Job(
            seq=0,
            id=str(uuid.uuid4()),
            subscription_id=subscription.id,
            event_id=envelope["event_id"],
            event_type=PING_EVENT,
            occurred_at=now,
            origin="ping",
            attempt=1,
            deadline_at=now,
            url=subscription.url,
            secrets=self._secrets_or_503(subscription, now),
            body=body,
        )
        result = await self._client.post(
            job.url, body, request_headers(job, self.settings.user_agent)
        )
        verdict = decide(
            result,
            1,
            now,
            now,
            RetryPolicy(self.settings.retry_base, self.settings.retry_max_delay),
            self._rng,
            retryable=False,
        )
        attempt = {
            "started_at": now,
            "duration_ms": result.duration_ms,
            "status_code": result.status_code,
            "outcome": verdict.outcome,
            "error": (result.error or verdict.reason or None),
            "response_excerpt": result.excerpt,
            "remote_address": result.remote_address,
            "next_attempt_at": None,
        }
        return await run(
            lambda: self.store.record_ping(
                subscription,
                delivery_id=job.id,
                event_id=job.event_id,
                occurred_at=now,
                status=verdict.outcome,
                attempt=attempt,
                by=by,
            )
        )
