"""Configuration from ``MMS_`` environment variables with local defaults.

Every setting has a default that works on a developer machine (SQLite under ``var/``, a local
RabbitMQ node), so a service starts with no configuration at all; production overrides them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


class ConfigError(ValueError):
    """A setting is present but cannot be understood."""


def env_str(name: str, default: str | None = None) -> str | None:
    """Return ``MMS_<name>`` or the default (empty strings count as unset)."""
    value = os.environ.get(f"MMS_{name}")
    return value if value not in (None, "") else default


def env_int(name: str, default: int) -> int:
    raw = env_str(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"MMS_{name} must be an integer, got {raw!r}") from exc


def env_float(name: str, default: float) -> float:
    raw = env_str(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"MMS_{name} must be a number, got {raw!r}") from exc


def env_bool(name: str, default: bool) -> bool:
    raw = env_str(name)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"MMS_{name} must be a boolean, got {raw!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = env_str(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_secret(name: str, default: str | None = None) -> str | None:
    """A secret given inline (``MMS_<name>``) or in a file (``MMS_<name>_FILE``, e.g. a mounted
    Kubernetes or compose secret); trailing newlines of files are dropped."""
    inline = env_str(name)
    if inline is not None:
        return inline
    path = env_str(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().rstrip("\r\n")
        except OSError as exc:
            raise ConfigError(f"MMS_{name}_FILE: cannot read {path}: {exc}") from exc
    return default


def var_dir() -> Path:
    """Directory for local state (SQLite files, keys, broker data); ``MMS_VAR_DIR`` or ./var."""
    return Path(env_str("VAR_DIR", str(Path.cwd() / "var"))).resolve()


def _read_key_material(name: str) -> str | None:
    """A PEM key given inline (``MMS_<name>``) or as a file (``MMS_<name>_FILE``)."""
    inline = env_str(name)
    if inline:
        return inline.replace("\\n", "\n")
    path = env_str(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text()
        except OSError as exc:
            raise ConfigError(f"MMS_{name}_FILE: cannot read {path}: {exc}") from exc
    default_path = var_dir() / "secrets" / f"{name.lower()}.pem"
    if default_path.exists():
        return default_path.read_text()
    return None


@dataclass(frozen=True)
class ServiceSettings:
    """Settings shared by every service; ``load`` reads them for one service name."""

    service: str
    database_url: str
    amqp_url: str
    exchange: str = "mms.events"
    quorum_queues: bool = False
    amqp_heartbeat: int = 20
    retry_delays: tuple[float, ...] = (1.0, 10.0, 60.0)
    consumer_prefetch: int = 64
    consumer_concurrency: int = 1
    consumer_batch_size: int = 100
    relay_batch_size: int = 500
    relay_idle_interval: float = 0.05
    identity_public_keys: tuple[str, ...] = ()
    identity_issuer: str = "mms-gateway"
    identity_audience: str = "mms-services"
    max_body_bytes: int = 1024 * 1024
    max_page_size: int = 200
    log_level: str = "INFO"
    log_format: str = "json"
    base_currency: str = "EUR"
    public_base_url: str = "http://127.0.0.1:8080"
    worker_port: int = 0
    worker_bind: str = "127.0.0.1"
    inbox_retention_days: int = 30
    outbox_retention_days: int = 30

    @classmethod
    def load(cls, service: str, **overrides) -> ServiceSettings:
        """Read the settings of ``service`` from the environment (``MMS_*``)."""
        upper = service.upper()
        default_db = f"sqlite:///{var_dir() / f'{service}.sqlite3'}"
        keys = tuple(k for k in (_read_key_material("IDENTITY_PUBLIC_KEY"),) if k) + tuple(
            k for k in (_read_key_material("IDENTITY_PUBLIC_KEY_PREVIOUS"),) if k
        )
        values = dict(
            service=service,
            database_url=env_str(f"{upper}_DATABASE_URL", default_db),
            amqp_url=env_str("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//"),
            exchange=env_str("EVENTS_EXCHANGE", "mms.events"),
            quorum_queues=env_bool("AMQP_QUORUM_QUEUES", False),
            amqp_heartbeat=env_int("AMQP_HEARTBEAT", 20),
            retry_delays=tuple(float(x) for x in env_list("RETRY_DELAYS", ["1", "10", "60"])),
            consumer_prefetch=env_int("CONSUMER_PREFETCH", 64),
            consumer_concurrency=env_int(f"{upper}_CONSUMER_CONCURRENCY", 1),
            consumer_batch_size=env_int("CONSUMER_BATCH_SIZE", 100),
            relay_batch_size=env_int("RELAY_BATCH_SIZE", 500),
            relay_idle_interval=env_float("RELAY_IDLE_INTERVAL", 0.05),
            identity_public_keys=keys,
            identity_issuer=env_str("IDENTITY_ISSUER", "mms-gateway"),
            identity_audience=env_str("IDENTITY_AUDIENCE", "mms-services"),
            max_body_bytes=env_int("MAX_BODY_BYTES", 1024 * 1024),
            max_page_size=env_int("MAX_PAGE_SIZE", 200),
            log_level=env_str("LOG_LEVEL", "INFO").upper(),
            log_format=env_str("LOG_FORMAT", "json"),
            base_currency=env_str("BASE_CURRENCY", "EUR").upper(),
            public_base_url=env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8080").rstrip("/"),
            worker_port=env_int(f"{upper}_WORKER_PORT", 0),
            worker_bind=env_str("WORKER_BIND", "127.0.0.1"),
            inbox_retention_days=env_int("INBOX_RETENTION_DAYS", 30),
            outbox_retention_days=env_int("OUTBOX_RETENTION_DAYS", 30),
        )
        values.update(overrides)
        return cls(**values)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
