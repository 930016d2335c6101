"""``gateway-service webhooks ...``: operator commands (at-rest key rotation, parked events)."""

from __future__ import annotations

import click

from gateway.webhooks.worker import QUEUE
from servicekit.config import ServiceSettings
from servicekit.db import Database
from servicekit.parking import add_parking_commands

DEAD = f"{QUEUE}.dead"


def _settings():
    from gateway.settings import GatewaySettings

    return GatewaySettings.load()


def _amqp_url() -> str:
    return ServiceSettings.load("gateway").amqp_url


@click.group(help="Webhook operations: at-rest key rotation, parked events, purges.")
def webhooks():
    pass


@webhooks.command(
    help="Re-encrypt every subscription secret with the first key of MMS_WEBHOOK_SECRET_KEY "
    "(after putting a new key in front of the old one)."
)
def rekey():
    from gateway.webhooks.maintenance import rekey as run_rekey
    from gateway.webhooks.secretbox import SecretBox

    settings = _settings()
    db = Database(settings.database_url)
    try:
        changed = run_rekey(db, SecretBox(settings.webhooks.secret_keys))
    finally:
        db.dispose()
    click.echo(f"gateway: {changed} webhook subscription(s) re-encrypted")


@webhooks.command(help="Purge finished deliveries and archived events past retention now.")
def purge():
    from gateway.webhooks.maintenance import purge as run_purge

    settings = _settings()
    db = Database(settings.database_url)
    try:
        counts = run_purge(db, settings.webhooks)
    finally:
        db.dispose()
    click.echo("gateway: purged " + ", ".join(f"{v} {k}" for k, v in counts.items()))


@webhooks.group(help=f"Events the webhook consumer parked ({DEAD}).")
def dead():
    pass


add_parking_commands(
    dead, amqp_url=_amqp_url, parked=lambda: DEAD, target=lambda: QUEUE, noun="event"
)
