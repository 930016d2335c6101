"""`make run`: the whole suite on this machine, in the foreground, with demo data.

Starts a private RabbitMQ node (var/rabbitmq), a development SMTP sink, and for every service
that is installed its migrations, its api (gunicorn) and its worker, then the gateway; loads demo
data; prints the URLs and the demo login. Ctrl-C stops everything. State lives under ``var/``;
delete it to start from scratch.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VAR = Path(os.environ.get("MMS_VAR_DIR", ROOT / "var")).resolve()
BIN = ROOT / ".venv" / "bin"
sys.path.insert(0, str(ROOT / "libs" / "servicekit"))

from servicekit.identity import generate_keypair  # noqa: E402
from servicekit.testing.servers import RabbitNode  # noqa: E402

DEMO_ADMIN_EMAIL = "admin@demo.mms.local"
DEMO_ADMIN_PASSWORD = "demo-admin-2026"  # noqa: S105 - printed for the local demo on purpose


@dataclass(frozen=True)
class Service:
    name: str
    port: int
    worker_port: int

    @property
    def cli(self) -> Path:
        return BIN / f"{self.name}-service"


SERVICES = [
    Service("customer", 8101, 8201),
    Service("sales", 8102, 8202),
    Service("campaign", 8103, 8203),
    Service("support", 8104, 8204),
    Service("analytics", 8105, 8205),
]
GATEWAY = Service("gateway", int(os.environ.get("MMS_GATEWAY_PORT", "8080")), 8200)
SMTP_PORT, MAIL_UI_PORT = 2525, 8025


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def secrets_env() -> dict[str, str]:
    folder = VAR / "secrets"
    folder.mkdir(parents=True, exist_ok=True)
    private, public = folder / "identity_private_key.pem", folder / "identity_public_key.pem"
    if not private.exists():
        private_pem, public_pem = generate_keypair()
        private.write_text(private_pem)
        private.chmod(0o600)
        public.write_text(public_pem)
    jwt_secret = folder / "jwt_secret"
    if not jwt_secret.exists():
        jwt_secret.write_text(secrets.token_urlsafe(48))
        jwt_secret.chmod(0o600)
    for name in ("webhook_secret_key", "tracking_secret"):
        path = folder / name
        if not path.exists():
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
    return {
        "MMS_IDENTITY_PUBLIC_KEY_FILE": str(public),
        "MMS_IDENTITY_PRIVATE_KEY_FILE": str(private),
        "MMS_JWT_SECRET_FILE": str(jwt_secret),
        "MMS_WEBHOOK_SECRET_KEY_FILE": str(folder / "webhook_secret_key"),
        "MMS_TRACKING_SECRET_FILE": str(folder / "tracking_secret"),
    }


def start_broker() -> RabbitNode:
    node = RabbitNode(VAR / "rabbitmq", 5672, 15672, 25672, "mms@localhost")
    if not (port_free(5672) and port_free(15672) and port_free(25672)):
        node = RabbitNode.create(VAR / "rabbitmq")
    print(f"starting RabbitMQ on port {node.amqp_port} (data in {node.base}) ...", flush=True)
    return node.start()


def run(cmd: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(cmd, env=env, cwd=ROOT)
    if result.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}")


def wait_ready(url: str, timeout: float = 90) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - local URL
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def main() -> int:
    from honcho.manager import Manager

    VAR.mkdir(parents=True, exist_ok=True)
    installed = [s for s in SERVICES if s.cli.exists()]
    env = dict(os.environ)
    env.update(secrets_env())
    env.update(
        MMS_VAR_DIR=str(VAR),
        MMS_LOG_FORMAT=os.environ.get("MMS_LOG_FORMAT", "console"),
        MMS_ADMIN_EMAIL=os.environ.get("MMS_ADMIN_EMAIL", DEMO_ADMIN_EMAIL),
        MMS_ADMIN_PASSWORD=os.environ.get("MMS_ADMIN_PASSWORD", DEMO_ADMIN_PASSWORD),
        MMS_SMTP_HOST="127.0.0.1",
        MMS_SMTP_PORT=str(SMTP_PORT),
        MMS_PUBLIC_BASE_URL=f"http://127.0.0.1:{GATEWAY.port}",
        MMS_GATEWAY_PORT=str(GATEWAY.port),
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
    )
    for service in [*SERVICES, GATEWAY]:
        upper = service.name.upper()
        env[f"MMS_{upper}_PORT"] = str(service.port)
        env[f"MMS_{upper}_WORKER_PORT"] = str(service.worker_port)
        env[f"MMS_{upper}_URL"] = f"http://127.0.0.1:{service.port}"
    node = start_broker()
    env["MMS_AMQP_URL"] = node.url
    try:
        for service in installed:
            print(f"setting up {service.name} (migrations, queues) ...", flush=True)
            run([str(service.cli), "setup"], env)
        if GATEWAY.cli.exists():
            run([str(GATEWAY.cli), "setup"], env)
        manager = Manager()
        metrics_root = VAR / "metrics"
        shutil.rmtree(metrics_root, ignore_errors=True)
        if (ROOT / "deploy" / "local" / "mailsink.py").exists():
            manager.add_process(
                "mailsink",
                f"{BIN / 'python'} deploy/local/mailsink.py "
                f"--smtp-port {SMTP_PORT} --http-port {MAIL_UI_PORT}",
                env=env,
                cwd=str(ROOT),
            )
        for service in [*installed, *([GATEWAY] if GATEWAY.cli.exists() else [])]:
            for kind in ("api", "worker"):
                process_env = dict(env)
                process_env["PROMETHEUS_MULTIPROC_DIR"] = str(
                    metrics_root / f"{service.name}-{kind}"
                )
                os.makedirs(process_env["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
                manager.add_process(
                    f"{service.name}-{kind}",
                    f"{service.cli} {kind}",
                    env=process_env,
                    cwd=str(ROOT),
                )
        threading.Thread(target=seed_and_announce, args=(installed, env), daemon=True).start()
        manager.loop()
        return manager.returncode or 0
    finally:
        print("stopping RabbitMQ ...", flush=True)
        node.stop()


def seed_and_announce(installed: list[Service], env: dict[str, str]) -> None:
    for service in installed:
        if not wait_ready(f"http://127.0.0.1:{service.port}/health/ready"):
            print(f"!! {service.name} did not become ready", flush=True)
    gateway_up = GATEWAY.cli.exists() and wait_ready(
        f"http://127.0.0.1:{GATEWAY.port}/health/ready"
    )
    for service in installed:
        subprocess.run([str(service.cli), "seed-demo"], env=env, cwd=ROOT, check=False)
    if gateway_up:
        subprocess.run([str(GATEWAY.cli), "seed-demo"], env=env, cwd=ROOT, check=False)
    lines = [
        "",
        "=" * 72,
        " Marketing Management Suite is running. Ctrl-C stops everything.",
        "",
    ]
    if gateway_up:
        lines += [
            f"  API gateway      http://127.0.0.1:{GATEWAY.port}/api/v1/",
            f"  API docs         http://127.0.0.1:{GATEWAY.port}/api/v1/docs",
            f"  demo login       {env['MMS_ADMIN_EMAIL']} / {env['MMS_ADMIN_PASSWORD']}",
        ]
    for service in installed:
        lines.append(
            f"  {service.name:<16} http://127.0.0.1:{service.port}  (internal; "
            f"worker health on :{service.worker_port})"
        )
    lines += [
        f"  mail sink        http://127.0.0.1:{MAIL_UI_PORT}/  (SMTP on :{SMTP_PORT})",
        f"  RabbitMQ         {env['MMS_AMQP_URL']}  (management UI on :15672, guest/guest)",
        "=" * 72,
    ]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
