"""Monitoring dashboard: the Prometheus stack itself — ingestion and TSDB, rule evaluation, scrape target health,
alert delivery from Prometheus to Alertmanager to the receivers, remote writes to the fleet Prometheus, the
operator and Grafana."""

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

FLEET_PANELS: Final = (
    FleetPanel(title="Monitoring: samples ingested per second (busiest Prometheus)",
               expr="cluster:prometheus_tsdb_head_samples_appended:rate5m_max", unit="short",
               limits=thresholds((None, GREEN))),
    FleetPanel(title="Monitoring: rule evaluation failures per second",
               expr="cluster:prometheus_rule_evaluation_failures:rate5m", unit="short",
               limits=thresholds((None, GREEN), (0.001, RED))),
    FleetPanel(title="Monitoring: failed notifications per second",
               expr="cluster:alertmanager_notifications_failed:rate5m", unit="short",
               limits=thresholds((None, GREEN), (0.001, RED))),
)
_LEVEL: Final = thresholds((None, GREEN))
"""Volumes with no bad level of their own (ingestion, series, sent notifications)."""
_ANY_IS_BAD: Final = thresholds((None, GREEN), (0.001, RED))
"""Rates of failures: anything above zero is red."""
_OK_FLAG: Final = thresholds((None, RED), (1, GREEN))
"""1 = OK gauges (configuration reloaded)."""
_REJECTED: Final = ("sample_out_of_order", "sample_duplicate_timestamp", "sample_out_of_bounds",
                    "exceeded_sample_limit")


def _rate(name: str, by: str) -> str:
    """Per-second rate of a counter, summed by `by`."""
    return f"sum by ({by}) (rate({name}{{{FILTER}}}[{RATE}]))"


def build(contract: MonitoringContract, obs: ObservabilityConfig) -> Dashboard:
    """The monitoring stack's dashboard of one region."""
    t = contract.thresholds
    notify_errors = t["notification_error_ratio"]
    failed = t["alertmanager_failure_ratio"]
    remote_failed, behind = t["remote_write_failure_ratio"], t["remote_write_behind_seconds"]
    return (
        new_dashboard(f"Monitoring · {contract.region}", kind=contract.kind, region=contract.region, obs=obs)
        .with_row(row("Overview"))
        .with_panel(stat_panel("Scrape targets up", query(f"avg(up{{{FILTER}}})", instant=True),
                               unit="percentunit", limits=falling(1.0, 0.9)))
        .with_panel(stat_panel("Samples ingested / s (busiest)", query(
            f"max({_rate('prometheus_tsdb_head_samples_appended_total', 'instance')})", instant=True),
            unit="short", limits=_LEVEL))
        .with_panel(stat_panel("Head series (largest)", query(
            f"max(prometheus_tsdb_head_series{{{FILTER}}})", instant=True), unit="short", limits=_LEVEL))
        .with_panel(stat_panel("Configurations loaded", query(
            f"min(prometheus_config_last_reload_successful{{{FILTER}}}) * "
            f"min(alertmanager_config_last_reload_successful{{{FILTER}}})", instant=True), unit="bool",
            limits=_OK_FLAG, description="1 when every Prometheus and Alertmanager loaded its last configuration."))
        .with_panel(stat_panel("Rejected resources", query(
            f'sum(prometheus_operator_managed_resources{{{FILTER}, state="rejected"}}) or vector(0)', instant=True),
            unit="short", limits=rising(1, 1)))
        .with_panel(stat_panel("Alertmanager members (min)", query(
            f"min(alertmanager_cluster_members{{{FILTER}}})", instant=True), unit="short", limits=_LEVEL))
        .with_row(row("Prometheus"))
        .with_panel(timeseries_panel("Samples ingested per second", [query(
            _rate("prometheus_tsdb_head_samples_appended_total", "instance"), "{{instance}}")], unit="short",
            limits=_LEVEL, width=8))
        .with_panel(timeseries_panel("Head series", [query(
            f"prometheus_tsdb_head_series{{{FILTER}}}", "{{instance}}")], unit="short", limits=_LEVEL, width=8))
        .with_panel(timeseries_panel("Block storage", [query(
            f"prometheus_tsdb_storage_blocks_bytes{{{FILTER}}}", "{{instance}}")], unit="bytes", limits=_LEVEL,
            width=8))
        .with_panel(timeseries_panel("Scrape targets up per job", [query(
            f"avg by (job) (up{{{FILTER}}})", "{{job}}")], unit="percentunit", limits=falling(1.0, 0.9)))
        .with_panel(timeseries_panel("Samples rejected per second", [query(
            " + ".join(_rate(f"prometheus_target_scrapes_{name}_total", "instance") for name in _REJECTED),
            "{{instance}}")], unit="short", limits=_ANY_IS_BAD))
        .with_row(row("Rules"))
        .with_panel(timeseries_panel("Rule evaluation failures per second", [query(
            _rate("prometheus_rule_evaluation_failures_total", "rule_group"), "{{rule_group}}")], unit="short",
            limits=_ANY_IS_BAD, width=8))
        .with_panel(timeseries_panel("Rule evaluations per second", [query(
            _rate("prometheus_rule_evaluations_total", "instance"), "{{instance}}")], unit="short", limits=_LEVEL,
            width=8))
        .with_panel(timeseries_panel("Slowest rule groups (duration / interval)", [query(
            f"topk(5, max by (rule_group) (prometheus_rule_group_last_duration_seconds{{{FILTER}}} "
            f"/ prometheus_rule_group_interval_seconds{{{FILTER}}}))", "{{rule_group}}")], unit="percentunit",
            limits=rising(0.5, 1.0), width=8))
        .with_row(row("Alert delivery"))
        .with_panel(timeseries_panel("Prometheus → Alertmanager error ratio", [query(
            f"{_rate('prometheus_notifications_errors_total', 'alertmanager')} "
            f"/ {_rate('prometheus_notifications_sent_total', 'alertmanager')}", "{{alertmanager}}")],
            unit="percentunit", limits=rising(notify_errors / 2, notify_errors), width=8))
        .with_panel(timeseries_panel("Alerts dropped and queued", [
            query(_rate("prometheus_notifications_dropped_total", "instance"), "{{instance}} dropped / s"),
            query(f"max by (instance) (prometheus_notifications_queue_length{{{FILTER}}})", "{{instance}} queued",
                  ref_id="B")], unit="short", limits=_ANY_IS_BAD, width=8))
        .with_panel(timeseries_panel("Alertmanagers discovered", [query(
            f"prometheus_notifications_alertmanagers_discovered{{{FILTER}}}", "{{instance}}")], unit="short",
            limits=_OK_FLAG, width=8))
        .with_panel(timeseries_panel("Notifications sent per integration", [query(
            _rate("alertmanager_notifications_total", "integration"), "{{integration}}")], unit="short",
            limits=_LEVEL, width=8))
        .with_panel(timeseries_panel("Failed notifications ratio per integration", [query(
            f"{_rate('alertmanager_notifications_failed_total', 'integration')} "
            f"/ {_rate('alertmanager_notifications_total', 'integration')}", "{{integration}}")],
            unit="percentunit", limits=rising(failed / 2, failed), width=8))
        .with_panel(timeseries_panel("Alerts in Alertmanager by state", [query(
            f"max by (state) (alertmanager_alerts{{{FILTER}}})", "{{state}}")], unit="short", limits=_LEVEL,
            width=8))
        .with_row(row("Remote write"))
        .with_panel(timeseries_panel("Remote write lag per receiver", [query(
            f"max by (instance) (prometheus_remote_storage_highest_timestamp_in_seconds{{{FILTER}}}) "
            f"- on (instance) group_right max by (instance, remote_name) "
            f"(prometheus_remote_storage_queue_highest_sent_timestamp_seconds{{{FILTER}}})",
            "{{instance}} → {{remote_name}}")], unit="s", limits=rising(behind / 2, behind), width=8,
            description="Newest sample appended minus newest sample sent to each fleet receiver; empty without "
                        "a fleet view (no remote write)."))
        .with_panel(timeseries_panel("Remote write failed sample ratio", [query(
            f"{_rate('prometheus_remote_storage_samples_failed_total', 'instance, remote_name')} "
            f"/ {_rate('prometheus_remote_storage_samples_total', 'instance, remote_name')}",
            "{{instance}} → {{remote_name}}")], unit="percentunit",
            limits=rising(remote_failed / 2, remote_failed), width=8,
            description="Samples the receiver rejected (non-recoverable, dropped) per sample sent."))
        .with_panel(timeseries_panel("Remote write samples retried per second", [query(
            _rate("prometheus_remote_storage_samples_retried_total", "instance, remote_name"),
            "{{instance}} → {{remote_name}}")], unit="short", limits=_ANY_IS_BAD, width=8,
            description="Sends that failed recoverably (receiver unreachable, 5xx, 429) and are retried."))
        .with_row(row("Operator and Grafana"))
        .with_panel(timeseries_panel("Operator reconcile error ratio", [query(
            f"{_rate('prometheus_operator_reconcile_errors_total', 'controller')} "
            f"/ {_rate('prometheus_operator_reconcile_operations_total', 'controller')}", "{{controller}}")],
            unit="percentunit", limits=rising(t["operator_reconcile_error_ratio"] / 2,
                                              t["operator_reconcile_error_ratio"]), width=8))
        .with_panel(timeseries_panel("Resources managed by the operator", [query(
            f"max by (resource, state) (prometheus_operator_managed_resources{{{FILTER}}})",
            "{{resource}} {{state}}")], unit="short", limits=_LEVEL, width=8))
        .with_panel(timeseries_panel("Grafana API responses by code", [query(
            _rate("grafana_api_response_status_total", "code"), "{{code}}")], unit="reqps", limits=_LEVEL,
            width=8)))
