"""Elasticsearch dashboard: cluster status, nodes and shards by state, heap and disk per node against the disk
watermarks, indexing and search rates and latencies, thread pool pressure, snapshots and the exporter's collectors.
Metrics: observability/catalog/elasticsearch.py (elasticsearch_exporter v1.11.0)."""

from __future__ import annotations

from typing import Final

from grafana_foundation_sdk.builders.dashboard import Dashboard

from components.contracts import MonitoringContract
from dashboards.common import (
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

NEUTRAL: Final = thresholds((None, GREEN))
STATUS: Final = rising(1, 2)
"""Cluster status as a number: 0 green, 1 yellow, 2 red."""

FLEET_PANELS: Final = (
    FleetPanel(title="Elasticsearch: cluster status (0 green, 1 yellow, 2 red)",
               expr="cluster:elasticsearch_health_status:code", unit="short", limits=STATUS),
    FleetPanel(title="Elasticsearch: unassigned shards", expr="cluster:elasticsearch_unassigned_shards:sum",
               unit="short", limits=rising(1, 1)),
    FleetPanel(title="Elasticsearch: fullest data disk", expr="cluster:elasticsearch_disk_used:ratio_max",
               unit="percentunit", limits=rising(0.85, 0.9)),
    FleetPanel(title="Elasticsearch: fullest heap", expr="cluster:elasticsearch_heap_used:ratio_max",
               unit="percentunit", limits=rising(0.75, 0.85)),
)


def build(contract: MonitoringContract, obs: ObservabilityConfig) -> Dashboard:
    """The Elasticsearch dashboard of one region."""
    job, t = contract.scrape[0].job, contract.thresholds
    dashboard = new_dashboard(f"Elasticsearch · {contract.region}", kind=contract.kind, region=contract.region,
                              obs=obs)
    dashboard = _cluster(dashboard, job, t, contract.replicas)
    dashboard = _nodes(dashboard, job, t)
    return _workload(dashboard, job)


def _cluster(dashboard: Dashboard, job: str, t: dict[str, float], nodes: int) -> Dashboard:
    sel = job_selector(job)
    status = "elasticsearch_cluster_health_status"
    red, yellow, green = (status + job_selector(job, f'color="{color}"') for color in ("red", "yellow", "green"))
    code = f"max((({red} == 1) * 2) or ({yellow} == 1) or (({green} == 1) * 0))"
    unassigned = t["unassigned_shards"] + 1
    health = "elasticsearch_cluster_health_"
    states = [query(f"max({health}{name}{sel})", legend, ref) for name, legend, ref in (
        ("active_primary_shards", "active primaries", "A"), ("active_shards", "active", "B"),
        ("relocating_shards", "relocating", "C"), ("initializing_shards", "initializing", "D"),
        ("unassigned_shards", "unassigned", "E"), ("delayed_unassigned_shards", "delayed unassigned", "F"))]
    return (dashboard.with_row(row("Cluster"))
            .with_panel(stat_panel("Cluster status", query(code, instant=True), unit="short", limits=STATUS,
                                   description="0 green, 1 yellow (replicas unassigned), 2 red (primaries "
                                               "unassigned)."))
            .with_panel(stat_panel("Nodes", query(f"max({health}number_of_nodes{sel})", instant=True),
                                   unit="short", limits=falling(nodes, nodes - 1)))
            .with_panel(stat_panel("Data nodes", query(f"max({health}number_of_data_nodes{sel})", instant=True),
                                   unit="short", limits=NEUTRAL))
            .with_panel(stat_panel("Unassigned shards", query(f"max({health}unassigned_shards{sel})", instant=True),
                                   unit="short", limits=rising(unassigned, unassigned)))
            .with_panel(stat_panel("Read-only indices", query(
                f"max(elasticsearch_indices_settings_stats_read_only_indices{sel}) or vector(0)", instant=True),
                unit="short", limits=rising(1, 1)))
            .with_panel(stat_panel("Pending cluster tasks", query(
                f"max({health}number_of_pending_tasks{sel})", instant=True), unit="short", limits=rising(5, 50)))
            .with_row(row("Shards"))
            .with_panel(timeseries_panel("Shards by state", states, unit="short", limits=NEUTRAL))
            .with_panel(timeseries_panel("Shards per node", [query(
                f"sum by (node) (elasticsearch_node_shards_total{sel})", "{{node}}")], unit="short",
                limits=NEUTRAL)))


def _nodes(dashboard: Dashboard, job: str, t: dict[str, float]) -> Dashboard:
    heap_area = job_selector(job, 'area="heap"')
    sel = job_selector(job)
    high = t["disk_watermark_high_ratio"]
    disk = [query(f"max by (name) (1 - elasticsearch_filesystem_data_available_bytes{sel}"
                  f" / elasticsearch_filesystem_data_size_bytes{sel})", "{{name}}", "A"),
            query(f"max(elasticsearch_clustersettings_allocation_watermark_high_ratio{sel})", "high watermark", "B"),
            query(f"max(elasticsearch_clustersettings_allocation_watermark_flood_stage_ratio{sel})",
                  "flood-stage watermark", "C")]
    return (dashboard.with_row(row("Nodes"))
            .with_panel(timeseries_panel("Heap used per node", [query(
                f"max by (name) (elasticsearch_jvm_memory_used_bytes{heap_area}"
                f" / elasticsearch_jvm_memory_max_bytes{heap_area})", "{{name}}")], unit="percentunit",
                limits=rising(t["heap_used_ratio"] - 0.1, t["heap_used_ratio"])))
            .with_panel(timeseries_panel("Data disk used per node, against the watermarks", disk,
                                         unit="percentunit", limits=rising(high - 0.05, high))))


def _workload(dashboard: Dashboard, job: str) -> Dashboard:
    sel = job_selector(job)
    indices = "elasticsearch_indices_"
    pools = job_selector(job, 'type=~"search|write"')
    return (dashboard.with_row(row("Indexing and search"))
            .with_panel(timeseries_panel("Documents indexed per second, per node", [query(
                f"sum by (name) (rate({indices}indexing_index_total{sel}[{RATE}]))", "{{name}}")], unit="ops",
                limits=NEUTRAL))
            .with_panel(timeseries_panel("Mean indexing time per document, per node", [query(
                f"sum by (name) (rate({indices}indexing_index_time_seconds_total{sel}[{RATE}]))"
                f" / sum by (name) (rate({indices}indexing_index_total{sel}[{RATE}]))", "{{name}}")], unit="s",
                limits=rising(0.005, 0.02)))
            .with_panel(timeseries_panel("Search queries per second (shard query phases), per node", [query(
                f"sum by (name) (rate({indices}search_query_total{sel}[{RATE}]))", "{{name}}")], unit="ops",
                limits=NEUTRAL))
            .with_panel(timeseries_panel("Mean search query phase time, per node", [query(
                f"sum by (name) (rate({indices}search_query_time_seconds{sel}[{RATE}]))"
                f" / sum by (name) (rate({indices}search_query_total{sel}[{RATE}]))", "{{name}}")], unit="s",
                limits=rising(0.1, 0.5)))
            .with_panel(timeseries_panel("Thread pool rejections per second", [query(
                f"sum by (name, type) (rate(elasticsearch_thread_pool_rejected_count{pools}[{RATE}]))",
                "{{name}} {{type}}")], unit="ops", limits=rising(0.01, 1)))
            .with_panel(timeseries_panel("Thread pool queue", [query(
                f"sum by (name, type) (elasticsearch_thread_pool_queue_count{pools})", "{{name}} {{type}}")],
                unit="short", limits=rising(100, 500)))
            .with_row(row("Snapshots and exporter"))
            .with_panel(timeseries_panel("Snapshots taken and failed, last 24 hours", [
                query(f"sum by (policy) (increase(elasticsearch_slm_stats_snapshots_taken_total{sel}[1d]))",
                      "{{policy}} taken", "A"),
                query(f"sum by (policy) (increase(elasticsearch_slm_stats_snapshots_failed_total{sel}[1d]))",
                      "{{policy}} failed", "B")], unit="short", limits=NEUTRAL))
            .with_panel(timeseries_panel("Exporter collectors succeeding", [query(
                f"min by (collector) (elasticsearch_scrape_success{sel})", "{{collector}}")], unit="short",
                limits=falling(1, 1))))
