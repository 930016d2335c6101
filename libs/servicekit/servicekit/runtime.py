"""Everything one service process needs, built once per process from settings.

The api (Flask app), the worker and the operator CLI of a service all start from the same
:class:`ServiceRuntime`, which each service builds in ``entrypoints/runtime.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from servicekit.config import ServiceSettings
from servicekit.consumer import HandlerRegistry
from servicekit.db import Database
from servicekit.identity import IdentityVerifier
from servicekit.scheduler import Job
from servicekit.uow import UnitOfWorkFactory


@dataclass
class ServiceRuntime:
    """Settings, database, units of work, event handlers, jobs and identity verification.

    ``extras`` holds service-specific collaborators (an SMTP sender, a clock) that the service's
    runtime builder adds.
    """

    settings: ServiceSettings
    db: Database
    uow: UnitOfWorkFactory
    verifier: IdentityVerifier
    migrations_dir: Path
    registry: HandlerRegistry | None = None
    jobs: list[Job] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        settings: ServiceSettings,
        *,
        to_integration,
        repositories: dict | None = None,
        migrations_dir: Path,
        registry: HandlerRegistry | None = None,
        jobs: list[Job] | None = None,
        extras: dict[str, Any] | None = None,
        db: Database | None = None,
    ) -> ServiceRuntime:
        db = db or Database(settings.database_url)
        return cls(
            settings=settings,
            db=db,
            uow=UnitOfWorkFactory(db, settings.service, to_integration, repositories),
            verifier=IdentityVerifier(
                settings.identity_public_keys,
                issuer=settings.identity_issuer,
                audience=settings.identity_audience,
            ),
            migrations_dir=migrations_dir,
            registry=registry,
            jobs=list(jobs or []),
            extras=dict(extras or {}),
        )
