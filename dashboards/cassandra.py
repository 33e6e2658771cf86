"""Cassandra dashboard: nodes per rack, client requests (rates, latency percentiles, errors), compactions and
dropped messages, JVM heap and GC, disk, thread pools. Metrics: observability/catalog/cassandra.py (latencies are
histograms in microseconds) and the kubelet's volume stats of the `server-data-*` claims."""

from __future__ import annotations

from typing import Final

from grafana_foundation_sdk.builders.dashboard import Dashboard
from grafana_foundation_sdk.builders.prometheus import Dataquery

from components.contracts import MonitoringContract
from dashboards.common import (
    FILTER,
    GREEN,
    RATE,
    FleetPanel,
    falling,
    job_selector,
    new_dashboard,
    query,
    rising,
    row,
    stat_panel,
    thresholds,
    timeseries_panel,
)
from observability.config import ObservabilityConfig

PREFIX: Final = "org_apache_cassandra_metrics_"
LATENCY_SLOW_S: Final = (0.05, 0.2)
"""Coordinator latency (seconds) drawn yellow and red: a guide for the eye, no alert uses it."""
NEUTRAL: Final = thresholds((None, GREEN))

FLEET_PANELS: Final = (
    # Limits for the default datacenter of three nodes (one per zone).
    FleetPanel(title="Cassandra: nodes up", expr="cluster:cassandra_nodes_up:count", unit="short",
               limits=falling(3, 2)),
    FleetPanel(title="Cassandra: p99 client request latency",
               expr="cluster:cassandra_client_request_latency_seconds:p99", unit="s", limits=rising(*LATENCY_SLOW_S)),
    FleetPanel(title="Cassandra: fullest data volume", expr="cluster:cassandra_disk_used:ratio_max",
               unit="percentunit", limits=rising(0.7, 0.8)),
    FleetPanel(title="Cassandra: most pending compactions on a node", expr="cluster:cassandra_pending_compactions:max",
               unit="short", limits=rising(50, 100)),
)


def build(contract: MonitoringContract, obs: ObservabilityConfig) -> Dashboard:
    """The Cassandra dashboard of one region."""
    job, t, nodes = contract.scrape[0].job, contract.thresholds, contract.replicas
    sel = job_selector(job)
    gossip = PREFIX + "thread_pools_completed_tasks" + job_selector(job, 'pool_name="GossipStage"')
    nodes_up = f"(sum by (instance) (rate({gossip}[{RATE}])) > 0) and on (instance) (up{sel} == 1)"
    dashboard = (new_dashboard(f"Cassandra · {contract.region}", kind=contract.kind, region=contract.region, obs=obs)
                 .with_row(row("Nodes"))
                 .with_panel(stat_panel("Nodes up", query(f"count({nodes_up}) or vector(0)", instant=True),
                                        unit="short", limits=falling(nodes, nodes - 1),
                                        description="Nodes whose metrics endpoint answers and that gossip."))
                 .with_panel(stat_panel("Connected CQL clients", query(
                     f"sum({PREFIX}client_connected_native_clients{sel})", instant=True), unit="short",
                     limits=NEUTRAL))
                 .with_panel(timeseries_panel("Nodes gossiping, per rack", [query(
                     f"count by (rack) (sum by (rack, instance) (rate({gossip}[{RATE}])) > 0)", "{{rack}}")],
                     unit="short", limits=NEUTRAL, width=16)))
    dashboard = _requests(dashboard, job)
    return _internals(dashboard, job, t, contract.namespace)


def _latency(job: str, request_type: str) -> list[Dataquery]:
    bucket = PREFIX + "client_request_latency_bucket" + job_selector(job, f'request_type="{request_type}"')
    return [query(f"histogram_quantile({q}, sum by (le) (rate({bucket}[{RATE}]))) / 1e6", f"p{label}", ref)
            for q, label, ref in ((0.5, "50", "A"), (0.95, "95", "B"), (0.99, "99", "C"))]


def _requests(dashboard: Dashboard, job: str) -> Dashboard:
    sel = job_selector(job)
    errors = [query(f"sum by (request_type) (rate({PREFIX}client_request_{kind}_total{sel}[{RATE}]))",
                    f"{{{{request_type}}}} {kind}", ref)
              for kind, ref in (("timeouts", "A"), ("unavailables", "B"), ("failures", "C"))]
    return (dashboard.with_row(row("Client requests"))
            .with_panel(timeseries_panel("Requests per second, per type", [query(
                f"sum by (request_type) (rate({PREFIX}client_request_latency_count{sel}[{RATE}]))",
                "{{request_type}}")], unit="reqps", limits=NEUTRAL, width=24))
            .with_panel(timeseries_panel("Read latency (coordinator)", _latency(job, "Read"),
                                         unit="s", limits=rising(*LATENCY_SLOW_S)))
            .with_panel(timeseries_panel("Write latency (coordinator)", _latency(job, "Write"),
                                         unit="s", limits=rising(*LATENCY_SLOW_S)))
            .with_panel(timeseries_panel("Timeouts, unavailables and failures per second", errors, unit="reqps",
                                         limits=rising(0.1, 1), width=24)))


def _internals(dashboard: Dashboard, job: str, t: dict[str, float], namespace: str) -> Dashboard:
    sel = job_selector(job)
    heap_area = job_selector(job, 'area="heap"')
    heap = f"jvm_memory_bytes_used{heap_area} / jvm_memory_bytes_max{heap_area}"
    pvc = f'{{{FILTER}, namespace="{namespace}", persistentvolumeclaim=~"server-data-.*"}}'

    def pools(metric: str) -> str:
        return f"{PREFIX}thread_pools_{metric}{sel}"

    return (dashboard.with_row(row("Compaction and messages"))
            .with_panel(timeseries_panel("Pending compactions per node", [query(
                f"max by (pod) ({PREFIX}compaction_pending_tasks{sel})", "{{pod}}")], unit="short",
                limits=rising(t["pending_compactions"] / 2, t["pending_compactions"])))
            .with_panel(timeseries_panel("Dropped messages per node", [query(
                f"sum by (pod) (rate({PREFIX}dropped_message_dropped_total{sel}[{RATE}]))", "{{pod}}")],
                unit="ops", limits=rising(t["dropped_messages_per_second"] / 2, t["dropped_messages_per_second"])))
            .with_row(row("JVM and disk"))
            .with_panel(timeseries_panel("Heap used per node", [query(heap, "{{pod}}")], unit="percentunit",
                                         limits=rising(t["heap_used_ratio"] - 0.1, t["heap_used_ratio"])))
            .with_panel(timeseries_panel("Share of time in GC per node", [query(
                f"sum by (pod) (rate(jvm_gc_collection_seconds_sum{sel}[{RATE}]))", "{{pod}}")],
                unit="percentunit", limits=rising(0.05, 0.1)))
            .with_panel(timeseries_panel("Data volume used per node", [query(
                f"kubelet_volume_stats_used_bytes{pvc} / kubelet_volume_stats_capacity_bytes{pvc}",
                "{{persistentvolumeclaim}}")], unit="percentunit",
                limits=rising(t["disk_used_ratio"] - 0.1, t["disk_used_ratio"])))
            .with_panel(timeseries_panel("Live data per node", [query(
                f"max by (pod) ({PREFIX}storage_load{sel})", "{{pod}}")], unit="bytes", limits=NEUTRAL))
            .with_row(row("Thread pools"))
            .with_panel(timeseries_panel("Pending tasks per pool", [query(
                f"sum by (pool_name) ({pools('pending_tasks')})", "{{pool_name}}")], unit="short",
                limits=rising(10, 100), width=8))
            .with_panel(timeseries_panel("Active tasks per pool", [query(
                f"sum by (pool_name) ({pools('active_tasks')})", "{{pool_name}}")], unit="short",
                limits=NEUTRAL, width=8))
            .with_panel(timeseries_panel("Blocked tasks per second per pool", [query(
                f"sum by (pool_name) (rate({pools('total_blocked_tasks')}[{RATE}]))", "{{pool_name}}")],
                unit="ops", limits=rising(0.01, 1), width=8)))
