"""Webhooks in the gateway worker: the ``gateway.webhooks`` consumer and the delivery thread.

The queue is bound with ``#`` to ``mms.events``; servicekit's consumer gives it the inbox,
delayed retries (``gateway.webhooks.retry.<ms>ms``) and parking (``gateway.webhooks.dead``).
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.webhooks.addresses import AddressPolicy
from gateway.webhooks.dispatch import Dispatcher
from gateway.webhooks.engine import DeliveryEngine
from gateway.webhooks.maintenance import jobs as maintenance_jobs
from gateway.webhooks.secretbox import SecretBox
from gateway.webhooks.settings import WebhookSettings
from servicekit.amqp import QueueTopology
from servicekit.config import ServiceSettings
from servicekit.consumer import HandlerRegistry
from servicekit.db import Database
from servicekit.health import Check
from servicekit.scheduler import Job
from servicekit.worker import Worker

QUEUE = "gateway.webhooks"


@dataclass(frozen=True)
class WebhookTopology(QueueTopology):
    """``gateway.webhooks`` (+ ``.retry.<ms>ms`` and ``.dead``) instead of ``<name>.events``."""

    @property
    def main(self) -> str:
        return self.consumer

    @property
    def dead(self) -> str:
        return f"{self.consumer}.dead"

    def retry(self, attempt: int) -> str:
        return f"{self.consumer}.retry.{int(self.retry_delays[attempt - 1] * 1000)}ms"


def topology(service_settings: ServiceSettings) -> WebhookTopology:
    return WebhookTopology(
        consumer=QUEUE,
        exchange=service_settings.exchange,
        bindings=("#",),
        retry_delays=service_settings.retry_delays,
        quorum=service_settings.quorum_queues,
    )


@dataclass
class WebhookWorker:
    """The parts the gateway worker runs for webhooks."""

    dispatcher: Dispatcher
    engine: DeliveryEngine
    registry: HandlerRegistry
    jobs: list[Job]

    @classmethod
    def build(cls, db: Database, settings: WebhookSettings, **engine_options) -> WebhookWorker:
        policy = AddressPolicy(settings.allowed_networks, settings.denied_networks)
        engine = DeliveryEngine(
            db, settings, SecretBox(settings.secret_keys), policy, **engine_options
        )
        dispatcher = Dispatcher(settings, on_new=engine.wake)
        return cls(dispatcher, engine, dispatcher.registry(), maintenance_jobs(db, settings))

    def attach(self, worker: Worker, service_settings: ServiceSettings) -> None:
        """Point the worker's consumer at ``gateway.webhooks`` and check the delivery loop."""
        webhook_topology = topology(service_settings)
        worker.consumer.topology = webhook_topology
        worker.consumer.name = webhook_topology.consumer
        worker.checks.append(Check("webhook_delivery", self.engine.healthy_problem))


class GatewayWorker(Worker):
    """servicekit's worker plus the webhook delivery thread."""

    def __init__(self, *args, webhooks: WebhookWorker | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.webhooks = webhooks

    def start_background(self) -> None:
        super().start_background()
        if self.webhooks is not None:
            self._spawn("webhook-delivery", lambda: self.webhooks.engine.run(self.stop_event))

    def stop(self) -> None:
        super().stop()
        if self.webhooks is not None:
            self.webhooks.engine.stop()
