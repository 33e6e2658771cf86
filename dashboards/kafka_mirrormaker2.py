"""MirrorMaker 2 dashboard: per-link replication latency, record age and throughput, checkpoints, Connect task
health. Metrics: observability/catalog/kafka_mirrormaker2.py."""

from __future__ import annotations

from typing import Final

from grafana_foundation_sdk.builders.dashboard import Dashboard

from components.contracts import MonitoringContract
from dashboards.common import (
    FILTER,
    GREEN,
    RATE,
    FleetPanel,
    new_dashboard,
    query,
    rising,
    row,
    stat_panel,
    thresholds,
    timeseries_panel,
)
from observability.config import ObservabilityConfig

NONE: Final = thresholds((None, GREEN))
"""For throughput panels: no bad level."""
LINK: Final = "{{source}} -> {{target}}"

FLEET_PANELS: Final = (
    FleetPanel(title="MirrorMaker 2: max replication latency", expr="cluster:mirrormaker2_replication_latency_ms:max",
               unit="ms", limits=rising(30_000, 300_000)),
    FleetPanel(title="MirrorMaker 2: max record age", expr="cluster:mirrormaker2_record_age_ms:max", unit="ms",
               limits=rising(600_000, 1_200_000)),
    FleetPanel(title="MirrorMaker 2: records mirrored", expr="cluster:mirrormaker2_record_rate:sum", unit="rps",
               limits=NONE),
    FleetPanel(title="MirrorMaker 2: tasks not running", expr="cluster:mirrormaker2_tasks_not_running:count",
               unit="short", limits=rising(1, 1)),
)


def build(contract: MonitoringContract, obs: ObservabilityConfig) -> Dashboard:
    """The MirrorMaker 2 dashboard of one region (every `mirror-from-<region>` link into it)."""
    t, sel = contract.thresholds, f'{FILTER}, job="{contract.scrape[0].job}"'
    latency = rising(t["replication_latency_ms"], t["replication_latency_critical_ms"])
    age = rising(t["record_age_ms"], 2 * t["record_age_ms"])
    return (new_dashboard(f"MirrorMaker 2 · {contract.region}", kind=contract.kind, region=contract.region, obs=obs)
            .with_row(row("Links"))
            .with_panel(stat_panel("Max replication latency", query(
                f"max(kafka_connect_mirror_mirrorsourceconnector_replication_latency_ms_max{{{sel}}})",
                instant=True), unit="ms", limits=latency))
            .with_panel(stat_panel("Max record age", query(
                f"max(kafka_connect_mirror_mirrorsourceconnector_record_age_ms_max{{{sel}}})", instant=True),
                unit="ms", limits=age))
            .with_panel(stat_panel("Tasks not running", query(
                f'count(kafka_connect_connector_status{{{sel}, status!="running"}} == 1) or vector(0)',
                instant=True), unit="short", limits=rising(1, 1)))
            .with_panel(stat_panel("Failed tasks", query(
                f"sum(kafka_connect_worker_connector_failed_task_count{{{sel}}}) or vector(0)", instant=True),
                unit="short", limits=rising(1, 1)))
            .with_panel(timeseries_panel("Replication latency per link (max)", [query(
                f"max by (source, target) (kafka_connect_mirror_mirrorsourceconnector_replication_latency_ms_max"
                f"{{{sel}}})", LINK)], unit="ms", limits=latency))
            .with_panel(timeseries_panel("Record age per link (max)", [query(
                f"max by (source, target) (kafka_connect_mirror_mirrorsourceconnector_record_age_ms_max{{{sel}}})",
                LINK)], unit="ms", limits=age))
            .with_panel(timeseries_panel("Records mirrored per link", [query(
                f"sum by (source, target) (kafka_connect_mirror_mirrorsourceconnector_record_rate{{{sel}}})",
                LINK)], unit="rps", limits=NONE))
            .with_panel(timeseries_panel("Bytes mirrored per link", [query(
                f"sum by (source, target) (kafka_connect_mirror_mirrorsourceconnector_byte_rate{{{sel}}})",
                LINK)], unit="Bps", limits=NONE))
            .with_panel(timeseries_panel("Checkpoint latency per link (max)", [query(
                f"max by (source, target) (kafka_connect_mirror_mirrorcheckpointconnector_checkpoint_latency_ms_max"
                f"{{{sel}}})", LINK)], unit="ms", limits=rising(t["checkpoint_latency_ms"],
                                                                 2 * t["checkpoint_latency_ms"])))
            .with_row(row("Connect tasks"))
            .with_panel(timeseries_panel("Source records polled vs written", [
                query(f"sum by (connector) (rate(kafka_connect_source_task_source_record_poll_total{{{sel}}}"
                      f"[{RATE}]))", "polled {{connector}}"),
                query(f"sum by (connector) (rate(kafka_connect_source_task_source_record_write_total{{{sel}}}"
                      f"[{RATE}]))", "written {{connector}}", ref_id="B")], unit="rps", limits=NONE))
            .with_panel(timeseries_panel("Running tasks per connector", [query(
                f"sum by (connector) (kafka_connect_worker_connector_running_task_count{{{sel}}})",
                "{{connector}}")], unit="short", limits=NONE,
                description="Tasks per connector running on the link's workers; failed ones are counted above.")))
