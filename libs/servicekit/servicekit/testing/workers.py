"""Run a service's worker inside the test process (threads, no signals)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from servicekit.runtime import ServiceRuntime
from servicekit.worker import Worker


@contextmanager
def running_worker(
    runtime: ServiceRuntime, *, relay: bool = True, jobs: bool = False, consumer: bool = True
) -> Iterator[Worker]:
    """Start the worker's relay, consumer (and optionally scheduled jobs) until the block ends."""
    worker = Worker(
        runtime.settings,
        runtime.db,
        runtime.uow,
        registry=runtime.registry if consumer else None,
        jobs=runtime.jobs if jobs else [],
        run_relay=relay,
    )
    worker.declare_topology(attempts=1)
    threads = []
    if worker.relay is not None:
        threads.append(threading.Thread(target=worker.relay.run, name="relay", daemon=True))
    if worker.consumer is not None:
        threads.append(threading.Thread(target=worker.consumer.run, name="consumer", daemon=True))
    if jobs:
        threads.append(threading.Thread(target=worker.scheduler.run, name="scheduler", daemon=True))
    for thread in threads:
        thread.start()
    try:
        yield worker
    finally:
        worker.stop()
        for thread in threads:
            thread.join(timeout=30)
