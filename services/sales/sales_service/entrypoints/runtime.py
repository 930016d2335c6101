"""Build the sales service's runtime from the environment (no I/O until first use)."""

from __future__ import annotations

from pathlib import Path

from sales_service.adapters import repositories as r
from sales_service.integration.incoming import registry
from sales_service.integration.outgoing import to_integration
from sales_service.service.config import SalesConfig
from servicekit.config import ServiceSettings, env_float
from servicekit.runtime import ServiceRuntime
from servicekit.scheduler import Job

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

REPOSITORIES = {
    "customers": r.CustomerReplica,
    "coupons": r.CouponLedger,
    "products": r.ProductRepository,
    "channels": r.ChannelRepository,
    "price_lists": r.PriceListRepository,
    "leads": r.LeadRepository,
    "rules": r.AssignmentRuleRepository,
    "pipelines": r.PipelineRepository,
    "opportunities": r.OpportunityRepository,
    "quotes": r.QuoteRepository,
    "orders": r.OrderRepository,
    "contracts": r.ContractRepository,
    "targets": r.TargetRepository,
    "tasks": r.TaskRepository,
    "fx": r.FxRateRepository,
    "numbers": r.Numbers,
}


def jobs_for(rt: ServiceRuntime) -> list[Job]:
    """Reminders and expiries the worker runs (one instance at a time, see servicekit.scheduler)."""
    from sales_service.service import contracts, quotes, tasks

    config: SalesConfig = rt.extras["config"]
    every = env_float("SALES_REMINDER_INTERVAL", 30.0)
    return [
        Job("task-reminders", every, lambda: tasks.remind_due(rt.uow, config.now())),
        Job(
            "contract-renewal-reminders",
            every * 10,
            lambda: contracts.send_renewal_reminders(rt.uow, config.now()),
        ),
        Job("contract-expiry", every * 10, lambda: contracts.expire_ended(rt.uow, config.now())),
        Job("quote-expiry", every * 10, lambda: quotes.expire_due(rt.uow, config.now())),
    ]


def build(
    settings: ServiceSettings | None = None, *, config: SalesConfig | None = None, **overrides
) -> ServiceRuntime:
    settings = settings or ServiceSettings.load("sales", **overrides)
    config = config or SalesConfig(base_currency=settings.base_currency)
    repositories = {**REPOSITORIES, "config": lambda _session: config}
    rt = ServiceRuntime.build(
        settings,
        to_integration=to_integration,
        repositories=repositories,
        migrations_dir=MIGRATIONS,
        registry=registry,
        extras={"config": config},
    )
    rt.jobs = jobs_for(rt)
    return rt
