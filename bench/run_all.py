"""`make bench`: run every benchmark in bench/ one after the other and keep their output.

Each benchmark prints its own figures beside a baseline measured in the same run. Output goes to
the terminal and to var/bench/<name>.txt. Pass names to run only some: `bench/run_all.py
event_pipeline customer_bench`. Quick runs: MMS_BENCH_QUICK=1 passes each script its smaller
size arguments.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
QUICK_ARGS = {
    "event_pipeline": ["--events", "3000", "--paced-events", "1000"],
    "customer_bench": ["--rows", "10000", "--customers", "50000"],
    "support_sla_bench": ["--deadlines", "20000", "--tickets", "10000"],
    "sales_orders_bench": ["--orders", "200"],
    "analytics_bench": ["--orders", "20000"],
}
# Not benchmarks of their own: the analytics bench's event generator, and the mixed load that
# drives a running suite (`make run`, then `bench/load_mixed.py --email ... --password ...`).
NOT_STANDALONE = {"analytics_generator", "load_mixed"}


def main(argv: list[str]) -> int:
    scripts = sorted(
        p
        for p in HERE.glob("*.py")
        if not p.name.startswith(("_", "run_all")) and p.stem not in NOT_STANDALONE
    )
    if argv:
        scripts = [p for p in scripts if p.stem in argv]
    out_dir = ROOT / "var" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    quick = os.environ.get("MMS_BENCH_QUICK") == "1"
    failed = []
    for script in scripts:
        args = QUICK_ARGS.get(script.stem, []) if quick else []
        print(f"\n===== {script.stem} {' '.join(args)}", flush=True)
        started = time.monotonic()
        with open(out_dir / f"{script.stem}.txt", "w") as log:
            process = subprocess.Popen(
                [sys.executable, str(script), *args],
                cwd=HERE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for line in process.stdout:
                sys.stdout.write(line)
                log.write(line)
            code = process.wait()
        print(
            f"===== {script.stem}: exit {code} after {time.monotonic() - started:.0f}s", flush=True
        )
        if code != 0:
            failed.append(script.stem)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
