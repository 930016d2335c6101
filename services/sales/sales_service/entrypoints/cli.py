"""``sales-service``: migrate, run the api or the worker, seed demo data, operate the outbox and
dead letters."""

from __future__ import annotations

from sales_service.entrypoints import runtime
from sales_service.entrypoints.demo import seed
from servicekit.cli import service_cli

cli = service_cli("sales", runtime.build, "sales_service.entrypoints.wsgi:create_app()", seed=seed)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
