"""The operator CLI every service shares (``<service>-service --help``).

migrate / setup-broker / setup      bring the database and the broker topology up to date
api / worker                        run the service's processes
outbox status | replay              what waits to be published; re-send events to a queue
dead list | redrive | drop          parked messages: inspect, send back, discard
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import amqp
import click
from sqlalchemy import func, select

from servicekit import migrations, tables
from servicekit.amqp import connect
from servicekit.consumer import topic_matches
from servicekit.parking import add_parking_commands
from servicekit.relay import backlog
from servicekit.runtime import ServiceRuntime
from servicekit.worker import Worker, topology_for


def _gunicorn_config() -> str:
    configured = os.environ.get("MMS_GUNICORN_CONFIG")
    if configured:
        return configured
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "deploy" / "gunicorn.conf.py"
        if candidate.exists():
            return str(candidate)
    raise click.ClickException("deploy/gunicorn.conf.py not found; set MMS_GUNICORN_CONFIG")


def _parse_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO 8601 time: {value}") from exc
    if parsed.tzinfo is None:
        raise click.BadParameter("give the time zone, e.g. 2026-11-01T00:00:00Z")
    return parsed


def service_cli(
    name: str,
    build: Callable[[], ServiceRuntime],
    app_factory: str,
    *,
    seed: Callable[[ServiceRuntime], None] | None = None,
) -> click.Group:
    """A click group for service ``name``.

    ``build`` makes the runtime, ``app_factory`` is the gunicorn app spec
    (``customer_service.entrypoints.wsgi:create_app()``), ``seed`` loads demo data.
    """

    @click.group(help=f"Operate the {name} service.")
    @click.pass_context
    def cli(ctx):
        ctx.obj = None

    def runtime() -> ServiceRuntime:
        ctx = click.get_current_context()
        root = ctx.find_root()
        if root.obj is None:
            root.obj = build()
        return root.obj

    @cli.command(help="Apply database migrations.")
    def migrate():
        rt = runtime()
        migrations.upgrade(rt.migrations_dir, rt.db)
        click.echo(f"{name}: database at {migrations.current(rt.migrations_dir, rt.db)}")

    @cli.command("setup-broker", help="Declare the exchange, this service's queues and bindings.")
    def setup_broker():
        rt = runtime()
        if rt.registry is None or not rt.registry.bindings():
            from servicekit.amqp import declare_exchange

            declare_exchange(rt.settings.amqp_url, rt.settings.exchange)
            click.echo(
                f"{name}: exchange {rt.settings.exchange} declared (no queue: consumes nothing)"
            )
            return
        topology = topology_for(rt.settings, rt.registry)
        with connect(rt.settings.amqp_url) as conn:
            topology.declare(conn.default_channel)
        click.echo(f"{name}: {topology.main} bound to {len(topology.bindings)} event types")

    @cli.command(help="migrate, then setup-broker.")
    @click.pass_context
    def setup(ctx):
        ctx.invoke(migrate)
        ctx.invoke(setup_broker)

    @cli.command(help="Run the HTTP api under gunicorn.")
    @click.option("--bind", default=None, help="host:port (default from MMS_<SERVICE>_PORT)")
    @click.option("--workers", type=int, default=None)
    def api(bind, workers):
        # The gunicorn of this interpreter's environment, whatever PATH says.
        args = [sys.executable, "-m", "gunicorn", "-c", _gunicorn_config()]
        if bind:
            args += ["--bind", bind]
        if workers:
            args += ["--workers", str(workers)]
        os.environ.setdefault("MMS_SERVICE", name)
        args.append(app_factory)
        os.execvp(args[0], args)

    @cli.command(help="Run the worker: consumer, outbox relay and scheduled jobs.")
    def worker():
        rt = runtime()
        Worker(rt.settings, rt.db, rt.uow, registry=rt.registry, jobs=rt.jobs).run()

    if seed is not None:

        @cli.command("seed-demo", help="Load demo data (idempotent).")
        def seed_demo():
            seed(runtime())

    # -- outbox -----------------------------------------------------------------------------

    @cli.group(help="The transactional outbox.")
    def outbox():
        pass

    @outbox.command("status", help="Unpublished rows, the oldest one's age, recent throughput.")
    def outbox_status():
        rt = runtime()
        with rt.db.session() as session:
            oldest = session.execute(
                select(func.min(tables.outbox.c.created_at)).where(
                    tables.outbox.c.published_at.is_(None)
                )
            ).scalar()
            total = session.execute(select(func.count()).select_from(tables.outbox)).scalar_one()
        waiting = backlog(rt.db)
        click.echo(
            json.dumps(
                {
                    "service": name,
                    "unpublished": waiting,
                    "oldest_unpublished": oldest.isoformat() if oldest else None,
                    "rows_kept": total,
                },
                indent=2,
            )
        )

    @outbox.command(
        "replay",
        help="Re-send published events to one queue (a consumer's inbox "
        "drops what it already handled).",
    )
    @click.option("--queue", required=True, help="Target queue, e.g. analytics.events")
    @click.option("--type", "pattern", default="#", help="Event type pattern (AMQP topic syntax)")
    @click.option("--since", default=None, help="ISO 8601 with zone")
    @click.option("--until", default=None, help="ISO 8601 with zone")
    def outbox_replay(queue, pattern, since, until):
        rt = runtime()
        since_t, until_t = _parse_time(since), _parse_time(until)
        query = select(
            tables.outbox.c.event_id,
            tables.outbox.c.event_type,
            tables.outbox.c.payload,
            tables.outbox.c.headers,
        ).order_by(tables.outbox.c.id)
        if since_t:
            query = query.where(tables.outbox.c.created_at >= since_t)
        if until_t:
            query = query.where(tables.outbox.c.created_at < until_t)
        with rt.db.session() as session:
            rows = [r for r in session.execute(query) if topic_matches(pattern, r.event_type)]
        sent = 0
        with connect(rt.settings.amqp_url) as conn:
            channel = conn.channel()
            channel.confirm_select()
            with click.progressbar(rows, label=f"replaying to {queue}", file=sys.stderr) as bar:
                for row in bar:
                    headers = json.loads(row.headers)
                    channel.basic_publish_confirm(
                        amqp.Message(
                            row.payload,
                            content_type="application/json",
                            delivery_mode=2,
                            message_id=row.event_id,
                            type=row.event_type,
                            application_headers=headers,
                        ),
                        exchange="",
                        routing_key=queue,
                    )
                    sent += 1
        click.echo(f"replayed {sent} events to {queue}")

    # -- parked messages --------------------------------------------------------------------

    @cli.group(help="Messages parked after failing (the <service>.events.dead queue).")
    def dead():
        pass

    add_parking_commands(
        dead,
        amqp_url=lambda: runtime().settings.amqp_url,
        parked=lambda: f"{runtime().settings.service}.events.dead",
        target=lambda: f"{runtime().settings.service}.events",
    )

    return cli
