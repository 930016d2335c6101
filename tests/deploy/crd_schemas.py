"""Vendored schemas of the custom resources the manifests use, written from the operators'
published CustomResourceDefinitions (their ``openAPIV3Schema``), trimmed to what matters here.

No Python package ships these CRDs, and nothing may be downloaded during a test run, so they are
kept here. Trimmed means: every top-level ``spec`` field the CRD knows is listed (an unknown or
misspelt field is an error, where the API server would silently prune it), and the fields these
manifests use are described with their types, enums and required members as the CRDs define
them; fields the manifests do not use are accepted as their JSON type only.

Sources (CRD files in the operators' repositories):
- KEDA 2.x: config/crd/bases/keda.sh_scaledobjects.yaml, keda.sh_triggerauthentications.yaml
- RabbitMQ Cluster Operator 2.x: config/crd/bases/rabbitmq.com_rabbitmqclusters.yaml
- CloudNativePG 1.25+: config/crd/bases/postgresql.cnpg.io_clusters.yaml,
  postgresql.cnpg.io_databases.yaml
"""

from __future__ import annotations

INT = {"type": "integer"}
STR = {"type": "string"}
BOOL = {"type": "boolean"}
OBJ = {"type": "object"}
ARR = {"type": "array"}
QUANTITY = {
    "anyOf": [
        {"type": "integer"},
        {
            "type": "string",
            "pattern": r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|"
            r"([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$",
        },
    ]
}
RESOURCES = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "claims": ARR,
        "limits": {"type": "object", "additionalProperties": QUANTITY},
        "requests": {"type": "object", "additionalProperties": QUANTITY},
    },
}
NAME_REF = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {"name": STR},
}
ENSURE = {"type": "string", "enum": ["present", "absent"]}


def resource(api_version: str, kind: str, spec: dict) -> dict:
    """A whole object: apiVersion, kind, metadata (name required), spec."""
    return {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "additionalProperties": False,
        "properties": {
            "apiVersion": {"const": api_version},
            "kind": {"const": kind},
            "metadata": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},
                    "labels": {"type": "object", "additionalProperties": STR},
                    "annotations": {"type": "object", "additionalProperties": STR},
                },
            },
            "spec": spec,
        },
    }


SCALED_OBJECT = resource(
    "keda.sh/v1alpha1",
    "ScaledObject",
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["scaleTargetRef", "triggers"],
        "properties": {
            "advanced": OBJ,
            "cooldownPeriod": INT,
            "initialCooldownPeriod": INT,
            "fallback": {
                "type": "object",
                "required": ["failureThreshold", "replicas"],
                "properties": {"failureThreshold": INT, "replicas": INT, "behavior": STR},
            },
            "idleReplicaCount": INT,
            "maxReplicaCount": INT,
            "minReplicaCount": INT,
            "pollingInterval": INT,
            "scaleTargetRef": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name"],
                "properties": {
                    "apiVersion": STR,
                    "envSourceContainerName": STR,
                    "kind": STR,
                    "name": STR,
                },
            },
            "triggers": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["metadata", "type"],
                    "properties": {
                        "authenticationRef": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["name"],
                            "properties": {"kind": STR, "name": STR},
                        },
                        # Scaler settings are strings only (a number here is rejected).
                        "metadata": {"type": "object", "additionalProperties": STR},
                        "metricType": {
                            "type": "string",
                            "enum": ["AverageValue", "Value", "Utilization"],
                        },
                        "name": STR,
                        "type": STR,
                        "useCachedMetrics": BOOL,
                    },
                },
            },
        },
    },
)

TRIGGER_AUTHENTICATION = resource(
    "keda.sh/v1alpha1",
    "TriggerAuthentication",
    {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "awsSecretManager": OBJ,
            "azureKeyVault": OBJ,
            "boundServiceAccountToken": ARR,
            "configMapTargetRef": ARR,
            "env": ARR,
            "gcpSecretManager": OBJ,
            "hashiCorpVault": OBJ,
            "podIdentity": OBJ,
            "secretTargetRef": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["key", "name", "parameter"],
                    "properties": {"key": STR, "name": STR, "parameter": STR},
                },
            },
        },
    },
)

RABBITMQ_CLUSTER = resource(
    "rabbitmq.com/v1beta1",
    "RabbitmqCluster",
    {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "affinity": OBJ,
            "autoEnableAllFeatureFlags": BOOL,
            "delayStartSeconds": {"type": "integer", "minimum": 0},
            "image": STR,
            "imagePullSecrets": ARR,
            "override": OBJ,
            "persistence": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"storage": QUANTITY, "storageClassName": STR},
            },
            "rabbitmq": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "additionalConfig": {"type": "string", "maxLength": 100000},
                    "additionalPlugins": {
                        "type": "array",
                        "maxItems": 100,
                        "items": {"type": "string", "pattern": "^\\w+$"},
                    },
                    "advancedConfig": {"type": "string", "maxLength": 100000},
                    "envConfig": {"type": "string", "maxLength": 100000},
                    "erlangInetConfig": {"type": "string", "maxLength": 2000},
                },
            },
            "replicas": {"type": "integer", "minimum": 0},
            "resources": RESOURCES,
            "secretBackend": OBJ,
            "service": OBJ,
            "skipPostDeploySteps": BOOL,
            "terminationGracePeriodSeconds": {"type": "integer", "minimum": 0},
            "tls": OBJ,
            "tolerations": ARR,
        },
    },
)

ROLE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "bypassrls": BOOL,
        "comment": STR,
        "connectionLimit": INT,
        "createdb": BOOL,
        "createrole": BOOL,
        "disablePassword": BOOL,
        "ensure": ENSURE,
        "inRoles": {"type": "array", "items": STR},
        "inherit": BOOL,
        "login": BOOL,
        "name": STR,
        "passwordSecret": NAME_REF,
        "replication": BOOL,
        "superuser": BOOL,
        "validUntil": STR,
    },
}
STORAGE = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "pvcTemplate": OBJ,
        "resizeInUseVolumes": BOOL,
        "size": STR,
        "storageClass": STR,
    },
}

CNPG_CLUSTER = resource(
    "postgresql.cnpg.io/v1",
    "Cluster",
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["instances"],
        "properties": {
            "affinity": OBJ,
            "backup": OBJ,
            "bootstrap": OBJ,
            "certificates": OBJ,
            "description": STR,
            "enablePDB": BOOL,
            "enableSuperuserAccess": BOOL,
            "env": ARR,
            "envFrom": ARR,
            "ephemeralVolumeSource": OBJ,
            "ephemeralVolumesSizeLimit": OBJ,
            "externalClusters": ARR,
            "failoverDelay": INT,
            "imageCatalogRef": OBJ,
            "imageName": STR,
            "imagePullPolicy": STR,
            "imagePullSecrets": ARR,
            "inheritedMetadata": OBJ,
            "instances": {"type": "integer", "minimum": 1},
            "livenessProbeTimeout": INT,
            "logLevel": {"type": "string", "enum": ["error", "warning", "info", "debug", "trace"]},
            "managed": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "roles": {"type": "array", "items": ROLE},
                    "services": OBJ,
                },
            },
            "maxSyncReplicas": {"type": "integer", "minimum": 0},
            "minSyncReplicas": {"type": "integer", "minimum": 0},
            "monitoring": OBJ,
            "nodeMaintenanceWindow": OBJ,
            "plugins": ARR,
            "postgresGID": INT,
            "postgresUID": INT,
            "postgresql": {
                "type": "object",
                "properties": {
                    "parameters": {"type": "object", "additionalProperties": STR},
                    "pg_hba": {"type": "array", "items": STR},
                    "pg_ident": {"type": "array", "items": STR},
                    "shared_preload_libraries": {"type": "array", "items": STR},
                    "synchronous": OBJ,
                },
            },
            "primaryUpdateMethod": {"type": "string", "enum": ["switchover", "restart"]},
            "primaryUpdateStrategy": {"type": "string", "enum": ["unsupervised", "supervised"]},
            "priorityClassName": STR,
            "probes": OBJ,
            "projectedVolumeTemplate": OBJ,
            "replica": OBJ,
            "replicationSlots": OBJ,
            "resources": RESOURCES,
            "schedulerName": STR,
            "seccompProfile": OBJ,
            "serviceAccountTemplate": OBJ,
            "smartShutdownTimeout": INT,
            "startDelay": INT,
            "stopDelay": INT,
            "storage": STORAGE,
            "superuserSecret": NAME_REF,
            "switchoverDelay": INT,
            "tablespaces": ARR,
            "topologySpreadConstraints": ARR,
            "walStorage": STORAGE,
        },
    },
)

CNPG_DATABASE = resource(
    "postgresql.cnpg.io/v1",
    "Database",
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["cluster", "name", "owner"],
        "properties": {
            "allowConnections": BOOL,
            "builtinLocale": STR,
            "cluster": NAME_REF,
            "collationVersion": STR,
            "connectionLimit": INT,
            "databaseReclaimPolicy": {"type": "string", "enum": ["delete", "retain"]},
            "encoding": STR,
            "ensure": ENSURE,
            "extensions": ARR,
            "fdws": ARR,
            "icuLocale": STR,
            "icuRules": STR,
            "isTemplate": BOOL,
            "locale": STR,
            "localeCType": STR,
            "localeCollate": STR,
            "localeProvider": STR,
            "name": {"type": "string", "not": {"enum": ["postgres", "template0", "template1"]}},
            "owner": STR,
            "schemas": ARR,
            "servers": ARR,
            "tablespace": STR,
            "template": STR,
        },
    },
)

SCHEMAS = {
    ("keda.sh/v1alpha1", "ScaledObject"): SCALED_OBJECT,
    ("keda.sh/v1alpha1", "TriggerAuthentication"): TRIGGER_AUTHENTICATION,
    ("rabbitmq.com/v1beta1", "RabbitmqCluster"): RABBITMQ_CLUSTER,
    ("postgresql.cnpg.io/v1", "Cluster"): CNPG_CLUSTER,
    ("postgresql.cnpg.io/v1", "Database"): CNPG_DATABASE,
}
