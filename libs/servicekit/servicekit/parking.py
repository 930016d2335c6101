"""Operator commands for a parking queue: list, re-drive and drop parked messages.

Every consuming service has ``<service>.events.dead`` (servicekit's CLI) and the gateway's
webhook worker has its own; :func:`add_parking_commands` gives each the same three commands.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import amqp
import click

from servicekit.amqp import connect
from servicekit.consumer import ATTEMPT_HEADER


def describe_parked(message) -> dict:
    """What an operator needs to know about one parked message."""
    props = message.properties
    headers = props.get("application_headers") or {}
    return {
        "event_id": props.get("message_id"),
        "event_type": props.get("type"),
        "attempts": headers.get(ATTEMPT_HEADER),
        "failed_at": headers.get("x-mms-failed-at"),
        "error": headers.get("x-mms-error"),
        "consumer": headers.get("x-mms-consumer"),
        "body": message.body.decode() if isinstance(message.body, bytes) else message.body,
    }


def peek_parked(amqp_url: str, queue: str, limit: int) -> list[dict]:
    """Up to ``limit`` parked messages, described, left in the queue in their order."""
    found = []
    with connect(amqp_url) as conn:
        channel = conn.channel()
        for _ in range(limit):
            message = channel.basic_get(queue=queue, no_ack=False)
            if message is None:
                break
            found.append(describe_parked(message))
        channel.close()  # unacked messages go back to the queue, in order
    return found


def move_parked(
    amqp_url: str, queue: str, *, target: str | None, event_id: str | None = None, limit: int
) -> int:
    """Move parked messages (one event's, or up to ``limit``) to ``target`` with a fresh retry
    budget, or discard them when ``target`` is None; return how many."""
    moved = 0
    with connect(amqp_url) as conn:
        channel = conn.channel()
        side = conn.channel()
        side.confirm_select()
        depth = channel.queue_declare(queue=queue, passive=True).message_count
        for _ in range(min(depth, limit if event_id is None else depth)):
            message = channel.basic_get(queue=queue, no_ack=False)
            if message is None:
                break
            if event_id is not None and message.properties.get("message_id") != event_id:
                continue  # left unacked: returns to the queue when the channel closes
            if target is not None:
                side.basic_publish_confirm(_fresh_copy(message), exchange="", routing_key=target)
            channel.basic_ack(message.delivery_tag)
            moved += 1
            if moved >= limit:
                break
        channel.close()
    return moved


def _fresh_copy(message) -> amqp.Message:
    props = dict(message.properties)
    headers = {
        k: v
        for k, v in (props.get("application_headers") or {}).items()
        if not k.startswith("x-mms-") and k != "x-death"
    }
    return amqp.Message(
        message.body,
        content_type=props.get("content_type"),
        delivery_mode=2,
        message_id=props.get("message_id"),
        type=props.get("type"),
        correlation_id=props.get("correlation_id"),
        application_headers={**headers, ATTEMPT_HEADER: 0},
    )


def add_parking_commands(
    group: click.Group,
    *,
    amqp_url: Callable[[], str],
    parked: Callable[[], str],
    target: Callable[[], str],
    noun: str = "message",
) -> None:
    """Add ``list``, ``redrive`` and ``drop`` to ``group`` for the queue ``parked()`` names;
    re-driven messages go to ``target()``. The callables are resolved when a command runs."""

    @group.command("list", help=f"Show parked {noun}s without removing them.")
    @click.option("--limit", default=20, show_default=True)
    @click.option("--json", "as_json", is_flag=True)
    def dead_list(limit, as_json):
        found = peek_parked(amqp_url(), parked(), limit)
        if as_json:
            click.echo(json.dumps(found, indent=2))
            return
        if not found:
            click.echo(f"no parked {noun}s")
        for item in found:
            click.echo(
                f"{item['event_id']}  {item['event_type']}  attempts={item['attempts']}  "
                f"failed_at={item['failed_at']}\n    {item['error']}"
            )

    @group.command("redrive", help=f"Send parked {noun}s back to be handled again.")
    @click.option("--event-id", default=None, help="Only this event")
    @click.option("--limit", default=100000, show_default=True)
    def dead_redrive(event_id, limit):
        moved = move_parked(amqp_url(), parked(), target=target(), event_id=event_id, limit=limit)
        click.echo(f"re-drove {moved} {noun}(s)")

    @group.command("drop", help=f"Discard a parked {noun} for good.")
    @click.option("--event-id", required=True)
    @click.confirmation_option(prompt=f"Discard this parked {noun} for good?")
    def dead_drop(event_id):
        dropped = move_parked(amqp_url(), parked(), target=None, event_id=event_id, limit=1)
        click.echo(f"dropped {dropped} {noun}(s)")
