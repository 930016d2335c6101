"""Periodic jobs in the worker (reminders, SLA scans, purges), run once across all instances.

Each job holds a lease row in ``job_leases``; an instance runs a due job only after taking the
lease in one atomic UPDATE, so two workers of one service never run the same job at once, and a
crashed holder's lease simply expires.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from servicekit import metrics
from servicekit.context import Trace, bind_trace, new_id
from servicekit.db import Database
from servicekit.leases import release_lease, take_lease
from servicekit.logging import get_logger

log = get_logger("servicekit.scheduler")


@dataclass(frozen=True)
class Job:
    """``run()`` every ``interval`` seconds; ``lease`` bounds how long one run may hold the job."""

    name: str
    interval: float
    run: Callable[[], object]
    lease: float = 300.0


class Scheduler:
    def __init__(self, db: Database, service: str, jobs: list[Job], *, tick: float = 1.0):
        self.db = db
        self.service = service
        self.jobs = list(jobs)
        self.tick = tick
        self.holder = f"{socket.gethostname()}:{id(self)}:{new_id()[:8]}"
        self.stop_event = threading.Event()
        self.last_tick = time.monotonic()

    def run(self) -> None:
        while not self.stop_event.is_set():
            self.last_tick = time.monotonic()
            for job in self.jobs:
                if self.stop_event.is_set():
                    break
                try:
                    self.run_if_due(job)
                except Exception as exc:  # one failing job must not stop the others
                    metrics.JOB_RUNS.labels(self.service, job.name, "error").inc()
                    log.exception("job_failed", job=job.name, error=str(exc)[:300])
            self.stop_event.wait(self.tick)

    def run_if_due(self, job: Job) -> bool:
        if not self._acquire(job):
            return False
        outcome = "ok"
        try:
            with bind_trace(Trace(request_id=new_id(), correlation_id=new_id())):
                job.run()
        except Exception:
            outcome = "error"
            raise
        finally:
            self._release(job, ran=True)
            metrics.JOB_RUNS.labels(self.service, job.name, outcome).inc()
        return True

    def _acquire(self, job: Job) -> bool:
        return take_lease(self.db, job.name, self.holder, job.lease, not_within=job.interval)

    def _release(self, job: Job, *, ran: bool) -> None:
        release_lease(self.db, job.name, self.holder, ran=ran)
