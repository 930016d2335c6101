"""Build the customer service's runtime from the environment (no I/O until first use)."""

from __future__ import annotations

from pathlib import Path

from customer_service.adapters.repositories import (
    AttributeRepository,
    CustomerRepository,
    ImportRepository,
    InteractionRepository,
    OrderLedger,
    SegmentRepository,
)
from customer_service.integration.incoming import registry
from customer_service.integration.outgoing import to_integration
from servicekit.config import ServiceSettings
from servicekit.runtime import ServiceRuntime
from servicekit.scheduler import Job

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

REPOSITORIES = {
    "customers": CustomerRepository,
    "interactions": InteractionRepository,
    "attributes": AttributeRepository,
    "segments": SegmentRepository,
    "imports": ImportRepository,
    "ledger": OrderLedger,
}


def jobs_for(rt: ServiceRuntime) -> list[Job]:
    from customer_service.service import imports, segments

    def evaluate_pending():
        with rt.db.session() as session:
            pending = segments.pending_segments(session)
        for segment_id in pending:
            segments.evaluate_segment(rt.uow, segment_id)

    def refresh_time_relative():
        with rt.db.session() as session:
            relative = segments.time_relative_segments(session)
        for segment_id in relative:
            segments.evaluate_segment(rt.uow, segment_id)

    def run_imports():
        while imports.process_next_import(rt.uow):
            pass

    return [
        Job("evaluate-segments", 1.0, evaluate_pending, lease=3600),
        Job("refresh-time-relative-segments", 6 * 3600, refresh_time_relative, lease=3600),
        Job("process-imports", 1.0, run_imports, lease=600),
    ]


def build(settings: ServiceSettings | None = None, **overrides) -> ServiceRuntime:
    settings = settings or ServiceSettings.load("customer", **overrides)
    rt = ServiceRuntime.build(
        settings,
        to_integration=to_integration,
        repositories=REPOSITORIES,
        migrations_dir=MIGRATIONS,
        registry=registry,
    )
    rt.jobs = jobs_for(rt)
    return rt
