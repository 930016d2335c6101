"""Run the proof suites — e2e journeys, chaos, fuzzing, security, load — and print a summary.

    .venv/bin/python tests/run_proofs.py                 # the CI profile (a few minutes)
    .venv/bin/python tests/run_proofs.py --profile full  # 10k orders, 30 s outages, 5 min load
    .venv/bin/python tests/run_proofs.py --suites chaos,load -- -x   # pytest arguments after --

All suites run in one pytest session (they share one suite of processes; chaos starts its own),
on the test servers named by MMS_TEST_AMQP_URL / MMS_TEST_AMQP_API / MMS_TEST_POSTGRES_DSN when
set, else on private ones. The table shows, per suite: tests, passed, failed (errors included),
expected failures (known product defects), duration and the key figures the proofs recorded.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUITES = {
    "e2e": "tests/e2e",
    "chaos": "tests/chaos",
    "fuzz": "tests/fuzz",
    "security": "tests/security",
    "load": "tests/load",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", choices=("ci", "full"), default="ci")
    parser.add_argument("--suites", default=",".join(SUITES), help="comma-separated subset")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.suites.split(",") if s.strip()]
    unknown = set(chosen) - set(SUITES)
    if unknown:
        parser.error(f"unknown suites: {', '.join(sorted(unknown))}")

    work = Path(tempfile.mkdtemp(prefix="mms-proofs-"))
    junit, figures = work / "junit.xml", work / "figures.jsonl"
    env = dict(os.environ, MMS_PROOF_PROFILE=args.profile, MMS_PROOF_FIGURES=str(figures))
    command = [
        sys.executable, "-m", "pytest", *(SUITES[s] for s in chosen),
        "-p", "no:cacheprovider", f"--junitxml={junit}", "-o", "junit_family=xunit2",
        "-rfEx", *args.pytest_args,
    ]  # fmt: skip
    print(f"== proofs, profile {args.profile}: {' '.join(chosen)}", flush=True)
    started = time.monotonic()
    code = subprocess.call(command, cwd=ROOT, env=env)
    elapsed = time.monotonic() - started
    rows = summarize(junit, figures, chosen)
    print_table(rows, args.profile, elapsed)
    return code


def summarize(junit: Path, figures: Path, chosen: list[str]) -> list[dict]:
    counts = {s: defaultdict(float) for s in chosen}
    if junit.exists():
        for case in ET.parse(junit).getroot().iter("testcase"):  # noqa: S314 (our own pytest wrote it)
            suite = _suite_of(case.get("classname", "") + "." + case.get("name", ""), chosen)
            if suite is None:
                continue
            c = counts[suite]
            c["tests"] += 1
            c["seconds"] += float(case.get("time", 0) or 0)
            tags = {child.tag for child in case}
            skipped = case.find("skipped")
            if "failure" in tags or "error" in tags:
                c["failed"] += 1
            elif skipped is not None and "xfail" in (skipped.get("type", "") or "").lower():
                c["xfailed"] += 1
            elif skipped is not None:
                c["skipped"] += 1
            else:
                c["passed"] += 1
    recorded = defaultdict(list)
    if figures.exists():
        for line in figures.read_text().splitlines():
            entry = json.loads(line)
            suite = _suite_of(entry["test"].replace("/", ".").replace("::", "."), chosen)
            if suite is not None:
                recorded[suite].append(entry)
    return [
        {"suite": s, **{k: int(v) for k, v in counts[s].items() if k != "seconds"},
         "seconds": counts[s]["seconds"], "figures": key_figures(s, recorded[s])}
        for s in chosen
    ]  # fmt: skip


def _suite_of(dotted: str, chosen: list[str]) -> str | None:
    for suite in chosen:
        if f"tests.{suite}." in dotted or dotted.startswith(f"tests.{suite}"):
            return suite
    return None


def key_figures(suite: str, entries: list[dict]) -> str:
    if not entries:
        return ""
    if suite == "chaos":
        orders = sum(e.get("orders", 0) for e in entries)
        parts = [f"{orders} orders checked exactly once"]
        for e in entries:
            if "broker_down_seconds" in e:
                parts.append(f"broker down {e['broker_down_seconds']} s")
            if "kills" in e:
                parts.append(f"{e['kills']} worker kills")
            if "outage_seconds" in e:
                parts.append(
                    f"db down {e['outage_seconds']} s, {e.get('sign_ups_refused', 0)} refused "
                    f"(503), healed in {e.get('recovered_seconds')} s"
                )
            if "slowest_order_seconds" in e:
                parts.append(f"order during blackhole {e['slowest_order_seconds']} s")
        return "; ".join(parts)
    if suite == "fuzz":
        e = entries[0]
        return (
            f"{e.get('operations')} operations, {e.get('requests')} requests, "
            f"{e.get('findings')} findings, {e.get('seconds')} s"
        )
    if suite == "load":
        e = entries[0]
        p99 = max((v[2] for v in e.get("latency_ms", {}).values()), default=0)
        growth = max((end - start for start, end in e.get("rss_mib", {}).values()), default=0.0)
        return (
            f"{e.get('users')} users x {e.get('seconds')} s: {e.get('requests_per_second')} req/s, "
            f"error rate {e.get('error_rate')}, worst p99 {p99} ms, max RSS growth "
            f"{growth:.1f} MiB"
        )
    return "; ".join(
        ", ".join(f"{k}={v}" for k, v in e.items() if k not in ("test", "at")) for e in entries
    )[:160]


def print_table(rows: list[dict], profile: str, elapsed: float) -> None:
    header = (
        f"{'suite':<10}{'tests':>6}{'passed':>8}{'failed':>8}{'xfail':>7}{'time':>9}  key figures"
    )
    print(f"\n== proof summary (profile {profile}, {elapsed / 60:.1f} min in all)")
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['suite']:<10}{r.get('tests', 0):>6}{r.get('passed', 0):>8}{r.get('failed', 0):>8}"
            f"{r.get('xfailed', 0):>7}{r['seconds']:>8.0f}s  {r['figures']}"
        )


if __name__ == "__main__":
    raise SystemExit(main())
