"""Support's own settings (``MMS_SUPPORT_*``), read once when the runtime is built."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from servicekit.config import ConfigError, env_bool, env_float, env_int, env_str
from support_service.domain.sla import LOW_SCORE_ACTIONS, SURVEY_CHOICES


@dataclass(frozen=True)
class SupportSettings:
    reopen_window_days: int = 7
    auto_close: bool = True
    warning_percent: int = 80
    sla_scan_interval: float = 30.0
    sla_scan_batch: int = 500
    survey_kind: str = "csat"  # csat, nps or none
    survey_delay_minutes: int = 0
    survey_ttl_days: int = 14
    low_score_action: str = "reopen"  # reopen, complaint or none
    csat_low_threshold: int = 2
    nps_low_threshold: int = 6
    mail_interval: float = 5.0
    reply_emails: bool = True
    public_base_url: str = "http://127.0.0.1:8080"
    support_name: str = "Customer Support"

    @classmethod
    def load(cls, public_base_url: str, **overrides) -> SupportSettings:
        """Read ``MMS_SUPPORT_*`` (and the public base URL for links in emails)."""
        values = dict(
            reopen_window_days=env_int("SUPPORT_REOPEN_WINDOW_DAYS", 7),
            auto_close=env_bool("SUPPORT_AUTO_CLOSE", True),
            warning_percent=env_int("SUPPORT_SLA_WARNING_PERCENT", 80),
            sla_scan_interval=env_float("SUPPORT_SLA_SCAN_INTERVAL", 30.0),
            sla_scan_batch=env_int("SUPPORT_SLA_SCAN_BATCH", 500),
            survey_kind=env_str("SUPPORT_SURVEY_KIND", "csat"),
            survey_delay_minutes=env_int("SUPPORT_SURVEY_DELAY_MINUTES", 0),
            survey_ttl_days=env_int("SUPPORT_SURVEY_TTL_DAYS", 14),
            low_score_action=env_str("SUPPORT_LOW_SCORE_ACTION", "reopen"),
            csat_low_threshold=env_int("SUPPORT_CSAT_LOW_THRESHOLD", 2),
            nps_low_threshold=env_int("SUPPORT_NPS_LOW_THRESHOLD", 6),
            mail_interval=env_float("SUPPORT_MAIL_INTERVAL", 5.0),
            reply_emails=env_bool("SUPPORT_REPLY_EMAILS", True),
            public_base_url=public_base_url,
            support_name=env_str("SUPPORT_NAME", "Customer Support"),
        )
        values.update(overrides)
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse settings that cannot work."""
        if self.survey_kind not in SURVEY_CHOICES:
            raise ConfigError("MMS_SUPPORT_SURVEY_KIND must be csat, nps or none")
        if self.low_score_action not in LOW_SCORE_ACTIONS:
            raise ConfigError("MMS_SUPPORT_LOW_SCORE_ACTION must be reopen, complaint or none")
        if not 1 <= self.warning_percent <= 99:
            raise ConfigError("MMS_SUPPORT_SLA_WARNING_PERCENT must be between 1 and 99")
        if self.reopen_window_days < 0 or self.survey_ttl_days < 1:
            raise ConfigError("reopen window and survey lifetime must be positive")

    @property
    def reopen_window(self) -> timedelta:
        return timedelta(days=self.reopen_window_days)

    @property
    def survey_ttl(self) -> timedelta:
        return timedelta(days=self.survey_ttl_days)

    def low_threshold(self, kind: str) -> int:
        """The score at or below which an answer of ``kind`` counts as low."""
        return self.csat_low_threshold if kind == "csat" else self.nps_low_threshold
