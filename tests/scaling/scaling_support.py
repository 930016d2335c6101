"""Helpers of the scaling proofs: probe queues on the events exchange, Prometheus counters,
authenticated HTTP sessions against one service."""

from __future__ import annotations

import json
from collections import Counter

import amqp
import requests
from prometheus_client.parser import text_string_to_metric_families

from servicekit.amqp import connect, events_exchange
from servicekit.testing.identities import IdentityMinter
from servicekit.testing.processes import Suite


def bind_probe(amqp_url: str, queue: str, *patterns: str) -> None:
    """A durable queue bound to ``patterns`` on mms.events: it sees what a foreign consumer
    would see, without competing with the services' own queues."""
    with connect(amqp_url) as conn:
        channel = conn.default_channel
        events_exchange("mms.events")(channel).declare()
        channel.queue_declare(queue, durable=True, auto_delete=False)
        for pattern in patterns:
            channel.queue_bind(queue, "mms.events", pattern)


def drain(amqp_url: str, queue: str) -> list[dict]:
    """Take every message waiting on ``queue``; return their envelopes."""
    found = []
    with connect(amqp_url) as conn:
        channel = conn.channel()
        while True:
            message: amqp.Message | None = channel.basic_get(queue=queue, no_ack=True)
            if message is None:
                return found
            found.append(json.loads(message.body))


def duplicates(event_ids: list[str]) -> dict[str, int]:
    return {event_id: n for event_id, n in Counter(event_ids).items() if n > 1}


def counter(text: str, name: str, **labels: str) -> float:
    """Sum of the samples of counter ``name`` whose labels include ``labels``."""
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name != f"{name}_total" and sample.name != name:
                continue
            if all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


def service_session(suite: Suite, service: str, name: str | None = None) -> requests.Session:
    """A session calling ``service``'s api directly with an admin identity, as the gateway
    would."""
    minter = IdentityMinter(suite.keys.private_pem, suite.keys.public_pem)
    session = requests.Session()
    session.headers.update(minter.headers())
    session.base_url = suite.processes[name or f"{service}-api"].url
    return session


def get(session: requests.Session, path: str, **kwargs) -> requests.Response:
    return session.get(session.base_url + path, timeout=30, **kwargs)


def post(session: requests.Session, path: str, body: dict, **kwargs) -> requests.Response:
    return session.post(session.base_url + path, json=body, timeout=30, **kwargs)
