"""docker-compose.yml: valid against the Compose Specification (check-jsonschema's vendored
compose-spec schema) and true to the suite's rules. Docker itself is not available here, so the
file is never started by these tests."""

from __future__ import annotations

import re

import pytest
import yaml
from check_jsonschema.cli.main_command import main as check_jsonschema
from deploy_checks import GATEWAY, ROOT, SERVICES, is_known_setting

pytestmark = pytest.mark.unit

COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
SECRET_NAME = re.compile(r"(PASSWORD|PASS|SECRET|PRIVATE_KEY|TOKEN)$")
INTERPOLATION = re.compile(r"\$\{([A-Z0-9_]+)(:?[-?][^}]*)?\}")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def suite_names() -> list[str]:
    return [*SERVICES, GATEWAY[0]]


def test_compose_file_matches_the_compose_specification():
    with pytest.raises(SystemExit) as done:
        check_jsonschema(
            ["--builtin-schema", "vendor.compose-spec", str(COMPOSE)], standalone_mode=True
        )
    assert done.value.code == 0


def test_every_service_has_migration_api_and_worker(services):
    for name in suite_names():
        for kind in ("migrate", "api", "worker"):
            assert f"{name}-{kind}" in services, f"{name}-{kind} missing"
        assert services[f"{name}-migrate"]["command"] == [name, "setup"]
        assert services[f"{name}-api"]["command"] == [name, "api"]
        assert services[f"{name}-worker"]["command"] == [name, "worker"]


def test_api_and_worker_wait_for_their_migration(services):
    for name in suite_names():
        for kind in ("api", "worker"):
            depends = services[f"{name}-{kind}"]["depends_on"]
            assert depends[f"{name}-migrate"] == {"condition": "service_completed_successfully"}
        migrate = services[f"{name}-migrate"]["depends_on"]
        assert migrate["postgres"] == {"condition": "service_healthy"}
        if name != "gateway":  # the gateway consumes no events: no queues to declare
            assert migrate["rabbitmq-definitions"] == {
                "condition": "service_completed_successfully"
            }
    assert services["rabbitmq-definitions"]["depends_on"]["rabbitmq"] == {
        "condition": "service_healthy"
    }


def test_only_the_gateway_is_published(services):
    for name, service in services.items():
        ports = service.get("ports", [])
        if name == "gateway-api":
            assert ports == ["${MMS_GATEWAY_PUBLISH:-8080}:8080"]
        elif name in ("rabbitmq", "mailpit"):
            # Development UIs, reachable from this machine only.
            assert ports and all(str(p).startswith("127.0.0.1:") for p in ports), name
        else:
            assert not ports, f"{name} must not publish ports"


def test_every_service_has_a_healthcheck_and_a_restart_policy(services):
    for name, service in services.items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
        assert service.get("restart") in ("unless-stopped", "always") or str(
            service.get("restart", "")
        ).startswith("on-failure"), name
        if name.endswith(("-api", "-worker")):
            assert service["restart"] == "unless-stopped"


def test_the_suite_runs_read_only_without_capabilities(services):
    for name in suite_names():
        for kind in ("migrate", "api", "worker"):
            service = services[f"{name}-{kind}"]
            assert service["read_only"] is True
            assert service["cap_drop"] == ["ALL"]
            assert "no-new-privileges:true" in service["security_opt"]
            assert service["image"].startswith("${MMS_IMAGE:-")


def test_databases_and_broker_are_configured_per_service(services):
    for name in suite_names():
        env = services[f"{name}-api"]["environment"]
        url = env[f"MMS_{name.upper()}_DATABASE_URL"]
        assert url.startswith(f"postgresql://{name}:${{MMS_{name.upper()}_DB_PASSWORD")
        assert url.endswith(f"@postgres:5432/{name}")
        assert env["MMS_AMQP_URL"].startswith("amqp://")
        assert env["MMS_AMQP_QUORUM_QUEUES"] == "true"
        assert env["MMS_IDENTITY_PUBLIC_KEY_FILE"] == "/run/secrets/identity_public_key"
    gateway = services["gateway-api"]["environment"]
    for name, (port, _) in SERVICES.items():
        assert gateway[f"MMS_{name.upper()}_URL"] == f"http://{name}-api:{port}"
    postgres = services["postgres"]
    assert any("init-databases.sh" in v for v in postgres["volumes"])
    for name in suite_names():
        assert f"MMS_{name.upper()}_DB_PASSWORD" in postgres["environment"]


def test_volumes_are_named(compose, services):
    assert set(compose["volumes"]) == {"rabbitmq-data", "postgres-data"}
    assert "rabbitmq-data:/var/lib/rabbitmq" in services["rabbitmq"]["volumes"]
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]


def test_no_secret_is_written_in_the_file(services, compose):
    for name, service in services.items():
        for key, value in (service.get("environment") or {}).items():
            text = "" if value is None else str(value)
            if SECRET_NAME.search(key):
                match = INTERPOLATION.fullmatch(text)
                assert match, f"{name}: {key} must come from .env, not the file"
                default = match.group(2) or ""
                assert default in ("", ":-", "-") or default.startswith((":?", "?")), (
                    f"{name}: {key} has a default value"
                )
            # Credentials inside URLs are interpolated too.
            for credentials in re.findall(
                r"://(?:\$\{[^}]*\}|[^:/@$]*):(\$\{[^}]*\}|[^@]*)@", text
            ):
                assert INTERPOLATION.fullmatch(credentials), f"{name}: {key} embeds a password"
    for secret in compose["secrets"].values():
        assert set(secret) == {"file"}  # files outside git, never inline values


def test_every_variable_is_a_setting_the_code_reads(services):
    for name in suite_names():
        for kind in ("migrate", "api", "worker"):
            for key in services[f"{name}-{kind}"]["environment"]:
                assert is_known_setting(key), f"{name}-{kind}: {key} is read by nothing"


def test_env_example_defines_what_compose_needs_and_nothing_real():
    text = COMPOSE.read_text()
    defined = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            defined[key] = value
    required = {m.group(1) for m in INTERPOLATION.finditer(text) if ":?" in (m.group(2) or "")}
    assert required <= set(defined), required - set(defined)
    used = {m.group(1) for m in INTERPOLATION.finditer(text)}
    assert set(defined) <= used, set(defined) - used
    for key, value in defined.items():
        if SECRET_NAME.search(key) and key != "MMS_SMTP_PASSWORD":
            assert value == "CHANGE-ME", f".env.example: {key} must be a placeholder"
