"""Kubernetes dashboard: nodes ready and their CPU, memory and disk; pods by phase, restarts, workloads short of
replicas, throttling; volume usage; the API server's request rate, errors and latency."""

from __future__ import annotations

from typing import Final

from grafana_foundation_sdk.builders.dashboard import Dashboard

from components.contracts import MonitoringContract
from dashboards.common import (
    FILTER,
    GREEN,
    RATE,
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

FLEET_PANELS: Final = (
    FleetPanel(title="Kubernetes: nodes ready", expr="cluster:kube_nodes_ready:sum", unit="short",
               limits=thresholds((None, GREEN))),
    FleetPanel(title="Kubernetes: pods not ready", expr="cluster:kube_pods_not_ready:count", unit="short",
               limits=rising(1, 5)),
    FleetPanel(title="Kubernetes: node CPU utilisation", expr="cluster:node_cpu_utilisation:ratio_rate5m",
               unit="percentunit", limits=rising(0.7, 0.9)),
    FleetPanel(title="Kubernetes: node memory utilisation", expr="cluster:node_memory_utilisation:ratio",
               unit="percentunit", limits=rising(0.8, 0.9)),
)
_COUNT: Final = thresholds((None, GREEN))
"""Counts with no bad level (requests, pods per phase)."""
_NOT_READY: Final = (
    f'(max by (namespace, pod) (kube_pod_status_phase{{{FILTER}, phase=~"Pending|Unknown"}}) == 1) or '
    f'((max by (namespace, pod) (kube_pod_status_ready{{{FILTER}, condition="false"}}) == 1) and on (namespace, pod) '
    f'(max by (namespace, pod) (kube_pod_status_phase{{{FILTER}, phase="Running"}}) == 1))')
_PVC: Final = "namespace, persistentvolumeclaim"
_APISERVER_ERRORS: Final = (f'(sum(rate(apiserver_request_total{{{FILTER}, code=~"5.."}}[{RATE}])) or '
                            f"sum(rate(apiserver_request_total{{{FILTER}}}[{RATE}])) * 0) "
                            f"/ sum(rate(apiserver_request_total{{{FILTER}}}[{RATE}]))")
"""Share of API server requests answered with 5xx (0 when none failed)."""


def build(contract: MonitoringContract, obs: ObservabilityConfig) -> Dashboard:
    """The cluster dashboard of one region."""
    t = contract.thresholds
    ready = f'kube_node_status_condition{{{FILTER}, condition="Ready", status="true"}}'
    dashboard = (
        new_dashboard(f"Kubernetes · {contract.region}", kind=contract.kind, region=contract.region, obs=obs)
        .with_row(row("Cluster"))
        .with_panel(stat_panel("Nodes ready", query(f"sum({ready})", instant=True), unit="short",
                               limits=falling(contract.replicas, contract.replicas - 1),
                               description=f"The node groups plan {contract.replicas} nodes."))
        .with_panel(stat_panel("Pods not ready", query(f"count({_NOT_READY}) or vector(0)", instant=True),
                               unit="short", limits=rising(1, 5)))
        .with_panel(stat_panel("Containers crash-looping", query(
            f'count(kube_pod_container_status_waiting_reason{{{FILTER}, reason="CrashLoopBackOff"}} == 1) '
            "or vector(0)", instant=True), unit="short", limits=rising(1, 1)))
        .with_panel(stat_panel("Nodes under pressure", query(
            f'count(kube_node_status_condition{{{FILTER}, condition=~"MemoryPressure|DiskPressure|PIDPressure", '
            'status="true"} == 1) or vector(0)', instant=True), unit="short", limits=rising(1, 1)))
        .with_panel(stat_panel("Fullest volume", query(
            f"max({_used_ratio()})", instant=True), unit="percentunit",
            limits=rising(1 - t["volume_free_ratio_warning"], 1 - t["volume_free_ratio_critical"])))
        .with_panel(stat_panel("API server 5xx", query(_APISERVER_ERRORS, instant=True), unit="percentunit",
                               limits=rising(t["apiserver_error_ratio"] / 2, t["apiserver_error_ratio"])))
        .with_row(row("Nodes"))
        .with_panel(timeseries_panel("CPU utilisation per node", [query(
            f'1 - avg by (instance) (rate(node_cpu_seconds_total{{{FILTER}, mode="idle"}}[{RATE}]))',
            "{{instance}}")], unit="percentunit", limits=rising(0.7, 0.9), width=8))
        .with_panel(timeseries_panel("Memory used per node", [query(
            f"1 - node_memory_MemAvailable_bytes{{{FILTER}}} / node_memory_MemTotal_bytes{{{FILTER}}}",
            "{{instance}}")], unit="percentunit", limits=rising(0.8, 1 - t["node_memory_available_ratio"]),
            width=8))
        .with_panel(timeseries_panel("Root filesystem used per node", [query(
            f'1 - node_filesystem_avail_bytes{{{FILTER}, mountpoint="/"}} '
            f'/ node_filesystem_size_bytes{{{FILTER}, mountpoint="/"}}', "{{instance}}")], unit="percentunit",
            limits=rising(0.8, 1 - t["node_filesystem_free_ratio"]), width=8))
        .with_panel(timeseries_panel("Nodes ready", [query(f"sum({ready})", "ready")], unit="short",
                                     limits=falling(contract.replicas, contract.replicas - 1)))
        .with_panel(timeseries_panel("Network traffic per node", [
            query(f"sum by (instance) (rate(node_network_receive_bytes_total{{{FILTER}}}[{RATE}]))",
                  "{{instance}} in"),
            query(f"sum by (instance) (rate(node_network_transmit_bytes_total{{{FILTER}}}[{RATE}]))",
                  "{{instance}} out", ref_id="B")], unit="Bps", limits=_COUNT))
        .with_row(row("Workloads"))
        .with_panel(timeseries_panel("Pods by phase", [query(
            f"sum by (phase) (kube_pod_status_phase{{{FILTER}}} == 1)", "{{phase}}")], unit="short",
            limits=_COUNT, width=8))
        .with_panel(timeseries_panel("Container restarts in the last hour (top 10)", [query(
            f"topk(10, sum by (namespace, pod) (increase(kube_pod_container_status_restarts_total{{{FILTER}}}[1h])))",
            "{{namespace}}/{{pod}}")], unit="short", limits=rising(1, 5), width=8))
        .with_panel(timeseries_panel("CPU throttled share (top 10)", [query(
            f'topk(10, sum by (namespace, pod, container) (rate(container_cpu_cfs_throttled_periods_total{{{FILTER}, '
            f'container!=""}}[{RATE}])) / sum by (namespace, pod, container) (rate(container_cpu_cfs_periods_total'
            f'{{{FILTER}, container!=""}}[{RATE}])))', "{{namespace}}/{{pod}} {{container}}")], unit="percentunit",
            limits=rising(t["cpu_throttling_ratio"] / 2, t["cpu_throttling_ratio"]), width=8))
        .with_panel(timeseries_panel("Replicas missing per StatefulSet and Deployment", [
            query(f"max by (namespace, statefulset) (kube_statefulset_replicas{{{FILTER}}}) - max by (namespace, "
                  f"statefulset) (kube_statefulset_status_replicas_ready{{{FILTER}}})",
                  "{{namespace}}/{{statefulset}}"),
            query(f"max by (namespace, deployment) (kube_deployment_spec_replicas{{{FILTER}}}) - max by (namespace, "
                  f"deployment) (kube_deployment_status_replicas_available{{{FILTER}}})",
                  "{{namespace}}/{{deployment}}", ref_id="B")], unit="short", limits=rising(1, 1)))
        .with_panel(timeseries_panel("Memory working set per container (top 10)", [query(
            f'topk(10, sum by (namespace, pod, container) (container_memory_working_set_bytes{{{FILTER}, '
            'container!=""}))', "{{namespace}}/{{pod}} {{container}}")], unit="bytes", limits=_COUNT))
        .with_row(row("Volumes"))
        .with_panel(timeseries_panel("Volume used per claim", [query(_used_ratio(), "{{namespace}}/"
                                                                     "{{persistentvolumeclaim}}")],
                                     unit="percentunit", width=24, limits=rising(
                                         1 - t["volume_free_ratio_warning"], 1 - t["volume_free_ratio_critical"])))
        .with_row(row("API server"))
        .with_panel(timeseries_panel("Requests by code", [query(
            f"sum by (code) (rate(apiserver_request_total{{{FILTER}}}[{RATE}]))", "{{code}}")], unit="reqps",
            limits=_COUNT, width=8))
        .with_panel(timeseries_panel("5xx ratio", [query(_APISERVER_ERRORS, "5xx")], unit="percentunit",
                                     limits=rising(t["apiserver_error_ratio"] / 2, t["apiserver_error_ratio"]),
                                     width=8))
        .with_panel(timeseries_panel("p99 latency by verb (no WATCH)", [query(
            f"histogram_quantile(0.99, sum by (le, verb) (rate(apiserver_request_duration_seconds_bucket{{{FILTER}, "
            f'verb!="WATCH"}}[{RATE}])))', "{{verb}}")], unit="s", limits=rising(0.5, 1.0), width=8)))
    return dashboard


def _used_ratio() -> str:
    """Share of each claim's volume in use (the kubelet of the claim's node reports it)."""
    return (f"1 - max by ({_PVC}) (kubelet_volume_stats_available_bytes{{{FILTER}}}) "
            f"/ max by ({_PVC}) (kubelet_volume_stats_capacity_bytes{{{FILTER}}})")


