"""``gateway-service``: setup, migrate, api, worker, create-admin, seed-demo."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from gateway.passwords import Passwords, password_problem
from gateway.ratelimit import RateLimiter
from gateway.runtime import MIGRATIONS
from gateway.settings import GatewaySettings
from gateway.store import Store
from gateway.webhooks.commands import webhooks as webhooks_commands
from servicekit import migrations
from servicekit.config import ServiceSettings
from servicekit.db import Database
from servicekit.scheduler import Job


def _settings() -> GatewaySettings:
    return GatewaySettings.load()


def _store(settings: GatewaySettings) -> Store:
    return Store(Database(settings.database_url))


def _create_admin(store: Store, email: str, name: str, password: str) -> None:
    problem = password_problem(password, email=email)
    if problem:
        raise click.ClickException(f"password not accepted: {problem}")
    existing = store.user_by_email(email)
    if existing is not None:
        raise click.ClickException(f"a user with the email {email} exists already")
    store.create_user(
        email=email,
        name=name,
        password_hash=Passwords().hash(password),
        roles=["admin"],
        team=None,
    )


@click.group(help="Operate the API gateway.")
def cli():
    pass


@cli.command(help="Apply database migrations.")
def migrate():
    settings = _settings()
    db = Database(settings.database_url)
    migrations.upgrade(MIGRATIONS, db)
    click.echo(f"gateway: database at {migrations.current(MIGRATIONS, db)}")
    db.dispose()


@cli.command(help="migrate, then create the first admin from MMS_ADMIN_EMAIL/MMS_ADMIN_PASSWORD.")
@click.pass_context
def setup(ctx):
    ctx.invoke(migrate)
    settings = _settings()
    store = _store(settings)
    if store.has_active_admin():
        click.echo("gateway: an admin exists")
        return
    if not settings.admin_email or not settings.admin_password:
        click.echo(
            "gateway: no admin yet; set MMS_ADMIN_EMAIL and MMS_ADMIN_PASSWORD and run setup "
            "again, or run create-admin",
            err=True,
        )
        return
    _create_admin(store, settings.admin_email, "Administrator", settings.admin_password)
    click.echo(f"gateway: admin {settings.admin_email} created")


@cli.command("create-admin", help="Create an admin user (prompts for the password).")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.password_option()
def create_admin(email, name, password):
    _create_admin(_store(_settings()), email.strip().lower(), name, password)
    click.echo(f"gateway: admin {email} created")


@cli.command(help="Run the HTTP gateway under gunicorn (aiohttp workers).")
@click.option("--bind", default=None, help="host:port (default 127.0.0.1:$MMS_GATEWAY_PORT)")
@click.option("--workers", type=int, default=None)
def api(bind, workers):
    _settings().require_secrets()  # fail here, clearly, not in every worker
    config = os.environ.get("MMS_GATEWAY_GUNICORN_CONFIG") or str(
        Path(__file__).with_name("gunicorn_conf.py")
    )
    args = [sys.executable, "-m", "gunicorn", "-c", config]
    if bind:
        args += ["--bind", bind]
    if workers:
        args += ["--workers", str(workers)]
    args.append("gateway.app:make_app")
    os.execv(args[0], args)


def maintenance_jobs(store: Store, limiter: RateLimiter) -> list[Job]:
    """Purges: spent/expired refresh tokens and old revoked-session markers; full buckets."""
    return [
        Job("purge-refresh-tokens", 3600, store.purge_expired, lease=600),
        Job("purge-rate-limits", 300, limiter.purge, lease=120),
    ]


@cli.command(
    help="Run the worker: webhook delivery (consumer of gateway.webhooks and the delivery loop) "
    "and purges; health on MMS_GATEWAY_WORKER_PORT."
)
def worker():
    from gateway.webhooks.worker import GatewayWorker, WebhookWorker
    from servicekit.logging import get_logger
    from servicekit.uow import UnitOfWorkFactory

    settings = _settings()
    service_settings = ServiceSettings.load("gateway", database_url=settings.database_url)
    db = Database(settings.database_url)
    ratelimit_db = (
        db
        if settings.ratelimit_database_url == settings.database_url and not db.is_sqlite
        else Database(settings.ratelimit_database_url, pool_size=1, max_overflow=0)
    )
    store = Store(db)
    limiter = RateLimiter(ratelimit_db)
    webhooks = None
    if settings.webhooks.configured:
        webhooks = WebhookWorker.build(db, settings.webhooks)
    elif settings.webhooks.enabled:
        get_logger("gateway.worker").warning(
            "webhooks_not_configured",
            problem="no MMS_WEBHOOK_SECRET_KEY[_FILE]: webhook delivery does not run",
        )
    worker = GatewayWorker(
        service_settings,
        db,
        UnitOfWorkFactory(db, "gateway"),
        registry=webhooks.registry if webhooks else None,
        jobs=maintenance_jobs(store, limiter) + (webhooks.jobs if webhooks else []),
        run_relay=False,
        webhooks=webhooks,
    )
    if webhooks is not None:
        webhooks.attach(worker, service_settings)
    worker.run()


cli.add_command(webhooks_commands)


@cli.command("seed-demo", help="Create demo users for every role and a demo API key.")
def seed_demo():
    from gateway.demo import seed
    from gateway.runtime import GatewayRuntime

    settings = _settings()
    if not settings.identity_private_key:
        # seed-demo needs no signing key; satisfy the runtime's check with a throwaway one.
        from servicekit.identity import generate_keypair

        settings = settings.replace(identity_private_key=generate_keypair()[0])
    if settings.jwt_algorithm == "HS256" and not settings.jwt_secret:
        import secrets

        settings = settings.replace(jwt_secret=secrets.token_urlsafe(48))
    rt = GatewayRuntime(settings)
    try:
        seed(rt)
    finally:
        rt.executor.shutdown(wait=False)
        rt.limit_executor.shutdown(wait=False)
        rt.db.dispose()


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
