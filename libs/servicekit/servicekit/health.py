"""Liveness and readiness.

``/health/live`` answers while the process can answer at all. ``/health/ready`` runs the checks
(database, broker, consumer progress) and answers 503 naming what failed, so an orchestrator stops
sending traffic to an instance that cannot serve it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    """A named readiness check; ``probe`` raises (or returns a message) when unhealthy."""

    name: str
    probe: Callable[[], str | None]
    critical: bool = True


def run_checks(checks: list[Check]) -> tuple[int, dict]:
    results = {}
    healthy = True
    for check in checks:
        started = time.perf_counter()
        try:
            problem = check.probe()
        except Exception as exc:  # a failing probe is exactly what we report
            problem = f"{type(exc).__name__}: {str(exc)[:200]}"
        elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
        results[check.name] = {
            "status": "ok" if not problem else "failing",
            "critical": check.critical,
            "ms": elapsed_ms,
            **({"problem": problem} if problem else {}),
        }
        if problem and check.critical:
            healthy = False
    return (200 if healthy else 503), {
        "status": "ready" if healthy else "not_ready",
        "checks": results,
    }


def database_check(db) -> Check:
    def probe():
        db.ping()
        return None

    return Check("database", probe)
