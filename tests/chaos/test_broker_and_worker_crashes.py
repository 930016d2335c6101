"""The broker restarts, and workers are SIGKILLed, in the middle of an order load: every order's
effects are present exactly once in sales, the customer service, campaign attribution and
analytics, and nothing is parked.

Sizes come from the proof profile (MMS_PROOF_PROFILE=full: 10,000 orders through the broker
restart)."""

from __future__ import annotations

import time

import pytest

from servicekit.testing import wait_for

pytestmark = pytest.mark.chaos

WORKERS = ("customer-worker", "sales-worker", "campaign-worker", "analytics-worker")


def test_a_broker_restart_mid_load_loses_and_doubles_nothing(
    chaos, order_load, at_progress, profile, figures
):
    load = order_load(chaos.admin).prepare()
    count = profile.chaos_orders
    pids = {name: chaos.suite.processes[name].pid for name in WORKERS}
    outage = {}

    def stop_broker():
        outage["stopped_at"] = time.monotonic()
        chaos.node.stop()

    def start_broker():
        chaos.node.start()
        outage["seconds"] = round(time.monotonic() - outage["stopped_at"], 1)

    started = time.monotonic()
    try:
        load.run(
            count, on_progress=at_progress({count // 3: stop_broker, 2 * count // 3: start_broker})
        )
    finally:
        if chaos.node.process is None:
            chaos.node.start()
    placed_in = time.monotonic() - started
    # The workers reconnect by themselves: nothing was restarted but the broker.
    for name in WORKERS:
        proc = chaos.suite.processes[name]
        assert proc.pid == pids[name] and proc.alive(), name
    result = load.verify(chaos.broker, timeout=120 + count / 20)
    figures(
        broker_down_seconds=outage.get("seconds"),
        orders_per_second=round(count / placed_in, 1),
        converged_seconds=round(time.monotonic() - started - placed_in, 1),
        **result,
    )


def test_workers_killed_three_times_mid_load_lose_and_double_nothing(
    chaos, order_load, at_progress, profile, figures
):
    suite = chaos.suite
    load = order_load(chaos.admin).prepare()
    count = profile.worker_kill_orders
    # The relay of the orders' events, then two consumers of them: a crash in each role.
    victims = ["sales-worker", "analytics-worker", "campaign-worker"]
    killed = []

    def crash(name):
        def action():
            proc = suite.processes[name]
            suite.group.kill(proc)
            killed.append((name, proc.pid))
            suite.processes[name] = suite.group.restart(proc)

        return action

    started = time.monotonic()
    load.run(
        count,
        on_progress=at_progress(
            {count * (n + 1) // 4: crash(name) for n, name in enumerate(victims)}
        ),
    )
    assert [name for name, _ in killed] == victims
    for name, pid in killed:
        assert suite.processes[name].pid != pid
    wait_for(lambda: all(suite.processes[n].alive() for n in victims), message="restarted workers")
    result = load.verify(chaos.broker, timeout=120 + count / 20)
    figures(kills=len(killed), seconds=round(time.monotonic() - started, 1), **result)
