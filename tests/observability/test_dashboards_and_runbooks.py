"""Dashboards and runbooks of every kind the us-east-1 stack deploys: filters, units, thresholds, catalogued names,
fleet panels over recording rules only, a runbook page for every alert, and docs/runbooks/ up to date."""

from __future__ import annotations

from typing import Any

import pytest

from alerts.render import alerts_of, rule_file, rule_files
from alerts.runbooks import runbook_pages
from components.contracts import MonitoringContract
from dashboards.common import FILTER, panel_queries
from dashboards.fleet import fleet_panels
from dashboards.render import dashboards, kind_dashboard
from meridian.runbooks import fleet_contracts, render_runbooks
from observability.catalog import all_series_names, metric_names
from observability.config import ObservabilityConfig
from tests.conftest import ROOT
from tests.observability.conftest import stack_contracts

KINDS = [contract.kind for contract in stack_contracts("us-east-1")]
US_EAST_1_NODES = 9
"""Nodes us-east-1 plans (3 system, 2 data per zone); tests/observability/promtool/kubernetes.yaml assumes it."""


def _contract(kind: str) -> MonitoringContract:
    return next(c for c in stack_contracts("us-east-1") if c.kind == kind)


def _recorded(files: dict[str, dict[str, Any]]) -> set[str]:
    return {rule["record"] for content in files.values() for group in content["groups"]
            for rule in group["rules"] if "record" in rule}


def test_us_east_1_plans_the_nodes_the_unit_cases_assume() -> None:
    assert _contract("kubernetes").replicas == US_EAST_1_NODES


@pytest.mark.parametrize("kind", KINDS)
def test_dashboard_panels_filter_have_units_and_thresholds_and_read_known_names(
        kind: str, obs: ObservabilityConfig) -> None:
    model = kind_dashboard(_contract(kind), obs)
    known = all_series_names() | _recorded(rule_files(list(stack_contracts("us-east-1")), obs)) | {"up"}
    queries = panel_queries(model)
    assert len(queries) >= 4, f"{kind}: only {len(queries)} panel queries"
    for title, expr in queries:
        assert FILTER in expr, f"{kind} panel {title!r} does not filter on region and cluster: {expr}"
        assert not metric_names(expr) - known, f"{kind} panel {title!r} queries {metric_names(expr) - known}"
    for panel in model["panels"]:
        if panel.get("type") != "row":
            assert panel["fieldConfig"]["defaults"].get("unit"), f"{kind} panel {panel['title']!r} has no unit"
            assert panel["fieldConfig"]["defaults"]["thresholds"]["steps"], f"{kind} {panel['title']!r}"


@pytest.mark.parametrize("kind", KINDS)
def test_fleet_panels_read_cluster_level_recording_rules_the_kind_records(kind: str,
                                                                         obs: ObservabilityConfig) -> None:
    recorded = _recorded({kind: rule_file(_contract(kind), obs)})
    panels = fleet_panels(kind)
    assert 2 <= len(panels) <= 4, f"{kind}: FLEET_PANELS has {len(panels)} panels"
    for panel in panels:
        assert panel.expr.startswith("cluster:") and panel.expr in recorded, panel


def test_fleet_overview_reads_only_recorded_series_of_every_region(obs: ObservabilityConfig) -> None:
    contracts = list(stack_contracts("us-east-1"))
    model = dashboards(contracts, obs)["fleet-overview.json"]
    recorded = _recorded(rule_files(contracts, obs))
    region = next(v for v in model["templating"]["list"] if v["name"] == "region")
    assert region["current"]["value"] == ".*" and model["uid"] == "meridian-fleet-global"
    for title, expr in panel_queries(model):
        assert metric_names(expr) <= recorded, f"fleet panel {title!r} reads raw series: {expr}"
        assert 'region=~"$region"' in expr, title


def test_dashboard_uids_are_unique_and_deterministic(obs: ObservabilityConfig) -> None:
    contracts = list(stack_contracts("us-east-1"))
    models = dashboards(contracts, obs)
    uids = [model["uid"] for model in models.values()]
    assert len(set(uids)) == len(uids) and all(len(uid) <= 40 for uid in uids)
    assert dashboards(contracts, obs) == models


def test_every_alert_has_a_runbook_page_with_every_section(obs: ObservabilityConfig) -> None:
    contracts = list(stack_contracts("us-east-1"))
    pages = runbook_pages(contracts, obs)
    for contract in contracts:
        for rule in alerts_of(rule_file(contract, obs)):
            page = pages[f"{contract.kind}/{rule['alert']}.md"]
            for section in ("## What it means", "## Impact", "## How to check", "## How to fix"):
                assert section in page, f"{contract.kind}/{rule['alert']} lacks {section}"
            assert rule["annotations"]["runbook_url"].endswith(f"/{contract.kind}/{rule['alert']}.md")


def test_committed_runbooks_match_the_generator() -> None:
    expected = render_runbooks(fleet_contracts(ROOT))
    folder = ROOT / "docs" / "runbooks"
    committed = {str(path.relative_to(folder)): path.read_text() for path in folder.rglob("*.md")}
    stale = sorted(set(committed) ^ set(expected)) + sorted(k for k in expected if committed.get(k) != expected[k])
    assert not stale, f"docs/runbooks is out of date ({stale[:5]}...): run `meridian runbooks`"
