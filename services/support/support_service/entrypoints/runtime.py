"""Build the support service's runtime from the environment (no I/O until first use)."""

from __future__ import annotations

from pathlib import Path

from servicekit.config import ServiceSettings
from servicekit.mail import MailSettings, SmtpSender
from servicekit.runtime import ServiceRuntime
from servicekit.scheduler import Job
from support_service.adapters.repositories import REPOSITORIES
from support_service.integration.incoming import registry
from support_service.integration.outgoing import to_integration
from support_service.service.context import SupportContext
from support_service.service.settings import SupportSettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def jobs_for(rt: ServiceRuntime) -> list[Job]:
    """The worker's scheduled jobs: SLA scan, auto-close, surveys and reply mail."""
    from support_service.service import mailing, sla_jobs

    ctx: SupportContext = rt.extras["support"]

    def sla_scan():
        sla_jobs.follow_calendar_changes(rt.uow, ctx)
        sla_jobs.scan_sla(rt.uow, ctx)

    def auto_close():
        sla_jobs.close_expired_resolutions(rt.uow, ctx)

    def surveys():
        mailing.expire_surveys(rt.uow, ctx)
        with SmtpSender(ctx.mail_settings) as sender:
            mailing.send_due_surveys(rt.uow, ctx, sender)

    def replies():
        with SmtpSender(ctx.mail_settings) as sender:
            mailing.send_queued_mail(rt.uow, ctx, sender)

    interval = ctx.settings.mail_interval
    return [
        Job("sla-scan", ctx.settings.sla_scan_interval, sla_scan, lease=600),
        Job("close-resolved-tickets", 600, auto_close, lease=600),
        Job("send-surveys", interval, surveys, lease=600),
        Job("send-reply-mail", interval, replies, lease=600),
    ]


def build(
    settings: ServiceSettings | None = None,
    *,
    support: SupportSettings | None = None,
    mail: MailSettings | None = None,
    clock=None,
    **overrides,
) -> ServiceRuntime:
    """The support runtime from the environment (arguments override for tests)."""
    settings = settings or ServiceSettings.load("support", **overrides)
    context = SupportContext(
        settings=support or SupportSettings.load(settings.public_base_url),
        mail_settings=mail or MailSettings.load(),
    )
    if clock is not None:
        context.clock = clock
    rt = ServiceRuntime.build(
        settings,
        to_integration=to_integration,
        repositories=REPOSITORIES,
        migrations_dir=MIGRATIONS,
        registry=registry,
        extras={"support": context},
    )
    rt.jobs = jobs_for(rt)
    return rt
