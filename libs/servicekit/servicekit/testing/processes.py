"""Start the suite's real processes for end-to-end tests and benchmarks.

``Processes`` starts commands with their own environment, waits for ``/health/ready`` with a
deadline, stops them (their whole process group) together and shows their captured output when
something fails. ``Suite`` builds on it to start any service's api and worker, and the gateway,
wired together with one fresh key pair, fresh databases and one broker.

Start the services before the gateway (or reserve their ports with ``suite.port(name)``): the
gateway learns each service's URL from the ports known when it starts.
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

ROOT = Path(__file__).resolve().parents[4]
BIN = Path(sys.executable).parent


@dataclass
class Proc:
    name: str
    port: int
    process: subprocess.Popen
    log: Path
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def output(self, tail: int = 6000) -> str:
        try:
            return self.log.read_text(errors="replace")[-tail:]
        except OSError:
            return ""


def wait_http(url: str, timeout: float, proc: Proc | None = None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.process.poll() is not None:
            raise RuntimeError(
                f"{proc.name} exited with {proc.process.returncode} before it "
                f"was ready:\n{proc.output()}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - local
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            detail = proc.output() if proc is not None else ""
            raise RuntimeError(f"{url} not ready within {timeout}s\n{detail}")
        time.sleep(0.1)


class Processes:
    """A group of started processes, stopped together."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.base.mkdir(parents=True, exist_ok=True)
        self.started: list[Proc] = []

    def run(self, args: list[str], env: dict[str, str], timeout: float = 180) -> str:
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
        ready_path: str | None = "/health/ready",
        timeout: float = 90,
    ) -> Proc:
        log = self.base / f"{name}.log"
        handle = open(log, "ab")  # noqa: SIM115 - lives as long as the process
        process = subprocess.Popen(
            args, env=env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
        proc = Proc(name, port, process, log, list(args), dict(env))
        self.started.append(proc)
        if ready_path is not None:
            wait_http(proc.url + ready_path, timeout, proc)
        return proc

    def restart(
        self, proc: Proc, *, ready_path: str | None = "/health/ready", timeout: float = 90
    ) -> Proc:
        """Start a stopped (or killed) process again with the same command and environment."""
        self.started.remove(proc)
        return self.start(
            proc.name, proc.args, proc.env, proc.port, ready_path=ready_path, timeout=timeout
        )

    def kill(self, proc: Proc) -> None:
        """SIGKILL the whole process group: a crash, not a shutdown."""
        if proc.process.poll() is None:
            try:
                os.killpg(proc.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.process.wait(10)

    def stop(self, proc: Proc, timeout: float = 30) -> None:
        if proc.process.poll() is None:
            try:
                os.killpg(proc.process.pid, signal.SIGTERM)
                proc.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.process.pid, signal.SIGKILL)
                proc.process.wait(10)
            except ProcessLookupError:
                pass

    def stop_all(self, timeout: float = 30) -> None:
        """SIGTERM every process first, then wait for each: they shut down in parallel."""
        for proc in reversed(self.started):
            if proc.process.poll() is None:
                try:
                    os.killpg(proc.process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for proc in reversed(self.started):
            self.stop(proc, timeout)

    def report(self) -> str:
        """Every process's recent output, for a failing test's message."""
        return "\n".join(f"--- {p.name} ({p.log}) ---\n{p.output()}" for p in self.started)

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, *exc) -> None:
        self.stop_all()


@dataclass
class SuiteKeys:
    """Secrets one suite instance shares: the identity key pair, the JWT secret, etc."""

    private_pem: str
    public_pem: str
    jwt_secret: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    tracking_secret: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    webhook_secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(48))

    @classmethod
    def generate(cls) -> SuiteKeys:
        private_pem, public_pem = generate_keypair()
        return cls(private_pem, public_pem)


class Suite:
    """Services and the gateway as real processes sharing a broker, keys and a var directory.

    ``database_url(service)`` decides each service's database (default: SQLite files under the
    suite's directory); pass ``database_urls`` to use PostgreSQL databases instead.
    """

    def __init__(
        self,
        base: Path,
        amqp_url: str,
        *,
        keys: SuiteKeys | None = None,
        database_urls: dict[str, str] | None = None,
        extra_env: dict | None = None,
    ):
        self.base = base
        self.amqp_url = amqp_url
        self.keys = keys or SuiteKeys.generate()
        self.group = Processes(base / "logs")
        self.database_urls = dict(database_urls or {})
        self.extra_env = dict(extra_env or {})
        self.ports: dict[str, int] = {}
        self.worker_ports: dict[str, int] = {}
        self.processes: dict[str, Proc] = {}

    def port(self, name: str) -> int:
        if name not in self.ports:
            self.ports[name] = free_port()
        return self.ports[name]

    def env(self, service: str | None = None) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("MMS_") or k.startswith("MMS_TEST_")
        }
        env.update(
            MMS_VAR_DIR=str(self.base / "var"),
            MMS_AMQP_URL=self.amqp_url,
            MMS_IDENTITY_PUBLIC_KEY=self.keys.public_pem,
            MMS_IDENTITY_PRIVATE_KEY=self.keys.private_pem,
            MMS_JWT_SECRET=self.keys.jwt_secret,
            MMS_TRACKING_SECRET=self.keys.tracking_secret,
            MMS_WEBHOOK_SECRET_KEY=self.keys.webhook_secret_key,
            MMS_LOG_FORMAT="json",
            MMS_LOG_LEVEL=os.environ.get("MMS_TEST_PROCESS_LOG_LEVEL", "INFO"),
            MMS_RETRY_DELAYS="0.5,1,2",
            MMS_RELAY_IDLE_INTERVAL="0.02",
            MMS_WEB_CONCURRENCY="2",
            MMS_PUBLIC_BASE_URL=f"http://127.0.0.1:{self.port('gateway')}",
            PYTHONUNBUFFERED="1",
        )
        for name, port in self.ports.items():
            env[f"MMS_{name.upper()}_PORT"] = str(port)
            env[f"MMS_{name.upper()}_URL"] = f"http://127.0.0.1:{port}"
        for name, url in self.database_urls.items():
            env[f"MMS_{name.upper()}_DATABASE_URL"] = url
        env.update(self.extra_env)
        if service:
            metrics = self.base / "metrics" / service
            metrics.mkdir(parents=True, exist_ok=True)
            env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics)
        return env

    def cli(self, service: str) -> str:
        return str(BIN / f"{service}-service")

    def setup(self, service: str) -> None:
        self.group.run([self.cli(service), "setup"], self.env())

    def start_api(
        self,
        service: str,
        *,
        workers: int = 2,
        name: str | None = None,
        port: int | None = None,
        env: dict[str, str] | None = None,
        wait: bool = True,
    ) -> Proc:
        """Start ``<service>-service api`` (gunicorn); ``env`` adds or overrides variables for
        this process only; ``wait=False`` returns before it is ready (see ``wait_ready``)."""
        name = name or f"{service}-api"
        if port is None:
            port = self.port(service)
        process_env = self.env(name)
        process_env["MMS_WEB_CONCURRENCY"] = str(workers)
        process_env["MMS_SERVICE"] = service
        process_env[f"MMS_{service.upper()}_PORT"] = str(port)
        process_env.update(env or {})
        proc = self.group.start(
            name,
            [self.cli(service), "api"],
            process_env,
            port,
            ready_path="/health/ready" if wait else None,
        )
        self.processes[name] = proc
        return proc

    def start_worker(
        self,
        service: str,
        *,
        name: str | None = None,
        env: dict[str, str] | None = None,
        wait: bool = True,
    ) -> Proc:
        """Start ``<service>-service worker`` with its health server on a free port.

        ``wait=False`` returns at once (start several together, then ``wait_ready`` each)."""
        name = name or f"{service}-worker"
        port = free_port()
        self.worker_ports[name] = port
        process_env = self.env(name)
        process_env[f"MMS_{service.upper()}_WORKER_PORT"] = str(port)
        process_env.update(env or {})
        proc = self.group.start(
            name,
            [self.cli(service), "worker"],
            process_env,
            port,
            ready_path="/health/ready" if wait else None,
        )
        self.processes[name] = proc
        return proc

    def wait_ready(self, *names: str, timeout: float = 90) -> None:
        """Wait until every process in ``names`` answers ``/health/ready`` with 200."""
        for name in names:
            proc = self.processes[name]
            wait_http(f"{proc.url}/health/ready", timeout, proc)

    def setup_all(self, *services: str) -> None:
        """``setup`` several services at once (each has its own database; the broker topology
        declarations are idempotent)."""
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=max(1, len(services))) as pool:
            for future in [pool.submit(self.setup, service) for service in services]:
                future.result()

    def setup_gateway(self, env: dict[str, str] | None = None) -> None:
        """``gateway-service setup``: migrations and the first admin (MMS_ADMIN_* in ``env``)."""
        self.group.run([self.cli("gateway"), "setup"], {**self.env(), **(env or {})})

    def start_gateway(
        self,
        *,
        workers: int = 2,
        name: str = "gateway",
        env: dict[str, str] | None = None,
        wait: bool = True,
    ) -> Proc:
        """Start ``gateway-service api`` routing to every service whose port is known."""
        port = self.port("gateway")
        process_env = self.env(name)
        process_env["MMS_GATEWAY_PORT"] = str(port)
        process_env["MMS_GATEWAY_WORKERS"] = str(workers)
        process_env.update(env or {})
        proc = self.group.start(
            name,
            [self.cli("gateway"), "api"],
            process_env,
            port,
            ready_path="/health/ready" if wait else None,
        )
        self.processes[name] = proc
        return proc

    def metrics(self, name: str) -> str:
        """The Prometheus exposition of process ``name`` (an api, a worker or the gateway)."""
        port = self.worker_ports.get(name) or self.processes[name].port
        url = f"http://127.0.0.1:{port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode()

    def stop_all(self) -> None:
        self.group.stop_all()

    def __enter__(self) -> Suite:
        return self

    def __exit__(self, *exc) -> None:
        self.stop_all()
