"""Build the analytics service's runtime from the environment (no I/O until first use)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event

from analytics_service.integration.incoming import registry
from analytics_service.integration.outgoing import to_integration
from servicekit.config import ServiceSettings, env_float
from servicekit.db import Database
from servicekit.runtime import ServiceRuntime
from servicekit.scheduler import Job

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def jobs_for(rt: ServiceRuntime) -> list[Job]:
    from analytics_service.service.scoring import history_signature, recompute_scores

    last: dict[str, object] = {}

    def score():
        # Cheap check first: rescoring only matters when purchases changed or a day passed.
        signature = history_signature(rt.db)
        if signature == last.get("signature"):
            return
        recompute_scores(rt.db, rt.uow, rt.settings.base_currency)
        last["signature"] = signature

    return [
        Job(
            "score-customers",
            env_float("ANALYTICS_SCORING_INTERVAL", 300.0),
            score,
            lease=3600,
        )
    ]


def tune_sqlite(db: Database) -> None:
    """Reports scan large tables: on SQLite, map the file into memory and keep a bigger page
    cache than the 2 MB default (creating the engine object opens no connection)."""
    if not db.is_sqlite:
        return

    @event.listens_for(db.engine, "connect")
    def _reads(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA mmap_size=4294967296")
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.close()


def build(settings: ServiceSettings | None = None, **overrides) -> ServiceRuntime:
    settings = settings or ServiceSettings.load("analytics", **overrides)
    rt = ServiceRuntime.build(
        settings,
        to_integration=to_integration,
        migrations_dir=MIGRATIONS,
        registry=registry,
    )
    rt.jobs = jobs_for(rt)
    tune_sqlite(rt.db)
    return rt
