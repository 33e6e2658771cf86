"""Pure builders of the Strimzi objects the Kafka component declares (kafka.strimzi.io/v1, Strimzi 1.2.0).

Field names follow the CRDs in ../shared/schemas/crds/kafka.strimzi.io (v1 is the only served version: KRaft only,
node pools required, no `spec.kafka.replicas/storage/resources`); chart keys follow
../shared/schemas/helm/strimzi-kafka-operator/values.yaml.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from components.config.kafka import KAFKA_VERSIONS, KafkaConfig, KafkaTopicConfig, KafkaUserConfig
from components.contracts import ZONE_LABEL, tolerations
from components.namespaces import NAME_LABEL

API_VERSION: Final = "kafka.strimzi.io/v1"
CLUSTER: Final = "meridian"
"""Name of the Kafka resource; Strimzi derives pod, service and secret names from it."""
NAMESPACE: Final = "kafka"
OPERATOR_NAMESPACE: Final = "strimzi"
HOSTNAME_KEY: Final = "kubernetes.io/hostname"
TLS_PORT: Final = 9093
METRICS_PORT: Final = 9404
"""JMX exporter and Kafka Exporter metrics, port name `tcp-prometheus` (Strimzi MetricsModel)."""
METRICS_PORT_NAME: Final = "tcp-prometheus"
# Strimzi's internal ports (KafkaCluster.java at 1.2.0): control plane, replication (also the operators' admin
# client), and the Kafka agent the cluster operator polls during rolling restarts; Cruise Control's REST API.
CONTROL_PLANE_PORT: Final = 9090
REPLICATION_PORT: Final = 9091
KAFKA_AGENT_PORT: Final = 8443
CRUISE_CONTROL_PORT: Final = 9090
OPERATOR_METRICS_PORT: Final = 8080
"""The cluster operator's `/metrics`, container port `http` (chart template 060-Deployment)."""
METRICS_CONFIGMAP: Final = "kafka-metrics"
CLUSTER_LABEL: Final = {"strimzi.io/cluster": CLUSTER}
KAFKA_POD_LABELS: Final = {"strimzi.io/cluster": CLUSTER, "strimzi.io/name": f"{CLUSTER}-kafka"}
"""Labels of every controller and broker pod (KafkaPool.java: strimzi.io/name is `<cluster>-kafka` for all pools)."""
EXPORTER_POD_LABELS: Final = {"strimzi.io/cluster": CLUSTER, "strimzi.io/name": f"{CLUSTER}-kafka-exporter"}
OPERATOR_POD_LABELS: Final = {"strimzi.io/kind": "cluster-operator"}
NODE_ID_RANGES: Final = {"controller": "[0-99]", "broker": "[100-999]"}
"""`strimzi.io/next-node-ids`: controllers and brokers get IDs from disjoint ranges, stable across scaling."""

Role = Literal["controller", "broker"]


@dataclass(frozen=True, kw_only=True)
class Placement:
    """Where Kafka pods may run: the cluster's zones and its data nodes."""

    zones: tuple[str, ...]
    node_labels: Mapping[str, str]
    taints: Sequence[Mapping[str, str]]
    storage_class: str


def _spread(pool: str, zones: int) -> list[dict[str, Any]]:
    selector = {"matchLabels": {**CLUSTER_LABEL, "strimzi.io/pool-name": pool}}
    return [
        # Hard: at most one pod more in any zone than in another, counting all `zones` even when one has no node yet.
        {"maxSkew": 1, "topologyKey": ZONE_LABEL, "whenUnsatisfiable": "DoNotSchedule", "minDomains": zones,
         "labelSelector": selector},
        {"maxSkew": 1, "topologyKey": HOSTNAME_KEY, "whenUnsatisfiable": "ScheduleAnyway", "labelSelector": selector},
    ]


def pod_template(pool: str, placement: Placement) -> dict[str, Any]:
    """Node pool `template.pod`: data nodes only (the Strimzi pod template has no nodeSelector: node affinity
    instead), inside the cluster's zones, spread evenly across them, tolerating the data taints."""
    match = [{"key": key, "operator": "In", "values": [value]} for key, value in sorted(placement.node_labels.items())]
    match.append({"key": ZONE_LABEL, "operator": "In", "values": list(placement.zones)})
    return {
        "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": match}]}}},
        "tolerations": tolerations(placement.taints),
        "topologySpreadConstraints": _spread(pool, len(placement.zones)),
    }


def node_pool_spec(role: Role, *, replicas: int, disk_gib: int, heap_gib: int, cpu_millicores: int,
                   placement: Placement) -> dict[str, Any]:
    """A KafkaNodePool of one role on retained gp3 volumes (JBOD with one volume that also holds the KRaft
    metadata log, as Strimzi 1.2.0's examples/kafka/kafka-persistent.yaml; more volumes can be added later)."""
    memory = f"{2 * heap_gib}Gi"
    return {
        "replicas": replicas,
        "roles": [role],
        "storage": {"type": "jbod", "volumes": [{
            "id": 0, "type": "persistent-claim", "size": f"{disk_gib}Gi", "class": placement.storage_class,
            "deleteClaim": False, "kraftMetadata": "shared"}]},
        "resources": {"requests": {"cpu": f"{cpu_millicores}m", "memory": memory}, "limits": {"memory": memory}},
        "jvmOptions": {"-Xms": f"{heap_gib}g", "-Xmx": f"{heap_gib}g"},
        "template": {"pod": pod_template(role, placement)},
    }


def listener_peers(client_namespaces: Sequence[str], peer_cidrs: Sequence[str]) -> list[dict[str, Any]]:
    """`networkPolicyPeers` of the TLS listener. Never empty: Strimzi opens a listener without peers to everyone."""
    namespaces = [NAMESPACE, *client_namespaces]
    return [*({"namespaceSelector": {"matchLabels": {NAME_LABEL: ns}}} for ns in namespaces),
            *({"ipBlock": {"cidr": cidr}} for cidr in peer_cidrs)]


def broker_config(config: KafkaConfig) -> dict[str, Any]:
    """`spec.kafka.config`: durable defaults (RF, min ISR, no unclean election, no auto-created topics)."""
    return {
        "default.replication.factor": config.replication_factor,
        "min.insync.replicas": config.min_insync_replicas,
        "offsets.topic.replication.factor": config.replication_factor,
        "transaction.state.log.replication.factor": config.replication_factor,
        "transaction.state.log.min.isr": config.min_insync_replicas,
        "unclean.leader.election.enable": False,
        "auto.create.topics.enable": False,
        # Consumers with client.rack fetch from a replica in their own zone (KafkaClusterSpec docs, Strimzi 1.2.0).
        "replica.selector.class": "org.apache.kafka.common.replica.RackAwareReplicaSelector",
    }


def kafka_spec(config: KafkaConfig, *, client_namespaces: Sequence[str], peer_cidrs: Sequence[str],
               extra_listeners: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """The Kafka resource's spec: the mTLS listener (then `extra_listeners`), simple authorization, rack = zone,
    metrics, CC, EO, exporter."""
    small = {"requests": {"cpu": "100m", "memory": "512Mi"}, "limits": {"memory": "512Mi"}}
    return {
        "kafka": {
            "version": config.kafka_version,
            "metadataVersion": KAFKA_VERSIONS[config.kafka_version],
            # mTLS: the User Operator issues each KafkaUser a certificate from the clients CA, so no password exists
            # anywhere; the principal is User:CN=<user>, which the simple authorizer's ACLs name.
            "listeners": [{"name": "tls", "port": TLS_PORT, "type": "internal", "tls": True,
                           "authentication": {"type": "tls"},
                           "networkPolicyPeers": listener_peers(client_namespaces, peer_cidrs)},
                          *(dict(listener) for listener in extra_listeners)],
            "authorization": {"type": "simple"},
            "rack": {"type": "topology-label", "topologyKey": ZONE_LABEL},
            "config": broker_config(config),
            "metricsConfig": {"type": "jmxPrometheusExporter", "valueFrom": {
                "configMapKeyRef": {"name": METRICS_CONFIGMAP, "key": "kafka-metrics-config.yml"}}},
            "template": {"podDisruptionBudget": {"maxUnavailable": 1}},
        },
        "entityOperator": {"topicOperator": {"resources": small}, "userOperator": {"resources": small},
                           "template": {"podDisruptionBudget": {"maxUnavailable": 1}}},
        "cruiseControl": {"resources": {"requests": {"cpu": "200m", "memory": "1Gi"}, "limits": {"memory": "1Gi"}}},
        "kafkaExporter": {"topicRegex": ".*", "groupRegex": ".*",
                          "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                                        "limits": {"memory": "256Mi"}}},
    }


def topic_spec(topic: KafkaTopicConfig) -> dict[str, Any]:
    """A KafkaTopic's spec: partitions, replicas, min ISR and retention."""
    topic_config: dict[str, Any] = {"min.insync.replicas": topic.min_insync}
    if topic.retention is not None:
        topic_config["retention.ms"] = topic.retention
    return {"topicName": topic.name, "partitions": topic.partitions, "replicas": topic.replicas,
            "config": topic_config}


def user_spec(user: KafkaUserConfig) -> dict[str, Any]:
    """A KafkaUser's spec: mTLS certificate and the ACLs its produce/consume lists need (literal names)."""
    acls: list[dict[str, Any]] = []

    def allow(kind: str, name: str, operations: list[str]) -> None:
        acls.append({"type": "allow", "resource": {"type": kind, "name": name, "patternType": "literal"},
                     "operations": operations})

    for topic in user.produce:
        allow("topic", topic, ["Write", "Describe"])
    for topic in user.consume:
        allow("topic", topic, ["Read", "Describe"])
    if user.group is not None:
        allow("group", user.group, ["Read"])
    return {"authentication": {"type": "tls"}, "authorization": {"type": "simple", "acls": acls}}


def chart_values(*, replicas: int = 2) -> dict[str, Any]:
    """strimzi-kafka-operator values: watches the Kafka namespace, HA with a PDB, restricted pod security."""
    return {
        "replicas": replicas,
        "watchNamespaces": [NAMESPACE],
        "leaderElection": {"enable": True},
        "podDisruptionBudget": {"enabled": True, "minAvailable": 1},
        "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": ZONE_LABEL, "whenUnsatisfiable": "ScheduleAnyway",
                                       "labelSelector": {"matchLabels": {"name": "strimzi-cluster-operator"}}}],
        "generateNetworkPolicy": True,
        "generatePodDisruptionBudget": True,
        "extraEnvs": [
            # Narrows the operator peer in Strimzi's generated NetworkPolicies from "any namespace" to this one
            # (ClusterOperatorConfig STRIMZI_OPERATOR_NAMESPACE_LABELS; NetworkPolicyUtils at 1.2.0).
            {"name": "STRIMZI_OPERATOR_NAMESPACE_LABELS", "value": f"{NAME_LABEL}={OPERATOR_NAMESPACE}"},
            # Operands get the Restricted Pod Security Standard's security contexts.
            {"name": "STRIMZI_POD_SECURITY_PROVIDER_CLASS", "value": "restricted"},
        ],
        "resources": {"requests": {"cpu": "200m", "memory": "384Mi"}, "limits": {"memory": "512Mi"}},
    }
