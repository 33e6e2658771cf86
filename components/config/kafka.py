"""`meridian:kafka`: Kafka through Strimzi (KRaft): sizing, durability defaults, topics, users and clients."""

from __future__ import annotations

import math
import re
from typing import Final

from pydantic import Field, field_validator

from components.config.base import (
    Frozen,
    NamespaceNames,
    ServiceContext,
    ServiceMonitoringConfig,
    check_monitoring_names,
    fail,
)
from components.errors import ConfigError
from components.versions import check_chart_version

# Kafka versions the Strimzi 1.2.0 operator supports, with their KRaft metadata versions
# (strimzi/strimzi-kafka-operator@1.2.0 kafka-versions.yaml, entries with `supported: true`).
KAFKA_VERSIONS: Final = {"4.2.0": "4.2-IV1", "4.2.1": "4.2-IV1", "4.3.0": "4.3-IV0", "4.3.1": "4.3-IV0"}
QUORUM_SIZES: Final = (3, 5)
MIN_ZONES: Final = 3
ALLOCATABLE_RATIO: Final = 0.9
"""Share of a node's memory pods may request: the kubelet keeps the rest (EKS kube-reserved and eviction threshold)."""
THRESHOLD_NAMES: Final = ("consumer_lag_records", "under_replicated_partitions", "under_min_isr_partitions",
                         "offline_partitions", "active_controllers", "isr_shrinks_per_second", "disk_free_ratio",
                         "disk_free_critical_ratio", "request_handler_idle_ratio_min", "heap_used_ratio")
"""Alert thresholds the Kafka alert template knows (defaults: components/kafka_metrics.py DEFAULT_THRESHOLDS)."""
SLO_NAMES: Final = ("produce_availability", "fetch_availability")
"""SLOs the Kafka alert template records SLIs for (alerts/templates/kafka.yaml.j2)."""
_K8S_NAME: Final = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
_UNSAFE: Final = re.compile(r"[^a-z0-9.-]+")


def topic_resource_name(topic: str) -> str:
    """The KafkaTopic's metadata.name for a topic (lowercase DNS subdomain; the real name goes in topicName)."""
    return _UNSAFE.sub("-", topic.lower()).strip("-.")


class KafkaTopicConfig(Frozen):
    """One topic, declared as a KafkaTopic (auto-creation is off)."""

    name: str = Field(pattern=r"^[a-zA-Z0-9._-]{1,249}$")
    """Topic name as clients use it."""
    partitions: int = Field(ge=1, le=10_000)
    """Partition count (it can grow later, never shrink)."""
    replicas: int = Field(default=3, ge=1, le=10)
    """Replication factor; default 3, one replica per zone."""
    min_insync: int = Field(default=2, ge=1, le=9)
    """`min.insync.replicas`; default 2, so acks=all writes survive one zone and land in two."""
    retention_hours: int | None = Field(default=None, ge=1)
    """Retention in hours; unset (and no retention_ms): the broker default, 168 hours."""
    retention_ms: int | None = Field(default=None, ge=-1)
    """Retention in milliseconds (-1: forever); mutually exclusive with retention_hours."""

    @property
    def retention(self) -> int | None:
        """`retention.ms` to set on the topic, or None for the broker default."""
        if self.retention_hours is not None:
            return self.retention_hours * 3_600_000
        return self.retention_ms


class KafkaUserConfig(Frozen):
    """A service's Kafka identity (mTLS client certificate) and its ACLs."""

    name: str = Field(pattern=_K8S_NAME, max_length=64)
    """KafkaUser name; its certificate's CN (`User:CN=<name>` in ACLs) and the Secret holding the certificate."""
    produce: tuple[str, ...] = ()
    """Topics it writes (ACL Write and Describe); each must be one of kafka.topics."""
    consume: tuple[str, ...] = ()
    """Topics it reads (ACL Read and Describe); each must be one of kafka.topics, and `group` is then required."""
    group: str | None = Field(default=None, pattern=r"^[a-zA-Z0-9._-]{1,249}$")
    """Consumer group it commits offsets in (ACL Read on the group)."""


DEFAULT_TOPICS: Final = (KafkaTopicConfig(name="user.playback.events", partitions=12, retention_hours=7 * 24),)


class KafkaConfig(Frozen):
    """Kafka through Strimzi (KRaft)."""

    chart_version: str | None = None
    """strimzi-kafka-operator chart version; unset: the pin in components/versions.py (only reviewed versions)."""
    kafka_version: str = "4.3.1"
    """Apache Kafka version; default 4.3.1, Strimzi 1.2.0's default (4.2.0, 4.2.1, 4.3.0, 4.3.1 supported)."""
    controllers: int = 3
    """KRaft controllers (3 or 5), one node pool spread evenly over the zones; default 3, one per zone."""
    brokers: int = Field(default=3, ge=1, le=60)
    """Brokers, spread evenly over the zones (rack = zone); default 3; at least the replication factor."""
    broker_disk_gib: int = Field(default=500, ge=10, le=16_384)
    """Each broker's gp3-retain volume in GiB; default 500."""
    controller_disk_gib: int = Field(default=20, ge=5, le=1_000)
    """Each controller's metadata volume in GiB; default 20."""
    broker_heap_gib: int = Field(default=4, ge=1, le=31)
    """Broker JVM heap in GiB; default 4. The pod gets twice this (the rest is page cache); at most 31 (compressed
    object pointers), and twice the heap must fit in 90% of a data node's memory."""
    broker_cpu_millicores: int = Field(default=2_000, ge=250)
    """CPU each broker requests, in millicores; default 2000."""
    controller_heap_gib: int = Field(default=1, ge=1, le=8)
    """Controller JVM heap in GiB; default 1 (pod: twice this)."""
    replication_factor: int = Field(default=3, ge=1, le=10)
    """`default.replication.factor` and the internal topics' replication; default 3."""
    min_insync_replicas: int = Field(default=2, ge=1, le=9)
    """`min.insync.replicas` and `transaction.state.log.min.isr`; default 2, below the replication factor."""
    topics: tuple[KafkaTopicConfig, ...] = DEFAULT_TOPICS
    """Topics as KafkaTopic resources; default: `user.playback.events`, 12 partitions, 7 days."""
    users: tuple[KafkaUserConfig, ...] = ()
    """Service identities with their ACLs; default none."""
    client_namespaces: NamespaceNames = ()
    """Namespaces whose pods may reach the TLS listener (9093); default none: only the Kafka namespace itself."""
    monitoring: ServiceMonitoringConfig = ServiceMonitoringConfig()

    @field_validator("kafka_version")
    @classmethod
    def _kafka_version(cls, value: str) -> str:
        if value not in KAFKA_VERSIONS:
            raise fail("is not a Kafka version the Strimzi 1.2.0 operator supports",
                       f"use one of {', '.join(KAFKA_VERSIONS)}")
        return value

    @field_validator("monitoring")
    @classmethod
    def _monitoring(cls, value: ServiceMonitoringConfig) -> ServiceMonitoringConfig:
        return check_monitoring_names(value, service="Kafka", thresholds=THRESHOLD_NAMES, slos=SLO_NAMES)

    @field_validator("controllers")
    @classmethod
    def _controllers(cls, value: int) -> int:
        if value not in QUORUM_SIZES:
            raise fail("must be 3 or 5 (an odd KRaft quorum that keeps a majority with one zone lost)",
                       "use 3 (one per zone), or 5 for two failures at once")
        return value

    def check(self, context: ServiceContext) -> None:
        """Checks against the rest of the stack, before any resource is declared."""
        check_chart_version(context.key("kafka.chart_version"), "strimzi-kafka-operator", self.chart_version)
        key = context.key
        if context.zones < MIN_ZONES:
            raise ConfigError(key("kafka.controllers"), self.controllers,
                              f"spread over {context.zones} zone(s) cannot keep a KRaft majority with one zone lost",
                              f"set network.az_count to {MIN_ZONES}")
        if self.min_insync_replicas >= self.replication_factor:
            raise ConfigError(key("kafka.min_insync_replicas"), self.min_insync_replicas,
                              f"must be below kafka.replication_factor ({self.replication_factor}), or one lost "
                              "replica stops acks=all writes", f"use {max(1, self.replication_factor - 1)}")
        if self.brokers < self.replication_factor:
            raise ConfigError(key("kafka.brokers"), self.brokers,
                              f"must be >= kafka.replication_factor ({self.replication_factor})",
                              f"use at least {self.replication_factor} brokers")
        self._check_heap(context)
        self._check_topics(context)
        self._check_users(context)

    def _check_heap(self, context: ServiceContext) -> None:
        if context.data_node_memory_gib is None:
            return
        allocatable = ALLOCATABLE_RATIO * context.data_node_memory_gib
        if 2 * self.broker_heap_gib > allocatable:
            raise ConfigError(context.key("kafka.broker_heap_gib"), self.broker_heap_gib,
                              f"needs a {2 * self.broker_heap_gib} GiB broker pod (heap plus as much page cache), "
                              f"more than the {allocatable:g} GiB a data node can allocate "
                              f"({ALLOCATABLE_RATIO:.0%} of its {context.data_node_memory_gib:g} GiB)",
                              f"use at most {max(1, math.floor(allocatable / 2))}, or a larger data node instance type")

    def _check_topics(self, context: ServiceContext) -> None:
        seen: dict[str, str] = {}
        for index, topic in enumerate(self.topics):
            path = f"kafka.topics[{index}]"
            resource = topic_resource_name(topic.name)
            if resource in seen:
                raise ConfigError(context.key(f"{path}.name"), topic.name,
                                  f"clashes with topic {seen[resource]!r} (both become KafkaTopic {resource!r})",
                                  "give every topic a distinct name")
            seen[resource] = topic.name
            if topic.retention_hours is not None and topic.retention_ms is not None:
                raise ConfigError(context.key(path), topic.name, "sets both retention_hours and retention_ms",
                                  "keep one of them")
            if topic.replicas > self.brokers:
                raise ConfigError(context.key(f"{path}.replicas"), topic.replicas,
                                  f"exceeds kafka.brokers ({self.brokers})",
                                  f"use at most {self.brokers} or add brokers")
            if topic.min_insync >= topic.replicas:
                raise ConfigError(context.key(f"{path}.min_insync"), topic.min_insync,
                                  f"must be below the topic's replicas ({topic.replicas}), or one lost replica stops "
                                  "acks=all writes", f"use {max(1, topic.replicas - 1)}")

    def _check_users(self, context: ServiceContext) -> None:
        topics = {topic.name for topic in self.topics}
        names: set[str] = set()
        for index, user in enumerate(self.users):
            path = f"kafka.users[{index}]"
            if user.name in names:
                raise ConfigError(context.key(f"{path}.name"), user.name, "is declared twice", "merge the entries")
            names.add(user.name)
            if not user.produce and not user.consume:
                raise ConfigError(context.key(path), user.name, "grants no access",
                                  "list topics under produce and/or consume, or remove the user")
            for field in ("produce", "consume"):
                unknown = [topic for topic in getattr(user, field) if topic not in topics]
                if unknown:
                    raise ConfigError(context.key(f"{path}.{field}"), unknown,
                                      "names topics not declared in kafka.topics (auto-creation is off)",
                                      f"declare them in kafka.topics, or use one of {', '.join(sorted(topics))}")
            if user.consume and user.group is None:
                raise ConfigError(context.key(f"{path}.group"), None, "is required for a consumer",
                                  "set the consumer group the service commits offsets in")
