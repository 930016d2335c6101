"""Sales: orders placed per second through the API, beside the customer service's create rate.

    .venv/bin/python bench/sales_orders_bench.py [--orders 1000] [--threads 4]
                                                 [--backend both|sqlite|postgres]

Each order goes through the real app in-process (Flask test client: identity check, JSON,
validation, pricing three lines from the catalogue and price lists, the exchange rate, a coupon
check with its limits taken in the database on every other order, the order number, the order
row and its outbox events in one transaction). The baseline, measured in the same run on the
same backend, is POST /api/v1/customers on the customer service (force=true: no duplicate
review). PostgreSQL comes from MMS_TEST_POSTGRES_DSN or a private cluster started here.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import threading
import time
import uuid
from pathlib import Path

from _common import fresh_pg_database, percentile, say, servers, table
from sqlalchemy import func, select

from customer_service.entrypoints import runtime as customer_runtime
from customer_service.entrypoints.wsgi import create_app as customer_app
from sales_service.entrypoints import runtime as sales_runtime
from sales_service.entrypoints.wsgi import create_app as sales_app
from servicekit import migrations, tables
from servicekit.consumer import handle_envelope
from servicekit.events import Envelope
from servicekit.testing.identities import IdentityMinter

NO_BROKER = "amqp://guest:guest@127.0.0.1:1//"  # the api never talks to the broker


def database_url(backend: str, dsn: str | None, name: str, tmp: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp / f'{name}.sqlite3'}"
    return fresh_pg_database(dsn, name)


def prepare(backend: str, dsn: str | None, tmp: Path, minter: IdentityMinter):
    keys = (minter.public_pem,)
    sales = sales_runtime.build(
        database_url=database_url(backend, dsn, "bench_sales", tmp),
        identity_public_keys=keys,
        amqp_url=NO_BROKER,
    )
    customers = customer_runtime.build(
        database_url=database_url(backend, dsn, "bench_customer", tmp),
        identity_public_keys=keys,
        amqp_url=NO_BROKER,
    )
    for rt in (sales, customers):
        migrations.upgrade(rt.migrations_dir, rt.db)
    return sales, customers


def seed_sales(rt, client, headers, customers: int) -> tuple[list[str], list[str]]:
    """Replica customers (through the real handler), products, a price list, a coupon."""
    ids = []
    for i in range(customers):
        customer_id = str(uuid.uuid4())
        data = {
            "customer_id": customer_id, "kind": "person", "name": f"Customer {i}",
            "emails": [], "phones": [], "tags": [], "status": "active", "region": "East",
            "attributes": {"tier": "gold" if i % 3 == 0 else "silver"},
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
            "revision": 1,
        }  # fmt: skip
        env = Envelope(str(uuid.uuid4()), "customer.created", 1, "2026-01-01T00:00:00Z",
                       "customer", "bench", None, data)  # fmt: skip
        handle_envelope("sales", env, rt.registry.resolve("customer.created", 1), rt.uow)
        ids.append(customer_id)
    products = []
    for i in range(20):
        response = client.post(
            "/api/v1/products",
            headers=headers,
            json={"sku": f"B-{i:03d}", "name": f"Product {i}", "list_price": f"{5 + i}.90",
                  "tax_rate": "0.19", "category": "Bench"},
        )  # fmt: skip
        products.append(response.get_json()["id"])
    client.post(
        "/api/v1/price-lists",
        headers=headers,
        json={"name": "Gold", "customer_tier": "gold",
              "items": [{"product_id": p, "unit_price": "4.50"} for p in products]},
    )  # fmt: skip
    coupon = {
        "coupon_id": str(uuid.uuid4()), "campaign_id": str(uuid.uuid4()), "name": "Bench",
        "mode": "shared", "code": "BENCH10", "discount_kind": "percent", "value": "10",
        "max_redemptions": 10_000_000, "max_per_customer": 10_000, "active": True, "revision": 1,
    }  # fmt: skip
    env = Envelope(str(uuid.uuid4()), "campaign.coupon.issued", 1, "2026-01-01T00:00:00Z",
                   "campaign", "bench", None, coupon)  # fmt: skip
    handle_envelope("sales", env, rt.registry.resolve("campaign.coupon.issued", 1), rt.uow)
    return ids, products


def run(count: int, threads: int, make_request) -> tuple[float, list[float], int]:
    """``count`` requests over ``threads`` threads: (per second, latencies, failures)."""
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    per_thread = count // threads

    def work(seed: int) -> None:
        rng = random.Random(seed)
        mine, bad = [], 0
        for i in range(per_thread):
            started = time.perf_counter()
            ok = make_request(rng, seed * per_thread + i)
            mine.append(time.perf_counter() - started)
            bad += 0 if ok else 1
        with lock:
            latencies.extend(mine)
            failures[0] += bad

    pool = [threading.Thread(target=work, args=(s,)) for s in range(threads)]
    started = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    return per_thread * threads / elapsed, latencies, failures[0]


def bench_backend(backend: str, dsn: str | None, args) -> list[tuple]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-sales-"))
    minter = IdentityMinter.generate()
    sales, customers = prepare(backend, dsn, tmp, minter)
    admin = minter.headers()
    shop = minter.headers(kind="api_key", roles=(), scopes=("orders:write",))
    s_client = sales_app(sales).test_client()
    c_client = customer_app(customers).test_client()
    customer_ids, products = seed_sales(sales, s_client, admin, args.customers)

    def order(rng, i):
        body = {
            "customer_id": rng.choice(customer_ids),
            "channel": "online_store",
            "lines": [
                {"product_id": p, "quantity": str(rng.randint(1, 5))}
                for p in rng.sample(products, 3)
            ],
            "utm": {"source": "bench", "medium": "cpc"},
        }
        if i % 2 == 0:
            body["coupon_code"] = "bench10"
        return s_client.post("/api/v1/orders", headers=shop, json=body).status_code == 201

    def create_customer(rng, i):
        body = {
            "kind": "person",
            "first_name": f"First{i}",
            "last_name": f"Last{rng.randint(0, 10**9)}",
            "emails": [{"address": f"bench{i}.{uuid.uuid4().hex[:6]}@example.com"}],
            "address": {"country": "DE", "city": "Berlin"},
        }
        response = c_client.post("/api/v1/customers?force=true", headers=admin, json=body)
        return response.status_code == 201

    warm = max(20, args.orders // 20)
    run(warm, 1, order)
    run(warm, 1, create_customer)
    rows = []
    results = {}
    for threads in sorted({1, args.threads}):
        o_rate, o_lat, o_bad = run(args.orders, threads, order)
        c_rate, c_lat, c_bad = run(args.orders, threads, create_customer)
        results[threads] = (o_rate, c_rate)
        rows.append(
            (
                backend,
                threads,
                f"{o_rate:,.0f}",
                f"{percentile(o_lat, 50) * 1000:.1f}/{percentile(o_lat, 95) * 1000:.1f}",
                f"{c_rate:,.0f}",
                f"{percentile(c_lat, 50) * 1000:.1f}/{percentile(c_lat, 95) * 1000:.1f}",
                f"{o_rate / c_rate:.2f}",
                o_bad + c_bad,
            )
        )
    with sales.db.session() as session:
        outbox = session.execute(select(func.count()).select_from(tables.outbox)).scalar_one()
    placed = warm + sum(args.orders // t * t for t in sorted({1, args.threads}))
    say(f"  {backend}: {placed} orders placed, {outbox} outbox rows written with them")
    for rt in (sales, customers):
        rt.db.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--backend", choices=["both", "sqlite", "postgres"], default="both")
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    rows = []
    with servers(need_postgres="postgres" in backends) as (_amqp, dsn):
        for backend in backends:
            say(f"-- {backend}: {args.orders} orders (3 lines, coupon on every other one) and "
                f"{args.orders} customer creates, 1 and {args.threads} threads")  # fmt: skip
            rows += bench_backend(backend, dsn, args)
    say("")
    say(
        table(
            rows,
            (
                "backend",
                "threads",
                "orders/s",
                "order ms p50/p95",
                "customers/s",
                "customer ms p50/p95",
                "orders:customers",
                "failures",
            ),
        )
    )
    say(
        "\norders:customers is the sales order rate as a share of the customer service's create "
        "rate measured in the same run on the same backend (1.00 = as fast)."
    )


if __name__ == "__main__":
    main()
