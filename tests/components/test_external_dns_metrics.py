"""ExternalDNS monitoring: the contract matches the chart, every name the rules and dashboard read is catalogued with
a v0.21.0 source, and the rules pass their promtool cases (independently of any stack wiring)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any, Final

import pytest
import yaml

from alerts.render import rule_file
from components import external_dns_metrics as edns
from components import fleet_dns
from components.contracts import MonitoringContract
from dashboards import external_dns as dashboard
from dashboards.common import panel_queries, to_json
from observability.catalog import external_dns as catalog
from observability.catalog import metric_names
from observability.config import ObservabilityConfig

MIRROR: Final = Path("/work/.mirror/kubernetes-sigs+external-dns/repo")
"""Bare clone of kubernetes-sigs/external-dns, where available, to check the citations against."""
APP_TAG: Final = "v0.21.0"
CHART_TAG: Final = "external-dns-helm-chart-1.21.1"
SOURCE: Final = re.compile(r"^kubernetes-sigs/external-dns@v0\.21\.0:(?P<path>[\w./-]+)$")
CITED_FILES: Final = frozenset({"controller/metrics.go", "plan/metrics.go", "pkg/http/http.go",
                                "pkg/metrics/metrics.go", "docs/monitoring/metrics.md"})
CHART_SELECTOR_TEMPLATE: Final = ("app.kubernetes.io/name: {{ include \"external-dns.name\" . }}\n"
                                  "app.kubernetes.io/instance: {{ .Release.Name }}")
"""`external-dns.selectorLabels` of charts/external-dns/templates/_helpers.tpl at the chart tag (the Service's
selector and part of its labels); `external-dns.name` is the chart name without a nameOverride."""


@pytest.fixture
def contract() -> MonitoringContract:
    return edns.external_dns_contract(region="us-east-1", cluster_name="meridian-us-east-1")


@pytest.fixture
def obs() -> ObservabilityConfig:
    return ObservabilityConfig()


def _git_show(tag: str, path: str) -> str:
    result = subprocess.run(["git", "-C", str(MIRROR), "show", f"{tag}:{path}"], capture_output=True, text=True,
                            timeout=30, check=False)
    assert result.returncode == 0, f"{path} is not at {tag}: {result.stderr}"
    return result.stdout


def _render_selector(template: str, *, chart_name: str, release: str) -> dict[str, str]:
    text = template.replace('{{ include "external-dns.name" . }}', chart_name).replace("{{ .Release.Name }}", release)
    rendered: dict[str, str] = yaml.safe_load(text)
    return rendered


def _used_names(contract: MonitoringContract, obs: ObservabilityConfig) -> tuple[set[str], set[str]]:
    """(names the rules and panels query, names the rules record)."""
    rules = rule_file(contract, obs)
    recorded = {rule["record"] for group in rules["groups"] for rule in group["rules"] if "record" in rule}
    queried = {name for group in rules["groups"] for rule in group["rules"] for name in metric_names(rule["expr"])}
    queried |= {name for _, expr in panel_queries(to_json(dashboard.build(contract, obs)))
                for name in metric_names(expr)}
    return queried, recorded


def test_contract_scrapes_the_charts_service_as_one_writer(contract: MonitoringContract) -> None:
    target = contract.scrape[0]
    assert (contract.kind, contract.namespace, contract.exporter) == ("external-dns", "external-dns", catalog.EXPORTER)
    assert (target.kind, target.job, target.namespace, target.port, target.path) == (
        "ServiceMonitor", "external-dns", "external-dns", "http", "/metrics")
    assert not target.created_by_operator and 30 <= target.interval_seconds <= 120
    assert contract.replicas == 1 and len(contract.scrape) == 1
    assert set(contract.thresholds) == set(edns.DEFAULT_THRESHOLDS)


def test_selector_is_the_charts_selector_labels_for_the_release(contract: MonitoringContract) -> None:
    expected = _render_selector(CHART_SELECTOR_TEMPLATE, chart_name="external-dns", release=fleet_dns.RELEASE)
    assert contract.scrape[0].selector == expected == fleet_dns.POD_LABELS
    assert fleet_dns.RELEASE == edns.RELEASE and contract.namespace == fleet_dns.NAMESPACE


def test_transcribed_chart_selector_matches_the_chart_source() -> None:
    if not MIRROR.exists():
        pytest.skip(f"no kubernetes-sigs/external-dns mirror at {MIRROR}")
    helpers = _git_show(CHART_TAG, "charts/external-dns/templates/_helpers.tpl")
    block = re.search(r'define "external-dns\.selectorLabels" -}}\n(.*?)\n\{\{- end', helpers, re.S)
    assert block and block.group(1).strip() == CHART_SELECTOR_TEMPLATE
    assert yaml.safe_load(_git_show(CHART_TAG, "charts/external-dns/Chart.yaml"))["name"] == "external-dns"
    service = _git_show(CHART_TAG, "charts/external-dns/templates/service.yaml")
    assert 'include "external-dns.selectorLabels"' in service and "- name: http\n" in service


def test_every_queried_name_is_catalogued_with_a_v0_21_0_source(contract: MonitoringContract,
                                                                 obs: ObservabilityConfig) -> None:
    queried, recorded = _used_names(contract, obs)
    by_series = {series: family for family in catalog.FAMILIES for series in family.series_names()}
    unknown = queried - recorded - set(by_series) - {"up"}
    assert not unknown, f"rules or panels query names the catalog lacks: {unknown}"
    used = {by_series[name].name: by_series[name] for name in queried if name in by_series}
    assert len(used) >= 10, sorted(used)
    for family in used.values():
        match = SOURCE.fullmatch(family.source)
        assert match and match["path"] in CITED_FILES, f"{family.name}: source {family.source!r}"
        assert family.job == contract.scrape[0].job, family.name


def test_catalogued_names_exist_in_the_cited_v0_21_0_files() -> None:
    if not MIRROR.exists():
        pytest.skip(f"no kubernetes-sigs/external-dns mirror at {MIRROR}")
    docs = _git_show(APP_TAG, "docs/monitoring/metrics.md")
    for family in catalog.FAMILIES:
        match = SOURCE.fullmatch(family.source)
        assert match, family.source
        text = _git_show(APP_TAG, match["path"])
        short = family.name.removeprefix("external_dns_")
        subsystem, _, name = short.partition("_") if not short.startswith("build_") else ("", "", short)
        if family.name.startswith("external_dns_"):
            assert f'"{name}"' in text and (not subsystem or f'"{subsystem}"' in text), family.name
            assert f"| {name} " in docs, f"{family.name} not in docs/monitoring/metrics.md"
        else:  # client_golang's process collector, as metrics.md lists it
            assert f"| {family.name} " in text, family.name


def test_fleet_panels_read_cluster_level_rules_the_template_records(contract: MonitoringContract,
                                                                   obs: ObservabilityConfig) -> None:
    _, recorded = _used_names(contract, obs)
    assert 2 <= len(dashboard.FLEET_PANELS) <= 4
    for panel in dashboard.FLEET_PANELS:
        assert panel.expr.startswith("cluster:") and panel.expr in recorded, panel.expr


def _without_annotations(rules: dict[str, Any]) -> dict[str, Any]:
    return {"groups": [{**group, "rules": [{k: v for k, v in rule.items() if k != "annotations"}
                                           for rule in group["rules"]]} for group in rules["groups"]]}
