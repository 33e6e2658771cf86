"""The fleet overview: every region side by side, from `cluster:`-level recording rules only (never raw metrics),
so a global query layer answers it from a handful of series per region.

It queries the `Fleet` data source (uid `fleet`): the primary region's fleet Prometheus, which every region's
Prometheus remote-writes its `cluster:` and `slo:` series to (components/fleet_view.py says why push). Each region
sends from every Prometheus replica, which the operator tells apart by the `prometheus_replica` external label (and
`prometheus`, the object's name); the panels deduplicate with `max without` those labels."""

from __future__ import annotations

import importlib
from typing import Final

from grafana_foundation_sdk.builders.dashboard import Dashboard
from grafana_foundation_sdk.models.common import DataSourceRef

from components.contracts import MonitoringContract
from dashboards.common import FleetPanel, falling, new_dashboard, query, rising, row, timeseries_panel
from dashboards.render import module_name
from observability.config import ObservabilityConfig

FLEET_UID_REGION: Final = "global"
REGION_MATCHER: Final = 'region=~"$region"'
FLEET_DATASOURCE_UID: Final = "fleet"
FLEET_DATASOURCE: Final = DataSourceRef(type_val="prometheus", uid=FLEET_DATASOURCE_UID)
SENDER_LABELS: Final = ("prometheus", "prometheus_replica")
"""External labels the operator adds to what each Prometheus replica sends (Prometheus CRD
`prometheusExternalLabelName`, `replicaExternalLabelName`, defaults); replicas send the same values."""
VARIABLE_SERIES: Final = "cluster:up:avg"
"""The fleet Prometheus holds recorded series only (no `up`): the region and cluster variables read this one."""

GENERIC_PANELS: Final = (
    FleetPanel(title="Share of scrape targets up, per component", expr="cluster:up:avg", unit="percentunit",
               limits=falling(1.0, 0.9)),
    FleetPanel(title="Alerts firing, per severity", expr="cluster:alerts_firing:count", unit="short",
               limits=rising(1, 5)),
    FleetPanel(title="SLO error ratio over 1h, per SLO", expr="slo:sli_error:ratio_rate1h", unit="percentunit",
               limits=rising(0.001, 0.01)),
)


def fleet_panels(kind: str) -> tuple[FleetPanel, ...]:
    """A kind's `FLEET_PANELS` (none when its module declares none)."""
    panels: tuple[FleetPanel, ...] = getattr(importlib.import_module(module_name(kind)), "FLEET_PANELS", ())
    return panels


def fleet_expr(panel: FleetPanel) -> str:
    """The panel's recording rule, filtered to the selected regions, one series per sender replica set."""
    return f"max without ({', '.join(SENDER_LABELS)}) ({panel.expr}{{{REGION_MATCHER}}})"


def build(contracts: list[MonitoringContract], obs: ObservabilityConfig) -> Dashboard:
    """The fleet overview over every kind deployed in the region the dashboard is generated for."""
    dashboard = new_dashboard("Meridian fleet overview", kind="fleet", region=FLEET_UID_REGION, obs=obs,
                              region_filter=".*", datasource=FLEET_DATASOURCE, series=VARIABLE_SERIES)
    legends = {"cluster:up:avg": "{{region}} {{component}}", "cluster:alerts_firing:count": "{{region}} {{severity}}",
               "slo:sli_error:ratio_rate1h": "{{region}} {{slo}}"}
    dashboard = dashboard.with_row(row("Fleet health"))
    for panel in GENERIC_PANELS:
        dashboard = dashboard.with_panel(timeseries_panel(
            panel.title, [query(fleet_expr(panel), legends[panel.expr])], unit=panel.unit, limits=panel.limits,
            datasource=FLEET_DATASOURCE))
    for kind in sorted({contract.kind for contract in contracts}):
        panels = fleet_panels(kind)
        if not panels:
            continue
        dashboard = dashboard.with_row(row(kind))
        for panel in panels:
            dashboard = dashboard.with_panel(timeseries_panel(
                panel.title, [query(fleet_expr(panel), "{{region}}")], unit=panel.unit, limits=panel.limits,
                datasource=FLEET_DATASOURCE))
    return dashboard
