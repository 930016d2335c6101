"""Sustained mixed load through the gateway on the whole suite: no errors, latency percentiles
per operation, and every process's memory at the start and the end of the run.

CI runs ``profile.load_seconds`` (20 s) with ``profile.load_users`` (6) users; the full profile
runs 5 minutes with 24. The rate limits of the shared suite are set above what the test's own
traffic needs (tests/conftest.py TEST_RATE_LIMITS), so the allowed error rate is zero.

Memory bound: after a warm-up, no process grows by more than 30 % + 40 MiB over the run (a leak
of one request's garbage per request would cross that within the CI run already).
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow

GROWTH_FACTOR = 1.30
GROWTH_SLACK_MIB = 40.0


def test_a_mixed_workload_runs_without_errors_or_memory_growth(
    api, suite, workload, profile, figures
):
    world = workload.World(api.base, api.admin.session)
    world.wait_replicas()
    # Each virtual user is a person of its own, signed in (admins: every record is theirs).
    sessions = [api.user("admin", name=f"Load user {n}").session for n in range(profile.load_users)]
    pids = {name: proc.pid for name, proc in suite.processes.items()}
    results, rss_start, rss_end = workload.run(
        api.base, sessions, world, profile.load_seconds, pids=pids
    )
    table = results.table()
    growth = {
        name: (rss_start[name], rss_end[name])
        for name in pids
        if rss_end[name] > rss_start[name] * GROWTH_FACTOR + GROWTH_SLACK_MIB
    }
    figures(
        users=profile.load_users,
        seconds=round(results.seconds, 1),
        requests=results.total,
        requests_per_second=round(results.total / results.seconds, 1),
        error_rate=round(len(results.errors) / max(results.total, 1), 4),
        statuses=results.by_status(),
        latency_ms={r["operation"]: [r["p50_ms"], r["p90_ms"], r["p99_ms"]] for r in table},
        rss_mib={name: [rss_start[name], rss_end[name]] for name in pids},
    )
    assert results.total > 50, f"only {results.total} requests"
    assert {r["operation"] for r in table} == set(workload.MIX), "every operation ran"
    errors = results.errors
    assert not errors, f"{len(errors)} errors, e.g. " + "; ".join(
        f"{e.operation}: {e.error}" for e in errors[:10]
    )
    assert not growth, f"memory grew beyond {GROWTH_FACTOR}x + {GROWTH_SLACK_MIB} MiB: {growth}"
