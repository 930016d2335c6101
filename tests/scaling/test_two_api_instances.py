"""Two api instances of one service behind the gateway, and one of them stopped in a rollout.

The gateway knows one URL per service (``MMS_<SERVICE>_URL``): in Kubernetes a Service address
balances across the pods behind it, in compose the service name resolves to every replica. Here
two separate gunicorn masters of the customer api listen on the same port with SO_REUSEPORT
(``GUNICORN_CMD_ARGS=--reuse-port``), so the kernel spreads the gateway's connections across them
the way a Service would. Each instance keeps its own metrics directory, which tells how many
requests each one answered.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from scaling_support import counter

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ADMIN = {"MMS_ADMIN_EMAIL": "scale-admin@example.com", "MMS_ADMIN_PASSWORD": "Scale-proof-2026!x"}
INSTANCES = ("customer-api-1", "customer-api-2")


def answered(suite, name: str) -> float:
    """Requests instance ``name`` answered, read from its own metrics directory."""
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(suite.base / "metrics" / name))
    text = generate_latest(registry).decode()
    return counter(text, "mms_http_requests", endpoint="/api/v1/customers", method="GET")


def test_two_api_instances_share_the_gateways_traffic_and_survive_a_rollout(make_suite, db_backend):
    suite = make_suite("customer", gateway=True, extra_env={"MMS_RATE_LIMITS_ENABLED": "false"})
    suite.setup("customer")
    suite.setup_gateway(env=ADMIN)
    shared_port = suite.port("customer")
    for name in INSTANCES:
        suite.start_api(
            "customer",
            name=name,
            workers=1,
            port=shared_port,
            env={"GUNICORN_CMD_ARGS": "--reuse-port"},
            wait=False,
        )
    suite.wait_ready(*INSTANCES)
    gateway = suite.start_gateway(workers=2).url

    login = requests.post(
        f"{gateway}/api/v1/auth/login",
        json={"email": ADMIN["MMS_ADMIN_EMAIL"], "password": ADMIN["MMS_ADMIN_PASSWORD"]},
        timeout=30,
    )
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}

    def burst(count: int) -> list[int]:
        def one(_):
            # Concurrent calls make the gateway open several pooled upstream connections.
            with requests.Session() as session:
                return session.get(
                    f"{gateway}/api/v1/customers?limit=1", headers=headers, timeout=30
                ).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            return list(pool.map(one, range(count)))

    assert set(burst(120)) == {200}
    counts = {name: answered(suite, name) for name in INSTANCES}
    assert sum(counts.values()) == 120, counts
    assert all(n > 0 for n in counts.values()), counts

    # A rollout stops one instance: the other one carries on alone; reads and writes still work.
    suite.group.stop(suite.processes["customer-api-1"])
    assert set(burst(40)) == {200}
    created = requests.post(
        f"{gateway}/api/v1/customers",
        json={"kind": "person", "name": "After the rollout"},
        headers=headers,
        timeout=30,
    )
    assert created.status_code == 201, created.text
    assert answered(suite, "customer-api-2") >= counts["customer-api-2"] + 40
