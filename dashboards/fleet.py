"""The fleet overview: every region side by side, from `cluster:`-level recording rules only (never raw metrics),
so a global query layer answers it from a handful of series per region."""

from __future__ import annotations

import importlib
from typing import Final

from grafana_foundation_sdk.builders.dashboard import Dashboard

from components.contracts import MonitoringContract
from dashboards.common import FleetPanel, falling, new_dashboard, query, rising, row, timeseries_panel
from dashboards.render import module_name
from observability.config import ObservabilityConfig

FLEET_UID_REGION: Final = "global"
REGION_MATCHER: Final = 'region=~"$region"'

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
    """The panel's recording rule, filtered to the selected regions."""
    return f"{panel.expr}{{{REGION_MATCHER}}}"


def build(contracts: list[MonitoringContract], obs: ObservabilityConfig) -> Dashboard:
    """The fleet overview over every kind deployed in the region the dashboard is generated for."""
    dashboard = new_dashboard("Meridian fleet overview", kind="fleet", region=FLEET_UID_REGION, obs=obs,
                              region_filter=".*")
    legends = {"cluster:up:avg": "{{region}} {{component}}", "cluster:alerts_firing:count": "{{region}} {{severity}}",
               "slo:sli_error:ratio_rate1h": "{{region}} {{slo}}"}
    dashboard = dashboard.with_row(row("Fleet health"))
    for panel in GENERIC_PANELS:
        dashboard = dashboard.with_panel(timeseries_panel(
            panel.title, [query(fleet_expr(panel), legends[panel.expr])], unit=panel.unit, limits=panel.limits))
    for kind in sorted({contract.kind for contract in contracts}):
        panels = fleet_panels(kind)
        if not panels:
            continue
        dashboard = dashboard.with_row(row(kind))
        for panel in panels:
            dashboard = dashboard.with_panel(timeseries_panel(
                panel.title, [query(fleet_expr(panel), "{{region}}")], unit=panel.unit, limits=panel.limits))
    return dashboard
