"""``support-service``: migrate, run the api or the worker, operate the outbox and dead letters."""

from __future__ import annotations

from servicekit.cli import service_cli
from support_service.entrypoints import runtime
from support_service.entrypoints.demo import seed

cli = service_cli(
    "support", runtime.build, "support_service.entrypoints.wsgi:create_app()", seed=seed
)


def main() -> None:
    """Entry point of ``support-service``."""
    cli()


if __name__ == "__main__":
    main()
