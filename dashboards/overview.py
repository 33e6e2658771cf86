"""The region overview: every component of one region at a glance, linking to each kind's dashboard."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as gd
from grafana_foundation_sdk.builders.dashboard import Dashboard
from grafana_foundation_sdk.models import dashboard as gm

from components.contracts import MonitoringContract
from dashboards.common import (
    FILTER,
    dashboard_uid,
    falling,
    new_dashboard,
    query,
    rising,
    row,
    stat_panel,
    timeseries_panel,
)
from observability.config import ObservabilityConfig


def build(contracts: list[MonitoringContract], obs: ObservabilityConfig) -> Dashboard:
    """The overview of the region the contracts belong to."""
    region = contracts[0].region
    dashboard = new_dashboard(f"Meridian region overview · {region}", kind="overview", region=region, obs=obs)
    for contract in sorted(contracts, key=lambda c: c.kind):
        dashboard = dashboard.link(gd.DashboardLink(contract.kind).type(gm.DashboardLinkType.LINK)
                                   .url(f"/d/{dashboard_uid(contract.kind, region)}").include_vars(True)
                                   .keep_time(True))
    dashboard = dashboard.with_row(row("Components"))
    for contract in sorted(contracts, key=lambda c: c.kind):
        dashboard = dashboard.with_panel(stat_panel(
            f"{contract.kind}: targets up", query(f'cluster:up:avg{{{FILTER}, component="{contract.kind}"}}',
                                                  instant=True),
            unit="percentunit", limits=falling(1.0, 0.9), width=4))
    dashboard = (dashboard.with_row(row("Alerts and SLOs"))
                 .with_panel(timeseries_panel("Alerts firing, per severity", [query(
                     f"cluster:alerts_firing:count{{{FILTER}}}", "{{severity}}")], unit="short", limits=rising(1, 5)))
                 .with_panel(timeseries_panel("SLO error ratio, per SLO (1h window)", [query(
                     f"slo:sli_error:ratio_rate1h{{{FILTER}}}", "{{slo}}")], unit="percentunit",
                     limits=rising(0.001, 0.01))))
    return dashboard
