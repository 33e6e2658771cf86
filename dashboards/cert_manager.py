"""cert-manager dashboard: certificate readiness and time to expiry, controller activity."""

from __future__ import annotations

from typing import Final

from grafana_foundation_sdk.builders.dashboard import Dashboard

from components.contracts import MonitoringContract
from dashboards.common import (
    FILTER,
    RATE,
    FleetPanel,
    falling,
    new_dashboard,
    query,
    rising,
    row,
    stat_panel,
    timeseries_panel,
)
from observability.config import ObservabilityConfig

DAY: Final = 86400

FLEET_PANELS: Final = (
    FleetPanel(title="cert-manager: certificates not ready", expr="cluster:certmanager_certificates_not_ready:count",
               unit="short", limits=rising(1, 1)),
    FleetPanel(title="cert-manager: soonest certificate expiry",
               expr="cluster:certmanager_certificate_expiry_seconds:min", unit="s",
               limits=falling(21 * DAY, 7 * DAY)),
)


def build(contract: MonitoringContract, obs: ObservabilityConfig) -> Dashboard:
    """The cert-manager dashboard of one region."""
    warn, crit = contract.thresholds["expiry_warning_days"] * DAY, contract.thresholds["expiry_critical_days"] * DAY
    return (new_dashboard(f"cert-manager · {contract.region}", kind=contract.kind, region=contract.region, obs=obs)
            .with_row(row("Certificates"))
            .with_panel(stat_panel("Certificates not ready", query(
                f'count(certmanager_certificate_ready_status{{{FILTER}, condition!="True"}} == 1) or vector(0)',
                instant=True), unit="short", limits=rising(1, 1)))
            .with_panel(stat_panel("Soonest expiry", query(
                f"min(certmanager_certificate_expiration_timestamp_seconds{{{FILTER}}}) - time()", instant=True),
                unit="s", limits=falling(warn, crit)))
            .with_panel(timeseries_panel("Time to expiry per certificate", [query(
                f"certmanager_certificate_expiration_timestamp_seconds{{{FILTER}}} - time()",
                "{{exported_namespace}}/{{name}}")], unit="s", limits=falling(warn, crit)))
            .with_row(row("Controller"))
            .with_panel(timeseries_panel("Sync calls per controller", [query(
                f"sum by (controller) (rate(certmanager_controller_sync_call_count{{{FILTER}}}[{RATE}]))",
                "{{controller}}")], unit="ops", limits=rising(50, 100), width=24)))
