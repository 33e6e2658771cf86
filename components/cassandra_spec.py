"""Pure builders of what the Cassandra component declares: chart values, the K8ssandraCluster, its certificates.

Field names follow the CRDs in ../shared/schemas/crds (k8ssandra.io/K8ssandraCluster.yaml, k8ssandra-operator
v1.32.5; cert-manager.io/Certificate.yaml, v1.21.1); tests validate every object against them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import pulumi

from components.config.cassandra import CassandraConfig
from components.contracts import ZONE_LABEL, tolerations
from components.fleet_plan import CassandraFleet

OPERATOR_NAMESPACE: Final = "k8ssandra-operator"
NAMESPACE: Final = "cassandra"
SERVICE_ACCOUNT: Final = "cassandra"
"""Service account of the Cassandra pods; Medusa runs as their sidecar, so it is also Medusa's (IRSA)."""
KEYSTORE_PASSWORD_SECRET: Final = "cassandra-keystore-password"
INTERNODE_TLS_SECRET: Final = "cassandra-internode-tls"
CLIENT_TLS_SECRET: Final = "cassandra-client-tls"
# Ports of a Cassandra pod (cass-operator v1.30): CQL, internode (7001 only for legacy TLS peers), Management API,
# the Management API's Prometheus endpoint (port name `metrics`, pkg/telemetry/vector.go CassandraMetricsPortModern)
# and Medusa's gRPC server the operator calls for backups (pkg/medusa, default grpc port).
CQL_PORT: Final = 9042
INTERNODE_PORTS: Final = (7000, 7001)
MANAGEMENT_API_PORT: Final = 8080
METRICS_PORT: Final = 9000
MEDUSA_GRPC_PORT: Final = 50051
WEBHOOK_PORT: Final = 9443
"""k8ssandra-operator's and cass-operator's admission webhooks (chart templates/deployment.yaml)."""


@dataclass(frozen=True, kw_only=True)
class Placement:
    """Where the datacenter runs: the region (datacenter name), its zones (racks) and the data nodes."""

    region: str
    zones: tuple[str, ...]
    node_labels: Mapping[str, str]
    node_taints: Sequence[Mapping[str, str]]
    storage_class: str


def chart_values(version: str) -> dict[str, Any]:
    """k8ssandra-operator values (charts/k8ssandra-operator/values.yaml at v1.32.5).

    Cluster-scoped so the operator (and the bundled cass-operator, which shares `global`) manages the `cassandra`
    namespace; `global.watchNamespaces` (commented in the chart's values, read by k8ssandra-common's
    `cass-operator.watchNamespaces` helper) narrows its cache to that namespace and its own.
    """
    return {
        "global": {"clusterScoped": True, "watchNamespaces": [OPERATOR_NAMESPACE, NAMESPACE]},
        "replicaCount": 2,
        # The git values say `latest`; the release workflow stamps `v<version>` (.github/workflows/helm_release.yaml).
        "image": {"tag": f"v{version}"},
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
    }


def fleet_user_secrets(config: CassandraConfig) -> dict[str, str]:
    """The CQL users every datacenter of a fleet shares, role -> Secret name (also the username).

    In a fleet each region runs its own operator, which would make its own random passwords; and with
    `externalDatacenters` set cass-operator skips creating users (`cassandra.datastax.com/skip-user-creation`,
    k8ssandra-operator controllers/k8ssandra/dcconfigs.go), so a later region's own users would never exist. Every
    region therefore names the same Secrets (keys `username`, `password`, as the operator's own
    pkg/secret/replicated.go `ReconcileSecret` writes them): the primary makes them, later stacks copy them. The names
    are the operator's defaults (`<cluster>-superuser`, pkg/reaper/secrets.go `<cluster>-reaper`,
    pkg/medusa/reconcile.go `<cluster>-medusa`), so the CassandraDatacenter's `superuserSecretName`, which
    cass-operator's webhook forbids changing (internal/webhooks/cassandra/v1beta1/cassandradatacenter_webhook.go at
    v1.30.3), is the same with and without a fleet.
    """
    cluster = config.cluster_name
    return {role: f"{cluster}-{role}" for role in ("superuser", "reaper", "medusa")}


def cluster_labels(config: CassandraConfig, region: str) -> dict[str, str]:
    """Labels cass-operator puts on the datacenter's pods and services (cassandra.datastax.com/*)."""
    return {"cassandra.datastax.com/cluster": config.cluster_name, "cassandra.datastax.com/datacenter": region}


def racks(placement: Placement) -> list[dict[str, Any]]:
    """One rack per zone, pinned to that zone's data nodes through required node affinity."""
    return [{"name": zone, "nodeAffinityLabels": {**placement.node_labels, ZONE_LABEL: zone}}
            for zone in placement.zones]


def cassandra_yaml(config: CassandraConfig) -> dict[str, Any]:
    """cassandra.yaml settings; the operator adds keystore paths and passwords from the encryption stores
    (pkg/cassandra/encryption.go, PutIfAbsent), so none of those appear here."""
    return {
        # New keyspaces default to, and may not go below, the configured RF (Cassandra 4.1+ guardrail).
        "default_keyspace_rf": config.replication_factor,
        "minimum_replication_factor_fail_threshold": config.replication_factor,
        "server_encryption_options": {"internode_encryption": "all", "require_client_auth": True,
                                      "require_endpoint_verification": False},
        "client_encryption_options": {"enabled": True, "optional": False, "require_client_auth": False},
    }


def _store_refs(secret: str) -> dict[str, Any]:
    password = {"name": KEYSTORE_PASSWORD_SECRET, "key": "password"}
    return {"keystoreSecretRef": {"name": secret, "key": "keystore.jks"},
            "truststoreSecretRef": {"name": secret, "key": "truststore.jks"},
            "keystorePasswordSecretRef": password, "truststorePasswordSecretRef": password}


def _resources(config: CassandraConfig) -> dict[str, Any]:
    memory = f"{config.memory_gib}Gi"
    return {"requests": {"cpu": f"{round(config.cpu_cores * 1000)}m", "memory": memory}, "limits": {"memory": memory}}


def medusa_spec(config: CassandraConfig, region: str, bucket_name: pulumi.Input[str]) -> dict[str, Any]:
    """Medusa to the S3 bucket with the pod's IRSA role; CQL over TLS with the client certificate's PEM files.

    `clientEncryptionStores` keys map to medusa.ini's certfile/usercert/userkey (pkg/medusa/reconcile.go;
    docs/content/en/tasks/secure/encryption: "Medusa encryption").
    """
    return {
        "storageProperties": {"storageProvider": "s3", "bucketName": bucket_name, "region": region,
                              "prefix": config.cluster_name, "secure": True, "sslVerify": True,
                              "credentialsType": "role-based", "maxBackupAge": config.backup_retention_days,
                              "concurrentTransfers": 2},
        "clientEncryptionStores": {"keystoreSecretRef": {"name": CLIENT_TLS_SECRET, "key": "ca.crt"},
                                   "truststoreSecretRef": {"name": CLIENT_TLS_SECRET, "key": "tls.crt"},
                                   "truststorePasswordSecretRef": {"name": CLIENT_TLS_SECRET, "key": "tls.key"}},
        "containerResources": {"requests": {"cpu": "200m", "memory": "1Gi"}, "limits": {"memory": "4Gi"}},
        "purgeBackups": True,
    }


def k8ssandra_cluster_spec(config: CassandraConfig, placement: Placement, bucket_name: pulumi.Input[str],
                           fleet: CassandraFleet | None = None) -> dict[str, Any]:
    """The K8ssandraCluster: one datacenter named after the region, one rack per zone, auth and TLS on,
    Medusa backups, Reaper repairs, Prometheus telemetry from the Management API (MCAC off).

    In a fleet, the datacenters of earlier stacks are `externalDatacenters` (the operator keeps their replicas of
    system_* and reaper_db) and their seed records `cassandra.additionalSeeds` (the nodes gossip with them to join);
    the first datacenter of a fleet has neither. Every datacenter of a fleet names the shared user Secrets
    (`fleet_user_secrets`).
    """
    spec = _cluster_spec(config, placement, bucket_name)
    if fleet is not None:
        users = fleet_user_secrets(config)
        spec["cassandra"]["superuserSecretRef"] = {"name": users["superuser"]}
        spec["reaper"]["cassandraUserSecretRef"] = {"name": users["reaper"]}
        spec["medusa"]["cassandraUserSecretRef"] = {"name": users["medusa"]}
    if fleet is not None and fleet.earlier_datacenters:
        spec["externalDatacenters"] = list(fleet.earlier_datacenters)
    if fleet is not None and fleet.additional_seeds:
        spec["cassandra"]["additionalSeeds"] = list(fleet.additional_seeds)
    return spec


def _cluster_spec(config: CassandraConfig, placement: Placement, bucket_name: pulumi.Input[str]) -> dict[str, Any]:
    size = config.datacenter_size(len(placement.zones))
    return {
        "auth": True,  # PasswordAuthenticator; the operator generates `<cluster>-superuser` (no password here)
        "cassandra": {
            "clusterName": config.cluster_name,
            "serverVersion": config.server_version,
            "serviceAccount": SERVICE_ACCOUNT,
            "softPodAntiAffinity": False,  # one Cassandra pod per node
            "resources": _resources(config),
            "tolerations": tolerations(placement.node_taints),
            "storageConfig": {"cassandraDataVolumeClaimSpec": {
                "storageClassName": placement.storage_class, "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": f"{config.disk_gib}Gi"}}}},
            "config": {"cassandraYaml": cassandra_yaml(config),
                       "jvmOptions": {"heap_initial_size": f"{config.heap_gib}Gi",
                                      "heap_max_size": f"{config.heap_gib}Gi"}},
            "serverEncryptionStores": _store_refs(INTERNODE_TLS_SECRET),
            "clientEncryptionStores": _store_refs(CLIENT_TLS_SECRET),
            # Metrics stay on (Management API, port 9000); the monitoring component owns the ServiceMonitor.
            "telemetry": {"prometheus": {"enabled": False}, "mcac": {"enabled": False}},
            "metadata": {"pods": {"labels": {"meridian.io/component": "cassandra"}}},
            "datacenters": [{"metadata": {"name": placement.region}, "size": size, "racks": racks(placement)}],
        },
        "medusa": medusa_spec(config, placement.region, bucket_name),
        "reaper": {
            "deploymentMode": "PER_DC",
            "heapSize": "1Gi",
            "resources": {"requests": {"cpu": "200m", "memory": "2Gi"}, "limits": {"memory": "2Gi"}},
            "autoScheduling": {"enabled": True, "repairType": "AUTO"},
        },
    }


def backup_schedule_spec(config: CassandraConfig, region: str) -> dict[str, Any]:
    """The daily differential Medusa backup of the region's datacenter (medusa.k8ssandra.io/v1alpha1)."""
    return {"cronSchedule": config.backup_schedule, "concurrencyPolicy": "Forbid",
            "backupSpec": {"cassandraDatacenter": region, "backupType": "differential"}}


def certificate_spec(*, secret_name: str, common_name: str, dns_names: Sequence[str], issuer: str,
                     usages: Sequence[str]) -> dict[str, Any]:
    """A cert-manager Certificate with PEM and a JKS keystore/truststore, the JKS password from a Secret."""
    return {
        "secretName": secret_name,
        "commonName": common_name,
        "dnsNames": list(dns_names),
        "duration": "2160h",  # 90 days; Cassandra 4.0+ reloads changed keystores without a restart
        "renewBefore": "720h",
        "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
        "usages": list(usages),
        "keystores": {"jks": {"create": True, "passwordSecretRef": {"name": KEYSTORE_PASSWORD_SECRET,
                                                                     "key": "password"}}},
        "issuerRef": {"name": issuer, "kind": "ClusterIssuer", "group": "cert-manager.io"},
    }


def service_dns_names(config: CassandraConfig, region: str) -> list[str]:
    """Names clients may verify: the datacenter's CQL service (cass-operator `<cluster>-<dc>-service`)."""
    service = f"{config.cluster_name}-{region}-service"
    return [service, f"{service}.{NAMESPACE}", f"{service}.{NAMESPACE}.svc",
            f"{service}.{NAMESPACE}.svc.cluster.local", f"*.{service}.{NAMESPACE}.svc.cluster.local"]
