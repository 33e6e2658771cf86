"""Kafka metrics: the JMX Prometheus Exporter rules Strimzi ships, and the monitoring defaults built on them.

Exporter choice: `metricsConfig.type: jmxPrometheusExporter` (not `strimziMetricsReporter`). The rules below are
Strimzi's standard set, verbatim from strimzi/strimzi-kafka-operator@1.2.0 `examples/metrics/kafka-metrics.yaml`
(ConfigMap `kafka-metrics`, key `kafka-metrics-config.yml`); Strimzi's example alerts
(`examples/metrics/prometheus-install/prometheus-rules/prometheus-kafka-rules.yaml`) and Grafana dashboards at the
same tag are written against the names they yield. Docs: `documentation/modules/metrics/
proc-jmx-exporter-metrics-kafka-deploy-options.adoc` (metrics on port 9404, `tcp-prometheus`). Consumer lag comes
from Kafka Exporter (`spec.kafkaExporter`), `kafka_consumergroup_lag` (same tag,
`prometheus-kafka-exporter-topic-rules-group.yaml`).
"""

from __future__ import annotations

from typing import Any, Final

import yaml

from components.config.base import ServiceMonitoringConfig
from components.contracts import SloSpec

EXPORTER: Final = "strimzi-jmx-prometheus-exporter"
"""Contract exporter flavour: Strimzi 1.2.0's kafka-metrics.yaml rules on the JMX exporter, plus Kafka Exporter."""
CONFIG_KEY: Final = "kafka-metrics-config.yml"

# Metric names the contract's thresholds and SLOs rely on, as the rules below name them (lowercaseOutputName).
UNDER_REPLICATED: Final = "kafka_server_replicamanager_underreplicatedpartitions"
UNDER_MIN_ISR: Final = "kafka_server_replicamanager_underminisrpartitioncount"
ISR_SHRINKS: Final = "kafka_server_replicamanager_isrshrinks_total"
ACTIVE_CONTROLLERS: Final = "kafka_controller_kafkacontroller_activecontrollercount"
OFFLINE_PARTITIONS: Final = "kafka_controller_kafkacontroller_offlinepartitionscount"
PRODUCE_REQUESTS: Final = "kafka_server_brokertopicmetrics_totalproducerequests_total"
FAILED_PRODUCE_REQUESTS: Final = "kafka_server_brokertopicmetrics_failedproducerequests_total"
FETCH_REQUESTS: Final = "kafka_server_brokertopicmetrics_totalfetchrequests_total"
FAILED_FETCH_REQUESTS: Final = "kafka_server_brokertopicmetrics_failedfetchrequests_total"
CONSUMER_LAG: Final = "kafka_consumergroup_lag"
"""From Kafka Exporter, not the JMX rules."""

DEFAULT_THRESHOLDS: Final[dict[str, float]] = {
    "consumer_lag_records": 10_000,
    "under_replicated_partitions": 0,
    "under_min_isr_partitions": 0,
    "offline_partitions": 0,
    "active_controllers": 1,
    "isr_shrinks_per_second": 0.1,
    "disk_free_ratio": 0.15,
    "disk_free_critical_ratio": 0.05,
    "request_handler_idle_ratio_min": 0.2,
    "heap_used_ratio": 0.9,
}
"""Alert thresholds (Strimzi's example rules alert on > 0 for the partition counts, != 1 active controller,
< 15% volume space free; Kafka's ops docs want request handlers idle > 30% of the time, we warn below 20%);
overridden per stack by kafka.monitoring.thresholds. The names are components/config/kafka.py THRESHOLD_NAMES."""

DEFAULT_SLOS: Final = (
    SloSpec(name="produce_availability", objective=0.999,
            description=f"Produce requests that succeed: 1 - rate({FAILED_PRODUCE_REQUESTS}) / "
                        f"rate({PRODUCE_REQUESTS})"),
    SloSpec(name="fetch_availability", objective=0.999,
            description=f"Fetch requests that succeed: 1 - rate({FAILED_FETCH_REQUESTS}) / rate({FETCH_REQUESTS})"),
)


def jmx_rule(pattern: str, name: str, kind: str, labels: dict[str, str] | None = None,
             value: int | None = None) -> dict[str, Any]:
    """One JMX Prometheus exporter rule (pattern, metric name, type, labels, fixed value)."""
    rule: dict[str, Any] = {"pattern": pattern, "name": name, "type": kind}
    if labels:
        rule["labels"] = labels
    if value is not None:
        rule["value"] = value
    return rule


RULES: Final = (
    jmx_rule("kafka.server<type=(.+), name=(.+), clientId=(.+), topic=(.+), partition=(.*)><>Value",
          "kafka_server_$1_$2", "GAUGE", labels={"clientId": "$3", "topic": "$4", "partition": "$5"}),
    jmx_rule("kafka.server<type=(.+), name=(.+), clientId=(.+), brokerHost=(.+), brokerPort=(.+)><>Value",
          "kafka_server_$1_$2", "GAUGE", labels={"clientId": "$3", "broker": "$4:$5"}),
    jmx_rule("kafka.server<type=(.+), cipher=(.+), protocol=(.+), listener=(.+), "
          "networkProcessor=(.+)><>connections",
          "kafka_server_$1_connections_tls_info", "GAUGE",
          labels={"cipher": "$2", "protocol": "$3", "listener": "$4", "networkProcessor": "$5"}),
    jmx_rule("kafka.server<type=(.+), clientSoftwareName=(.+), clientSoftwareVersion=(.+), "
          "listener=(.+), networkProcessor=(.+)><>connections",
          "kafka_server_$1_connections_software", "GAUGE",
          labels={"clientSoftwareName": "$2", "clientSoftwareVersion": "$3", "listener": "$4",
                  "networkProcessor": "$5"}),
    jmx_rule("kafka.server<type=(.+), listener=(.+), networkProcessor=(.+)><>(.+-total):",
          "kafka_server_$1_$4", "COUNTER", labels={"listener": "$2", "networkProcessor": "$3"}),
    jmx_rule("kafka.server<type=(.+), listener=(.+), networkProcessor=(.+)><>(.+):",
          "kafka_server_$1_$4", "GAUGE", labels={"listener": "$2", "networkProcessor": "$3"}),
    jmx_rule("kafka.server<type=(.+), listener=(.+), networkProcessor=(.+)><>(.+-total)",
          "kafka_server_$1_$4", "COUNTER", labels={"listener": "$2", "networkProcessor": "$3"}),
    jmx_rule("kafka.server<type=(.+), listener=(.+), networkProcessor=(.+)><>(.+)",
          "kafka_server_$1_$4", "GAUGE", labels={"listener": "$2", "networkProcessor": "$3"}),
    jmx_rule(r"kafka.(\w+)<type=(.+), name=(.+)Percent\w*><>MeanRate",
          "kafka_$1_$2_$3_percent", "GAUGE"),
    jmx_rule(r"kafka.(\w+)<type=(.+), name=(.+)Percent\w*><>Value",
          "kafka_$1_$2_$3_percent", "GAUGE"),
    jmx_rule(r"kafka.(\w+)<type=(.+), name=(.+)Percent\w*, (.+)=(.+)><>Value",
          "kafka_$1_$2_$3_percent", "GAUGE", labels={"$4": "$5"}),
    jmx_rule(r"kafka.(\w+)<type=(.+), name=(.+)PerSec\w*, (.+)=(.+), (.+)=(.+)><>Count",
          "kafka_$1_$2_$3_total", "COUNTER", labels={"$4": "$5", "$6": "$7"}),
    jmx_rule(r"kafka.(\w+)<type=(.+), name=(.+)PerSec\w*, (.+)=(.+)><>Count",
          "kafka_$1_$2_$3_total", "COUNTER", labels={"$4": "$5"}),
    jmx_rule(r"kafka.(\w+)<type=(.+), name=(.+)PerSec\w*><>Count",
          "kafka_$1_$2_$3_total", "COUNTER"),
    jmx_rule(r"kafka.(\w+)<type=(.+), name=(.+), (.+)=(.+), (.+)=(.+)><>Value",
          "kafka_$1_$2_$3", "GAUGE", labels={"$4": "$5", "$6": "$7"}),
    jmx_rule(r"kafka.(\w+)<type=(.+), name=(.+), (.+)=(.+)><>Value",
          "kafka_$1_$2_$3", "GAUGE", labels={"$4": "$5"}),
    jmx_rule(r"kafka.(\w+)<type=(.+), name=(.+)><>Value",
          "kafka_$1_$2_$3", "GAUGE"),
    jmx_rule(r"kafka.(\w+)<type=(.+), name=(.+), (.+)=(.+), (.+)=(.+)><>Count",
          "kafka_$1_$2_$3_count", "COUNTER", labels={"$4": "$5", "$6": "$7"}),
    jmx_rule(r"kafka.(\w+)<type=(.+), name=(.+), (.+)=(.*), (.+)=(.+)><>(\d+)thPercentile",
          "kafka_$1_$2_$3", "GAUGE", labels={"$4": "$5", "$6": "$7", "quantile": "0.$8"}),
    jmx_rule(r"kafka.(\w+)<type=(.+), name=(.+), (.+)=(.+)><>Count",
          "kafka_$1_$2_$3_count", "COUNTER", labels={"$4": "$5"}),
    jmx_rule(r"kafka.(\w+)<type=(.+), name=(.+), (.+)=(.*)><>(\d+)thPercentile",
          "kafka_$1_$2_$3", "GAUGE", labels={"$4": "$5", "quantile": "0.$6"}),
    jmx_rule(r"kafka.(\w+)<type=(.+), name=(.+)><>Count",
          "kafka_$1_$2_$3_count", "COUNTER"),
    jmx_rule(r"kafka.(\w+)<type=(.+), name=(.+)><>(\d+)thPercentile",
          "kafka_$1_$2_$3", "GAUGE", labels={"quantile": "0.$4"}),
    jmx_rule("kafka.server<type=raft-metrics><>(.+-total|.+-max):",
          "kafka_server_raftmetrics_$1", "COUNTER"),
    jmx_rule("kafka.server<type=raft-metrics><>(current-state): (.+)",
          "kafka_server_raftmetrics_$1", "UNTYPED", labels={"$1": "$2"}, value=1),
    jmx_rule("kafka.server<type=raft-metrics><>(.+):",
          "kafka_server_raftmetrics_$1", "GAUGE"),
    jmx_rule("kafka.server<type=raft-channel-metrics><>(.+-total|.+-max):",
          "kafka_server_raftchannelmetrics_$1", "COUNTER"),
    jmx_rule("kafka.server<type=raft-channel-metrics><>(.+):",
          "kafka_server_raftchannelmetrics_$1", "GAUGE"),
    jmx_rule("kafka.server<type=broker-metadata-metrics><>(.+):",
          "kafka_server_brokermetadatametrics_$1", "GAUGE"),
)
"""Strimzi 1.2.0 `examples/metrics/kafka-metrics.yaml` rules, in their order (the first matching rule wins)."""


def metrics_config() -> dict[str, Any]:
    """The JMX exporter configuration (Strimzi's standard rules, lowercase metric names)."""
    return {"lowercaseOutputName": True, "rules": [dict(rule) for rule in RULES]}


def metrics_config_yaml() -> str:
    """The JMX exporter configuration as the ConfigMap's YAML (rule order kept, keys sorted: stable diffs)."""
    return yaml.safe_dump(metrics_config(), sort_keys=True, default_flow_style=False)


def thresholds(monitoring: ServiceMonitoringConfig) -> dict[str, float]:
    """Default thresholds with the stack's overrides on top."""
    return {**DEFAULT_THRESHOLDS, **monitoring.thresholds}


def slos(monitoring: ServiceMonitoringConfig) -> tuple[SloSpec, ...]:
    """Default SLOs, each replaced by a configured SLO of the same name; other configured SLOs added."""
    configured = {slo.name: SloSpec(name=slo.name, objective=slo.objective,
                                    description=slo.description or _default_description(slo.name))
                  for slo in monitoring.slos}
    merged = [configured.pop(slo.name, slo) for slo in DEFAULT_SLOS]
    return (*merged, *configured.values())


def _default_description(name: str) -> str:
    return next((slo.description for slo in DEFAULT_SLOS if slo.name == name), name.replace("_", " "))
