"""``analytics-service``: the shared operator commands plus rebuild, score and archive status.

rebuild          empty every projection and replay the event archive into it (progress shown)
score            recompute customer scores now and publish the changed ones
archive status   how many events are archived, per type, and the time span they cover
"""

from __future__ import annotations

import json
import sys
from datetime import date

import click
from sqlalchemy import func, select

from analytics_service.adapters import tables as t
from analytics_service.entrypoints import runtime
from analytics_service.entrypoints.demo import seed
from servicekit.cli import service_cli

cli = service_cli(
    "analytics", runtime.build, "analytics_service.entrypoints.wsgi:create_app()", seed=seed
)


def _runtime():
    root = click.get_current_context().find_root()
    if root.obj is None:
        root.obj = runtime.build()
    return root.obj


@cli.command(help="Empty every projection and replay the event archive into it.")
@click.option("--batch-size", default=2000, show_default=True, type=click.IntRange(1, 50000))
@click.option("--score/--no-score", default=True, show_default=True, help="Rescore afterwards.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def rebuild(batch_size, score, yes):
    from analytics_service.service.rebuild import archived_count
    from analytics_service.service.rebuild import rebuild as run_rebuild
    from analytics_service.service.scoring import recompute_scores

    rt = _runtime()
    total = archived_count(rt.db)
    if not yes:
        click.confirm(
            f"Empty the analytics projections and replay {total} archived events? Reports are "
            "incomplete until it finishes.",
            abort=True,
        )
    with click.progressbar(length=total, label="replaying", file=sys.stderr) as bar:
        result = run_rebuild(rt.db, rt.uow, batch_size=batch_size, progress=bar.update)
    click.echo(
        f"analytics: replayed {result.events} events in {result.batches} batches into "
        f"{result.tables} tables"
    )
    if score:
        scored = recompute_scores(rt.db, rt.uow, rt.settings.base_currency)
        click.echo(f"analytics: scored {scored.scored} customers, published {scored.published}")


@cli.command(help="Recompute customer scores now and publish those that changed.")
@click.option("--as-of", default=None, help="Score as of this day (YYYY-MM-DD; default today).")
def score(as_of):
    from analytics_service.service.scoring import recompute_scores

    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError as exc:
        raise click.BadParameter(f"not a date: {as_of}", param_hint="--as-of") from exc
    rt = _runtime()
    result = recompute_scores(rt.db, rt.uow, rt.settings.base_currency, as_of=day)
    click.echo(
        f"analytics: scored {result.scored} customers as of {result.as_of}, published "
        f"{result.published}, removed {result.removed}"
    )


@cli.group(help="The event archive every projection is rebuilt from.")
def archive():
    pass


@archive.command("status", help="Archived events per type and the time span they cover.")
def archive_status():
    rt = _runtime()
    a = t.event_archive.c
    with rt.db.session() as session:
        per_type = session.execute(
            select(a.event_type, func.count(), func.min(a.occurred_at), func.max(a.occurred_at))
            .group_by(a.event_type)
            .order_by(a.event_type)
        ).all()
    click.echo(
        json.dumps(
            {
                "service": "analytics",
                "events": sum(row[1] for row in per_type),
                "types": {
                    row[0]: {
                        "events": row[1],
                        "first": row[2].isoformat() if row[2] else None,
                        "last": row[3].isoformat() if row[3] else None,
                    }
                    for row in per_type
                },
            },
            indent=2,
        )
    )


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
