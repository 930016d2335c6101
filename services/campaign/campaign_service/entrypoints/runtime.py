"""Build the campaign service's runtime from the environment (no I/O until first use)."""

from __future__ import annotations

from pathlib import Path

from campaign_service.adapters.repositories import (
    CampaignRepository,
    CompetitorRepository,
    CostRepository,
    CouponRepository,
    SurveyRepository,
    TemplateRepository,
)
from campaign_service.config import CampaignSettings
from campaign_service.domain.tokens import TokenSigner
from campaign_service.integration.incoming import build_registry
from campaign_service.integration.outgoing import to_integration
from servicekit.config import ServiceSettings
from servicekit.mail import MailSettings, SmtpSender
from servicekit.runtime import ServiceRuntime
from servicekit.scheduler import Job

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

REPOSITORIES = {
    "campaigns": CampaignRepository,
    "templates": TemplateRepository,
    "coupons": CouponRepository,
    "costs": CostRepository,
    "surveys": SurveyRepository,
    "competitors": CompetitorRepository,
}


def jobs_for(rt: ServiceRuntime) -> list[Job]:
    from campaign_service.service import campaigns, sending

    cfg: CampaignSettings = rt.extras["campaign"]

    def send():
        sending.run_send_job(
            rt.uow,
            cfg,
            rt.extras["mail"],
            rt.extras["signer"],
            rt.settings.public_base_url,
            mailer=rt.extras["mailer"],
        )

    return [
        Job("launch-scheduled-campaigns", 5.0, lambda: campaigns.launch_due(rt.uow), lease=120),
        # The lease outlasts a run (send_run_seconds) many times over: one sender at a time.
        Job("send-campaigns", 1.0, send, lease=max(300.0, cfg.send_run_seconds * 10)),
        Job("complete-ended-campaigns", 60.0, lambda: campaigns.complete_due(rt.uow), lease=300),
    ]


def build(
    settings: ServiceSettings | None = None,
    *,
    campaign: CampaignSettings | None = None,
    mail: MailSettings | None = None,
    **overrides,
) -> ServiceRuntime:
    settings = settings or ServiceSettings.load("campaign", **overrides)
    cfg = campaign or CampaignSettings.load()
    rt = ServiceRuntime.build(
        settings,
        to_integration=to_integration,
        repositories=REPOSITORIES,
        migrations_dir=MIGRATIONS,
        registry=build_registry(cfg.lookback_days),
        extras={
            "campaign": cfg,
            "signer": TokenSigner(cfg.tracking_secret),
            "mail": mail or MailSettings.load(),
            "mailer": SmtpSender,
        },
    )
    rt.jobs = jobs_for(rt)
    return rt
