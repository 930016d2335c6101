"""Fixtures for the chaos proofs: a suite of real processes on a private RabbitMQ node (restarting
the shared node would disturb every other test), an order load that knows what every order must
leave behind in each service, and a TCP fault proxy.

``chaos`` is that suite, built once for the chaos package: its own RabbitMQ node, the customer
service on its own PostgreSQL cluster (which a proof stops), the sales worker reaching the broker
through a fault proxy (which a proof breaks), the other processes on SQLite. Every proof makes its
own customers, product and coupon and checks only those, and puts back what it broke, so the
proofs run one after the other on one suite: starting a suite per proof would cost a minute of
the CI budget for nothing the proofs need.

``OrderLoad.verify`` is the "nothing lost, nothing doubled" claim: every order placed through the
gateway is in sales exactly once and paid; the customer service counted each exactly once; every
coupon order is attributed to its campaign exactly once with its revenue; analytics counted every
order and its revenue exactly once; and no consumer parked a message.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
import requests

from servicekit.testing import wait_for
from servicekit.testing.broker import BrokerAccess
from servicekit.testing.servers import PostgresCluster, RabbitNode

SERVICES = ("customer", "sales", "campaign", "analytics")
HEARTBEAT = 4  # the proxied worker's AMQP heartbeat: a silent link is given up after ~2 of them


# The proofs' own traffic must not meet the rate limits (they are proven elsewhere).
CHAOS_ENV = {
    "MMS_RATE_LIMITS_ENABLED": "false",
    "MMS_ANALYTICS_SCORING_INTERVAL": "3600",
}


@dataclass
class Chaos:
    suite: object
    node: RabbitNode
    postgres: PostgresCluster
    proxy: FaultProxy
    admin: object
    heartbeat: int = HEARTBEAT

    @property
    def broker(self) -> BrokerAccess:
        return BrokerAccess(self.node.url, self.node.api, self.node)

    def worker_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.suite.worker_ports[name]}"

    def consumers(self, queue: str = "sales.events") -> int:
        """Consumers the broker has on ``queue`` (exact: a passive declare)."""
        import amqp

        at = urlsplit(self.node.url)
        conn = amqp.Connection(f"{at.hostname}:{at.port}", userid="guest", password="guest")
        conn.connect()
        try:
            return conn.channel().queue_declare(queue=queue, passive=True).consumer_count
        finally:
            conn.close()

    def deaf_consumer(self, worker: str = "sales-worker", queue: str = "sales.events") -> bool:
        """The defect's signature: the worker reports itself ready with a connected consumer,
        yet the broker has no consumer on its queue."""
        try:
            ready = requests.get(f"{self.worker_url(worker)}/health/ready", timeout=5)
        except requests.RequestException:
            return False
        return ready.status_code == 200 and self.consumers(queue) == 0

    def restore_sales_link(self) -> None:
        """Let traffic flow again and wait until the sales worker consumes by itself, so later
        proofs start from a healthy suite."""
        self.proxy.mode = "pass"
        wait_for(lambda: self.consumers() >= 1, timeout=60, message="sales consuming again")


@pytest.fixture(scope="package")
def chaos(tmp_path_factory, mail, suite_starter, api_for):
    base = tmp_path_factory.mktemp("chaos")
    node = RabbitNode.create(base / "rabbitmq").start()
    postgres = PostgresCluster.create().start()
    suite = None
    proxy = None
    try:
        import psycopg

        with psycopg.connect(postgres.dsn, autocommit=True) as conn:
            conn.execute('CREATE DATABASE "mms_customer"')
        broker_at = urlsplit(node.url)
        proxy = FaultProxy(broker_at.hostname, broker_at.port).start()
        via_proxy = node.url.replace(f":{broker_at.port}/", f":{proxy.port}/")
        suite = suite_starter(
            base / "suite",
            node.url,
            mail,
            services=SERVICES,
            database_urls={"customer": postgres.dsn.rsplit("/", 1)[0] + "/mms_customer"},
            worker_env={"sales": {"MMS_AMQP_URL": via_proxy, "MMS_AMQP_HEARTBEAT": str(HEARTBEAT)}},
            extra_env=CHAOS_ENV,
        )
        yield Chaos(suite, node, postgres, proxy, api_for(suite).admin)
    finally:
        if suite is not None:
            suite.stop_all()
        if proxy is not None:
            proxy.stop()
        postgres.destroy()
        node.destroy()  # the suite's logs stay under pytest's temporary directory


@dataclass
class Placed:
    order_id: str
    customer_id: str
    total: Decimal
    coupon: bool


@dataclass
class OrderLoad:
    """Customers, a product and a campaign coupon; ``run`` places and pays orders concurrently
    through the gateway, calling ``on_progress(done)`` as they complete."""

    client: object
    customers: list[str] = field(default_factory=list)
    product_id: str = ""
    coupon_code: str = ""
    campaign_id: str = ""
    placed: list[Placed] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    unpaid: list[Placed] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def prepare(self, customers: int = 8, *, campaign: bool = True) -> OrderLoad:
        """Make the records; without ``campaign`` (no campaign service) orders carry no coupon."""
        client = self.client
        product = client.ok(
            "POST",
            "/api/v1/products",
            json={"sku": f"CHAOS-{uuid.uuid4().hex[:8]}", "name": "Chaos tea",
                  "list_price": "19.90", "tax_rate": "0.07", "category": "Tea"},
        )  # fmt: skip
        self.product_id = product["id"]
        for n in range(customers):
            self.customers.append(self.add_customer(f"Chaos customer {n}"))
        if campaign:
            self._campaign_coupon()
        self._wait_known()
        return self

    def add_customer(self, name: str) -> str:
        return self.client.ok(
            "POST",
            "/api/v1/customers",
            params={"force": "true"},
            json={
                "kind": "person",
                "name": name,
                "emails": [{"address": f"chaos.{uuid.uuid4().hex[:10]}@example.com"}],
            },
        )["id"]

    def known_to_sales(self, customer_id: str) -> bool:
        body = {
            "customer_id": customer_id,
            "lines": [{"product_id": self.product_id, "quantity": "1"}],
        }
        if self.coupon_code:
            body["coupon_code"] = self.coupon_code
        preview = self.client.post("/api/v1/orders/preview", json=body)
        if preview.status_code != 200:
            return False
        return not self.coupon_code or bool((preview.json().get("coupon") or {}).get("valid"))

    def _campaign_coupon(self) -> None:
        client = self.client
        self.coupon_code = f"CHAOS{uuid.uuid4().hex[:6].upper()}"
        coupon = client.ok(
            "POST",
            "/api/v1/coupons",
            json={"name": "Chaos five", "mode": "shared", "code": self.coupon_code,
                  "discount_kind": "percent", "value": "5"},
        )  # fmt: skip
        self.campaign_id = client.ok(
            "POST",
            "/api/v1/campaigns",
            json={"name": "Chaos promo", "channel": "email", "coupon_id": coupon["id"]},
        )["id"]

    def _wait_known(self) -> None:
        wait_for(
            lambda: all(self.known_to_sales(c) for c in self.customers),
            timeout=90,
            message="sales to know the customers (and the coupon)",
        )

    def _one(self, n: int) -> None:
        customer_id = self.customers[n % len(self.customers)]
        coupon = bool(self.coupon_code) and n % 3 == 0
        body = {
            "customer_id": customer_id,
            "lines": [{"product_id": self.product_id, "quantity": str(1 + n % 4)}],
        }
        if coupon:
            body["coupon_code"] = self.coupon_code
        try:
            order = self.client.post("/api/v1/orders", json=body, timeout=60)
            if order.status_code != 201:
                raise AssertionError(f"place -> {order.status_code} {order.text[:300]}")
            placed = order.json()
            paid = self.client.post(f"/api/v1/orders/{placed['id']}/pay", json={}, timeout=60)
            if paid.status_code != 200:
                raise AssertionError(f"pay -> {paid.status_code} {paid.text[:300]}")
            item = Placed(
                placed["id"], customer_id, Decimal(placed["base_total"]["amount"]), coupon
            )
            with self.lock:
                self.placed.append(item)
        except Exception as exc:  # recorded: the proof fails on any refused request
            with self.lock:
                self.failures.append(f"order {n}: {exc}")

    def try_order(self, n: int):
        """Place and pay order ``n`` once, for loads that expect refusals: returns the refusal
        (a response), or None when sales accepted the order. An accepted order whose payment
        is refused is paid later by ``settle_payments``."""
        customer_id = self.customers[n % len(self.customers)]
        body = {
            "customer_id": customer_id,
            "lines": [{"product_id": self.product_id, "quantity": str(1 + n % 4)}],
        }
        order = self.client.post("/api/v1/orders", json=body, timeout=60)
        if order.status_code != 201:
            return order
        placed = order.json()
        item = Placed(placed["id"], customer_id, Decimal(placed["base_total"]["amount"]), False)
        with self.lock:
            self.placed.append(item)
        paid = self.client.post(f"/api/v1/orders/{placed['id']}/pay", json={}, timeout=60)
        if paid.status_code != 200:
            with self.lock:
                self.unpaid.append(item)
        return None

    def settle_payments(self, timeout: float = 60) -> int:
        """Pay the accepted orders whose payment was refused; returns how many there were."""
        pending = list(self.unpaid)
        for item in pending:
            wait_for(
                lambda item=item: (
                    self.client.post(f"/api/v1/orders/{item.order_id}/pay", json={}).status_code
                    == 200
                ),
                timeout=timeout,
                message=f"paying order {item.order_id}",
            )
        self.unpaid.clear()
        return len(pending)

    def run(self, count: int, *, threads: int = 4, on_progress=None) -> None:
        done = 0
        with ThreadPoolExecutor(max_workers=threads) as pool:
            for _ in pool.map(self._one, range(count)):
                done += 1
                if on_progress is not None:
                    on_progress(done)

    # -- the proof ------------------------------------------------------------------------------

    def expected(self) -> dict:
        coupon = [p for p in self.placed if p.coupon]
        return {
            "orders": len(self.placed),
            "revenue": sum((p.total for p in self.placed), Decimal("0")),
            "coupon_orders": len(coupon),
            "coupon_revenue": sum((p.total for p in coupon), Decimal("0")),
        }

    def observed(self) -> dict:
        client = self.client
        seen: dict[str, str] = {}
        for customer_id in self.customers:
            cursor = None
            while True:
                params = {"customer_id": customer_id, "limit": 200}
                if cursor:
                    params["cursor"] = cursor
                page = client.ok("GET", "/api/v1/orders", params=params)
                for order in page["items"]:
                    if order["id"] in seen:
                        seen["__duplicate__"] = order["id"]
                    seen[order["id"]] = order["status"]
                cursor = page.get("next_cursor")
                if not cursor:
                    break
        customers = [client.ok("GET", f"/api/v1/customers/{c}") for c in self.customers]
        observed = {
            "sales_orders": len([k for k in seen if k != "__duplicate__"]),
            "sales_duplicate": seen.get("__duplicate__"),
            "sales_unpaid": sorted(k for k, v in seen.items() if v != "paid" and k[0] != "_"),
            "customer_orders": sum(c["behaviour"]["orders_count"] for c in customers),
            "customer_spent": sum(
                (Decimal(c["behaviour"]["total_spent"]) for c in customers), Decimal("0")
            ),
        }
        rows = client.ok(
            "GET",
            "/api/v1/analytics/revenue",
            params={"product": self.product_id, "granularity": "year", "dimension": "total"},
        )["rows"]
        observed.update(
            analytics_orders=sum(r["orders"] for r in rows),
            analytics_paid=sum(r["paid_orders"] for r in rows),
            analytics_gross=sum((Decimal(r["gross"]) for r in rows), Decimal("0")),
        )
        if self.campaign_id:
            observed.update(self._attribution())
        return observed

    def _attribution(self) -> dict:
        client = self.client
        report = client.ok("GET", f"/api/v1/campaigns/{self.campaign_id}/report")
        # The load sends no messages: every attribution comes by coupon, "not via a message".
        attributed = report["not_via_message"]["conversions"]
        attributed_revenue = Decimal(report["not_via_message"]["revenue"])
        if report["totals"]["conversions"] != attributed:
            attributed = ("totals disagree", report["totals"]["conversions"], attributed)
        campaign_rows = client.ok(
            "GET", "/api/v1/analytics/campaigns", params={"campaign": self.campaign_id}
        )["rows"]
        return {
            "campaign_orders": attributed,
            "campaign_revenue": attributed_revenue,
            "analytics_campaign_orders": sum(r["orders_last_touch"] for r in campaign_rows),
            "analytics_campaign_revenue": sum(
                (Decimal(r["revenue_last_touch"]) for r in campaign_rows), Decimal("0")
            ),
        }

    def verify(self, broker: BrokerAccess, *, timeout: float = 120.0) -> dict:
        """Wait until every service shows every order exactly once, or fail showing the gap."""
        assert not self.failures, "refused requests:\n" + "\n".join(self.failures[:20])
        want = self.expected()
        target = {
            "sales_orders": want["orders"],
            "sales_duplicate": None,
            "sales_unpaid": [],
            "customer_orders": want["orders"],
            "customer_spent": want["revenue"],
            "analytics_orders": want["orders"],
            "analytics_paid": want["orders"],
            "analytics_gross": want["revenue"],
        }
        if self.campaign_id:
            target.update(
                campaign_orders=want["coupon_orders"],
                campaign_revenue=want["coupon_revenue"],
                analytics_campaign_orders=want["coupon_orders"],
                analytics_campaign_revenue=want["coupon_revenue"],
            )
        last: dict = {}

        def converged():
            last.clear()
            try:
                last.update(self.observed())
            except Exception as exc:  # a read failed: show it if it is still failing at the end
                last["error"] = f"{type(exc).__name__}: {exc}"[:500]
                return False
            return last == target

        wait_for(
            converged,
            timeout=timeout,
            interval=0.5,
            message=lambda: (
                "every effect exactly once; differences (observed, expected): "
                + str({k: (last.get(k), v) for k, v in target.items() if last.get(k) != v})
            ),
        )
        parked = {
            q["name"]: q.get("messages", 0)
            for q in broker.queues("/")
            if q["name"].endswith(".dead") and q.get("messages", 0)
        }
        assert parked == {}, f"parked messages: {parked}"
        return {**want, "revenue": str(want["revenue"])}


@pytest.fixture
def order_load():
    return OrderLoad


def progress_trigger(points: dict[int, callable]):
    """An ``on_progress`` callback that runs each action once when its count is reached (in the
    load's own thread, so the action happens mid-stream)."""
    fired: set[int] = set()

    def on_progress(done: int) -> None:
        for at, action in sorted(points.items()):
            if done >= at and at not in fired:
                fired.add(at)
                action()

    return on_progress


@pytest.fixture
def at_progress():
    return progress_trigger


# -- a TCP fault proxy ----------------------------------------------------------------------------


class FaultProxy:
    """A TCP proxy on 127.0.0.1 that can add latency, cut every connection, or blackhole traffic
    — the network faults a broker connection meets.

    ``mode`` is ``"pass"``, ``"latency"`` (``delay`` seconds added to every chunk each way) or
    ``"blackhole"``: nothing moves either way while connections stay open, as when packets are
    dropped on the path (the proxy stops reading, so the senders' buffers fill up; TCP would
    deliver the backlog when the path heals, and so does the proxy). ``cut()`` closes every open
    connection at once, like a reset.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self._mode = "pass"
        self.delay = 0.0
        self.flowing = threading.Event()
        self.flowing.set()
        self.connections: list[tuple[socket.socket, socket.socket]] = []
        self.accepted = 0
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._accept, name="fault-proxy", daemon=True)

    def start(self) -> FaultProxy:
        self.thread.start()
        return self

    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, value: str) -> None:
        assert value in ("pass", "latency", "blackhole"), value
        self._mode = value
        if value == "blackhole":
            self.flowing.clear()
        else:
            self.flowing.set()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.connections.append((client, upstream))
                self.accepted += 1
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                self.flowing.wait()
                chunk = source.recv(65536)
                if not chunk:
                    break
                self.flowing.wait()  # read just before a blackhole: held until it heals
                if self._mode == "latency" and self.delay:
                    time.sleep(self.delay)
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def open_connections(self) -> int:
        with self.lock:
            self.connections = [(a, b) for a, b in self.connections if a.fileno() != -1]
            return len(self.connections)

    def cut(self) -> int:
        """Close every open connection (both sides); returns how many were cut."""
        with self.lock:
            pairs, self.connections = self.connections, []
        for a, b in pairs:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
        return len(pairs)

    def stop(self) -> None:
        self.stopped.set()
        self.listener.close()
        self.cut()


@pytest.fixture
def ready_status():
    """``ready_status(url)``: the status of ``url``/health/ready (0 when nothing answers)."""

    def status(url: str) -> int:
        try:
            return requests.get(f"{url}/health/ready", timeout=5).status_code
        except requests.RequestException:
            return 0

    return status
