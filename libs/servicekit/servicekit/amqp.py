"""RabbitMQ topology and connections (kombu / py-amqp).

One durable topic exchange (``mms.events``); per consuming service one durable queue
``<service>.events`` bound to the event types it handles, delayed-retry queues
``<service>.events.retry.<n>`` (a TTL, then dead-lettered back to the main queue through the
default exchange) and a parking queue ``<service>.events.dead``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import kombu

HEARTBEAT_SECONDS = 20


def connect(
    url: str, *, heartbeat: int = HEARTBEAT_SECONDS, timeout: float = 5.0
) -> kombu.Connection:
    """An established kombu connection (py-amqp transport)."""
    conn = kombu.Connection(
        url,
        heartbeat=heartbeat,
        connect_timeout=timeout,
        transport_options={"confirm_publish": False},
    )
    conn.connect()
    return conn


def events_exchange(name: str) -> kombu.Exchange:
    return kombu.Exchange(name, type="topic", durable=True, auto_delete=False)


@dataclass(frozen=True)
class QueueTopology:
    """The queues of one consuming service and how they are bound."""

    consumer: str
    exchange: str
    bindings: tuple[str, ...]
    retry_delays: tuple[float, ...]
    quorum: bool = False

    @property
    def main(self) -> str:
        return f"{self.consumer}.events"

    @property
    def dead(self) -> str:
        return f"{self.consumer}.events.dead"

    def retry(self, attempt: int) -> str:
        """The delay queue for retry number ``attempt`` (1-based).

        Named by its delay, so changing the delays creates new queues instead of clashing with
        the arguments of existing ones.
        """
        delay_ms = int(self.retry_delays[attempt - 1] * 1000)
        return f"{self.consumer}.events.retry.{delay_ms}ms"

    def _durable_args(self) -> dict:
        return {"x-queue-type": "quorum"} if self.quorum else {}

    def declare(self, channel, *, unbind: Iterable[str] = ()) -> None:
        """Create the exchange, queues and bindings (idempotent)."""
        exchange = events_exchange(self.exchange)
        exchange(channel).declare()
        main = kombu.Queue(
            self.main,
            exchange=exchange,
            routing_key=None,
            durable=True,
            queue_arguments=self._durable_args(),
            no_declare=False,
        )
        bound = main(channel)
        bound.queue_declare()
        for key in sorted(set(self.bindings)):
            bound.bind_to(exchange=self.exchange, routing_key=key)
        for key in unbind:
            bound.unbind_from(exchange=self.exchange, routing_key=key)
        for attempt, delay in enumerate(self.retry_delays, start=1):
            kombu.Queue(
                self.retry(attempt),
                durable=True,
                queue_arguments={
                    "x-message-ttl": int(delay * 1000),
                    "x-dead-letter-exchange": "",
                    "x-dead-letter-routing-key": self.main,
                },
            )(channel).queue_declare()
        kombu.Queue(self.dead, durable=True, queue_arguments=self._durable_args())(
            channel
        ).queue_declare()

    def depths(self, channel) -> dict[str, int]:
        """Messages ready on the main and parking queues (passive declares)."""
        out = {}
        for name in (self.main, self.dead):
            result = channel.queue_declare(queue=name, passive=True)
            out[name] = result.message_count
        return out


def declare_exchange(url: str, exchange: str) -> None:
    with connect(url) as conn:
        events_exchange(exchange)(conn.default_channel).declare()
