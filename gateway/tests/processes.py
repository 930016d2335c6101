"""Start the suite's real processes for end-to-end tests and benchmarks.

``Processes`` starts commands on free ports with their own environment, waits for
``/health/ready`` with a deadline, terminates them (their whole process group) on exit and shows
their captured output when something fails. ``customer_env``/``gateway_env`` and
``start_customer``/``start_gateway`` wire the customer service and the gateway together with a
fresh key pair and fresh SQLite databases.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from servicekit.identity import generate_keypair
from servicekit.testing.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@dataclass
class Proc:
    name: str
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self, tail: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-tail:]
        except OSError:
            return ""


@dataclass
class Keys:
    """Secrets one suite instance shares: the identity key pair and the JWT secret."""

    private_pem: str
    public_pem: str
    jwt_secret: str = field(default_factory=lambda: secrets.token_urlsafe(48))

    @classmethod
    def generate(cls) -> Keys:
        private_pem, public_pem = generate_keypair()
        return cls(private_pem, public_pem)


class Processes:
    """A group of started processes, stopped together."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.base.mkdir(parents=True, exist_ok=True)
        self.started: list[Proc] = []

    def run(self, args: list[str], env: dict[str, str], timeout: float = 120) -> str:
        """Run a command to completion (migrations, seeding); raise with its output on failure."""
        result = subprocess.run(
            args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
            )
        return result.stdout

    def start(
        self,
        name: str,
        args: list[str],
        env: dict[str, str],
        port: int,
        *,
        ready_path: str = "/health/ready",
        timeout: float = 60,
    ) -> Proc:
        log = self.base / f"{name}.log"
        handle = open(log, "ab")  # noqa: SIM115 - lives as long as the process
        process = subprocess.Popen(
            args,
            env=env,
            cwd=ROOT,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        proc = Proc(name, port, process, log)
        self.started.append(proc)
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"{name} exited with {process.returncode} before it was ready:\n"
                    + proc.output()
                )
            try:
                with urllib.request.urlopen(proc.url + ready_path, timeout=2) as response:
                    if response.status == 200:
                        return proc
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} not ready within {timeout}s:\n" + proc.output())
            time.sleep(0.1)

    def stop(self, proc: Proc, timeout: float = 20) -> None:
        if proc.process.poll() is None:
            try:
                os.killpg(proc.process.pid, signal.SIGTERM)
                proc.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.process.pid, signal.SIGKILL)
                proc.process.wait(10)
            except ProcessLookupError:
                pass

    def stop_all(self) -> None:
        for proc in reversed(self.started):
            self.stop(proc)

    def report(self) -> str:
        """Every process's recent output, for a failing test's message."""
        return "\n".join(f"--- {p.name} ({p.log}) ---\n{p.output()}" for p in self.started)

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, *exc) -> None:
        self.stop_all()


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
