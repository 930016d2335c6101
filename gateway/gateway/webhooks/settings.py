"""Webhook settings (``MMS_WEBHOOK_*``), read once per process with local defaults.

The one secret is the key that encrypts subscription secrets at rest
(``MMS_WEBHOOK_SECRET_KEY[_FILE]``, or ``var/secrets/webhook_secret_key`` where the local runner
writes it). It may hold several keys, one per line: the first encrypts, all decrypt, so the key
can be rotated (``gateway-service webhooks rekey`` re-encrypts with the first).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace
from pathlib import Path

from servicekit.config import ConfigError, env_bool, env_float, env_int, env_list, env_str, var_dir

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
MIN_KEY_LENGTH = 32


def parse_networks(values: list[str], name: str) -> tuple[IPNetwork, ...]:
    """CIDRs (``10.0.0.0/8``, ``fd00::/8``, a bare address) as networks; ConfigError otherwise."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError as exc:
            raise ConfigError(f"MMS_{name}: {value!r} is not a network ({exc})") from exc
    return tuple(networks)


def load_secret_keys() -> tuple[str, ...]:
    """The at-rest keys: inline, from ``_FILE`` or from var/secrets/webhook_secret_key."""
    inline = env_str("WEBHOOK_SECRET_KEY")
    if inline:
        text = inline.replace("\\n", "\n")
    else:
        path = env_str("WEBHOOK_SECRET_KEY_FILE")
        candidate = Path(path) if path else var_dir() / "secrets" / "webhook_secret_key"
        if not path and not candidate.exists():
            return ()
        try:
            text = candidate.read_text()
        except OSError as exc:
            raise ConfigError(
                f"MMS_WEBHOOK_SECRET_KEY_FILE: cannot read {candidate}: {exc}"
            ) from exc
    keys = tuple(line.strip() for line in text.splitlines() if line.strip())
    for key in keys:
        if len(key) < MIN_KEY_LENGTH:
            raise ConfigError(
                f"MMS_WEBHOOK_SECRET_KEY: every key needs at least {MIN_KEY_LENGTH} characters"
            )
    return keys


@dataclass(frozen=True)
class WebhookSettings:
    enabled: bool = True
    secret_keys: tuple[str, ...] = ()
    allowed_networks: tuple[IPNetwork, ...] = ()
    denied_networks: tuple[IPNetwork, ...] = ()
    require_https: bool = False
    timeout: float = 10.0
    connect_timeout: float = 5.0
    retry_window: float = 3 * 24 * 3600.0
    retry_base: float = 10.0
    retry_max_delay: float = 4 * 3600.0
    disable_after_failures: int = 20
    disable_after_hours: float = 72.0
    concurrency: int = 64
    subscription_concurrency: int = 8
    poll_interval: float = 0.5
    archive_days: int = 30
    delivery_retention_days: int = 30
    replay_max_events: int = 10_000
    replay_scan_limit: int = 200_000
    replays_per_hour: int = 10
    redeliveries_per_hour: int = 600
    secret_overlap: float = 24 * 3600.0
    secret_overlap_max: float = 7 * 24 * 3600.0
    response_excerpt: int = 1024
    max_subscriptions_per_owner: int = 100
    user_agent: str = "MMS-Webhooks/1.0 (Marketing Management Suite)"

    @classmethod
    def load(cls, **overrides) -> WebhookSettings:
        values = dict(
            enabled=env_bool("WEBHOOKS_ENABLED", True),
            secret_keys=load_secret_keys(),
            allowed_networks=parse_networks(
                env_list("WEBHOOK_ALLOWED_NETWORKS", []), "WEBHOOK_ALLOWED_NETWORKS"
            ),
            denied_networks=parse_networks(
                env_list("WEBHOOK_DENIED_NETWORKS", []), "WEBHOOK_DENIED_NETWORKS"
            ),
            require_https=env_bool("WEBHOOK_REQUIRE_HTTPS", False),
            timeout=env_float("WEBHOOK_TIMEOUT", 10.0),
            connect_timeout=env_float("WEBHOOK_CONNECT_TIMEOUT", 5.0),
            retry_window=env_float("WEBHOOK_RETRY_WINDOW", 3 * 24 * 3600.0),
            retry_base=env_float("WEBHOOK_RETRY_BASE", 10.0),
            retry_max_delay=env_float("WEBHOOK_RETRY_MAX_DELAY", 4 * 3600.0),
            disable_after_failures=env_int("WEBHOOK_DISABLE_AFTER_FAILURES", 20),
            disable_after_hours=env_float("WEBHOOK_DISABLE_AFTER_HOURS", 72.0),
            concurrency=env_int("WEBHOOK_CONCURRENCY", 64),
            subscription_concurrency=env_int("WEBHOOK_SUBSCRIPTION_CONCURRENCY", 8),
            poll_interval=env_float("WEBHOOK_POLL_INTERVAL", 0.5),
            archive_days=env_int("WEBHOOK_ARCHIVE_DAYS", 30),
            delivery_retention_days=env_int("WEBHOOK_DELIVERY_RETENTION_DAYS", 30),
            replay_max_events=env_int("WEBHOOK_REPLAY_MAX_EVENTS", 10_000),
            replay_scan_limit=env_int("WEBHOOK_REPLAY_SCAN_LIMIT", 200_000),
            replays_per_hour=env_int("WEBHOOK_REPLAYS_PER_HOUR", 10),
            redeliveries_per_hour=env_int("WEBHOOK_REDELIVERIES_PER_HOUR", 600),
            secret_overlap=env_float("WEBHOOK_SECRET_OVERLAP", 24 * 3600.0),
            secret_overlap_max=env_float("WEBHOOK_SECRET_OVERLAP_MAX", 7 * 24 * 3600.0),
            response_excerpt=env_int("WEBHOOK_RESPONSE_EXCERPT", 1024),
            max_subscriptions_per_owner=env_int("WEBHOOK_MAX_SUBSCRIPTIONS_PER_OWNER", 100),
        )
        values.update(overrides)
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        """ConfigError for values that cannot work."""
        if self.timeout <= 0 or self.connect_timeout <= 0:
            raise ConfigError("MMS_WEBHOOK_TIMEOUT and _CONNECT_TIMEOUT must be positive")
        if self.retry_base <= 0 or self.retry_max_delay < self.retry_base:
            raise ConfigError("MMS_WEBHOOK_RETRY_BASE must be positive and <= _RETRY_MAX_DELAY")
        if self.retry_window < 60:
            raise ConfigError("MMS_WEBHOOK_RETRY_WINDOW must be at least 60 seconds")
        if self.disable_after_failures < 1 or self.disable_after_hours <= 0:
            raise ConfigError("MMS_WEBHOOK_DISABLE_AFTER_* must be positive")
        if self.concurrency < 1 or self.subscription_concurrency < 1:
            raise ConfigError("MMS_WEBHOOK_*CONCURRENCY must be at least 1")
        if self.secret_overlap < 0 or self.secret_overlap > self.secret_overlap_max:
            raise ConfigError("MMS_WEBHOOK_SECRET_OVERLAP must be between 0 and _OVERLAP_MAX")

    @property
    def configured(self) -> bool:
        """Webhooks can run: enabled and an at-rest key to protect subscription secrets."""
        return self.enabled and bool(self.secret_keys)

    def replace(self, **changes) -> WebhookSettings:
        return replace(self, **changes)
