"""deploy/rabbitmq against the real broker: the definitions load into a virtual host, the policy
applies to the quorum queue a service declares, and a message its consumers keep crashing on is
parked on the service's dead queue after the delivery limit instead of looping for ever."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

import amqp
import pytest
import requests
from deploy_checks import ROOT

from servicekit.amqp import connect
from servicekit.testing import wait_for

pytestmark = pytest.mark.integration

SCRIPT = ROOT / "deploy" / "rabbitmq" / "apply_definitions.py"
DEFINITIONS = json.loads((ROOT / "deploy" / "rabbitmq" / "definitions.json").read_text())


def management(broker, path: str) -> dict:
    parts = urllib.parse.urlsplit(broker.api)
    response = requests.get(
        f"{parts.scheme}://{parts.hostname}:{parts.port}{parts.path}{path}",
        auth=(parts.username, parts.password),
        timeout=10,
    )
    response.raise_for_status()
    return response.json()


def test_every_consuming_service_has_a_parking_policy():
    policies = {p["name"]: p for p in DEFINITIONS["policies"]}
    for service in ("customer", "sales", "campaign", "support", "analytics"):
        policy = policies[f"mms-{service}-events"]
        assert policy["pattern"] == f"^{service}\\.events$"
        assert policy["definition"]["dead-letter-routing-key"] == f"{service}.events.dead"
        assert policy["definition"]["dead-letter-exchange"] == ""
        assert policy["definition"]["delivery-limit"] > 0
    assert DEFINITIONS["exchanges"] == [
        {
            "name": "mms.events",
            "type": "topic",
            "durable": True,
            "auto_delete": False,
            "internal": False,
            "arguments": {},
        }
    ]


def test_definitions_apply_to_a_services_quorum_queue(broker, amqp_vhost, tmp_path):
    vhost, url = amqp_vhost
    env = {
        "PATH": os.environ["PATH"],
        "MMS_AMQP_URL": url,
        "MMS_RABBITMQ_API_URL": broker.api,
    }
    loaded = subprocess.run(
        [sys.executable, str(SCRIPT), "--timeout", "20"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert loaded.returncode == 0, loaded.stderr
    assert "mms-customer-events" in loaded.stdout

    setup = subprocess.run(
        [str(Path(sys.executable).parent / "customer-service"), "setup-broker"],
        env={
            **env,
            "MMS_AMQP_QUORUM_QUEUES": "true",
            "MMS_VAR_DIR": str(tmp_path),
            "MMS_LOG_FORMAT": "console",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert setup.returncode == 0, setup.stderr
    quoted = urllib.parse.quote(vhost, safe="")

    def policy_applied():
        queue = management(broker, f"/queues/{quoted}/customer.events")
        return queue if queue.get("policy") == "mms-customer-events" else None

    queue = wait_for(policy_applied, timeout=30, message="policy on customer.events")
    assert queue["type"] == "quorum"
    assert queue["effective_policy_definition"]["delivery-limit"] == 10

    # A poison message: redelivered past the limit (as when a worker dies on it each time).
    with connect(url) as conn:
        channel = conn.channel()
        channel.basic_publish(
            amqp.Message(b"{}", message_id="poison-1", delivery_mode=2),
            exchange="",
            routing_key="customer.events",
        )
        limit = queue["effective_policy_definition"]["delivery-limit"]
        for _ in range(limit + 1):
            message = wait_for(
                lambda: channel.basic_get("customer.events", no_ack=False),
                timeout=10,
                message="the message back on customer.events",
            )
            channel.basic_reject(message.delivery_tag, requeue=True)

        def parked():
            return conn.channel().basic_get("customer.events.dead", no_ack=True)

        message = wait_for(parked, timeout=20, message="the message on customer.events.dead")
        assert message.properties["message_id"] == "poison-1"
        assert channel.basic_get("customer.events", no_ack=True) is None


def test_unknown_broker_fails_after_its_deadline():
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--timeout", "0"],
        env={"PATH": os.environ["PATH"], "MMS_AMQP_URL": "amqp://guest:guest@127.0.0.1:1//"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "not reachable" in result.stderr
