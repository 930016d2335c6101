"""Private RabbitMQ and PostgreSQL servers for tests, started from the Debian packages.

``python -m servicekit.testing.servers up --dir DIR`` starts both and prints ``export`` lines
(``MMS_TEST_AMQP_URL``, ``MMS_TEST_AMQP_API``, ``MMS_TEST_POSTGRES_DSN``); ``down --dir DIR`` stops
them. The pytest plugin uses the same classes when those variables are not set. PostgreSQL refuses
to run as root, so as root the cluster runs as the ``postgres`` system user.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _wait_port(port: int, timeout: float, proc: subprocess.Popen | None, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _port_open(port):
            return
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} before listening")
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on {port} within {timeout}s")


@dataclass
class RabbitNode:
    """A RabbitMQ node with its own data directory, ports and management API."""

    base: Path
    amqp_port: int
    mgmt_port: int
    dist_port: int
    name: str
    process: subprocess.Popen | None = None

    @classmethod
    def create(cls, base: Path) -> RabbitNode:
        base.mkdir(parents=True, exist_ok=True)
        amqp_port, mgmt_port, dist_port = free_port(), free_port(), free_port()
        return cls(base, amqp_port, mgmt_port, dist_port, f"mms{amqp_port}@localhost")

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.amqp_port}/"

    @property
    def api(self) -> str:
        return f"http://guest:guest@127.0.0.1:{self.mgmt_port}/api"

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            HOME=str(self.base),
            RABBITMQ_NODENAME=self.name,
            RABBITMQ_NODE_PORT=str(self.amqp_port),
            RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_MNESIA_BASE=str(self.base / "mnesia"),
            RABBITMQ_LOG_BASE=str(self.base / "log"),
            RABBITMQ_CONFIG_FILE=str(self.base / "rabbitmq.conf"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(self.base / "enabled_plugins"),
            RABBITMQ_PID_FILE=str(self.base / "rabbitmq.pid"),
            RABBITMQ_ADVANCED_CONFIG_FILE=str(self.base / "advanced.config"),
        )
        return env

    def start(self, timeout: float = 90.0) -> RabbitNode:
        if not (RABBIT_BIN / "rabbitmq-server").exists():
            raise RuntimeError("rabbitmq-server is not installed (apt-get install rabbitmq-server)")
        self.base.mkdir(parents=True, exist_ok=True)
        (self.base / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{self.amqp_port}\n"
            f"management.tcp.port = {self.mgmt_port}\n"
            "management.tcp.ip = 127.0.0.1\n"
            "loopback_users = none\n"
            "log.console = false\n"
            "log.file.level = warning\n"
            # Tests run many vhosts and short heartbeats; keep the node small and quiet.
            "vm_memory_high_watermark.relative = 0.4\n"
            "disk_free_limit.absolute = 50MB\n"
            "collect_statistics_interval = 1000\n"
        )
        (self.base / "enabled_plugins").write_text("[rabbitmq_management].\n")
        (self.base / "advanced.config").write_text("[].\n")
        cookie = self.base / ".erlang.cookie"
        if not cookie.exists():
            cookie.write_text("MMSTESTCOOKIE" + str(self.amqp_port))
            cookie.chmod(0o400)
        log = open(self.base / "server.out", "ab")  # noqa: SIM115 - lives as long as the node
        self.process = subprocess.Popen(
            [str(RABBIT_BIN / "rabbitmq-server")],
            env=self._env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _wait_port(self.amqp_port, timeout, self.process, "rabbitmq")
        _wait_port(self.mgmt_port, timeout, self.process, "rabbitmq management")
        (self.base / "node.json").write_text(json.dumps(self.describe()))
        return self

    def describe(self) -> dict:
        return {
            "amqp_port": self.amqp_port,
            "mgmt_port": self.mgmt_port,
            "dist_port": self.dist_port,
            "name": self.name,
            "pid": self.process.pid if self.process else None,
        }

    def stop(self, timeout: float = 60.0) -> None:
        """Stop the node gracefully (durable queues and persistent messages survive)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.process = None
        deadline = time.monotonic() + 10
        while _port_open(self.amqp_port) and time.monotonic() < deadline:
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL the node (a crash, not a shutdown)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)


def _pg_bindir() -> Path:
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parent.parent.name),
    )
    if not candidates:
        raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
    return Path(candidates[-1]).parent


@dataclass
class PostgresCluster:
    """A throwaway PostgreSQL cluster (fsync off: test data only)."""

    base: Path
    port: int
    process: subprocess.Popen | None = None

    @classmethod
    def create(cls, base: Path | None = None) -> PostgresCluster:
        """A cluster under ``base``; as root, under a fresh /tmp directory the ``postgres`` user
        can reach (pytest's own temporary directories are private to root)."""
        if base is None or os.geteuid() == 0:
            import tempfile

            base = Path(tempfile.mkdtemp(prefix="mms-pg-"))
        return cls(base, free_port())

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _as_owner(self) -> list[str]:
        return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def start(self, timeout: float = 60.0) -> PostgresCluster:
        bindir = _pg_bindir()
        data = self.base / "data"
        self.base.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")
        if not (data / "PG_VERSION").exists():
            self._initdb(bindir, data)
        log = open(self.base / "server.log", "ab")  # noqa: SIM115 - lives as long as the server
        if os.geteuid() == 0:
            shutil.chown(self.base / "server.log", "postgres", "postgres")
        self.process = subprocess.Popen(
            [
                *self._as_owner(),
                str(bindir / "postgres"),
                "-D",
                str(data),
                "-p",
                str(self.port),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                f"unix_socket_directories={self.base}",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=400",
                "-c",
                "shared_buffers=256MB",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _wait_port(self.port, timeout, self.process, "postgres")
        deadline = time.monotonic() + timeout
        import psycopg

        while True:
            try:
                psycopg.connect(self.dsn, connect_timeout=2).close()
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        (self.base / "cluster.json").write_text(
            json.dumps({"port": self.port, "pid": self.process.pid})
        )
        return self

    def _initdb(self, bindir: Path, data: Path) -> None:
        result = subprocess.run(
            [
                *self._as_owner(),
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
            check=False,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed: {result.stderr or result.stdout}")

    def stop(self, timeout: float = 30.0) -> None:
        """Fast shutdown (SIGINT); the data stays."""
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.process = None

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)


def _stop_recorded(path: Path, key: str = "pid", sig: int = signal.SIGTERM) -> None:
    if not path.exists():
        return
    pid = json.loads(path.read_text()).get(key)
    if not pid:
        return
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        return
    for _ in range(300):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m servicekit.testing.servers")
    parser.add_argument("action", choices=["up", "down"])
    parser.add_argument("--dir", required=True, type=Path)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args(argv)
    base = args.dir.resolve()
    if args.action == "down":
        _stop_recorded(base / "rabbitmq" / "node.json")
        _stop_recorded(base / "postgres" / "cluster.json", sig=signal.SIGINT)
        shutil.rmtree(base, ignore_errors=True)
        return 0
    shutil.rmtree(base, ignore_errors=True)
    node = RabbitNode.create(base / "rabbitmq").start()
    lines = [f"export MMS_TEST_AMQP_URL={node.url}", f"export MMS_TEST_AMQP_API={node.api}"]
    if not args.no_postgres:
        cluster = PostgresCluster.create(base / "postgres").start()
        lines.append(f"export MMS_TEST_POSTGRES_DSN={cluster.dsn}")
    print("\n".join(lines))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
