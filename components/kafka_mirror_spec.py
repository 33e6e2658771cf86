"""Pure builders for MirrorMaker2 between regions (kafka.strimzi.io/v1, Strimzi 1.2.0; cert-manager.io/v1).

A link mirrors the fleet's global topics from a source region S to a target region T. MirrorMaker2 runs in T (its
Connect cluster is T's Kafka, which it reaches on the local mTLS listener as KafkaUser `mirror-from-<S>`) and reads
S through S's `peers` listener (TLS with the fleet CA, SCRAM-SHA-512) as KafkaUser `mirror-to-<T>`, whose password
is a Secret in both clusters. Mirrored topics are `<S>.<topic>` (DefaultReplicationPolicy).

ACLs follow Strimzi 1.2.0's examples/security/scram-sha-512-auth/mirror-maker-2.yaml and
documentation/modules/configuring/proc-config-mirrormaker2-securing-connection.adoc, narrowed to our names: with
`offset-syncs.topic.location: target` the offset-syncs topic `mm2-offset-syncs.<S>.internal` lives in T (apache/kafka
connect/mirror MirrorSourceConfig.offsetSyncsTopic), so the source user only reads and describes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from components.contracts import ZONE_LABEL
from components.fleet_plan import KafkaFleet
from components.kafka_spec import CLUSTER, NAMESPACE, TLS_PORT

PEERS_LISTENER: Final = "peers"
LISTENER_CERT_SECRET: Final = "kafka-peers-tls"
"""cert-manager's Secret of the peers listener (tls.crt, tls.key, ca.crt = the fleet root)."""
PEERS_SERVICE: Final = "kafka-peers"
BROKER_POD_LABELS: Final = {"strimzi.io/cluster": CLUSTER, "strimzi.io/broker-role": "true"}
"""Broker pods of every node pool (Strimzi Labels.STRIMZI_BROKER_ROLE_LABEL)."""
MIRROR_POD_LABELS: Final = {"strimzi.io/kind": "KafkaMirrorMaker2"}
CONNECT_REST_PORT: Final = 8083
"""MirrorMaker2's Kafka Connect REST API; the cluster operator configures the connectors through it
(KafkaConnectCluster.REST_API_PORT at 1.2.0)."""
PASSWORD_KEY: Final = "password"
REPLICATION_FACTOR: Final = 3
HEARTBEATS_TOPIC: Final = "heartbeats"
"""MirrorSourceConnector replicates `heartbeats` topics whatever the topic filter (MirrorSourceConnector
.shouldReplicateTopic); reading it is allowed so a heartbeat emitter's records reach the other regions."""
_TOPIC_NAME = re.compile(r"^[A-Za-z0-9._-]{1,249}$")


@dataclass(frozen=True, kw_only=True)
class Link:
    """One direction: the global topics of `source` mirrored into `target` by a MirrorMaker2 running in `target`."""

    source: str
    target: str

    @property
    def name(self) -> str:
        """The KafkaMirrorMaker2 (and its Connect group, and its KafkaUser in the target cluster)."""
        return f"mirror-from-{self.source}"

    @property
    def source_user(self) -> str:
        """The SCRAM user in the source cluster."""
        return f"mirror-to-{self.target}"

    @property
    def source_password_secret(self) -> str:
        """Secret in the source cluster the source user's password is read from (not the user's own Secret, which
        the User Operator writes under the user's name)."""
        return f"{self.source_user}-password"

    @property
    def target_password_secret(self) -> str:
        """The same password in the target cluster, for MirrorMaker2's `passwordSecret`."""
        return f"{self.name}-source-password"


def broker_domain(fleet: KafkaFleet, own_region: str, region: str) -> str:
    """`region`'s broker record, from this stack's `kafka.<own_region>.<zone>` (components/fleet_plan.kafka_host)."""
    prefix = f"kafka.{own_region}."
    if not fleet.broker_domain.startswith(prefix):
        raise ValueError(f"broker domain {fleet.broker_domain!r} does not start with {prefix!r}")
    return f"kafka.{region}.{fleet.broker_domain.removeprefix(prefix)}"


def topics_pattern(topics: Sequence[str]) -> str:
    """An exact alternation of `topics` (MM2 matches the whole name; `.` escaped; no `,`, which Strimzi splits)."""
    if not topics:
        raise ValueError("no global topics to mirror")
    for topic in topics:
        if not _TOPIC_NAME.match(topic):
            raise ValueError(f"{topic!r} is not a Kafka topic name")
    return "|".join(topic.replace(".", r"\.") for topic in sorted(set(topics)))


def _acl(kind: str, name: str | None, operations: Sequence[str], pattern: str = "literal") -> dict[str, Any]:
    resource: dict[str, Any] = {"type": kind}
    if name is not None:
        resource.update(name=name, patternType=pattern)
    return {"type": "allow", "resource": resource, "operations": list(operations)}


def source_acls(topics: Sequence[str]) -> list[dict[str, Any]]:
    """What MirrorMaker2 does in the source cluster: read and describe the mirrored topics (source connector,
    topic config sync), list groups and their offsets (checkpoint connector). No write anywhere."""
    return [
        *(_acl("topic", topic, ("Read", "Describe", "DescribeConfigs")) for topic in (*topics, HEARTBEATS_TOPIC)),
        _acl("cluster", None, ("Describe",)),
        _acl("group", "*", ("Describe",)),
    ]


def target_acls(link: Link) -> list[dict[str, Any]]:
    """What MirrorMaker2 does in the target cluster: its Connect group and `<name>.*` internal topics, the
    `<source>.*` topics (mirrored topics, heartbeats, checkpoints), the offset-syncs topic, committing translated
    offsets of any group on those topics (`sync.group.offsets.enabled`)."""
    readwrite = ("Create", "Describe", "DescribeConfigs", "Read", "Write")
    return [
        _acl("group", link.name, ("Read", "Describe")),
        _acl("topic", f"{link.name}.", readwrite, "prefix"),
        _acl("topic", f"{link.source}.", (*readwrite, "Alter", "AlterConfigs"), "prefix"),
        _acl("topic", f"mm2-offset-syncs.{link.source}.internal", readwrite),
        _acl("cluster", None, ("Describe",)),
        _acl("group", "*", ("Read", "Describe")),
    ]


def source_user_spec(link: Link, topics: Sequence[str]) -> dict[str, Any]:
    """The source cluster's KafkaUser: SCRAM-SHA-512 with the link's password Secret."""
    return {"authentication": {"type": "scram-sha-512", "password": {"valueFrom": {"secretKeyRef": {
                "name": link.source_password_secret, "key": PASSWORD_KEY}}}},
            "authorization": {"type": "simple", "acls": source_acls(topics)}}


def target_user_spec(link: Link) -> dict[str, Any]:
    """The target cluster's KafkaUser: mTLS (the User Operator writes `<name>` with user.crt and user.key)."""
    return {"authentication": {"type": "tls"}, "authorization": {"type": "simple", "acls": target_acls(link)}}


def mirror_spec(link: Link, *, topics: Sequence[str], source_bootstrap: str, kafka_version: str,
                metrics_configmap: str, metrics_key: str, replicas: int = 2) -> dict[str, Any]:
    """The KafkaMirrorMaker2 in the target cluster (v1: `target` + `mirrors[].source`; v1 has no heartbeat
    connector, CHANGELOG 0.48.0)."""
    location = {"offset-syncs.topic.location": "target"}  # must match in both connectors (Strimzi docs)
    trust = [{"secretName": LISTENER_CERT_SECRET, "certificate": "ca.crt"}]
    pod_selector = {"matchLabels": {"strimzi.io/cluster": link.name, "strimzi.io/kind": "KafkaMirrorMaker2"}}
    return {
        "version": kafka_version,
        "replicas": replicas,
        "target": {
            "alias": link.target,
            "bootstrapServers": f"{CLUSTER}-kafka-bootstrap.{NAMESPACE}.svc:{TLS_PORT}",
            "groupId": link.name,
            "configStorageTopic": f"{link.name}.configs",
            "offsetStorageTopic": f"{link.name}.offsets",
            "statusStorageTopic": f"{link.name}.status",
            "tls": {"trustedCertificates": [{"secretName": f"{CLUSTER}-cluster-ca-cert", "certificate": "ca.crt"}]},
            "authentication": {"type": "tls", "certificateAndKey": {
                "secretName": link.name, "certificate": "user.crt", "key": "user.key"}},
            "config": {f"{kind}.storage.replication.factor": REPLICATION_FACTOR
                       for kind in ("config", "offset", "status")},
        },
        "mirrors": [{
            "source": {
                "alias": link.source,
                "bootstrapServers": source_bootstrap,
                "tls": {"trustedCertificates": trust},
                "authentication": {"type": "scram-sha-512", "username": link.source_user, "passwordSecret": {
                    "secretName": link.target_password_secret, "password": PASSWORD_KEY}},
            },
            "sourceConnector": {"tasksMax": 2, "autoRestart": {"enabled": True}, "config": {
                **location,
                "replication.factor": REPLICATION_FACTOR,
                "offset-syncs.topic.replication.factor": REPLICATION_FACTOR,
                "sync.topic.acls.enabled": "false",  # Strimzi manages ACLs through KafkaUsers
                "refresh.topics.interval.seconds": 60,
            }},
            "checkpointConnector": {"tasksMax": 1, "autoRestart": {"enabled": True}, "config": {
                **location,
                "checkpoints.topic.replication.factor": REPLICATION_FACTOR,
                "emit.checkpoints.enabled": "true",
                "emit.checkpoints.interval.seconds": 60,
                "sync.group.offsets.enabled": "true",
                "sync.group.offsets.interval.seconds": 60,
                "refresh.groups.interval.seconds": 300,
            }},
            "topicsPattern": topics_pattern(topics),
            "groupsPattern": ".*",
        }],
        "resources": {"requests": {"cpu": "500m", "memory": "2Gi"}, "limits": {"memory": "2Gi"}},
        "jvmOptions": {"-Xms": "1g", "-Xmx": "1g"},
        "metricsConfig": {"type": "jmxPrometheusExporter", "valueFrom": {
            "configMapKeyRef": {"name": metrics_configmap, "key": metrics_key}}},
        "template": {"pod": {"topologySpreadConstraints": [
            {"maxSkew": 1, "topologyKey": ZONE_LABEL, "whenUnsatisfiable": "DoNotSchedule",
             "labelSelector": pod_selector}]},
            "podDisruptionBudget": {"maxUnavailable": 1}},
    }


def peers_listener(fleet: KafkaFleet) -> dict[str, Any]:
    """The cross-region listener: TLS with the fleet-CA certificate, SCRAM-SHA-512, only from the fleet's CIDR,
    each broker advertising `<pod>.<broker_domain>` (`advertisedHostTemplate`, any listener type, Strimzi 1.2.0
    GenericKafkaListenerConfigurationBroker docs; pods are `<cluster>-<pool>-<id>`, KafkaPool.nodeRef)."""
    return {"name": PEERS_LISTENER, "port": fleet.peers_port, "type": "internal", "tls": True,
            "authentication": {"type": "scram-sha-512"},
            "networkPolicyPeers": [{"ipBlock": {"cidr": fleet.fleet_cidr}}],
            "configuration": {
                "brokerCertChainAndKey": {"secretName": LISTENER_CERT_SECRET, "certificate": "tls.crt",
                                          "key": "tls.key"},
                "advertisedHostTemplate": f"{{nodePodName}}.{fleet.broker_domain}"}}


def listener_certificate_spec(fleet: KafkaFleet) -> dict[str, Any]:
    """The peers listener's certificate from the fleet CA; PKCS#8 key, as Strimzi requires for custom listener
    certificates (Kafka CRD, brokerCertChainAndKey.key)."""
    return {
        "secretName": LISTENER_CERT_SECRET,
        "commonName": fleet.broker_domain,
        "dnsNames": [fleet.broker_domain, f"*.{fleet.broker_domain}"],
        "duration": "2160h",
        "renewBefore": "720h",
        "privateKey": {"algorithm": "ECDSA", "size": 256, "encoding": "PKCS8", "rotationPolicy": "Always"},
        "usages": ["digital signature", "server auth"],
        "issuerRef": {"name": fleet.issuer, "kind": "ClusterIssuer", "group": "cert-manager.io"},
    }


def peers_service_spec(fleet: KafkaFleet) -> dict[str, Any]:
    """Headless Service over the brokers: ExternalDNS publishes `<broker_domain>` (bootstrap) and, from each pod's
    hostname (Strimzi sets it to the pod name), `<pod>.<broker_domain>`."""
    return {"clusterIP": "None", "selector": dict(BROKER_POD_LABELS),
            "ports": [{"name": "tcp-peers", "port": fleet.peers_port, "targetPort": fleet.peers_port,
                       "protocol": "TCP"}]}
