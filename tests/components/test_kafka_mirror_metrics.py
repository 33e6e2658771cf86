"""MirrorMaker 2 metrics: the JMX rules yield exactly the catalogued names, the contract's shape, and the alert
template against the real promtool (the kind is not in a stack yet, so the generic tests do not see it)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from alerts.render import rule_file
from components import kafka_mirror_metrics as mm2
from components.errors import ConfigError
from dashboards.common import FILTER, panel_queries
from dashboards.kafka_mirrormaker2 import FLEET_PANELS
from dashboards.render import kind_dashboard
from observability.catalog import kafka_mirrormaker2 as catalog
from observability.catalog import metric_names
from observability.config import ObservabilityConfig

SOURCE_CONNECTOR = '"us-west-2->us-east-1.MirrorSourceConnector"'
"""Kafka's JmxReporter quotes tag values outside `[\\w-%. \\t]*` (Sanitizer.jmxSanitize): `->` is quoted."""
LINK = "source=us-west-2, target=us-east-1, topic=us-west-2.orders, partition=0"
MBEANS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # MirrorSourceMetrics: tags in insertion order (source, target, topic, partition).
    (f"kafka.connect.mirror<type=MirrorSourceConnector, {LINK}>",
     ("record-count", "record-rate", "record-age-ms", "record-age-ms-max", "record-age-ms-min", "record-age-ms-avg",
      "byte-count", "byte-rate", "replication-latency-ms", "replication-latency-ms-max", "replication-latency-ms-min",
      "replication-latency-ms-avg")),
    ("kafka.connect.mirror<type=MirrorCheckpointConnector, source=us-west-2, target=us-east-1, group=recommendations, "
     "topic=us-west-2.orders, partition=0>",
     ("checkpoint-latency-ms", "checkpoint-latency-ms-max", "checkpoint-latency-ms-min", "checkpoint-latency-ms-avg")),
    (f"kafka.connect<type=connector-task-metrics, connector={SOURCE_CONNECTOR}, task=0>",
     ("status: running", "running-ratio", "pause-ratio", "batch-size-max", "batch-size-avg",
      "offset-commit-max-time-ms", "offset-commit-failure-percentage")),
    (f"kafka.connect<type=source-task-metrics, connector={SOURCE_CONNECTOR}, task=0>",
     ("source-record-poll-total", "source-record-poll-rate", "source-record-write-total", "source-record-write-rate",
      "poll-batch-max-time-ms", "source-record-active-count")),
    (f"kafka.connect<type=task-error-metrics, connector={SOURCE_CONNECTOR}, task=0>",
     ("total-record-failures", "total-records-skipped", "total-errors-logged")),
    (f"kafka.connect<type=connect-worker-metrics, connector={SOURCE_CONNECTOR}>",
     ("connector-total-task-count", "connector-running-task-count", "connector-failed-task-count",
      "connector-unassigned-task-count")),
    ("kafka.connect<type=connect-worker-metrics>",
     ("connector-count", "task-count", "connector-startup-failure-total", "task-startup-failure-total")),
)
"""MBeans of a MirrorMaker 2 (Kafka 4 Connect) worker as the JMX exporter formats them, with attributes (a string
attribute as `name: value`), from the Kafka sources cited in components/kafka_mirror_metrics.py."""


def _scrape(config: dict[str, Any], bean: str, attribute: str) -> tuple[str, str, dict[str, str]] | None:
    """The JMX exporter's first matching rule for one attribute: (name, type, labels), or None."""
    text = f"{bean}<>{attribute}" if ": " in attribute else f"{bean}<>{attribute}: 1.0"
    for rule in config["rules"]:
        match = re.fullmatch(f"^.*(?:{rule['pattern']}).*$", text)
        if match is None:
            continue

        def expand(template: str, found: re.Match[str] = match) -> str:
            return re.sub(r"\$(\d+)", lambda ref: found.group(int(ref.group(1))), template)

        name = re.sub(r"_+", "_", re.sub(r"[^a-zA-Z0-9:_]", "_", expand(rule["name"])))
        labels = {expand(key): expand(value) for key, value in rule.get("labels", {}).items()}
        if config.get("lowercaseOutputName"):
            name = name.lower()
        if config.get("lowercaseOutputLabelNames"):
            labels = {key.lower(): value for key, value in labels.items()}
        return name, rule["type"], labels
    return None


def _exported() -> dict[str, list[tuple[str, dict[str, str]]]]:
    config = yaml.safe_load(mm2.metrics_config_yaml())
    found: dict[str, list[tuple[str, dict[str, str]]]] = {}
    for bean, attributes in MBEANS:
        for attribute in attributes:
            scraped = _scrape(config, bean, attribute)
            if scraped is not None:
                found.setdefault(scraped[0], []).append((scraped[1], scraped[2]))
    return found


def test_every_catalogued_family_is_what_the_rules_make_of_a_real_mbean() -> None:
    exported = _exported()
    for family in catalog.FAMILIES:
        assert family.name in exported, f"no rule yields {family.name}; exported: {sorted(exported)}"
        (kind, labels), *duplicates = exported[family.name]
        assert not duplicates, f"{family.name} is yielded by several attributes of one MBean"
        assert kind.lower() == family.type, family.name
        for own in family.labels:
            assert set(own) == set(labels), f"{family.name}: catalog labels {set(own)}, exporter {set(labels)}"


def test_task_status_is_one_series_per_state_with_the_jmx_quoted_connector() -> None:
    scraped = _scrape(mm2.metrics_config(), MBEANS[2][0], "status: failed")
    assert scraped == ("kafka_connect_connector_status", "GAUGE",
                       {"connector": SOURCE_CONNECTOR, "task": "0", "status": "failed"})
    status_rule = next(rule for rule in mm2.RULES if rule["name"] == "kafka_connect_connector_status")
    assert status_rule["value"] == 1


def test_the_config_map_yaml_is_the_rules_with_lowercase_names() -> None:
    config = yaml.safe_load(mm2.metrics_config_yaml())
    assert config["lowercaseOutputName"] and config["lowercaseOutputLabelNames"]
    assert config["rules"] == [dict(rule) for rule in mm2.RULES]
    assert mm2.CONFIG_KEY == "metrics-config.yml" and mm2.METRICS_CONFIGMAP == "kafka-mirror-maker-2-metrics"


def test_contract_scrapes_every_mm2_pod_with_the_catalogued_exporter() -> None:
    contract = mm2.mirror_contract(region="eu-west-1", cluster_name="meridian-eu-west-1",
                                   thresholds={"record_age_ms": 120_000})
    target, heartbeats = contract.scrape
    assert (contract.kind, contract.namespace, contract.exporter) == ("kafka-mirrormaker2", "kafka", catalog.EXPORTER)
    assert (target.kind, target.job, target.port) == ("PodMonitor", catalog.JOB, "tcp-prometheus")
    assert target.selector == {"strimzi.io/kind": "KafkaMirrorMaker2"}
    assert (heartbeats.kind, heartbeats.job, heartbeats.port) == ("PodMonitor", catalog.HEARTBEATS_JOB,
                                                                  "tcp-prometheus")
    assert heartbeats.selector == {"strimzi.io/kind": "KafkaConnect", "strimzi.io/cluster": "mirror-heartbeats"}
    assert {family.job for family in catalog.FAMILIES} == {t.job for t in contract.scrape}, "every job catalogued"
    assert contract.thresholds["record_age_ms"] == 120_000
    assert contract.thresholds["replication_latency_ms"] == mm2.DEFAULT_THRESHOLDS["replication_latency_ms"]
    assert contract.replicas >= 2 and contract.labels == {"kafka_cluster": "meridian"}


def test_an_unknown_threshold_is_a_config_error_naming_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="replication_latency_ms"):
        mm2.mirror_contract(region="eu-west-1", cluster_name="meridian-eu-west-1", thresholds={"lag_ms": 1})


def _contract() -> Any:
    return mm2.mirror_contract(region="us-east-1", cluster_name="meridian-us-east-1")


def test_rules_and_panels_query_only_catalogued_names_and_fleet_panels_read_recordings() -> None:
    obs = ObservabilityConfig()
    rules = rule_file(_contract(), obs)
    recorded = {rule["record"] for group in rules["groups"] for rule in group["rules"] if "record" in rule}
    known = {family.name for family in catalog.FAMILIES} | recorded | {"up"}
    for group in rules["groups"]:
        for rule in group["rules"]:
            assert not metric_names(rule["expr"]) - known, rule
    queries = panel_queries(kind_dashboard(_contract(), obs))
    assert len(queries) >= 4
    for title, expr in queries:
        assert FILTER in expr and not metric_names(expr) - known, title
    assert 2 <= len(FLEET_PANELS) <= 4 and all(panel.expr in recorded for panel in FLEET_PANELS)
