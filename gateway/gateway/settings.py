"""The gateway's settings, read once per process from ``MMS_`` environment variables.

Everything has a local default (SQLite under ``var/``, services on 127.0.0.1:81xx) except the
secrets: the identity private key (``MMS_IDENTITY_PRIVATE_KEY[_FILE]``) and, for HS256 access
tokens, the JWT secret (``MMS_JWT_SECRET[_FILE]``). Both also load from ``var/secrets/`` where the
local runner writes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from gateway.webhooks.settings import WebhookSettings
from servicekit.config import (
    ConfigError,
    _read_key_material,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_str,
    var_dir,
)

SERVICE_PORTS = {
    "customer": 8101,
    "sales": 8102,
    "campaign": 8103,
    "support": 8104,
    "analytics": 8105,
}
JWT_ALGORITHMS = ("HS256", "EdDSA")


@dataclass(frozen=True)
class Rate:
    """``limit`` requests per ``period`` seconds, with bursts of up to ``burst`` requests."""

    limit: int
    period: float
    burst: int

    @property
    def interval(self) -> float:
        """GCRA emission interval: seconds one request 'costs'."""
        return self.period / self.limit

    @property
    def tolerance(self) -> float:
        """GCRA burst tolerance: how far ahead of now the bucket may run."""
        return self.interval * (self.burst - 1)

    @classmethod
    def parse(cls, text: str, name: str) -> Rate:
        """``"600/60"`` (burst = limit) or ``"600/60/100"``."""
        try:
            parts = [p.strip() for p in text.split("/")]
            limit, period = int(parts[0]), float(parts[1])
            burst = int(parts[2]) if len(parts) > 2 else limit
        except (ValueError, IndexError) as exc:
            raise ConfigError(f"MMS_{name} must look like 600/60 or 600/60/100: {text!r}") from exc
        if limit < 1 or period <= 0 or burst < 1:
            raise ConfigError(f"MMS_{name}: limit, period and burst must be positive")
        return cls(limit, period, burst)


def _secret(name: str) -> str | None:
    """A secret given inline (``MMS_<name>``), as a file (``_FILE``) or in var/secrets/."""
    inline = env_str(name)
    if inline:
        return inline
    path = env_str(f"{name}_FILE")
    candidate = Path(path) if path else var_dir() / "secrets" / name.lower()
    if path or candidate.exists():
        try:
            return candidate.read_text().strip()
        except OSError as exc:
            raise ConfigError(f"MMS_{name}_FILE: cannot read {candidate}: {exc}") from exc
    return None


@dataclass(frozen=True)
class GatewaySettings:
    database_url: str
    ratelimit_database_url: str
    upstreams: dict[str, str]
    identity_private_key: str | None = None
    identity_issuer: str = "mms-gateway"
    identity_audience: str = "mms-services"
    identity_ttl: int = 120
    jwt_algorithm: str = "HS256"
    jwt_secret: str | None = None
    jwt_private_key: str | None = None
    jwt_public_key: str | None = None
    jwt_issuer: str = "mms-gateway"
    jwt_audience: str = "mms-api"
    access_token_ttl: int = 900
    refresh_token_ttl: int = 14 * 24 * 3600
    principal_cache_seconds: float = 30.0
    api_key_cache_seconds: float = 10.0
    rate_identity: Rate = field(default_factory=lambda: Rate(1200, 60, 300))
    rate_ip: Rate = field(default_factory=lambda: Rate(2400, 60, 600))
    rate_login_ip: Rate = field(default_factory=lambda: Rate(20, 60, 10))
    login_failures_account: Rate = field(default_factory=lambda: Rate(5, 300, 5))
    login_failures_ip: Rate = field(default_factory=lambda: Rate(30, 300, 20))
    rate_limits_enabled: bool = True
    connect_timeout: float = 2.0
    upstream_timeout: float = 30.0
    compose_timeout: float = 3.0
    retries: int = 2
    breaker_failures: int = 5
    breaker_reset: float = 5.0
    pool_size: int = 200
    max_body_bytes: int = 1024 * 1024
    max_upload_bytes: int = 64 * 1024 * 1024
    max_page_size: int = 200
    cors_origins: tuple[str, ...] = ()
    trust_forwarded: bool = False
    access_log: bool = True
    openapi_refresh: float = 300.0
    log_level: str = "INFO"
    log_format: str = "json"
    admin_email: str | None = None
    admin_password: str | None = None
    public_base_url: str = "http://127.0.0.1:8080"
    blocking_threads: int = 8
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)

    @classmethod
    def load(cls, **overrides) -> GatewaySettings:
        """Read the gateway's settings from the environment (``MMS_*``)."""
        database_url = env_str("GATEWAY_DATABASE_URL", f"sqlite:///{var_dir() / 'gateway.sqlite3'}")
        upstreams = {
            name: env_str(f"{name.upper()}_URL", f"http://127.0.0.1:{port}").rstrip("/")
            for name, port in SERVICE_PORTS.items()
        }
        algorithm = env_str("JWT_ALGORITHM", "HS256")
        if algorithm not in JWT_ALGORITHMS:
            raise ConfigError(f"MMS_JWT_ALGORITHM must be one of {', '.join(JWT_ALGORITHMS)}")
        values = dict(
            database_url=database_url,
            ratelimit_database_url=env_str(
                "GATEWAY_RATELIMIT_DATABASE_URL", default_ratelimit_url(database_url)
            ),
            upstreams=upstreams,
            identity_private_key=_read_key_material("IDENTITY_PRIVATE_KEY"),
            identity_issuer=env_str("IDENTITY_ISSUER", "mms-gateway"),
            identity_audience=env_str("IDENTITY_AUDIENCE", "mms-services"),
            identity_ttl=env_int("IDENTITY_TTL", 120),
            jwt_algorithm=algorithm,
            jwt_secret=_secret("JWT_SECRET"),
            jwt_private_key=_read_key_material("JWT_PRIVATE_KEY"),
            jwt_public_key=_read_key_material("JWT_PUBLIC_KEY"),
            jwt_issuer=env_str("JWT_ISSUER", "mms-gateway"),
            jwt_audience=env_str("JWT_AUDIENCE", "mms-api"),
            access_token_ttl=env_int("ACCESS_TOKEN_TTL", 900),
            refresh_token_ttl=env_int("REFRESH_TOKEN_TTL", 14 * 24 * 3600),
            principal_cache_seconds=env_float("GATEWAY_PRINCIPAL_CACHE_SECONDS", 30.0),
            api_key_cache_seconds=env_float("GATEWAY_API_KEY_CACHE_SECONDS", 10.0),
            rate_identity=Rate.parse(env_str("RATE_LIMIT_IDENTITY", "1200/60/300"), "RATE_LIMIT"),
            rate_ip=Rate.parse(env_str("RATE_LIMIT_IP", "2400/60/600"), "RATE_LIMIT_IP"),
            rate_login_ip=Rate.parse(env_str("RATE_LIMIT_LOGIN", "20/60/10"), "RATE_LIMIT_LOGIN"),
            login_failures_account=Rate.parse(
                env_str("LOGIN_FAILURES_ACCOUNT", "5/300/5"), "LOGIN_FAILURES_ACCOUNT"
            ),
            login_failures_ip=Rate.parse(
                env_str("LOGIN_FAILURES_IP", "30/300/20"), "LOGIN_FAILURES_IP"
            ),
            rate_limits_enabled=env_bool("RATE_LIMITS_ENABLED", True),
            connect_timeout=env_float("GATEWAY_CONNECT_TIMEOUT", 2.0),
            upstream_timeout=env_float("GATEWAY_UPSTREAM_TIMEOUT", 30.0),
            compose_timeout=env_float("GATEWAY_COMPOSE_TIMEOUT", 3.0),
            retries=env_int("GATEWAY_RETRIES", 2),
            breaker_failures=env_int("GATEWAY_BREAKER_FAILURES", 5),
            breaker_reset=env_float("GATEWAY_BREAKER_RESET", 5.0),
            pool_size=env_int("GATEWAY_POOL_SIZE", 200),
            max_body_bytes=env_int("MAX_BODY_BYTES", 1024 * 1024),
            max_upload_bytes=env_int("GATEWAY_MAX_UPLOAD_BYTES", 64 * 1024 * 1024),
            max_page_size=env_int("MAX_PAGE_SIZE", 200),
            cors_origins=tuple(env_list("CORS_ORIGINS", [])),
            trust_forwarded=env_bool("GATEWAY_TRUST_FORWARDED", False),
            access_log=env_bool("GATEWAY_ACCESS_LOG", True),
            openapi_refresh=env_float("GATEWAY_OPENAPI_REFRESH", 300.0),
            log_level=env_str("LOG_LEVEL", "INFO").upper(),
            log_format=env_str("LOG_FORMAT", "json"),
            admin_email=env_str("ADMIN_EMAIL"),
            admin_password=env_str("ADMIN_PASSWORD"),
            public_base_url=env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8080").rstrip("/"),
            blocking_threads=env_int("GATEWAY_BLOCKING_THREADS", 8),
            webhooks=WebhookSettings.load(),
        )
        values.update(overrides)
        return cls(**values)

    def replace(self, **changes) -> GatewaySettings:
        return replace(self, **changes)

    def require_secrets(self) -> None:
        """Fail with a clear message when the api cannot sign or verify tokens."""
        if not self.identity_private_key:
            raise ConfigError(
                "No identity private key: set MMS_IDENTITY_PRIVATE_KEY_FILE (or "
                "MMS_IDENTITY_PRIVATE_KEY, or put it in var/secrets/identity_private_key.pem)."
            )
        if self.jwt_algorithm == "HS256" and (not self.jwt_secret or len(self.jwt_secret) < 32):
            raise ConfigError(
                "HS256 access tokens need MMS_JWT_SECRET_FILE (or MMS_JWT_SECRET) with at least "
                "32 characters."
            )
        if self.jwt_algorithm == "EdDSA" and not self.jwt_private_key:
            raise ConfigError("EdDSA access tokens need MMS_JWT_PRIVATE_KEY_FILE.")


def default_ratelimit_url(database_url: str) -> str:
    """Rate-limit state beside the main database: its own SQLite file (written with
    synchronous=OFF: losing a few buckets in a crash is harmless), or the same PostgreSQL
    database, where the table is UNLOGGED."""
    if database_url.startswith("sqlite:///"):
        path = Path(database_url[len("sqlite:///") :])
        return f"sqlite:///{path.with_name(path.stem + '-ratelimit' + path.suffix)}"
    return database_url
