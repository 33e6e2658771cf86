"""Every dashboard of a region: one per contract kind (`dashboards/<kind>.py`), the region overview, the fleet
overview. Output: file name to Grafana JSON model."""

from __future__ import annotations

import importlib
from typing import Any

from components.contracts import MonitoringContract
from dashboards.common import to_json
from observability.config import ObservabilityConfig


class DashboardError(LookupError):
    """A kind has no dashboard builder."""


def module_name(kind: str) -> str:
    """Module that builds a kind's dashboard."""
    return f"dashboards.{kind.replace('-', '_')}"


def kind_dashboard(contract: MonitoringContract, obs: ObservabilityConfig) -> dict[str, Any]:
    """The dashboard of one contract's kind."""
    try:
        module = importlib.import_module(module_name(contract.kind))
    except ModuleNotFoundError:
        raise DashboardError(f"no dashboard builder for kind {contract.kind!r}: add {module_name(contract.kind)} "
                             "with build(contract, obs)") from None
    return to_json(module.build(contract, obs))


def dashboards(contracts: list[MonitoringContract], obs: ObservabilityConfig) -> dict[str, dict[str, Any]]:
    """File name (`<kind>.json`, `region-overview.json`, `fleet-overview.json`) to dashboard model."""
    from dashboards import fleet, overview  # they import this module's `module_name`

    files = {f"{contract.kind}.json": kind_dashboard(contract, obs) for contract in contracts}
    if contracts:
        files["region-overview.json"] = to_json(overview.build(contracts, obs))
        files["fleet-overview.json"] = to_json(fleet.build(contracts, obs))
    return dict(sorted(files.items()))
