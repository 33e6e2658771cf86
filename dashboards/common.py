"""Building blocks every dashboard shares (grafana-foundation-sdk): variables, filters, panels with units and
thresholds, deterministic uids, JSON output.

Every panel query filters on `FILTER` (the `region` and `cluster` variables); Grafana fills `$__rate_interval`.
A dashboard module exports `build(contract, obs) -> Dashboard` and is found by kind (`dashboards/<kind>.py`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from grafana_foundation_sdk.builders import common as gc
from grafana_foundation_sdk.builders import dashboard as gd
from grafana_foundation_sdk.builders import prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common as gcm
from grafana_foundation_sdk.models import dashboard as gm

from observability.config import CLUSTER_LABEL, REGION_LABEL, ObservabilityConfig

DATASOURCE: Final = gcm.DataSourceRef(type_val="prometheus", uid="${datasource}")
FILTER: Final = f'{REGION_LABEL}=~"$region", {CLUSTER_LABEL}=~"$cluster"'
"""Label matchers every panel query starts with."""
RATE: Final = "$__rate_interval"
UID_MAX: Final = 40
"""Grafana's limit on dashboard uids."""
GREEN, YELLOW, RED = "green", "#EAB839", "red"


def dashboard_uid(kind: str, region: str) -> str:
    """Deterministic uid from kind and region (`meridian-<kind>-<region>`, hashed down to 40 characters)."""
    uid = f"meridian-{kind}-{region}"
    if len(uid) <= UID_MAX:
        return uid
    return f"{uid[:UID_MAX - 9]}-{hashlib.sha256(uid.encode()).hexdigest()[:8]}"


def new_dashboard(title: str, *, kind: str, region: str, obs: ObservabilityConfig,
                  region_filter: str | None = None, datasource: gcm.DataSourceRef | None = None,
                  series: str = "up") -> gd.Dashboard:
    """A dashboard with the project's defaults and the `datasource`, `region` and `cluster` variables.

    `region_filter`: the region variable's default (`region` itself for a regional dashboard; `.*` for the fleet).
    `datasource`: a fixed data source instead of the `datasource` variable (the fleet's); `series`: the series the
    `region` and `cluster` variables read their values from.
    """
    current = region_filter or region
    source = datasource or DATASOURCE
    dashboard = (gd.Dashboard(title)
            .uid(dashboard_uid(kind, region))
            .tags([*obs.dashboard_tags, kind])
            .refresh(obs.dashboard_refresh)
            .time(obs.dashboard_time_from, "now")
            .timezone(obs.dashboard_timezone)
            .editable()
            .tooltip(gm.DashboardCursorSync.CROSSHAIR))
    if datasource is None:
        dashboard = dashboard.with_variable(gd.DatasourceVariable("datasource").label("Data source").type("prometheus"))
    return (dashboard
            .with_variable(_label_variable(REGION_LABEL, "Region", series, current, source))
            .with_variable(_label_variable(CLUSTER_LABEL, "Cluster", f'{series}{{{REGION_LABEL}=~"$region"}}', ".*",
                                           source))
            .link(gd.DashboardLink("Meridian dashboards").type(gm.DashboardLinkType.DASHBOARDS)
                  .tags(list(obs.dashboard_tags)).as_dropdown(True).include_vars(True).keep_time(True)))


def _label_variable(label: str, title: str, series: str, current: str,
                    datasource: gcm.DataSourceRef) -> gd.QueryVariable:
    return (gd.QueryVariable(label).label(title).datasource(datasource)
            .query(f"label_values({series}, {label})").refresh(gm.VariableRefresh.ON_TIME_RANGE_CHANGED)
            .include_all(True).all_value(".*").multi(True).sort(gm.VariableSort.ALPHABETICAL_ASC)
            .current(gm.VariableOption(selected=True, text=current, value=current)))


def job_selector(job: str, extra: str = "") -> str:
    """Label matchers of one scrape job's series: the dashboard filter, the job, then `extra` matchers."""
    return f'{{{FILTER}, job="{job}"{", " + extra if extra else ""}}}'


def query(expr: str, legend: str = "", ref_id: str = "A", instant: bool = False) -> prometheus.Dataquery:
    """A Prometheus query on the dashboard's data source."""
    target = prometheus.Dataquery().expr(expr).legend_format(legend or "__auto").ref_id(ref_id)
    return target.instant() if instant else target.range()


def thresholds(*steps: tuple[float | None, str]) -> gd.ThresholdsConfig:
    """Absolute thresholds: (None, base colour), then (value, colour) from low to high."""
    return (gd.ThresholdsConfig().mode(gm.ThresholdsMode.ABSOLUTE)
            .steps([gm.Threshold(value=value, color=color) for value, color in steps]))


def rising(warn: float, crit: float) -> gd.ThresholdsConfig:
    """Green below `warn`, yellow from it, red from `crit`."""
    return thresholds((None, GREEN), (warn, YELLOW), (crit, RED))


def falling(warn: float, crit: float) -> gd.ThresholdsConfig:
    """Red below `crit`, yellow below `warn`, green above."""
    return thresholds((None, RED), (crit, YELLOW), (warn, GREEN))


def timeseries_panel(title: str, queries: Sequence[prometheus.Dataquery], *, unit: str,
                     limits: gd.ThresholdsConfig, description: str = "", width: int = 12,
                     height: int = 8, datasource: gcm.DataSourceRef = DATASOURCE) -> timeseries.Panel:
    """A time series panel; `unit` and `limits` are required so no panel lacks them."""
    panel = (timeseries.Panel().title(title).description(description).datasource(datasource).unit(unit)
             .thresholds(limits).thresholds_style(gc.GraphThresholdsStyleConfig().mode(
                 gcm.GraphThresholdsStyleMode.DASHED))
             .legend(gc.VizLegendOptions().show_legend(True).display_mode(gcm.LegendDisplayMode.LIST)
                     .placement(gcm.LegendPlacement.BOTTOM))
             .span(width).height(height))
    for target in queries:
        panel = panel.with_target(target)
    return panel


def stat_panel(title: str, target: prometheus.Dataquery, *, unit: str, limits: gd.ThresholdsConfig,
               description: str = "", width: int = 4, height: int = 4) -> stat.Panel:
    """A single-value panel coloured by its thresholds."""
    return (stat.Panel().title(title).description(description).datasource(DATASOURCE).unit(unit)
            .thresholds(limits).span(width).height(height).with_target(target)
            .reduce_options(gc.ReduceDataOptions().calcs(["lastNotNull"]))
            .color_mode(gcm.BigValueColorMode.BACKGROUND))


def row(title: str) -> gd.Row:
    """A dashboard row."""
    return gd.Row(title)


def to_json(dashboard: gd.Dashboard) -> dict[str, Any]:
    """The dashboard model as Grafana's JSON (keys sorted by the caller's dump)."""
    data: dict[str, Any] = json.loads(json.dumps(dashboard.build(), cls=JSONEncoder))
    return data


def panel_queries(model: dict[str, Any]) -> list[tuple[str, str]]:
    """(panel title, expr) of every query in a dashboard JSON model, rows included."""
    found = []
    for panel in model.get("panels", []):
        for inner in [panel, *panel.get("panels", [])]:
            found += [(inner.get("title", ""), target["expr"]) for target in inner.get("targets", [])
                      if target.get("expr")]
    return found


@dataclass(frozen=True, kw_only=True)
class FleetPanel:
    """A kind's headline for the fleet overview: a query over `cluster:` recording rules (one series per region
    and cluster), never raw metrics. Kind modules list theirs in `FLEET_PANELS`."""

    title: str
    expr: str
    """A recording-rule name; the fleet builder adds the region filter."""
    unit: str
    limits: gd.ThresholdsConfig
