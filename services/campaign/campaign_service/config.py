"""Campaign settings from ``MMS_`` environment variables, with local defaults.

- ``MMS_TRACKING_SECRET`` or ``MMS_TRACKING_SECRET_FILE``: key for tracking, unsubscribe and
  survey tokens (the local runner generates ``var/secrets/tracking_secret``; without either the
  service creates that file on first start). Every api and worker process must share it.
- ``MMS_CAMPAIGN_FREQUENCY_CAP`` (3) marketing emails per customer per
  ``MMS_CAMPAIGN_FREQUENCY_WINDOW_DAYS`` (7) rolling days; 0 switches the cap off.
- ``MMS_CAMPAIGN_SEND_CHUNK`` (50): messages handed to SMTP between two commits; at most this many
  can be "in doubt" after a worker crash (they are never sent twice).
- ``MMS_CAMPAIGN_RETRY_DELAYS`` ("60,300,1800,7200"): seconds before each retry of a temporary
  SMTP failure; after the last one the message is a soft bounce.
- ``MMS_CAMPAIGN_SEND_RUN_SECONDS`` (20): how long one run of the send job may send before it
  yields (the job runs again a second later).
- ``MMS_CAMPAIGN_MACHINE_SECONDS`` (5), ``MMS_CAMPAIGN_CLICK_BURST_SECONDS`` (1): machine
  detection thresholds (see ``domain/machine.py``).
- ``MMS_CAMPAIGN_ATTRIBUTION_LOOKBACK_DAYS`` (30), ``MMS_CAMPAIGN_ATTRIBUTION_MODEL``
  (last_touch): lookback window, and the model reports use unless asked for another.
- ``MMS_CAMPAIGN_FX_RATES`` ("USD=0.92,CNY=0.1285"): fallback rates to the base currency for
  costs when neither the cost nor the sales exchange-rate replica gives one.
- ``MMS_CAMPAIGN_UNSUBSCRIBE_MAILTO``: address for the mailto form of List-Unsubscribe (default
  unsubscribe@ the sender's domain).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from campaign_service.domain.money import parse_rates
from servicekit.config import ConfigError, env_float, env_int, env_list, env_str, var_dir

MODELS = ("last_touch", "first_touch", "linear")


def _tracking_secret() -> bytes:
    inline = env_str("TRACKING_SECRET")
    if inline:
        return inline.encode()
    path = env_str("TRACKING_SECRET_FILE")
    if path:
        try:
            return Path(path).read_text().strip().encode()
        except OSError as exc:
            raise ConfigError(f"MMS_TRACKING_SECRET_FILE: cannot read {path}: {exc}") from exc
    default = var_dir() / "secrets" / "tracking_secret"
    if not default.exists():
        default.parent.mkdir(parents=True, exist_ok=True)
        # Created exclusively so two processes starting together agree on one secret.
        try:
            fd = os.open(default, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
        except FileExistsError:
            pass
    return default.read_text().strip().encode()


@dataclass(frozen=True)
class CampaignSettings:
    tracking_secret: bytes
    frequency_cap: int | None = 3
    frequency_window_days: int = 7
    send_chunk: int = 50
    retry_delays: tuple[float, ...] = (60.0, 300.0, 1800.0, 7200.0)
    send_run_seconds: float = 20.0
    machine_min_seconds: float = 5.0
    click_burst_seconds: float = 1.0
    lookback_days: int = 30
    attribution_model: str = "last_touch"
    fx_rates: dict[str, Decimal] = field(default_factory=dict)
    unsubscribe_mailto: str | None = None

    @classmethod
    def load(cls, **overrides) -> CampaignSettings:
        cap = env_int("CAMPAIGN_FREQUENCY_CAP", 3)
        model = env_str("CAMPAIGN_ATTRIBUTION_MODEL", "last_touch")
        if model not in MODELS:
            raise ConfigError(f"MMS_CAMPAIGN_ATTRIBUTION_MODEL must be one of {', '.join(MODELS)}")
        try:
            delays = tuple(
                float(x) for x in env_list("CAMPAIGN_RETRY_DELAYS", ["60", "300", "1800", "7200"])
            )
        except ValueError as exc:
            raise ConfigError("MMS_CAMPAIGN_RETRY_DELAYS must list seconds, e.g. 60,300") from exc
        values = dict(
            frequency_cap=cap if cap > 0 else None,
            frequency_window_days=env_int("CAMPAIGN_FREQUENCY_WINDOW_DAYS", 7),
            send_chunk=max(1, env_int("CAMPAIGN_SEND_CHUNK", 50)),
            retry_delays=delays,
            send_run_seconds=env_float("CAMPAIGN_SEND_RUN_SECONDS", 20.0),
            machine_min_seconds=env_float("CAMPAIGN_MACHINE_SECONDS", 5.0),
            click_burst_seconds=env_float("CAMPAIGN_CLICK_BURST_SECONDS", 1.0),
            lookback_days=max(1, env_int("CAMPAIGN_ATTRIBUTION_LOOKBACK_DAYS", 30)),
            attribution_model=model,
            fx_rates=parse_rates(env_str("CAMPAIGN_FX_RATES")),
            unsubscribe_mailto=env_str("CAMPAIGN_UNSUBSCRIBE_MAILTO"),
        )
        values.update(overrides)
        if "tracking_secret" not in values:
            values["tracking_secret"] = _tracking_secret()
        return cls(**values)
