"""``gateway-service webhooks ...``: operator commands (at-rest key rotation, parked events)."""

from __future__ import annotations

import json

import amqp
import click

from gateway.webhooks.worker import QUEUE
from servicekit.amqp import connect
from servicekit.config import ServiceSettings
from servicekit.consumer import ATTEMPT_HEADER
from servicekit.db import Database

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


def _describe(message) -> dict:
    props = message.properties
    headers = props.get("application_headers") or {}
    return {
        "event_id": props.get("message_id"),
        "event_type": props.get("type"),
        "attempts": headers.get(ATTEMPT_HEADER),
        "failed_at": headers.get("x-mms-failed-at"),
        "error": headers.get("x-mms-error"),
    }


@dead.command("list", help="Show parked events without removing them.")
@click.option("--limit", default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def dead_list(limit, as_json):
    found = []
    with connect(_amqp_url()) as conn:
        channel = conn.channel()
        for _ in range(limit):
            message = channel.basic_get(queue=DEAD, no_ack=False)
            if message is None:
                break
            found.append(_describe(message))
        channel.close()  # unacknowledged: they return to the queue, in order
    if as_json:
        click.echo(json.dumps(found, indent=2))
    elif not found:
        click.echo("no parked events")
    for item in [] if as_json else found:
        click.echo(
            f"{item['event_id']}  {item['event_type']}  attempts={item['attempts']}  "
            f"failed_at={item['failed_at']}\n    {item['error']}"
        )


@dead.command("redrive", help="Send parked events back to the webhook queue.")
@click.option("--event-id", default=None, help="Only this event")
def dead_redrive(event_id):
    moved = 0
    with connect(_amqp_url()) as conn:
        channel, side = conn.channel(), conn.channel()
        side.confirm_select()
        depth = channel.queue_declare(queue=DEAD, passive=True).message_count
        for _ in range(depth):
            message = channel.basic_get(queue=DEAD, no_ack=False)
            if message is None:
                break
            if event_id is not None and message.properties.get("message_id") != event_id:
                continue  # left unacknowledged: returns to the queue
            props = dict(message.properties)
            headers = {
                k: v
                for k, v in (props.get("application_headers") or {}).items()
                if not k.startswith("x-mms-") and k != "x-death"
            }
            side.basic_publish_confirm(
                amqp.Message(
                    message.body,
                    content_type=props.get("content_type"),
                    delivery_mode=2,
                    message_id=props.get("message_id"),
                    type=props.get("type"),
                    correlation_id=props.get("correlation_id"),
                    application_headers={**headers, ATTEMPT_HEADER: 0},
                ),
                exchange="",
                routing_key=QUEUE,
            )
            channel.basic_ack(message.delivery_tag)
            moved += 1
        channel.close()
    click.echo(f"re-drove {moved} event(s)")
