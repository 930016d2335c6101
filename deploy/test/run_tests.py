"""`make test`: start a private RabbitMQ node and PostgreSQL server, run every suite, stop them.

Stages (a failing stage still lets the others run; the exit code reports them all):
  0. lint:     ruff check and ruff format --check
  1. parallel: unit, integration, API and contract tests on SQLite and PostgreSQL (pytest-xdist)
  2. serial:   end-to-end, scaling, chaos, security and fuzz suites that start the suite's real
               processes (CI variants are shortened by MMS_PROOF_PROFILE=ci)

Extra arguments go to every pytest run, e.g. `make test ARGS="-k customers"`.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "libs" / "servicekit"))

from servicekit.testing.servers import PostgresCluster, RabbitNode  # noqa: E402

SERIAL_MARKS = "e2e or chaos or fuzz or slow"


def main() -> int:
    extra = shlex.split(os.environ.get("ARGS", ""))
    base = ROOT / "var" / "test-servers"
    base.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    print("== starting a private RabbitMQ node and PostgreSQL server", flush=True)
    node = RabbitNode.create(base / f"rabbitmq-{os.getpid()}").start()
    cluster = PostgresCluster.create(base / f"postgres-{os.getpid()}").start()
    env = dict(os.environ)
    env.update(
        MMS_TEST_AMQP_URL=node.url,
        MMS_TEST_AMQP_API=node.api,
        MMS_TEST_POSTGRES_DSN=cluster.dsn,
        MMS_TEST_BACKENDS=env.get("MMS_TEST_BACKENDS", "sqlite,postgres"),
        MMS_PROOF_PROFILE=env.get("MMS_PROOF_PROFILE", "ci"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    pytest = [str(ROOT / ".venv" / "bin" / "python"), "-m", "pytest"]
    workers = env.get("MMS_TEST_WORKERS", "3")
    stages = [
        (
            "unit, integration, API and contract tests",
            [*pytest, "-n", workers, "--dist", "loadfile", "-m", f"not ({SERIAL_MARKS})", *extra],
        ),
        (
            "end-to-end, scaling, chaos, security and fuzz suites (real processes)",
            [*pytest, "-m", SERIAL_MARKS, *extra],
        ),
    ]
    failures = []
    ruff = [str(ROOT / ".venv" / "bin" / "ruff")]
    for title, command in (
        ("lint (ruff check)", [*ruff, "check", "--output-format", "concise", "."]),
        ("format (ruff format --check)", [*ruff, "format", "--check", "."]),
    ):
        print(f"\n== {title}", flush=True)
        if subprocess.call(command, cwd=ROOT) != 0:
            failures.append((title, 1))
    try:
        for title, command in stages:
            print(f"\n== {title}\n   {' '.join(command)}", flush=True)
            code = subprocess.call(command, cwd=ROOT, env=env)
            if code not in (0, 5):  # 5: nothing selected
                failures.append((title, code))
    finally:
        node.destroy()
        cluster.destroy()
    minutes = (time.monotonic() - started) / 60
    print(f"\n== done in {minutes:.1f} min", flush=True)
    for title, code in failures:
        print(f"FAILED: {title} (pytest exit {code})", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
