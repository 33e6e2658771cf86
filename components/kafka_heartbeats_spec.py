"""Pure builders for MirrorMaker2 heartbeats (kafka.strimzi.io/v1 KafkaConnect and KafkaConnector, Strimzi 1.2.0).

Strimzi's v1 KafkaMirrorMaker2 has no heartbeat connector (CHANGELOG 0.48.0; documentation/modules/configuring/
con-config-mirrormaker2-connectors.adoc at 1.2.0: run `MirrorHeartbeatConnector` in a separate KafkaConnect with a
KafkaConnector). Each Kafka region runs one Connect cluster `mirror-heartbeats` on its local cluster (mTLS 9093,
KafkaUser `mirror-heartbeats`); for every link S -> T a connector `heartbeats-<S>` in T's Connect emits
`Heartbeat(S, T, now)` records into T's `heartbeats` topic, as MirrorMaker's own `S->T` herder does
(apache/kafka MirrorHeartbeatTask.poll; MirrorMakerConfig.clusterPairs: "B->A for the MirrorHeartbeatConnector
(emits heartbeats into A for monitoring replication health)"). T's `mirror-from-T` link in S then replicates that
topic (MirrorSourceConnector.shouldReplicateTopic takes `heartbeats` whatever the topic filter) into S as
`T.heartbeats`, so a fresh record there proves the T -> S link end to end.

The records go through the worker's own producer (the local cluster); the connector's `target.cluster.*` client
only creates the topic (MirrorHeartbeatConnector.createInternalTopics with `targetAdminConfig`), so it gets the
same address and the Connect user's certificate through Strimzi's KubernetesSecretConfigProvider (`secrets`,
strimzi/kafka-kubernetes-config-provider README: `${secrets:<namespace>/<secret>:<key>}`, `get` on those Secrets).
"""

from __future__ import annotations

from typing import Any, Final

from components.contracts import ZONE_LABEL
from components.kafka_mirror_spec import HEARTBEATS_TOPIC, REPLICATION_FACTOR, Link
from components.kafka_spec import CLUSTER, NAMESPACE, TLS_PORT

CONNECT: Final = "mirror-heartbeats"
"""The KafkaConnect, its Connect group, the prefix of its internal topics, and its KafkaUser."""
CONNECT_POD_LABELS: Final = {"strimzi.io/kind": "KafkaConnect", "strimzi.io/cluster": CONNECT}
SERVICE_ACCOUNT: Final = f"{CONNECT}-connect"
"""The Connect pods' service account (KafkaConnectResources.serviceAccountName at 1.2.0: `<name>-connect`)."""
CONNECTOR_CLASS: Final = "org.apache.kafka.connect.mirror.MirrorHeartbeatConnector"
CA_SECRET: Final = f"{CLUSTER}-cluster-ca-cert"
"""Strimzi's cluster CA certificate (`ca.crt`): the brokers' TLS listener chains to it."""
SECRETS_PROVIDER: Final = "secrets"
SECRET_READER: Final = f"{CONNECT}-secret-reader"
"""Role and RoleBinding letting the Connect service account `get` the CA and its own user Secret, nothing else."""
BYTES_CONVERTER: Final = "org.apache.kafka.connect.converters.ByteArrayConverter"
"""Heartbeat keys and values are already serialized bytes (Heartbeat.recordKey/recordValue); MirrorMaker's
dedicated mode sets the same converters (MirrorMakerConfig.workerConfig)."""
INTERVAL_SECONDS: Final = 5
"""`emit.heartbeats.interval.seconds` (Kafka's default is 1): one record per link every 5 s."""
BOOTSTRAP: Final = f"{CLUSTER}-kafka-bootstrap.{NAMESPACE}.svc:{TLS_PORT}"


def connector_name(link: Link) -> str:
    """The KafkaConnector in the target cluster emitting the link's heartbeats."""
    return f"heartbeats-{link.source}"


def _acl(kind: str, name: str, operations: tuple[str, ...]) -> dict[str, Any]:
    return {"type": "allow", "resource": {"type": kind, "name": name, "patternType": "literal"},
            "operations": list(operations)}


def internal_topics() -> dict[str, str]:
    """The Connect cluster's config, offset and status topics."""
    return {kind: f"{CONNECT}.{kind}" for kind in ("configs", "offsets", "status")}


def connect_acls() -> list[dict[str, Any]]:
    """Strimzi 1.2.0 examples/security/tls-auth/connect.yaml narrowed to our names: the Connect group and its three
    internal topics; the heartbeats topic created (connector's admin) and written (worker's producer)."""
    return [
        _acl("group", CONNECT, ("Read",)),
        *(_acl("topic", topic, ("Read", "Describe", "Write", "Create")) for topic in internal_topics().values()),
        _acl("topic", HEARTBEATS_TOPIC, ("Write", "Create", "Describe")),
    ]


def user_spec() -> dict[str, Any]:
    """The Connect cluster's KafkaUser: mTLS (the User Operator writes Secret `mirror-heartbeats`)."""
    return {"authentication": {"type": "tls"}, "authorization": {"type": "simple", "acls": connect_acls()}}


def connect_spec(*, kafka_version: str, replicas: int, metrics_configmap: str, metrics_key: str) -> dict[str, Any]:
    """The KafkaConnect on the local cluster, configured through KafkaConnector resources."""
    topics = internal_topics()
    pod_selector = {"matchLabels": dict(CONNECT_POD_LABELS)}
    return {
        "version": kafka_version,
        "replicas": replicas,
        "bootstrapServers": BOOTSTRAP,
        "groupId": CONNECT,
        "configStorageTopic": topics["configs"],
        "offsetStorageTopic": topics["offsets"],
        "statusStorageTopic": topics["status"],
        "tls": {"trustedCertificates": [{"secretName": CA_SECRET, "certificate": "ca.crt"}]},
        "authentication": {"type": "tls", "certificateAndKey": {
            "secretName": CONNECT, "certificate": "user.crt", "key": "user.key"}},
        "config": {
            **{f"{kind}.storage.replication.factor": REPLICATION_FACTOR for kind in ("config", "offset", "status")},
            # Strimzi appends its own providers (KafkaConnectConfigurationBuilder.printConfigProviders).
            "config.providers": SECRETS_PROVIDER,
            f"config.providers.{SECRETS_PROVIDER}.class": "io.strimzi.kafka.KubernetesSecretConfigProvider",
        },
        "resources": {"requests": {"cpu": "100m", "memory": "768Mi"}, "limits": {"memory": "768Mi"}},
        "jvmOptions": {"-Xms": "384m", "-Xmx": "384m"},
        "metricsConfig": {"type": "jmxPrometheusExporter", "valueFrom": {
            "configMapKeyRef": {"name": metrics_configmap, "key": metrics_key}}},
        "template": {"pod": {"topologySpreadConstraints": [
            {"maxSkew": 1, "topologyKey": ZONE_LABEL, "whenUnsatisfiable": "ScheduleAnyway",
             "labelSelector": pod_selector}]},
            "podDisruptionBudget": {"maxUnavailable": 1}},
    }


def _secret(name: str, key: str) -> str:
    return f"${{{SECRETS_PROVIDER}:{NAMESPACE}/{name}:{key}}}"


def connector_spec(link: Link) -> dict[str, Any]:
    """The link's MirrorHeartbeatConnector in the target's Connect: aliases as MirrorMaker's `S->T` herder, the
    target admin on the local listener with the Connect user's certificate (it only creates `heartbeats`)."""
    target = "target.cluster."
    return {
        "class": CONNECTOR_CLASS,
        "tasksMax": 1,
        "autoRestart": {"enabled": True},
        "config": {
            "source.cluster.alias": link.source,
            "target.cluster.alias": link.target,
            "emit.heartbeats.interval.seconds": INTERVAL_SECONDS,
            "heartbeats.topic.replication.factor": REPLICATION_FACTOR,
            **{f"{kind}.converter": BYTES_CONVERTER for kind in ("key", "value", "header")},
            f"{target}bootstrap.servers": BOOTSTRAP,
            f"{target}security.protocol": "SSL",
            f"{target}ssl.truststore.type": "PEM",
            f"{target}ssl.truststore.certificates": _secret(CA_SECRET, "ca.crt"),
            f"{target}ssl.keystore.type": "PEM",
            f"{target}ssl.keystore.certificate.chain": _secret(CONNECT, "user.crt"),
            f"{target}ssl.keystore.key": _secret(CONNECT, "user.key"),
        },
    }


def secret_reader_rules() -> list[dict[str, Any]]:
    """`get` on exactly the Secrets the connectors' config references (the provider needs nothing else)."""
    return [{"apiGroups": [""], "resources": ["secrets"], "resourceNames": sorted((CA_SECRET, CONNECT)),
             "verbs": ["get"]}]
