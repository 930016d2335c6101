"""deploy/k8s: the committed manifests are what deploy/k8s/generate.py writes; the built-in kinds
validate against Kubernetes 1.33 (kubernetes-validate, strict: unknown fields are errors); the
custom resources (KEDA, RabbitMQ Cluster Operator, CloudNativePG) against vendored copies of
their CRD schemas (crd_schemas.py); and the manifests keep the suite's rules."""

from __future__ import annotations

import importlib.util
import sys
from collections import defaultdict

import jsonschema
import kubernetes_validate
import pytest
import yaml
from crd_schemas import SCHEMAS
from deploy_checks import GATEWAY, ROOT, SERVICES, is_known_setting

pytestmark = pytest.mark.unit

K8S = ROOT / "deploy" / "k8s"
BASE = K8S / "base"
KUBERNETES_VERSIONS = ("1.33.0", "1.37.0")  # the target, and the newest this validator knows


def load_generator():
    spec = importlib.util.spec_from_file_location("mms_k8s_generate", K8S / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def documents() -> list[dict]:
    kustomization = yaml.safe_load((BASE / "kustomization.yaml").read_text())
    docs = []
    for name in kustomization["resources"]:
        docs.extend(d for d in yaml.safe_load_all((BASE / name).read_text()) if d)
    return docs


@pytest.fixture(scope="module")
def by_kind(documents) -> dict[str, dict[str, dict]]:
    found: dict[str, dict[str, dict]] = defaultdict(dict)
    for doc in documents:
        found[doc["kind"]][doc["metadata"]["name"]] = doc
    return found


def test_committed_manifests_are_what_the_generator_writes():
    rendered = load_generator().render()
    on_disk = {p.name: p.read_text() for p in BASE.glob("*.yaml")}
    assert set(on_disk) == set(rendered), "run deploy/k8s/generate.py and commit its output"
    for name, text in rendered.items():
        assert on_disk[name] == text, f"{name} is stale: run deploy/k8s/generate.py"


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_built_in_kinds_validate_strictly(documents, version):
    checked = 0
    for doc in documents:
        if doc["apiVersion"].split("/")[0] in {"keda.sh", "rabbitmq.com", "postgresql.cnpg.io"}:
            continue
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{doc['kind']}/{doc['metadata']['name']}: {exc.message} at {exc.path}")
        checked += 1
    assert checked >= 60


def test_custom_resources_validate_against_their_crd_schemas(documents):
    seen = set()
    for doc in documents:
        key = (doc["apiVersion"], doc["kind"])
        if key[0].split("/")[0] not in {"keda.sh", "rabbitmq.com", "postgresql.cnpg.io"}:
            continue
        assert key in SCHEMAS, f"no schema for {key}"
        jsonschema.validate(doc, SCHEMAS[key])
        seen.add(key)
    assert seen == set(SCHEMAS)


def test_crd_schemas_catch_mistakes(by_kind):
    scaled = by_kind["ScaledObject"]["customer-worker"]
    broken = yaml.safe_load(yaml.safe_dump(scaled))
    broken["spec"]["triggers"][0]["metadata"]["value"] = 500  # numbers must be strings
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMAS[("keda.sh/v1alpha1", "ScaledObject")])
    cluster = yaml.safe_load(yaml.safe_dump(by_kind["Cluster"]["mms-postgres"]))
    cluster["spec"]["instance"] = 3  # misspelt
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(cluster, SCHEMAS[("postgresql.cnpg.io/v1", "Cluster")])


def pod_specs(by_kind):
    for kind in ("Deployment", "Job"):
        for name, doc in by_kind[kind].items():
            yield f"{kind}/{name}", doc["spec"]["template"]["spec"]


def test_every_pod_is_locked_down(by_kind):
    for where, spec in pod_specs(by_kind):
        assert spec["securityContext"]["runAsNonRoot"] is True, where
        assert spec["automountServiceAccountToken"] is False, where
        for container in spec["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["capabilities"]["drop"] == ["ALL"], where
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), where
            assert {"cpu", "memory"} <= set(resources["limits"]), where
            image = container["image"]
            assert ":" in image and not image.endswith(":latest"), where


def test_every_service_has_its_objects(by_kind):
    for name, (port, worker_port) in SERVICES.items():
        api = by_kind["Deployment"][f"{name}-api"]
        worker = by_kind["Deployment"][f"{name}-worker"]
        assert by_kind["Job"][f"{name}-migrate"]["spec"]["template"]["spec"]["containers"][0][
            "args"
        ] == [name, "setup"]
        container = api["spec"]["template"]["spec"]["containers"][0]
        assert container["args"] == [name, "api"]
        assert container["ports"][0]["containerPort"] == port
        assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
        assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
        service = by_kind["Service"][f"{name}-api"]
        assert service["spec"]["ports"][0]["port"] == port
        assert service["spec"]["selector"] == api["spec"]["selector"]["matchLabels"]
        hpa = by_kind["HorizontalPodAutoscaler"][f"{name}-api"]
        assert hpa["spec"]["scaleTargetRef"]["name"] == f"{name}-api"
        assert hpa["spec"]["minReplicas"] >= 2
        assert by_kind["PodDisruptionBudget"][f"{name}-api"]["spec"]["minAvailable"] == 1
        assert f"{name}-worker" in by_kind["PodDisruptionBudget"]

        container = worker["spec"]["template"]["spec"]["containers"][0]
        assert container["args"] == [name, "worker"]
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env[f"MMS_{name.upper()}_WORKER_PORT"] == str(worker_port)
        for probe, expected in (("readinessProbe", []), ("livenessProbe", ["live"])):
            command = container[probe]["exec"]["command"]
            assert command == ["python", "/app/deploy/docker/healthcheck.py", *expected]
        scaled = by_kind["ScaledObject"][f"{name}-worker"]
        assert scaled["spec"]["scaleTargetRef"]["name"] == f"{name}-worker"
        trigger = scaled["spec"]["triggers"][0]
        assert trigger["type"] == "rabbitmq"
        assert trigger["metadata"]["queueName"] == f"{name}.events"
        # The worker also relays the outbox and runs scheduled jobs: never scaled to zero.
        assert scaled["spec"]["minReplicaCount"] >= 1


def test_configuration_uses_settings_the_code_reads_and_secrets_by_reference(by_kind):
    config = by_kind["ConfigMap"]["mms-config"]["data"]
    assert config["MMS_AMQP_QUORUM_QUEUES"] == "true"
    for name, (port, _) in SERVICES.items():
        assert config[f"MMS_{name.upper()}_URL"] == f"http://{name}-api:{port}"
    for key in config:
        assert is_known_setting(key), key
    assert "Secret" not in by_kind, "secrets are created out of band (docs/operations.md)"
    for where, spec in pod_specs(by_kind):
        for container in spec["containers"]:
            for item in container.get("env", []):
                assert is_known_setting(item["name"]), f"{where}: {item['name']}"
                name = item["name"]
                if name.endswith("_FILE"):
                    assert item["value"].startswith("/run/secrets/"), f"{where}: {name}"
                elif any(word in name for word in ("PASSWORD", "SECRET", "AMQP_URL")):
                    assert "valueFrom" in item, f"{where}: {name} must come from a Secret"


def test_only_the_gateway_reaches_the_services(by_kind):
    policies = by_kind["NetworkPolicy"]
    assert policies["default-deny-ingress"]["spec"] == {
        "podSelector": {},
        "policyTypes": ["Ingress"],
    }
    gateway_pods = {"mms.io/service": "gateway", "mms.io/role": "api"}
    for name, (port, _) in SERVICES.items():
        api = policies[f"{name}-api"]["spec"]
        assert api["podSelector"]["matchLabels"] == {"mms.io/service": name, "mms.io/role": "api"}
        assert api["ingress"] == [
            {
                "from": [{"podSelector": {"matchLabels": gateway_pods}}],
                "ports": [{"protocol": "TCP", "port": port}],
            }
        ]
        worker = policies[f"{name}-worker"]["spec"]
        assert "ingress" not in worker and worker["policyTypes"] == ["Egress"]
        reached = {p["port"] for rule in worker["egress"] for p in rule["ports"]}
        assert {5432, 5672} <= reached
        assert reached - {5432, 5672} <= {25, 465, 587, 1025, 2525}  # SMTP, for mailers only
    gateway = policies["gateway-api"]["spec"]
    sources = gateway["ingress"][0]["from"][0]["namespaceSelector"]["matchLabels"]
    assert sources == {"kubernetes.io/metadata.name": "ingress-nginx"}
    upstream_ports = {p["port"] for rule in gateway["egress"] for p in rule["ports"]}
    assert upstream_ports == {5432} | {port for port, _ in SERVICES.values()}


def test_broker_and_databases_through_their_operators(by_kind):
    rabbit = by_kind["RabbitmqCluster"]["mms-rabbitmq"]["spec"]
    assert rabbit["replicas"] == 3
    assert "default_queue_type = quorum" in rabbit["rabbitmq"]["additionalConfig"]
    cluster = by_kind["Cluster"]["mms-postgres"]["spec"]
    everyone = [*SERVICES, GATEWAY[0]]
    assert cluster["postgresql"]["pg_hba"][0] == "host sameuser all all scram-sha-256"
    roles = {r["name"]: r for r in cluster["managed"]["roles"]}
    assert set(roles) == set(everyone)
    for name in everyone:
        assert roles[name]["passwordSecret"]["name"] == f"mms-db-{name}"
        assert roles[name]["superuser"] is False and roles[name]["createdb"] is False
        database = by_kind["Database"][f"mms-postgres-{name}"]["spec"]
        assert (database["name"], database["owner"]) == (name, name)
        assert database["cluster"]["name"] == "mms-postgres"
    ingress = by_kind["Ingress"]["gateway"]["spec"]
    backend = ingress["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == "gateway"
