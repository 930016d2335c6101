"""A realistic mixed workload through the gateway, for a set time, with N concurrent users.

Each virtual user (a thread with its own signed-in session) repeats a weighted mix of what the
suite's people do all day: browse and search customers, open a customer's 360, capture leads
from a web form, place and pay orders, open support tickets, read dashboards. The run reports
the error rate, latency percentiles per operation, and — when it is given the processes — the
resident memory of every process at the start (after a warm-up) and at the end.

    python bench/load_mixed.py --url http://127.0.0.1:8080 --email admin@... --password ... \\
        --seconds 60 --users 8

(``make run`` prints the demo admin). ``tests/load/test_mixed_workload.py`` runs the same code
against the test suite and asserts on its figures.
"""

from __future__ import annotations

import argparse
import random
import statistics
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

import requests

# operation -> weight (share of a user's actions)
MIX = {
    "browse customers": 22,
    "search customers": 12,
    "customer 360": 8,
    "customer detail": 8,
    "capture lead": 10,
    "place and pay order": 14,
    "open ticket": 8,
    "list orders": 6,
    "revenue dashboard": 5,
    "funnel dashboard": 3,
    "support backlog": 4,
}


@dataclass
class Sample:
    operation: str
    seconds: float
    status: int
    error: str | None = None


@dataclass
class Results:
    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    seconds: float = 0.0

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)

    def table(self) -> list[dict]:
        by_op: dict[str, list[Sample]] = defaultdict(list)
        for sample in self.samples:
            by_op[sample.operation].append(sample)
        rows = []
        for operation, samples in sorted(by_op.items()):
            times = sorted(s.seconds * 1000 for s in samples)
            rows.append(
                {
                    "operation": operation,
                    "requests": len(samples),
                    "errors": sum(1 for s in samples if s.error),
                    "p50_ms": round(_pct(times, 50), 1),
                    "p90_ms": round(_pct(times, 90), 1),
                    "p99_ms": round(_pct(times, 99), 1),
                    "max_ms": round(times[-1], 1),
                    "mean_ms": round(statistics.fmean(times), 1),
                }
            )
        return rows

    @property
    def total(self) -> int:
        return len(self.samples)

    @property
    def errors(self) -> list[Sample]:
        return [s for s in self.samples if s.error]

    def by_status(self) -> dict[int, int]:
        counts: dict[int, int] = defaultdict(int)
        for sample in self.samples:
            counts[sample.status] += 1
        return dict(counts)


def _pct(sorted_values: list[float], percentile: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, round(percentile / 100 * (len(sorted_values) - 1)))
    return sorted_values[index]


class World:
    """The records the workload reads and builds on (made once, before the users start)."""

    def __init__(self, base: str, session: requests.Session, customers: int = 20) -> None:
        self.base = base
        self.session = session
        self.tag = uuid.uuid4().hex[:6]
        self.product_id = self._ok(
            "POST",
            "/api/v1/products",
            json={"sku": f"LOAD-{self.tag}", "name": "Load tea", "list_price": "12.50",
                  "tax_rate": "0.07", "category": "Tea"},
        )["id"]  # fmt: skip
        self.customers = [
            self._ok(
                "POST",
                "/api/v1/customers",
                params={"force": "true"},
                json={"kind": "person", "name": f"Load {self.tag} {n:03d}",
                      "emails": [{"address": f"load.{self.tag}.{n}@example.com"}],
                      "address": {"country": random.choice(["DE", "FR", "CN", "US"])}},
            )["id"]
            for n in range(customers)
        ]  # fmt: skip

    def _ok(self, method, path, **kwargs):
        response = self.session.request(method, self.base + path, timeout=60, **kwargs)
        if response.status_code >= 300:
            raise RuntimeError(f"{method} {path} -> {response.status_code} {response.text[:300]}")
        return response.json()

    def wait_replicas(self, timeout: float = 120.0) -> None:
        """Sales and support learn customers from events, in order: once each knows the last
        customer made, it knows them all (support's probe opens the run's first ticket)."""
        last = self.customers[-1]
        probes = {
            "sales": ("/api/v1/orders/preview",
                      {"customer_id": last,
                       "lines": [{"product_id": self.product_id, "quantity": "1"}]}),
            "support": ("/api/v1/tickets",
                        {"customer_id": last, "subject": "Load: first ticket",
                         "category": "question", "channel": "web"}),
        }  # fmt: skip
        deadline = time.monotonic() + timeout
        for service, (path, body) in probes.items():
            while self.session.post(self.base + path, json=body, timeout=30).status_code >= 300:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{service} never learned customer {last}")
                time.sleep(0.2)


class VirtualUser(threading.Thread):
    def __init__(self, world: World, session, results: Results, stop: threading.Event, seed):
        super().__init__(daemon=True)
        self.world = world
        self.session = session
        self.results = results
        self.stop = stop
        self.random = random.Random(seed)
        self.operations = list(MIX)
        self.weights = [MIX[o] for o in self.operations]

    def run(self) -> None:
        while not self.stop.is_set():
            operation = self.random.choices(self.operations, self.weights)[0]
            started = time.perf_counter()
            status, error = 0, None
            try:
                status = getattr(self, "_" + operation.replace(" ", "_"))()
                if status >= 400:
                    error = f"status {status}"
            except Exception as exc:  # a transport failure is an error of the run
                error = f"{type(exc).__name__}: {exc}"[:200]
            self.results.add(Sample(operation, time.perf_counter() - started, status, error))

    # -- operations (each returns the worst status it met) --------------------------------------

    def _call(self, method, path, **kwargs) -> requests.Response:
        return self.session.request(method, self.world.base + path, timeout=60, **kwargs)

    def _customer(self) -> str:
        return self.random.choice(self.world.customers)

    def _browse_customers(self) -> int:
        sort = self.random.choice(["name", "-created_at", "-updated_at"])
        return self._call(
            "GET", "/api/v1/customers", params={"limit": 50, "sort": sort}
        ).status_code

    def _search_customers(self) -> int:
        term = f"Load {self.world.tag} {self.random.randrange(20):02d}"
        return self._call("GET", "/api/v1/customers", params={"q": term}).status_code

    def _customer_360(self) -> int:
        return self._call("GET", f"/api/v1/customers/{self._customer()}/360").status_code

    def _customer_detail(self) -> int:
        return self._call("GET", f"/api/v1/customers/{self._customer()}").status_code

    def _capture_lead(self) -> int:
        n = uuid.uuid4().hex[:10]
        return self._call(
            "POST",
            "/api/v1/leads",
            json={"source": "web_form", "company": f"Prospect {n}",
                  "contact": {"name": f"Prospect {n}", "email": f"lead.{n}@example.com"}},
        ).status_code  # fmt: skip

    def _place_and_pay_order(self) -> int:
        order = self._call(
            "POST",
            "/api/v1/orders",
            json={"customer_id": self._customer(),
                  "lines": [{"product_id": self.world.product_id,
                             "quantity": str(self.random.randint(1, 5))}]},
        )  # fmt: skip
        if order.status_code != 201:
            return order.status_code
        return self._call("POST", f"/api/v1/orders/{order.json()['id']}/pay", json={}).status_code

    def _open_ticket(self) -> int:
        return self._call(
            "POST",
            "/api/v1/tickets",
            json={"customer_id": self._customer(), "subject": "Where is my parcel?",
                  "category": "question", "channel": "web"},
        ).status_code  # fmt: skip

    def _list_orders(self) -> int:
        params = {"customer_id": self._customer(), "limit": 20}
        return self._call("GET", "/api/v1/orders", params=params).status_code

    def _revenue_dashboard(self) -> int:
        dimension = self.random.choice(["total", "channel", "region", "product"])
        params = {"dimension": dimension, "granularity": "month"}
        return self._call("GET", "/api/v1/analytics/revenue", params=params).status_code

    def _funnel_dashboard(self) -> int:
        return self._call("GET", "/api/v1/analytics/funnel").status_code

    def _support_backlog(self) -> int:
        return self._call("GET", "/api/v1/support-reports/backlog").status_code


def sign_in(base: str, email: str, password: str) -> requests.Session:
    response = requests.post(
        f"{base}/api/v1/auth/login", json={"email": email, "password": password}, timeout=30
    )
    response.raise_for_status()
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
    return session


def rss_of(pids: dict[str, int]) -> dict[str, float]:
    """Resident memory (MiB) of each named process with its children (gunicorn workers)."""
    import psutil

    out = {}
    for name, pid in pids.items():
        try:
            process = psutil.Process(pid)
            members = [process, *process.children(recursive=True)]
            out[name] = round(sum(p.memory_info().rss for p in members) / 2**20, 1)
        except psutil.Error:
            out[name] = float("nan")
    return out


def run(
    base: str,
    sessions: list[requests.Session],
    world: World,
    seconds: float,
    *,
    warmup: float = 3.0,
    pids: dict[str, int] | None = None,
) -> tuple[Results, dict[str, float], dict[str, float]]:
    """Run the users for ``warmup`` + ``seconds``; RSS is taken after the warm-up and at the
    end. Only samples after the warm-up count."""
    results = Results()
    stop = threading.Event()
    users = [
        VirtualUser(world, session, results, stop, seed=n) for n, session in enumerate(sessions)
    ]
    for user in users:
        user.start()
    time.sleep(warmup)  # a load generator paces itself by the clock
    with results.lock:
        results.samples.clear()
    rss_start = rss_of(pids or {})
    started = time.monotonic()
    time.sleep(seconds)
    stop.set()
    for user in users:
        user.join(60)
    results.seconds = time.monotonic() - started
    return results, rss_start, rss_of(pids or {})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--users", type=int, default=8)
    args = parser.parse_args()
    admin = sign_in(args.url, args.email, args.password)
    world = World(args.url, admin)
    world.wait_replicas()
    sessions = [sign_in(args.url, args.email, args.password) for _ in range(args.users)]
    results, _, _ = run(args.url, sessions, world, args.seconds)
    print(f"{results.total} requests in {results.seconds:.0f} s with {args.users} users: "
          f"{results.total / results.seconds:.1f}/s, {len(results.errors)} errors")  # fmt: skip
    header = (
        f"{'operation':<22}{'requests':>9}{'errors':>7}{'p50':>8}{'p90':>8}{'p99':>8}{'max':>8}"
    )
    print(header)
    for row in results.table():
        print(f"{row['operation']:<22}{row['requests']:>9}{row['errors']:>7}{row['p50_ms']:>8}"
              f"{row['p90_ms']:>8}{row['p99_ms']:>8}{row['max_ms']:>8}")  # fmt: skip
    return 1 if results.errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
