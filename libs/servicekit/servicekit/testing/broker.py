"""Access to the test RabbitMQ node: a fresh vhost per test, queue inspection, publishing."""

from __future__ import annotations

import json
import urllib.parse
import uuid
from dataclasses import dataclass

import requests

from servicekit.testing.servers import RabbitNode


@dataclass
class BrokerAccess:
    url: str
    api: str
    node: RabbitNode | None = None

    def _api(self, method: str, path: str, **kwargs):
        parsed = urllib.parse.urlsplit(self.api)
        base = f"{parsed.scheme}://{parsed.hostname}:{parsed.port}{parsed.path}"
        response = requests.request(
            method, base + path, auth=(parsed.username, parsed.password), timeout=30, **kwargs
        )
        response.raise_for_status()
        return response.json() if response.content else None

    def new_vhost(self) -> tuple[str, str]:
        """Create an empty vhost; return ``(name, amqp_url)``."""
        name = f"t-{uuid.uuid4().hex[:12]}"
        self._api("PUT", f"/vhosts/{name}")
        self._api(
            "PUT",
            f"/permissions/{name}/guest",
            data=json.dumps({"configure": ".*", "write": ".*", "read": ".*"}),
            headers={"content-type": "application/json"},
        )
        return name, self.vhost_url(name)

    def vhost_url(self, name: str) -> str:
        return self.url.rstrip("/") + "/" + urllib.parse.quote(name, safe="")

    def delete_vhost(self, name: str) -> None:
        try:
            self._api("DELETE", f"/vhosts/{name}")
        except requests.RequestException:
            pass

    def depth(self, vhost: str, name: str) -> int:
        """Messages ready on a queue, exact and immediate (AMQP passive declare; the management
        API's numbers lag by its statistics interval)."""
        import amqp

        conn = amqp.Connection(
            self._amqp_host(),
            userid="guest",
            password="guest",
            virtual_host=vhost,
            connect_timeout=5,
        )
        conn.connect()
        try:
            channel = conn.channel()
            return channel.queue_declare(queue=name, passive=True).message_count
        finally:
            conn.close()

    def _amqp_host(self) -> str:
        parsed = urllib.parse.urlsplit(self.url)
        return f"{parsed.hostname}:{parsed.port}"

    def queue(self, vhost: str, name: str) -> dict:
        return self._api("GET", f"/queues/{urllib.parse.quote(vhost, safe='')}/{name}")

    def queues(self, vhost: str) -> list[dict]:
        return self._api("GET", f"/queues/{urllib.parse.quote(vhost, safe='')}")

    def bindings(self, vhost: str, queue: str) -> list[dict]:
        return self._api("GET", f"/queues/{urllib.parse.quote(vhost, safe='')}/{queue}/bindings")
