"""Write the Kubernetes manifests under deploy/k8s/base/ (kustomize base).

The manifests of the five services are alike, so they are generated here from one description
and committed; ``tests/deploy`` checks that the committed files are what this script writes and
validates them. Edit this script, run ``.venv/bin/python deploy/k8s/generate.py``, commit both.
Site-specific changes (image registry and tag, host name, replicas, resources) belong in an
overlay (``kustomize`` patches), not here.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

BASE = Path(__file__).resolve().parent / "base"
NAMESPACE = "mms"
IMAGE = "mms-suite:0.1.0"
RABBITMQ = "mms-rabbitmq"
POSTGRES = "mms-postgres"
INGRESS_NAMESPACE = "ingress-nginx"
SMTP_PORTS = (25, 465, 587, 1025, 2525)


@dataclass(frozen=True)
class Service:
    name: str
    port: int
    worker_port: int
    memory: str = "512Mi"
    sends_mail: bool = False
    secrets: tuple[str, ...] = ()

    @property
    def upper(self) -> str:
        return self.name.upper()


SERVICES = (
    Service("customer", 8101, 8201),
    Service("sales", 8102, 8202),
    Service("campaign", 8103, 8203, sends_mail=True, secrets=("tracking",)),
    Service("support", 8104, 8204, sends_mail=True),
    Service("analytics", 8105, 8205, memory="1Gi"),
)
GATEWAY = Service("gateway", 8080, 8200)


def labels(service: str, role: str, **extra: str) -> dict:
    return {
        "app.kubernetes.io/name": f"{service}-{role}",
        "app.kubernetes.io/part-of": "mms",
        "mms.io/service": service,
        "mms.io/role": role,
        **extra,
    }


def selector(service: str, role: str) -> dict:
    return {"mms.io/service": service, "mms.io/role": role}


def meta(name: str, service: str, role: str) -> dict:
    return {"name": name, "labels": labels(service, role)}


# -- pods ---------------------------------------------------------------------------------------

POD_SECURITY = {
    "runAsNonRoot": True,
    "runAsUser": 10001,
    "runAsGroup": 10001,
    "fsGroup": 10001,
    "seccompProfile": {"type": "RuntimeDefault"},
}
CONTAINER_SECURITY = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]},
}


def secret_env(name: str, secret: str, key: str) -> dict:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def database_env(service: Service) -> list[dict]:
    # The password comes from the role's secret; the URL is composed from it by Kubernetes
    # ($(VAR) expansion), so no secret ever sits in a ConfigMap. Passwords are hex (URL-safe).
    return [
        secret_env("DATABASE_PASSWORD", f"mms-db-{service.name}", "password"),
        {
            "name": f"MMS_{service.upper}_DATABASE_URL",
            "value": (
                f"postgresql://{service.name}:$(DATABASE_PASSWORD)@{POSTGRES}-rw:5432/"
                f"{service.name}"
            ),
        },
    ]


def service_env(service: Service) -> list[dict]:
    env = [
        secret_env("MMS_AMQP_URL", "mms-amqp", "url"),
        *database_env(service),
        {
            "name": "MMS_IDENTITY_PUBLIC_KEY_FILE",
            "value": "/run/secrets/mms/identity_public_key.pem",
        },
    ]
    if "tracking" in service.secrets:
        env.append(
            {"name": "MMS_TRACKING_SECRET_FILE", "value": "/run/secrets/mms/tracking_secret"}
        )
    return env


def gateway_env() -> list[dict]:
    return [
        # The worker consumes every event for the outbound webhooks.
        secret_env("MMS_AMQP_URL", "mms-amqp", "url"),
        *database_env(GATEWAY),
        {
            "name": "MMS_IDENTITY_PUBLIC_KEY_FILE",
            "value": "/run/secrets/mms/identity_public_key.pem",
        },
        {
            "name": "MMS_IDENTITY_PRIVATE_KEY_FILE",
            "value": "/run/secrets/mms/identity_private_key.pem",
        },
        {"name": "MMS_JWT_SECRET_FILE", "value": "/run/secrets/mms/jwt_secret"},
        {
            "name": "MMS_WEBHOOK_SECRET_KEY_FILE",
            "value": "/run/secrets/mms/webhook_secret_key",
        },
        {"name": "MMS_WEBHOOK_REQUIRE_HTTPS", "value": "true"},
    ]


def secret_volume(service: Service) -> dict:
    items = [{"key": "identity_public_key.pem", "path": "identity_public_key.pem"}]
    sources = [{"secret": {"name": "mms-identity", "items": items}}]
    if service is GATEWAY:
        items.append({"key": "identity_private_key.pem", "path": "identity_private_key.pem"})
        sources.append(
            {"secret": {"name": "mms-jwt", "items": [{"key": "jwt_secret", "path": "jwt_secret"}]}}
        )
        sources.append(
            {
                "secret": {
                    "name": "mms-webhook",
                    "items": [{"key": "webhook_secret_key", "path": "webhook_secret_key"}],
                }
            }
        )
    if "tracking" in service.secrets:
        sources.append(
            {
                "secret": {
                    "name": "mms-tracking",
                    "items": [{"key": "tracking_secret", "path": "tracking_secret"}],
                }
            }
        )
    return {"name": "secrets", "projected": {"sources": sources, "defaultMode": 0o440}}


def volumes(service: Service) -> list[dict]:
    return [
        secret_volume(service),
        {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}},
        {"name": "var", "emptyDir": {"sizeLimit": "64Mi"}},
    ]


MOUNTS = [
    {"name": "secrets", "mountPath": "/run/secrets/mms", "readOnly": True},
    {"name": "tmp", "mountPath": "/tmp"},  # noqa: S108 - an emptyDir inside the pod
    {"name": "var", "mountPath": "/var/lib/mms"},
]


def container(service: Service, command: str, env: list[dict], resources: dict, **extra) -> dict:
    return {
        "name": command if command in ("api", "worker") else "job",
        "image": IMAGE,
        "imagePullPolicy": "IfNotPresent",
        "args": [service.name, command],
        "envFrom": [{"configMapRef": {"name": "mms-config"}}],
        "env": env,
        "resources": resources,
        "securityContext": CONTAINER_SECURITY,
        "volumeMounts": MOUNTS,
        **extra,
    }


def pod_spec(service: Service, containers: list[dict], **extra) -> dict:
    return {
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": POD_SECURITY,
        "containers": containers,
        "volumes": volumes(service),
        **extra,
    }


def resources(cpu: str, memory: str, cpu_limit: str, memory_limit: str) -> dict:
    return {
        "requests": {"cpu": cpu, "memory": memory},
        "limits": {"cpu": cpu_limit, "memory": memory_limit},
    }


def http_probe(path: str, period: int, failures: int) -> dict:
    return {
        "httpGet": {"path": path, "port": "http"},
        "periodSeconds": period,
        "timeoutSeconds": 3,
        "failureThreshold": failures,
    }


def exec_probe(live: bool, period: int, failures: int) -> dict:
    # The worker's health server listens on 127.0.0.1 only (servicekit.worker), so the kubelet
    # probes it from inside the container.
    command = ["python", "/app/deploy/docker/healthcheck.py", *(["live"] if live else [])]
    return {
        "exec": {"command": command},
        "periodSeconds": period,
        "timeoutSeconds": 5,
        "failureThreshold": failures,
    }


# -- objects ------------------------------------------------------------------------------------


def migrate_job(service: Service, env: list[dict]) -> dict:
    command = "setup"
    pod_labels = labels(service.name, "migrate", **{"mms.io/database": "true"})
    if service is not GATEWAY:
        pod_labels["mms.io/amqp"] = "true"
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": meta(f"{service.name}-migrate", service.name, "migrate"),
        "spec": {
            "backoffLimit": 4,
            "activeDeadlineSeconds": 900,
            "ttlSecondsAfterFinished": 86400,
            "template": {
                "metadata": {"labels": pod_labels},
                "spec": pod_spec(
                    service,
                    [container(service, command, env, resources("100m", "192Mi", "1", "512Mi"))],
                    restartPolicy="Never",
                ),
            },
        },
    }


def api_deployment(service: Service, env: list[dict], replicas: int = 2) -> dict:
    pod_labels = labels(service.name, "api", **{"mms.io/database": "true"})
    api = container(
        service,
        "api",
        env,
        resources("250m", "256Mi", "1", service.memory),
        ports=[{"name": "http", "containerPort": service.port, "protocol": "TCP"}],
        startupProbe=http_probe("/health/live", 2, 60),
        livenessProbe=http_probe("/health/live", 10, 3),
        readinessProbe=http_probe("/health/ready", 5, 3),
    )
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta(f"{service.name}-api", service.name, "api"),
        "spec": {
            "replicas": replicas,
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": selector(service.name, "api")},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0},
            },
            "template": {
                "metadata": {
                    "labels": pod_labels,
                    "annotations": {
                        "prometheus.io/scrape": "true",
                        "prometheus.io/port": str(service.port),
                        "prometheus.io/path": "/metrics",
                    },
                },
                "spec": pod_spec(
                    service,
                    [api],
                    terminationGracePeriodSeconds=40,
                    topologySpreadConstraints=[spread(service.name, "api")],
                ),
            },
        },
    }


def spread(service: str, role: str) -> dict:
    return {
        "maxSkew": 1,
        "topologyKey": "kubernetes.io/hostname",
        "whenUnsatisfiable": "ScheduleAnyway",
        "labelSelector": {"matchLabels": selector(service, role)},
    }


def worker_deployment(service: Service, env: list[dict], replicas: int = 1) -> dict:
    pod_labels = labels(service.name, "worker", **{"mms.io/database": "true"})
    if service is not GATEWAY:
        pod_labels["mms.io/amqp"] = "true"
    worker = container(
        service,
        "worker",
        [
            *env,
            {"name": f"MMS_{service.upper}_WORKER_PORT", "value": str(service.worker_port)},
            {
                "name": "MMS_HEALTH_URL",
                "value": f"http://127.0.0.1:{service.worker_port}/health/ready",
            },
        ],
        resources("100m", "192Mi", "1", service.memory),
        startupProbe=exec_probe(True, 3, 40),
        livenessProbe=exec_probe(True, 15, 4),
        readinessProbe=exec_probe(False, 10, 3),
    )
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta(f"{service.name}-worker", service.name, "worker"),
        "spec": {
            "replicas": replicas,
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": selector(service.name, "worker")},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
            },
            "template": {
                "metadata": {"labels": pod_labels},
                # Handlers in flight finish and the relay confirms its batch before exit.
                "spec": pod_spec(
                    service,
                    [worker],
                    terminationGracePeriodSeconds=60,
                    topologySpreadConstraints=[spread(service.name, "worker")],
                ),
            },
        },
    }


def api_service(service: Service, port: int | None = None) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta(
            "gateway" if service is GATEWAY else f"{service.name}-api", service.name, "api"
        ),
        "spec": {
            "type": "ClusterIP",
            "selector": selector(service.name, "api"),
            "ports": [
                {
                    "name": "http",
                    "port": port or service.port,
                    "targetPort": "http",
                    "protocol": "TCP",
                }
            ],
        },
    }


def api_hpa(service: Service, minimum: int = 2, maximum: int = 10) -> dict:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": meta(f"{service.name}-api", service.name, "api"),
        "spec": {
            "scaleTargetRef": {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "name": f"{service.name}-api",
            },
            "minReplicas": minimum,
            "maxReplicas": maximum,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": 70},
                    },
                }
            ],
            "behavior": {
                "scaleDown": {
                    "stabilizationWindowSeconds": 300,
                    "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}],
                }
            },
        },
    }


def pdb(service: Service, role: str, **budget) -> dict:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": meta(f"{service.name}-{role}", service.name, role),
        "spec": {"selector": {"matchLabels": selector(service.name, role)}, **budget},
    }


def scaled_object(service: Service) -> dict:
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": meta(f"{service.name}-worker", service.name, "worker"),
        "spec": {
            "scaleTargetRef": {"name": f"{service.name}-worker"},
            # Never below one: the worker also runs the outbox relay and the scheduled jobs.
            "minReplicaCount": 1,
            "maxReplicaCount": 8,
            "pollingInterval": 15,
            "cooldownPeriod": 300,
            "triggers": [
                {
                    "type": "rabbitmq",
                    "metadata": {
                        "protocol": "amqp",
                        "queueName": f"{service.name}.events",
                        "mode": "QueueLength",
                        "value": "500",
                    },
                    "authenticationRef": {"name": "mms-rabbitmq"},
                }
            ],
        },
    }


# -- network policies ---------------------------------------------------------------------------


def peer_pods(match: dict) -> dict:
    return {"podSelector": {"matchLabels": match}}


def tcp(*ports: int) -> list[dict]:
    return [{"protocol": "TCP", "port": p} for p in ports]


POSTGRES_PEER = peer_pods({"cnpg.io/cluster": POSTGRES})
RABBITMQ_PEER = peer_pods({"app.kubernetes.io/name": RABBITMQ})


def netpol(name: str, service: str, role: str, pod_selector: dict, **rules) -> dict:
    types = [t for t, key in (("Ingress", "ingress"), ("Egress", "egress")) if key in rules]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": meta(name, service, role),
        "spec": {"podSelector": {"matchLabels": pod_selector}, "policyTypes": types, **rules},
    }


def service_policies(service: Service) -> list[dict]:
    name = service.name
    worker_egress = [
        {"to": [POSTGRES_PEER], "ports": tcp(5432)},
        {"to": [RABBITMQ_PEER], "ports": tcp(5672)},
    ]
    if service.sends_mail:
        worker_egress.append(
            {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": tcp(*SMTP_PORTS)}
        )
    return [
        netpol(
            f"{name}-api",
            name,
            "api",
            selector(name, "api"),
            ingress=[{"from": [peer_pods(selector("gateway", "api"))], "ports": tcp(service.port)}],
            egress=[{"to": [POSTGRES_PEER], "ports": tcp(5432)}],
        ),
        netpol(f"{name}-worker", name, "worker", selector(name, "worker"), egress=worker_egress),
        netpol(
            f"{name}-migrate",
            name,
            "migrate",
            selector(name, "migrate"),
            egress=worker_egress[:2],
        ),
    ]


def gateway_policies() -> list[dict]:
    upstreams = [
        {
            "to": [peer_pods(selector(s.name, "api"))],
            "ports": tcp(s.port),
        }
        for s in SERVICES
    ]
    database = [{"to": [POSTGRES_PEER], "ports": tcp(5432)}]
    return [
        netpol(
            "gateway-api",
            "gateway",
            "api",
            selector("gateway", "api"),
            ingress=[
                {
                    "from": [
                        {
                            "namespaceSelector": {
                                "matchLabels": {"kubernetes.io/metadata.name": INGRESS_NAMESPACE}
                            }
                        }
                    ],
                    "ports": tcp(GATEWAY.port),
                }
            ],
            egress=[*database, *upstreams],
        ),
        netpol(
            "gateway-worker",
            "gateway",
            "worker",
            selector("gateway", "worker"),
            egress=[
                *database,
                {"to": [RABBITMQ_PEER], "ports": tcp(5672)},
                # Webhook receivers are outside the cluster; the worker's own SSRF guard checks
                # every resolved address, and this keeps private ranges out of reach as well.
                {
                    "to": [
                        {
                            "ipBlock": {
                                "cidr": "0.0.0.0/0",
                                "except": [
                                    "10.0.0.0/8",
                                    "172.16.0.0/12",
                                    "192.168.0.0/16",
                                    "169.254.0.0/16",
                                    "100.64.0.0/10",
                                ],
                            }
                        }
                    ],
                    "ports": tcp(80, 443),
                },
            ],
        ),
        netpol(
            "gateway-migrate", "gateway", "migrate", selector("gateway", "migrate"), egress=database
        ),
    ]


def namespace_policies() -> list[dict]:
    dns = {
        "to": [
            {
                "namespaceSelector": {
                    "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                },
                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
            }
        ],
        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
    }

    def namespace(name: str) -> dict:
        return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}

    return [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {
                "name": "default-deny-ingress",
                "labels": {"app.kubernetes.io/part-of": "mms"},
            },
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
        },
        {
            # The suite's own pods may only reach what a policy of their role allows (plus DNS).
            # The operators' pods (RabbitMQ, PostgreSQL) keep open egress: they talk to the
            # Kubernetes API for peer discovery and failover.
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "suite-egress", "labels": {"app.kubernetes.io/part-of": "mms"}},
            "spec": {
                "podSelector": {"matchLabels": {"app.kubernetes.io/part-of": "mms"}},
                "policyTypes": ["Egress"],
                "egress": [dns],
            },
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "rabbitmq", "labels": {"app.kubernetes.io/part-of": "mms"}},
            "spec": {
                "podSelector": {"matchLabels": {"app.kubernetes.io/name": RABBITMQ}},
                "policyTypes": ["Ingress"],
                "ingress": [
                    {"from": [peer_pods({"mms.io/amqp": "true"})], "ports": tcp(5672)},
                    {"from": [peer_pods({"mms.io/broker-admin": "true"})], "ports": tcp(15672)},
                    # Cluster peers (epmd, inter-node, CLI tools), the operator and KEDA's scaler.
                    {"from": [RABBITMQ_PEER]},
                    {"from": [namespace("rabbitmq-system")], "ports": tcp(15672, 5672)},
                    {"from": [namespace("keda")], "ports": tcp(5672)},
                ],
            },
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "postgres", "labels": {"app.kubernetes.io/part-of": "mms"}},
            "spec": {
                "podSelector": {"matchLabels": {"cnpg.io/cluster": POSTGRES}},
                "policyTypes": ["Ingress"],
                "ingress": [
                    {"from": [peer_pods({"mms.io/database": "true"})], "ports": tcp(5432)},
                    # Replication between instances; the operator's status and control calls.
                    {"from": [POSTGRES_PEER], "ports": tcp(5432, 8000)},
                    {"from": [namespace("cnpg-system")], "ports": tcp(5432, 8000)},
                ],
            },
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": meta("rabbitmq-definitions", "rabbitmq", "setup"),
            "spec": {
                "podSelector": {"matchLabels": selector("rabbitmq", "setup")},
                "policyTypes": ["Egress"],
                "egress": [{"to": [RABBITMQ_PEER], "ports": tcp(15672)}],
            },
        },
    ]


# -- shared infrastructure ----------------------------------------------------------------------


def namespace_object() -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": NAMESPACE,
            "labels": {
                "app.kubernetes.io/part-of": "mms",
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/enforce-version": "latest",
            },
        },
    }


def config_map() -> dict:
    data = {
        "MMS_AMQP_QUORUM_QUEUES": "true",
        "MMS_LOG_FORMAT": "json",
        "MMS_LOG_LEVEL": "INFO",
        "MMS_PUBLIC_BASE_URL": "https://mms.example.com",
        "MMS_BASE_CURRENCY": "EUR",
        "MMS_SMTP_HOST": "smtp.example.com",
        "MMS_SMTP_PORT": "587",
        "MMS_SMTP_STARTTLS": "true",
        "MMS_MAIL_FROM": "Marketing Suite <no-reply@example.com>",
        "MMS_WEB_CONCURRENCY": "2",
        "MMS_WEB_THREADS": "4",
        "MMS_GATEWAY_WORKERS": "2",
        # Behind the ingress controller: the client address is in X-Forwarded-For, and only the
        # ingress can reach the gateway (NetworkPolicy gateway-api).
        "MMS_GATEWAY_TRUST_FORWARDED": "true",
    }
    for s in SERVICES:
        data[f"MMS_{s.upper}_URL"] = f"http://{s.name}-api:{s.port}"
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "mms-config", "labels": {"app.kubernetes.io/part-of": "mms"}},
        "data": data,
    }


def rabbitmq_objects() -> list[dict]:
    cluster = {
        "apiVersion": "rabbitmq.com/v1beta1",
        "kind": "RabbitmqCluster",
        "metadata": {"name": RABBITMQ, "labels": {"app.kubernetes.io/part-of": "mms-infra"}},
        "spec": {
            "replicas": 3,
            "image": "rabbitmq:3.13.7-management",
            "resources": {
                "requests": {"cpu": "500m", "memory": "1Gi"},
                "limits": {"cpu": "2", "memory": "2Gi"},
            },
            "persistence": {"storage": "20Gi"},
            "rabbitmq": {
                # Quorum queues are what the services declare (MMS_AMQP_QUORUM_QUEUES=true);
                # queues declared without a type by other tools default to quorum too.
                "additionalConfig": "\n".join(
                    [
                        "default_queue_type = quorum",
                        "cluster_partition_handling = pause_minority",
                        "vm_memory_high_watermark_paging_ratio = 0.8",
                        "disk_free_limit.relative = 1.5",
                    ]
                )
                + "\n",
            },
            "override": {},
        },
    }
    cluster["spec"].pop("override")
    trigger_auth = {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "TriggerAuthentication",
        "metadata": {"name": "mms-rabbitmq", "labels": {"app.kubernetes.io/part-of": "mms"}},
        "spec": {"secretTargetRef": [{"parameter": "host", "name": "mms-amqp", "key": "url"}]},
    }
    definitions_job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": meta("rabbitmq-definitions", "rabbitmq", "setup"),
        "spec": {
            "backoffLimit": 6,
            "activeDeadlineSeconds": 900,
            "ttlSecondsAfterFinished": 86400,
            "template": {
                "metadata": {
                    "labels": labels("rabbitmq", "setup", **{"mms.io/broker-admin": "true"})
                },
                "spec": {
                    "automountServiceAccountToken": False,
                    "enableServiceLinks": False,
                    "securityContext": POD_SECURITY,
                    "restartPolicy": "Never",
                    "containers": [
                        {
                            "name": "job",
                            "image": IMAGE,
                            "imagePullPolicy": "IfNotPresent",
                            "args": ["python", "/app/deploy/rabbitmq/apply_definitions.py"],
                            "env": [
                                secret_env("MMS_AMQP_URL", "mms-amqp", "url"),
                                {
                                    "name": "MMS_RABBITMQ_API_URL",
                                    "value": f"http://{RABBITMQ}:15672/api",
                                },
                            ],
                            "resources": resources("50m", "64Mi", "500m", "128Mi"),
                            "securityContext": CONTAINER_SECURITY,
                        }
                    ],
                },
            },
        },
    }
    return [cluster, trigger_auth, definitions_job]


def postgres_objects() -> list[dict]:
    everyone = [*SERVICES, GATEWAY]
    cluster = {
        "apiVersion": "postgresql.cnpg.io/v1",
        "kind": "Cluster",
        "metadata": {"name": POSTGRES, "labels": {"app.kubernetes.io/part-of": "mms-infra"}},
        "spec": {
            "instances": 3,
            "imageName": "ghcr.io/cloudnative-pg/postgresql:16.6",
            "primaryUpdateStrategy": "unsupervised",
            "storage": {"size": "50Gi"},
            "walStorage": {"size": "10Gi"},
            "resources": {
                "requests": {"cpu": "1", "memory": "2Gi"},
                "limits": {"cpu": "2", "memory": "4Gi"},
            },
            "postgresql": {
                # Each service's role may open only the database of its own name (sameuser);
                # the operator's own rules (local socket, replication certificates) come first.
                "pg_hba": [
                    "host sameuser all all scram-sha-256",
                    "host all all all reject",
                ],
                "parameters": {
                    "max_connections": "400",
                    "shared_buffers": "512MB",
                    "idle_in_transaction_session_timeout": "60s",
                },
            },
            "enableSuperuserAccess": False,
            "managed": {
                "roles": [
                    {
                        "name": s.name,
                        "ensure": "present",
                        "login": True,
                        "superuser": False,
                        "createdb": False,
                        "createrole": False,
                        "inherit": True,
                        "connectionLimit": 100,
                        "passwordSecret": {"name": f"mms-db-{s.name}"},
                        "comment": f"the {s.name} service (owns database {s.name} only)",
                    }
                    for s in everyone
                ]
            },
        },
    }
    databases = [
        {
            "apiVersion": "postgresql.cnpg.io/v1",
            "kind": "Database",
            "metadata": {
                "name": f"{POSTGRES}-{s.name}",
                "labels": {"app.kubernetes.io/part-of": "mms-infra", "mms.io/service": s.name},
            },
            "spec": {
                "name": s.name,
                "owner": s.name,
                "cluster": {"name": POSTGRES},
                "ensure": "present",
                "databaseReclaimPolicy": "retain",
            },
        }
        for s in everyone
    ]
    return [cluster, *databases]


def service_objects(service: Service) -> list[dict]:
    env = service_env(service)
    return [
        migrate_job(service, env),
        api_deployment(service, env),
        api_service(service),
        api_hpa(service),
        pdb(service, "api", minAvailable=1),
        worker_deployment(service, env),
        scaled_object(service),
        pdb(service, "worker", maxUnavailable=1),
        *service_policies(service),
    ]


def gateway_objects() -> list[dict]:
    env = gateway_env()
    migrate_env = [
        *env,
        secret_env("MMS_ADMIN_EMAIL", "mms-admin", "email"),
        secret_env("MMS_ADMIN_PASSWORD", "mms-admin", "password"),
    ]
    ingress = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            **meta("gateway", "gateway", "api"),
            "annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": "64m"},
        },
        "spec": {
            "ingressClassName": "nginx",
            "tls": [{"hosts": ["mms.example.com"], "secretName": "mms-tls"}],
            "rules": [
                {
                    "host": "mms.example.com",
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {
                                    "service": {"name": "gateway", "port": {"name": "http"}}
                                },
                            }
                        ]
                    },
                }
            ],
        },
    }
    return [
        migrate_job(GATEWAY, migrate_env),
        api_deployment(GATEWAY, env),
        api_service(GATEWAY, port=80),
        api_hpa(GATEWAY, minimum=2, maximum=12),
        pdb(GATEWAY, "api", minAvailable=1),
        # Purges only (leased jobs): one replica is enough, a second would wait for the lease.
        worker_deployment(GATEWAY, env),
        pdb(GATEWAY, "worker", maxUnavailable=1),
        ingress,
        *gateway_policies(),
    ]


def files() -> dict[str, list[dict]]:
    out = {
        "namespace.yaml": [namespace_object()],
        "config.yaml": [config_map()],
        "network-policies.yaml": namespace_policies(),
        "rabbitmq.yaml": rabbitmq_objects(),
        "postgres.yaml": postgres_objects(),
    }
    for service in SERVICES:
        out[f"{service.name}.yaml"] = service_objects(service)
    out["gateway.yaml"] = gateway_objects()
    return out


HEADER = "# Generated by deploy/k8s/generate.py; edit the script, not this file.\n"


def render() -> dict[str, str]:
    """File name -> text of every manifest and the kustomization."""
    rendered = {}
    for name, docs in files().items():
        body = "---\n".join(yaml.safe_dump(d, sort_keys=False, width=100) for d in docs)
        rendered[name] = HEADER + body
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "namespace": NAMESPACE,
        "labels": [{"pairs": {"app.kubernetes.io/version": "0.1.0"}}],
        "resources": list(files()),
        "images": [{"name": "mms-suite", "newTag": "0.1.0"}],
    }
    rendered["kustomization.yaml"] = HEADER + yaml.safe_dump(kustomization, sort_keys=False)
    return rendered


def main() -> int:
    BASE.mkdir(parents=True, exist_ok=True)
    for name, text in render().items():
        (BASE / name).write_text(text)
    print(f"wrote {len(render())} files to {BASE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
