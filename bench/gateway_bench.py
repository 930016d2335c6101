"""Gateway overhead: GET /api/v1/customers/{id} through the gateway vs. direct, same run.

Starts the customer service (gunicorn, 2 workers) and the gateway (gunicorn, 2 aiohttp
workers) as real processes on a fresh SQLite database, signs in through the gateway (a warm
JWT), creates one customer, then measures with wrk (or a Python load generator when wrk is not
installed):

  throughput  many connections: requests/s direct and through the gateway, and their ratio
  latency     a few connections (moderate load) and one (light load): p50/p99 direct and
              through the gateway, and what the gateway adds

The direct calls carry an identity minted with the same key the gateway uses. Rate limits stay
on (every gateway request still runs its GCRA upsert of both buckets) with limits high enough
not to refuse. Each round runs direct and gateway back to back; ratios are medians of rounds.

    .venv/bin/python bench/gateway_bench.py [--rounds 5] [--duration 4] [--connections 32]
                                            [--moderate 4] [--light 1] [--python]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "gateway" / "tests"))

from gateway_processes import Keys, Processes, create_user, start_customer, start_gateway  # noqa: E402

from servicekit.identity import IDENTITY_HEADER, IdentitySigner  # noqa: E402

EMAIL, PASSWORD = "bench@example.com", "bench-password-2026"


def http(method: str, url: str, headers: dict, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def cpu_seconds(proc) -> float:
    """User+system CPU of a gunicorn master and its workers so far."""
    import psutil

    try:
        root = psutil.Process(proc.process.pid)
        total = 0.0
        for p in [root, *root.children(recursive=True)]:
            times = p.cpu_times()
            total += times.user + times.system
        return total
    except psutil.Error:
        return 0.0


def run_wrk(url: str, headers: dict, connections: int, duration: int) -> dict:
    threads = str(min(2, connections))
    args = ["wrk", "-t", threads, "-c", str(connections), "-d", f"{duration}s", "--latency"]
    for key, value in headers.items():
        args += ["-H", f"{key}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def pct(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {
        "rps": rps,
        "p50": pct("50"),
        "p99": pct("99"),
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def run_python(url: str, headers: dict, connections: int, duration: int) -> dict:
    import aiohttp

    async def main():
        latencies: list[float] = []
        failures = 0
        stop = time.monotonic() + duration
        connector = aiohttp.TCPConnector(limit=connections)
        async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

            async def worker():
                nonlocal failures
                while time.monotonic() < stop:
                    started = time.perf_counter()
                    async with session.get(url) as response:
                        await response.read()
                        if response.status >= 400:
                            failures += 1
                    latencies.append((time.perf_counter() - started) * 1000)

            await asyncio.gather(*(worker() for _ in range(connections)))
        return latencies, failures

    latencies, failures = asyncio.run(main())
    latencies.sort()
    return {
        "rps": len(latencies) / duration,
        "p50": latencies[len(latencies) // 2],
        "p99": latencies[int(len(latencies) * 0.99)],
        "non_2xx": failures,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=4)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--moderate", type=int, default=4)
    parser.add_argument("--light", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--python", action="store_true", help="force the Python load generator")
    args = parser.parse_args()
    load = run_python if args.python or not shutil.which("wrk") else run_wrk
    base = Path(tempfile.mkdtemp(prefix="gateway-bench-"))
    keys = Keys.generate()
    with Processes(base) as group:
        try:
            customer = start_customer(group, keys)
            gateway = start_gateway(
                group,
                keys,
                {"customer": customer.url},
                MMS_RATE_LIMIT_IDENTITY="100000000/60",
                MMS_RATE_LIMIT_IP="100000000/60",
                MMS_GATEWAY_ACCESS_LOG="true",
            )
        except RuntimeError as exc:
            print(exc, file=sys.stderr)
            return 1
        create_user(base, EMAIL, PASSWORD, ["admin"])
        tokens = http(
            "POST", gateway.url + "/api/v1/auth/login", {}, {"email": EMAIL, "password": PASSWORD}
        )
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        created = http(
            "POST",
            gateway.url + "/api/v1/customers",
            bearer,
            {"kind": "company", "name": "Bench Trading Co."},
        )
        path = f"/api/v1/customers/{created['id']}"
        signer = IdentitySigner(keys.private_pem, ttl_seconds=3600)
        minted, _ = signer.mint(
            f"user:{tokens['user']['id']}", "user", roles=["admin"], scopes=["*"]
        )
        direct = {IDENTITY_HEADER: minted}
        # Warm both paths (connection pools, caches) before measuring.
        load(customer.url + path, direct, 4, 1)
        load(gateway.url + path, bearer, 4, 1)
        runs: dict[str, list[dict]] = {
            "direct": [],
            "gateway": [],
            "direct_mod": [],
            "gateway_mod": [],
            "direct_light": [],
            "gateway_light": [],
        }
        cpu: dict[str, list[float]] = {"gateway": [], "customer_direct": [], "customer_via": []}
        for i in range(args.rounds):
            # Back to back, alternating which goes first: the machine is shared and its load
            # drifts, so each round's ratio compares two runs under the same conditions.
            order = [("direct", customer.url, direct), ("gateway", gateway.url, bearer)]
            for name, url, headers in order if i % 2 == 0 else order[::-1]:
                before = {p.name: cpu_seconds(p) for p in (customer, gateway)}
                result = load(url + path, headers, args.connections, args.duration)
                after = {p.name: cpu_seconds(p) for p in (customer, gateway)}
                runs[name].append(result)
                done = result["rps"] * args.duration
                if name == "direct":
                    cpu["customer_direct"].append((after["customer"] - before["customer"]) / done)
                else:
                    cpu["gateway"].append((after["gateway"] - before["gateway"]) / done)
                    cpu["customer_via"].append((after["customer"] - before["customer"]) / done)
            for suffix, connections in (("_mod", args.moderate), ("_light", args.light)):
                for name, url, headers in [
                    ("direct" + suffix, customer.url, direct),
                    ("gateway" + suffix, gateway.url, bearer),
                ]:
                    runs[name].append(load(url + path, headers, connections, args.duration))

    tool = "wrk" if load is run_wrk else "python"
    ratios = [g["rps"] / d["rps"] for d, g in zip(runs["direct"], runs["gateway"], strict=True)]
    ratios_mod = [
        g["rps"] / d["rps"] for d, g in zip(runs["direct_mod"], runs["gateway_mod"], strict=True)
    ]

    def med(name: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[name])

    print(f"gateway bench ({tool}, {args.rounds} rounds of {args.duration}s, medians)")
    print(f"  GET {path}")
    print(f"  {'':<26}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>9}")
    for label, name in (
        (f"direct    c={args.connections}", "direct"),
        (f"gateway   c={args.connections}", "gateway"),
        (f"direct    c={args.moderate}", "direct_mod"),
        (f"gateway   c={args.moderate}", "gateway_mod"),
        (f"direct    c={args.light}", "direct_light"),
        (f"gateway   c={args.light}", "gateway_light"),
    ):
        errors = sum(r["non_2xx"] for r in runs[name])
        print(
            f"  {label:<26}{med(name, 'rps'):>10.0f}{med(name, 'p50'):>10.2f}"
            f"{med(name, 'p99'):>10.2f}{errors:>9}"
        )
    print(
        f"  throughput ratio gateway/direct (c={args.connections}): "
        f"{statistics.median(ratios):.2f}  (rounds: {', '.join(f'{r:.2f}' for r in ratios)})"
    )
    rounds_mod = ", ".join(f"{r:.2f}" for r in ratios_mod)
    print(
        f"  throughput ratio gateway/direct (c={args.moderate}):  "
        f"{statistics.median(ratios_mod):.2f}  (rounds: {rounds_mod})"
    )
    for suffix, connections in (("_mod", args.moderate), ("_light", args.light)):
        for pct in ("p50", "p99"):
            added = med("gateway" + suffix, pct) - med("direct" + suffix, pct)
            print(f"  added {pct} at c={connections}: {added:+.2f} ms")
    gw_us = statistics.median(cpu["gateway"]) * 1e6
    svc_us = statistics.median(cpu["customer_direct"]) * 1e6
    print(
        f"  CPU per request: gateway {gw_us:.0f} us, customer service {svc_us:.0f} us "
        f"(gateway/service CPU {gw_us / svc_us:.2f}; on a saturated 2-core machine the "
        f"throughput ratio is about 1/(1+that))"
    )
    shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
