"""``campaign-service``: migrate, run the api or the worker, operate the outbox and dead letters."""

from __future__ import annotations

from campaign_service.entrypoints import runtime
from campaign_service.entrypoints.demo import seed
from servicekit.cli import service_cli

cli = service_cli(
    "campaign", runtime.build, "campaign_service.entrypoints.wsgi:create_app()", seed=seed
)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
