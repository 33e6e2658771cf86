"""MirrorMaker 2 metrics: the JMX Prometheus Exporter rules for Strimzi's KafkaMirrorMaker2, and its contract.

Exporter: `metricsConfig.type: jmxPrometheusExporter` on every `KafkaMirrorMaker2` (a Kafka Connect cluster running
MirrorSourceConnector and MirrorCheckpointConnector) and on the `mirror-heartbeats` KafkaConnect
(MirrorHeartbeatConnector, components/kafka_heartbeats.py; the same Connect worker and task MBeans).
The rules are the subset of strimzi/strimzi-kafka-operator@1.2.0 `examples/metrics/kafka-mirror-maker-2-metrics.yaml`
(key `metrics-config.yml`) that the alerts and dashboards use, verbatim and in their order (the first matching rule
wins). The MBeans they match:
apache/kafka@1eb7644349cb (trunk, 4.0.0-SNAPSHOT; Kafka 4 always tags `source`)
`connect/mirror/src/main/java/org/apache/kafka/connect/mirror/MirrorSourceMetrics.java` and
`MirrorCheckpointMetrics.java` (domain `kafka.connect.mirror`, set by `MirrorConnectorConfig.metricsReporters`),
`connect/runtime/src/main/java/org/apache/kafka/connect/runtime/ConnectMetricsRegistry.java` (worker, connector and
task groups, `AbstractWorkerSourceTask.java` for when polls and writes are counted).
The JMX exporter matches `^.*(?:<pattern>).*$` against `domain<key=value, ...><>attribute: value`, replaces
characters outside `[a-zA-Z0-9:_]` by `_` and, with `lowercaseOutput(Label)Names`, lowercases names and label names.
Left out: Strimzi's producer/consumer client rules (nothing here reads them; the partition-level consumer MBeans may
list `partition` before `topic`, FetchMetricsManager builds those tags in a HashMap, so `records-lag` is unverified).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import yaml

from components import kafka_spec as spec
from components.contracts import MonitoringContract, ScrapeTarget
from components.errors import ConfigError
from components.kafka_metrics import jmx_rule

METRICS_CONFIGMAP: Final = "kafka-mirror-maker-2-metrics"
"""ConfigMap (namespace `kafka`) every KafkaMirrorMaker2's `metricsConfig` references."""
CONFIG_KEY: Final = "metrics-config.yml"
EXPORTER: Final = "strimzi-mirrormaker2"
"""Contract exporter flavour: the rules below on the JMX exporter of Strimzi's MirrorMaker 2 (Connect) pods."""
KIND: Final = "kafka-mirrormaker2"
JOB: Final = "kafka-mirrormaker2"
POD_SELECTOR: Final = {"strimzi.io/kind": "KafkaMirrorMaker2"}
"""Every MM2 pod of the namespace, whichever link (`mirror-from-<region>`) it serves."""
HEARTBEATS_JOB: Final = "kafka-mirror-heartbeats"
HEARTBEATS_POD_SELECTOR: Final = {"strimzi.io/kind": "KafkaConnect", "strimzi.io/cluster": "mirror-heartbeats"}
"""The heartbeat Connect cluster's pods (components/kafka_heartbeats_spec.CONNECT_POD_LABELS)."""

# Metric names the contract, alerts and dashboards rely on, as the rules below name them.
REPLICATION_LATENCY_MAX: Final = "kafka_connect_mirror_mirrorsourceconnector_replication_latency_ms_max"
RECORD_AGE_MAX: Final = "kafka_connect_mirror_mirrorsourceconnector_record_age_ms_max"
RECORD_RATE: Final = "kafka_connect_mirror_mirrorsourceconnector_record_rate"
BYTE_RATE: Final = "kafka_connect_mirror_mirrorsourceconnector_byte_rate"
CHECKPOINT_LATENCY_MAX: Final = "kafka_connect_mirror_mirrorcheckpointconnector_checkpoint_latency_ms_max"
TASK_STATUS: Final = "kafka_connect_connector_status"
FAILED_TASKS: Final = "kafka_connect_worker_connector_failed_task_count"
RUNNING_TASKS: Final = "kafka_connect_worker_connector_running_task_count"
SOURCE_RECORDS_POLLED: Final = "kafka_connect_source_task_source_record_poll_total"
SOURCE_RECORDS_WRITTEN: Final = "kafka_connect_source_task_source_record_write_total"

DEFAULT_THRESHOLDS: Final[dict[str, float]] = {
    "replication_latency_ms": 30_000,
    "replication_latency_critical_ms": 300_000,
    "record_age_ms": 600_000,
    "checkpoint_latency_ms": 300_000,
}
"""Alert thresholds: replication latency (record timestamp to target write ack) warns above 30 s and pages above
5 min; records older than 10 min when mirrored mean MM2 runs behind the source; consumer-group checkpoints (emitted
every 60 s by default) older than 5 min break failover offsets."""

_LINK_LABELS: Final = {"source": "$1", "target": "$2", "topic": "$3", "partition": "$4"}


RULES: Final = (
    # kafka.connect:type=connector-task-metrics,connector=*,task=* (status, a string)
    jmx_rule("kafka.connect<type=connector-task-metrics, connector=(.+), task=(.+)><>status: ([a-z-]+)",
          "kafka_connect_connector_status", "GAUGE", labels={"connector": "$1", "task": "$2", "status": "$3"},
          value=1),
    # kafka.connect:type={source-task,task-error,connector-task}-metrics,connector=*,task=*
    jmx_rule("kafka.connect<type=(.+)-metrics, connector=(.+), task=(.+)><>(.+-total)",
          "kafka_connect_$1_$4", "COUNTER", labels={"connector": "$2", "task": "$3"}),
    jmx_rule("kafka.connect<type=(.+)-metrics, connector=(.+), task=(.+)><>(.+-count|.+-ms|.+-ratio|.+-avg|.+-failures|"
          ".+-requests|.+-timestamp|.+-logged|.+-errors|.+-retries|.+-skipped)",
          "kafka_connect_$1_$4", "GAUGE", labels={"connector": "$2", "task": "$3"}),
    # kafka.connect:type=connect-worker-metrics,connector=* (task counts by state)
    jmx_rule("kafka.connect<type=connect-worker-metrics, connector=(.+)><>([a-z-]+)",
          "kafka_connect_worker_$2", "GAUGE", labels={"connector": "$1"}),
    # kafka.connect:type=connect-worker-metrics
    jmx_rule("kafka.connect<type=connect-worker-metrics><>([a-z-]+-total)", "kafka_connect_worker_$1", "COUNTER"),
    jmx_rule("kafka.connect<type=connect-worker-metrics><>([a-z-]+)", "kafka_connect_worker_$1", "GAUGE"),
    # kafka.connect.mirror:type=MirrorSourceConnector,source=*,target=*,topic=*,partition=*
    jmx_rule("kafka.connect.mirror<type=MirrorSourceConnector, source=(.+), target=(.+), topic=(.+), partition=(.+)><>"
          "([a-z-_]+)",
          "kafka_connect_mirror_mirrorsourceconnector_$5", "GAUGE", labels=_LINK_LABELS),
    # kafka.connect.mirror:type=MirrorCheckpointConnector,source=*,target=*,group=*,topic=*,partition=*
    jmx_rule("kafka.connect.mirror<type=MirrorCheckpointConnector, source=(.+), target=(.+), group=(.+), topic=(.+), "
          "partition=(.+)><>([a-z-_]+)",
          "kafka_connect_mirror_mirrorcheckpointconnector_$6", "GAUGE",
          labels={"source": "$1", "target": "$2", "group": "$3", "topic": "$4", "partition": "$5"}),
)
"""Strimzi 1.2.0 `examples/metrics/kafka-mirror-maker-2-metrics.yaml` rules used here, verbatim, in their order."""


def metrics_config() -> dict[str, Any]:
    """The JMX exporter configuration (lowercase metric and label names, as Strimzi's example)."""
    return {"lowercaseOutputName": True, "lowercaseOutputLabelNames": True, "rules": [dict(rule) for rule in RULES]}


def metrics_config_yaml() -> str:
    """The JMX exporter configuration as the ConfigMap's YAML (rule order kept, keys sorted: stable diffs)."""
    return yaml.safe_dump(metrics_config(), sort_keys=True, default_flow_style=False)


def merged_thresholds(overrides: Mapping[str, float] | None = None) -> dict[str, float]:
    """Default thresholds with overrides on top; an unknown name is a ConfigError."""
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(DEFAULT_THRESHOLDS))
    if unknown:
        raise ConfigError("kafka.mirror.monitoring.thresholds", unknown[0], "unknown threshold",
                          f"use one of {', '.join(sorted(DEFAULT_THRESHOLDS))}")
    return {**DEFAULT_THRESHOLDS, **overrides}


def mirror_contract(*, region: str, cluster_name: str, thresholds: Mapping[str, float] | None = None,
                    replicas: int = 2) -> MonitoringContract:
    """The MM2 pods of a region: one PodMonitor for every `mirror-from-<region>` deployment, one for the heartbeat
    Connect cluster.

    `replicas` is the number of MM2 pods expected across all links (at least 2: the generic target-down alert then
    warns for one pod, and TargetMissing, which needs no count, pages when no MM2 pod is scraped at all).
    """
    return MonitoringContract(
        kind=KIND, region=region, cluster=cluster_name, namespace=spec.NAMESPACE,
        scrape=(ScrapeTarget(kind="PodMonitor", job=JOB, namespace=spec.NAMESPACE, selector=dict(POD_SELECTOR),
                             port=spec.METRICS_PORT_NAME),
                ScrapeTarget(kind="PodMonitor", job=HEARTBEATS_JOB, namespace=spec.NAMESPACE,
                             selector=dict(HEARTBEATS_POD_SELECTOR), port=spec.METRICS_PORT_NAME)),
        exporter=EXPORTER, thresholds=merged_thresholds(thresholds), replicas=replicas,
        labels={"kafka_cluster": spec.CLUSTER})
