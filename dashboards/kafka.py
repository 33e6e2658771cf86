"""Kafka dashboard: brokers and controllers, partition health, throughput, requests, consumer lag, replication,
storage, JVM and the Strimzi operator. Metrics: observability/catalog/kafka.py."""

from __future__ import annotations

from typing import Final

from grafana_foundation_sdk.builders.dashboard import Dashboard

from components.contracts import MonitoringContract
from dashboards.common import (
    FILTER,
    GREEN,
    RATE,
    RED,
    FleetPanel,
    falling,
    new_dashboard,
    query,
    rising,
    row,
    stat_panel,
    thresholds,
    timeseries_panel,
)
from observability.config import ObservabilityConfig

K: Final = f'{FILTER}, job="kafka"'
EXPORTER: Final = f'{FILTER}, job="kafka-exporter"'
OPERATOR: Final = f'{FILTER}, job="strimzi-cluster-operator"'
NONE: Final = thresholds((None, GREEN))
"""For panels with no bad level (throughput, rates): a plain base colour."""

FLEET_PANELS: Final = (
    FleetPanel(title="Kafka: under-replicated partitions",
               expr="cluster:kafka_server_replicamanager_underreplicatedpartitions:sum", unit="short",
               limits=rising(1, 1)),
    FleetPanel(title="Kafka: offline partitions",
               expr="cluster:kafka_controller_kafkacontroller_offlinepartitionscount:max", unit="short",
               limits=rising(1, 1)),
    FleetPanel(title="Kafka: largest consumer group lag", expr="cluster:kafka_consumergroup_lag:max", unit="short",
               limits=rising(5_000, 10_000)),
    FleetPanel(title="Kafka: bytes in", expr="cluster:kafka_server_brokertopicmetrics_bytesin:rate5m", unit="Bps",
               limits=NONE),
)


def _pvc(contract: MonitoringContract) -> str:
    """Selector of the Strimzi cluster's JBOD volumes (`data-<volume>-<cluster>-<pool>-<node id>`)."""
    return f'{FILTER}, persistentvolumeclaim=~"data-[0-9]+-{contract.labels["kafka_cluster"]}-.+"'


def build(contract: MonitoringContract, obs: ObservabilityConfig) -> Dashboard:
    """The Kafka dashboard of one region."""
    dashboard = new_dashboard(f"Kafka · {contract.region}", kind=contract.kind, region=contract.region, obs=obs)
    return _health(_traffic(_cluster(dashboard, contract), contract.thresholds), contract.thresholds, _pvc(contract))


def _cluster(dashboard: Dashboard, contract: MonitoringContract) -> Dashboard:
    """Membership, controllers and partition health."""
    return (
        dashboard.with_row(row("Cluster"))
        .with_panel(stat_panel("Brokers and controllers up", query(f"sum(up{{{K}}})", instant=True), unit="short",
                               limits=falling(contract.replicas, contract.replicas - 1)))
        .with_panel(stat_panel("Active controllers", query(
            f"sum(kafka_controller_kafkacontroller_activecontrollercount{{{K}}})", instant=True), unit="short",
            limits=thresholds((None, RED), (1, GREEN), (2, RED)),
            description="Exactly one KRaft controller must be active."))
        .with_panel(stat_panel("Offline partitions", query(
            f"max(kafka_controller_kafkacontroller_offlinepartitionscount{{{K}}}) or vector(0)", instant=True),
            unit="short", limits=rising(1, 1)))
        .with_panel(stat_panel("Under-replicated partitions", query(
            f"sum(kafka_server_replicamanager_underreplicatedpartitions{{{K}}}) or vector(0)", instant=True),
            unit="short", limits=rising(1, 1)))
        .with_panel(stat_panel("Under min ISR partitions", query(
            f"sum(kafka_server_replicamanager_underminisrpartitioncount{{{K}}}) or vector(0)", instant=True),
            unit="short", limits=rising(1, 1)))
        .with_panel(stat_panel("Fenced brokers", query(
            f"max(kafka_controller_kafkacontroller_fencedbrokercount{{{K}}}) or vector(0)", instant=True),
            unit="short", limits=rising(1, 1)))
        .with_panel(timeseries_panel("Partitions at or below min ISR", [
            query(f"sum(kafka_server_replicamanager_atminisrpartitioncount{{{K}}}) or vector(0)", "at min ISR"),
            query(f"sum(kafka_server_replicamanager_underminisrpartitioncount{{{K}}}) or vector(0)", "under min ISR")],
            unit="short", limits=rising(1, 1)))
        .with_panel(timeseries_panel("KRaft roles", [query(
            f"count by (current_state) (kafka_server_raftmetrics_current_state{{{K}}} == 1)", "{{current_state}}")],
            unit="short", limits=NONE)))


def _traffic(dashboard: Dashboard, t: dict[str, float]) -> Dashboard:
    """Throughput and requests."""
    return (
        dashboard.with_row(row("Throughput"))
        .with_panel(timeseries_panel("Bytes in and out", [
            query(f'sum(rate(kafka_server_brokertopicmetrics_bytesin_total{{{K}, topic=""}}[{RATE}]))', "in"),
            query(f'sum(rate(kafka_server_brokertopicmetrics_bytesout_total{{{K}, topic=""}}[{RATE}]))', "out")],
            unit="Bps", limits=NONE))
        .with_panel(timeseries_panel("Messages in per topic", [query(
            f'sum by (topic) (rate(kafka_server_brokertopicmetrics_messagesin_total{{{K}, topic!=""}}[{RATE}]))',
            "{{topic}}")], unit="short", limits=NONE))
        .with_panel(timeseries_panel("Bytes in per broker", [query(
            f'sum by (pod) (rate(kafka_server_brokertopicmetrics_bytesin_total{{{K}, topic=""}}[{RATE}]))',
            "{{pod}}")], unit="Bps", limits=NONE, width=24))
        .with_row(row("Requests"))
        .with_panel(timeseries_panel("Requests per type", [query(
            f"sum by (request) (rate(kafka_network_requestmetrics_requests_total{{{K}}}[{RATE}]))", "{{request}}")],
            unit="reqps", limits=NONE))
        .with_panel(timeseries_panel("Failed produce and fetch requests", [
            query(_failed_ratio("produce"), "produce"), query(_failed_ratio("fetch"), "fetch")],
            unit="percentunit", limits=rising(0.001, 0.01), description="Share of requests that failed (SLIs)."))
        .with_panel(timeseries_panel("Error responses per request and error", [query(
            f'sum by (request, error) (rate(kafka_network_requestmetrics_errors_total{{{K}, error!="NONE"}}[{RATE}]))'
            " or vector(0)", "{{request}} {{error}}")], unit="reqps", limits=rising(1, 10)))
        .with_panel(timeseries_panel("Request total time p99", [query(
            f'max by (request) (kafka_network_requestmetrics_totaltimems{{{K}, quantile="0.99"}})', "{{request}}")],
            unit="ms", limits=rising(500, 1000), description="Fetches wait up to fetch.max.wait.ms by design."))
        .with_panel(timeseries_panel("Request handler idle ratio per broker", [query(
            f"avg by (pod) (rate(kafka_server_kafkarequesthandlerpool_requesthandleravgidlepercent_count{{{K}}}"
            f"[{RATE}])) / 1e9", "{{pod}}")], unit="percentunit",
            limits=falling(t["request_handler_idle_ratio_min"] + 0.1, t["request_handler_idle_ratio_min"])))
        .with_panel(timeseries_panel("Network processor idle ratio per broker", [query(
            f"avg by (pod) (kafka_network_socketserver_networkprocessoravgidle_percent{{{K}}})", "{{pod}}")],
            unit="percentunit", limits=falling(0.3, 0.2))))


def _health(dashboard: Dashboard, t: dict[str, float], pvc: str) -> Dashboard:
    """Consumers, replication, storage, JVM and the operator."""
    lag = t["consumer_lag_records"]
    return (
        dashboard.with_row(row("Consumers"))
        .with_panel(timeseries_panel("Consumer lag per group and topic", [query(
            f"sum by (consumergroup, topic) (kafka_consumergroup_lag{{{EXPORTER}}} >= 0)",
            "{{consumergroup}} {{topic}}")],
            unit="short", limits=rising(lag / 2, lag)))
        .with_panel(timeseries_panel("Consumed records per group and topic", [query(
            f"sum by (consumergroup, topic) (deriv(kafka_consumergroup_current_offset{{{EXPORTER}}}[{RATE}]))",
            "{{consumergroup}} {{topic}}")], unit="short", limits=NONE))
        .with_row(row("Replication"))
        .with_panel(timeseries_panel("ISR shrinks and expands", [
            query(f"sum(rate(kafka_server_replicamanager_isrshrinks_total{{{K}}}[{RATE}]))", "shrinks"),
            query(f"sum(rate(kafka_server_replicamanager_isrexpands_total{{{K}}}[{RATE}]))", "expands")],
            unit="ops", limits=rising(t["isr_shrinks_per_second"] / 2, t["isr_shrinks_per_second"])))
        .with_panel(timeseries_panel("Partitions and leaders per broker", [
            query(f"sum by (pod) (kafka_server_replicamanager_partitioncount{{{K}}})", "{{pod}} partitions"),
            query(f"sum by (pod) (kafka_server_replicamanager_leadercount{{{K}}})", "{{pod}} leaders")],
            unit="short", limits=NONE))
        .with_row(row("Storage"))
        .with_panel(timeseries_panel("Free space per volume", [query(
            f"kubelet_volume_stats_available_bytes{{{pvc}}} / kubelet_volume_stats_capacity_bytes{{{pvc}}}",
            "{{persistentvolumeclaim}}")], unit="percentunit",
            limits=falling(t["disk_free_ratio"], t["disk_free_critical_ratio"])))
        .with_panel(stat_panel("Offline log directories", query(
            f"sum(kafka_log_logmanager_offlinelogdirectorycount{{{K}}}) or vector(0)", instant=True),
            unit="short", limits=rising(1, 1), width=12, height=8))
        .with_row(row("JVM"))
        .with_panel(timeseries_panel("Heap used per pod", [query(
            f'sum by (pod) (jvm_memory_used_bytes{{{K}, area="heap"}}) / sum by (pod) (jvm_memory_max_bytes{{{K}, '
            'area="heap"})', "{{pod}}")], unit="percentunit",
            limits=rising(t["heap_used_ratio"] - 0.1, t["heap_used_ratio"])))
        .with_panel(timeseries_panel("GC time per pod", [query(
            f"sum by (pod) (rate(jvm_gc_collection_seconds_sum{{{K}}}[{RATE}]))", "{{pod}}")],
            unit="percentunit", limits=rising(0.05, 0.1), description="Share of wall time spent in GC."))
        .with_row(row("Strimzi operator"))
        .with_panel(timeseries_panel("Reconciliations per kind", [
            query(f"sum by (kind) (rate(strimzi_reconciliations_total{{{OPERATOR}}}[{RATE}]))", "{{kind}}"),
            query(f"sum by (kind) (rate(strimzi_reconciliations_failed_total{{{OPERATOR}}}[{RATE}]))",
                  "{{kind}} failed")], unit="ops", limits=NONE))
        .with_panel(timeseries_panel("Managed resources per kind", [query(
            f"sum by (kind) (strimzi_resources{{{OPERATOR}}})", "{{kind}}")], unit="short", limits=NONE)))


def _failed_ratio(kind: str) -> str:
    failed, total = (f"kafka_server_brokertopicmetrics_{name}_total" for name in (f"failed{kind}requests",
                                                                                  f"total{kind}requests"))
    return (f'(sum(rate({failed}{{{K}, topic=""}}[{RATE}])) or vector(0)) / '
            f'sum(rate({total}{{{K}, topic=""}}[{RATE}]))')
