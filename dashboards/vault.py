"""Vault dashboard: seal and leader state, raft/autopilot health, requests and latency, audit failures, leases,
tokens and memory. Metrics: observability/catalog/vault.py (gauges vanish 30 s after their last update)."""

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

V: Final = f'{FILTER}, job="vault"'
NONE: Final = thresholds((None, GREEN))
"""For panels with no bad level (request rates, counts): a plain base colour."""
EXACTLY_ONE: Final = thresholds((None, RED), (1, GREEN), (2, RED))

FLEET_PANELS: Final = (
    FleetPanel(title="Vault: unsealed nodes", expr="cluster:vault_core_unsealed:sum", unit="short",
               limits=falling(3, 2)),
    FleetPanel(title="Vault: raft failure tolerance", expr="cluster:vault_autopilot_failure_tolerance:max",
               unit="short", limits=falling(1, 1)),
    FleetPanel(title="Vault: request p99", expr="cluster:vault_core_handle_request_p99_seconds:max", unit="s",
               limits=rising(0.25, 0.5)),
    FleetPanel(title="Vault: responses per second", expr="cluster:vault_core_response_status_code:rate5m",
               unit="reqps", limits=NONE),
)


def build(contract: MonitoringContract, obs: ObservabilityConfig) -> Dashboard:
    """The Vault dashboard of one region."""
    dashboard = new_dashboard(f"Vault · {contract.region}", kind=contract.kind, region=contract.region, obs=obs)
    return _usage(_requests(_state(dashboard, contract), contract.thresholds), contract.thresholds)


def _state(dashboard: Dashboard, contract: MonitoringContract) -> Dashboard:
    """Seal, leadership and raft/autopilot health."""
    t, majority = contract.thresholds, contract.replicas // 2 + 1
    return (
        dashboard.with_row(row("Cluster state"))
        .with_panel(stat_panel("Unsealed nodes", query(f"sum(vault_core_unsealed{{{V}}}) or vector(0)", instant=True),
                               unit="short", limits=falling(contract.replicas, majority)))
        .with_panel(stat_panel("Active nodes", query(f"sum(vault_core_active{{{V}}}) or vector(0)", instant=True),
                               unit="short", limits=EXACTLY_ONE, description="Exactly one node must be active."))
        .with_panel(stat_panel("Healthy raft peers", query(
            f"count(max by (node_id) (vault_autopilot_node_healthy{{{V}}}) == 1) or vector(0)", instant=True),
            unit="short", limits=falling(t["raft_peers_min"], majority)))
        .with_panel(stat_panel("Failure tolerance", query(
            f"max(vault_autopilot_failure_tolerance{{{V}}})", instant=True), unit="short",
            limits=falling(t["autopilot_failure_tolerance_min"], t["autopilot_failure_tolerance_min"]),
            description="Voters the raft cluster can lose and keep quorum (autopilot, from the leader)."))
        .with_panel(stat_panel("Autopilot healthy", query(f"min(vault_autopilot_healthy{{{V}}})", instant=True),
                               unit="bool", limits=thresholds((None, RED), (1, GREEN))))
        .with_panel(stat_panel("Leader changes (1h)", query(
            f"sum(changes(vault_core_active{{{V}}}[1h])) / 2", instant=True), unit="short",
            limits=rising(1, t["leadership_changes_per_hour_max"] + 1)))
        .with_panel(timeseries_panel("Sealed state and active node per pod", [
            query(f"sum by (pod) (vault_core_unsealed{{{V}}})", "{{pod}} unsealed"),
            query(f"sum by (pod) (vault_core_active{{{V}}})", "{{pod}} active")], unit="short", limits=NONE))
        .with_panel(timeseries_panel("Autopilot health per raft node", [query(
            f"max by (node_id) (vault_autopilot_node_healthy{{{V}}})", "{{node_id}}")], unit="bool",
            limits=thresholds((None, RED), (1, GREEN))))
        .with_panel(timeseries_panel("Raft entries committed but not applied, per pod", [query(
            f"sum by (pod) (vault_raft_storage_stats_commit_index{{{V}}})"
            f" - sum by (pod) (vault_raft_storage_stats_applied_index{{{V}}})", "{{pod}}")], unit="short",
            limits=rising(100, 1000), width=24)))


def _requests(dashboard: Dashboard, t: dict[str, float]) -> Dashboard:
    """Request rate, errors, latency and audit."""
    latency = t["request_latency_p99_seconds"]
    return (
        dashboard.with_row(row("Requests"))
        .with_panel(timeseries_panel("Responses per status class", [query(
            f"sum by (type) (rate(vault_core_response_status_code{{{V}}}[{RATE}]))", "{{type}}")], unit="reqps",
            limits=NONE))
        .with_panel(timeseries_panel("Server error ratio (5xx)", [query(
            f'(sum(rate(vault_core_response_status_code{{{V}, type="5xx"}}[{RATE}])) or vector(0))'
            f" / sum(rate(vault_core_response_status_code{{{V}}}[{RATE}]))", "5xx")], unit="percentunit",
            limits=rising(0.001, 0.01), description="The request_availability SLI."))
        .with_panel(timeseries_panel("Request p99 per pod", [
            query(f'max by (pod) (vault_core_handle_request{{{V}, quantile="0.99"}} >= 0) / 1000', "{{pod}}"),
            query(f'max by (pod) (vault_core_handle_login_request{{{V}, quantile="0.99"}} >= 0) / 1000',
                  "{{pod}} login")], unit="s", limits=rising(latency / 2, latency),
            description="Summaries over the last 10 s before each scrape; gaps when a node is idle."))
        .with_panel(timeseries_panel("In-flight requests per pod", [query(
            f"sum by (pod) (vault_core_in_flight_requests{{{V}}})", "{{pod}}")], unit="short", limits=NONE))
        .with_panel(timeseries_panel("Audit log failures", [
            query(f"sum(increase(vault_audit_log_request_failure{{{V}}}[{RATE}])) or vector(0)", "requests"),
            query(f"sum(increase(vault_audit_log_response_failure{{{V}}}[{RATE}])) or vector(0)", "responses")],
            unit="short", limits=rising(1, 1), description="Vault refuses requests it cannot audit.", width=24)))


def _usage(dashboard: Dashboard, t: dict[str, float]) -> Dashboard:
    """Leases, tokens and memory."""
    leases = t["lease_count_max"]
    return (
        dashboard.with_row(row("Usage"))
        .with_panel(timeseries_panel("Leases", [query(f"max(vault_expire_num_leases{{{V}}})", "leases")],
                                     unit="short", limits=rising(leases * 0.75, leases)))
        .with_panel(timeseries_panel("Tokens per namespace", [query(
            f"sum by (exported_namespace) (last_over_time(vault_token_count{{{V}}}[15m]))", "{{exported_namespace}}")],
            unit="short", limits=NONE, description="Reported every 10 minutes by the active node."))
        .with_panel(timeseries_panel("Go heap allocated per pod", [query(
            f"sum by (pod) (vault_runtime_alloc_bytes{{{V}}})", "{{pod}}")], unit="bytes", limits=NONE, width=24)))
