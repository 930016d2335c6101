"""The customer service's PostgreSQL stops while customers and orders keep coming: its API
answers 503 in the standard error shape, every customer it accepted survives and reaches sales,
the order events that arrive meanwhile wait instead of being parked, and it recovers without a
restart. The outage lasts ``profile.db_outage_seconds`` (30 s in the full profile)."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from servicekit.testing import wait_for

pytestmark = pytest.mark.chaos


def _standard_503(response: requests.Response) -> str | None:
    """What is wrong with a refusal, or None when it is a 503 in the standard shape."""
    if response.status_code != 503:
        return f"{response.status_code}: {response.text[:200]}"
    try:
        error = response.json()["error"]
    except (ValueError, KeyError):
        return f"not the standard error shape: {response.text[:200]}"
    if error.get("status") != 503 or not error.get("code") or not error.get("message"):
        return f"incomplete error: {error}"
    if not error.get("request_id") or "Traceback" in response.text:
        return f"no request id or a stack trace: {error}"
    return None


def test_a_database_outage_answers_503_loses_nothing_and_heals_itself(
    chaos, order_load, ready_status, profile, figures
):
    suite = chaos.suite
    load = order_load(chaos.admin).prepare(campaign=False)
    customer = ("customer-api", "customer-worker")
    pids = {name: suite.processes[name].pid for name in customer}
    accepted: list[str] = []
    refusals: list[requests.Response] = []
    stop = threading.Event()

    def sign_ups():
        n = 0
        while not stop.is_set():
            response = chaos.admin.post(
                "/api/v1/customers",
                params={"force": "true"},
                json={"kind": "person", "name": f"Sign-up {n}"},
            )
            n += 1
            if response.status_code == 201:
                accepted.append(response.json()["id"])
            else:
                refusals.append(response)
                stop.wait(0.05)  # a client pauses before retrying; no busy loop

    def orders():
        n = 0
        while not stop.is_set():
            refusal = load.try_order(n)
            assert refusal is None, refusal.text  # sales does not need the customer database
            n += 1

    threads = [threading.Thread(target=f, name=f.__name__) for f in (sign_ups, orders)]
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: len(accepted) >= 10, timeout=60, message="sign-ups before the outage")
        chaos.postgres.stop()
        down_at = time.monotonic()
        wait_for(lambda: refusals, timeout=30, message="the API to refuse sign-ups")
        assert ready_status(suite.processes["customer-api"].url) == 503
        orders_before = len(load.placed)
        wait_for(
            lambda: time.monotonic() - down_at >= profile.db_outage_seconds,
            timeout=profile.db_outage_seconds + 5,
            message="the outage to last its time",
        )
        orders_during = len(load.placed) - orders_before
        accepted_before_up = len(accepted)
        chaos.postgres.start()
        up_at = time.monotonic()
        wait_for(
            lambda: len(accepted) > accepted_before_up + 3,
            timeout=60,
            message="the customer service to accept sign-ups again by itself",
        )
        recovered_in = time.monotonic() - up_at
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
        if chaos.postgres.process is None:
            chaos.postgres.start()

    wrong = [what for r in refusals if (what := _standard_503(r))]
    assert not wrong, f"refusals not in the standard 503 shape: {wrong[:5]}"
    for name in customer:
        proc = suite.processes[name]
        assert proc.pid == pids[name] and proc.alive(), f"{name} was not restarted"
    assert ready_status(suite.processes["customer-api"].url) == 200
    for customer_id in accepted:
        chaos.admin.ok("GET", f"/api/v1/customers/{customer_id}")
    probe = accepted[-1]
    wait_for(lambda: load.known_to_sales(probe), timeout=60, message="sales to learn the sign-ups")
    # The orders placed during the outage reached the customer service's counters once each.
    result = load.verify(chaos.broker, timeout=120)
    figures(
        outage_seconds=round(up_at - down_at, 1),
        sign_ups_accepted=len(accepted),
        sign_ups_refused=len(refusals),
        orders_during_outage=orders_during,
        recovered_seconds=round(recovered_in, 1),
        **result,
    )
