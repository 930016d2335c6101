"""The gateway and the customer service as real processes, for the gateway's end-to-end tests
and its benchmark: ``customer_env``/``gateway_env`` and ``start_customer``/``start_gateway`` wire
them together with a fresh key pair and fresh SQLite databases (the process handling itself is
servicekit.testing.processes)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from servicekit.testing.processes import Proc, Processes
from servicekit.testing.processes import SuiteKeys as Keys
from servicekit.testing.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def base_env(base: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MMS_", "PROMETHEUS_"))}
    env.update(
        MMS_VAR_DIR=str(base / "var"),
        MMS_LOG_FORMAT="json",
        MMS_LOG_LEVEL="WARNING",
        MMS_AMQP_URL="amqp://guest:guest@127.0.0.1:1//",
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    return env


def customer_env(base: Path, keys: Keys, port: int, workers: int = 2) -> dict[str, str]:
    env = base_env(base)
    env.update(
        MMS_SERVICE="customer",
        MMS_CUSTOMER_PORT=str(port),
        MMS_CUSTOMER_DATABASE_URL=f"sqlite:///{base / 'customer.sqlite3'}",
        MMS_IDENTITY_PUBLIC_KEY=keys.public_pem,
        MMS_WEB_CONCURRENCY=str(workers),
    )
    return env


def gateway_env(
    base: Path, keys: Keys, port: int, upstreams: dict[str, str], workers: int = 2, **extra
) -> dict[str, str]:
    env = base_env(base)
    env.update(
        MMS_GATEWAY_PORT=str(port),
        MMS_GATEWAY_WORKERS=str(workers),
        MMS_GATEWAY_DATABASE_URL=f"sqlite:///{base / 'gateway.sqlite3'}",
        MMS_IDENTITY_PRIVATE_KEY=keys.private_pem,
        MMS_JWT_SECRET=keys.jwt_secret,
    )
    for service in ("customer", "sales", "campaign", "support", "analytics"):
        # A service this test did not start must look down, even when `make run` happens to
        # have one on its default port on this machine.
        url = upstreams.get(service) or f"http://127.0.0.1:{free_port()}"
        env[f"MMS_{service.upper()}_URL"] = url
    env.update({k: str(v) for k, v in extra.items()})
    return env


def start_customer(group: Processes, keys: Keys, workers: int = 2) -> Proc:
    port = free_port()
    env = customer_env(group.base, keys, port, workers)
    group.run([str(BIN / "customer-service"), "migrate"], env)
    return group.start(
        "customer",
        [str(BIN / "customer-service"), "api", "--bind", f"127.0.0.1:{port}"],
        env,
        port,
    )


def start_gateway(
    group: Processes,
    keys: Keys,
    upstreams: dict[str, str],
    *,
    workers: int = 2,
    name: str = "gateway",
    migrate: bool = True,
    **extra,
) -> Proc:
    port = free_port()
    env = gateway_env(group.base, keys, port, upstreams, workers, **extra)
    if migrate:
        group.run([str(BIN / "gateway-service"), "migrate"], env)
    return group.start(name, [str(BIN / "gateway-service"), "api"], env, port)


def create_user(
    base: Path, email: str, password: str, roles: list[str], team: str | None = None
) -> str:
    """Create a gateway user directly in the gateway's database; return its id."""
    from gateway.passwords import Passwords
    from gateway.store import Store
    from servicekit.db import Database

    db = Database(f"sqlite:///{base / 'gateway.sqlite3'}")
    try:
        store = Store(db)
        if team:
            store.ensure_team(team)
        user = store.create_user(
            email=email,
            name=email.split("@")[0],
            password_hash=Passwords().hash(password),
            roles=roles,
            team=team,
        )
        return user.id
    finally:
        db.dispose()


def start_gateway_worker(group: Processes, amqp_url: str, **extra) -> Proc:
    """``gateway-service worker`` on a migrated SQLite database in ``group.base``, consuming
    ``amqp_url``; ``extra`` adds environment (``MMS_WEBHOOK_*``)."""
    port = free_port()
    env = base_env(group.base)
    env.update(
        MMS_GATEWAY_DATABASE_URL=f"sqlite:///{group.base / 'gateway.sqlite3'}",
        MMS_AMQP_URL=amqp_url,
        MMS_GATEWAY_WORKER_PORT=str(port),
    )
    env.update({k: str(v) for k, v in extra.items()})
    group.run([str(BIN / "gateway-service"), "migrate"], env)
    return group.start("gateway-worker", [str(BIN / "gateway-service"), "worker"], env, port)
