"""The generated rules and dashboards against a real Prometheus (2.42) over backfilled, catalog-shaped data of the
us-east-1 contracts: every group loads and evaluates healthy, every rule expression and every dashboard panel query
evaluates, panels and fleet recording rules return data, and healthy data raises no alert."""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_api_client.exceptions import PrometheusApiClientException

from alerts.render import alerts_of, rule_files
from components.contracts import MonitoringContract
from dashboards.common import panel_queries
from dashboards.render import dashboards
from observability.backfill import contract_series, sample_times, scrape_targets
from observability.catalog import families, metric_names
from observability.config import ObservabilityConfig
from tests.observability.conftest import stack_contracts
from tests.observability.live_prometheus import Live, live_prometheus, wait_evaluated, wait_firing

REGION = "us-east-1"
CONTRACTS = stack_contracts(REGION)
KINDS = sorted(contract.kind for contract in CONTRACTS)
GRAFANA_VARIABLES = {"__rate_interval": "2m", "__interval": "1m", "__range": "1h", "datasource": "prometheus"}
_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)")


@dataclass
class Server:
    """The live server and what was loaded into it."""

    live: Live
    contracts: list[MonitoringContract]
    rules: dict[str, dict[str, Any]]
    models: dict[str, dict[str, Any]]
    groups: list[dict[str, Any]]
    """The rule groups after every group evaluated twice."""
    always_firing: set[str]
    """Alerts over no metric at all (a watchdog's `vector(1)`): they fire by design."""
    alerts: list[dict[str, Any]] | None = None

    def steady(self) -> list[dict[str, Any]]:
        """A healthy region's steady state, waited for once: the dead man's switch fires (past its `for`) and every
        group evaluated again, so the rules reading ALERTS have data; the server's alerts then."""
        if self.alerts is None:
            self.alerts = wait_firing(self.live, self.always_firing)
            self.groups = wait_evaluated(self.live, rounds=1)
        return self.alerts


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    obs = dataclasses.replace(ObservabilityConfig(), rule_interval="10s")  # the defaults, evaluated sooner
    contracts = list(CONTRACTS)
    rules = rule_files(contracts, obs)
    always = {rule["alert"] for content in rules.values() for rule in alerts_of(content)
              if not metric_names(rule["expr"])}
    with live_prometheus(contracts, rules, Path(tmp_path_factory.mktemp("live"))) as live:
        yield Server(live=live, contracts=contracts, rules=rules, models=dashboards(contracts, obs),
                     groups=wait_evaluated(live, rounds=2), always_firing=always)


def _kind(server: Server, kind: str) -> MonitoringContract:
    return next(contract for contract in server.contracts if contract.kind == kind)


def substitute(expr: str, contract: MonitoringContract) -> str:
    """A panel query with Grafana's variables filled in as Grafana would for this contract's region."""
    values = {"region": contract.region, "cluster": contract.cluster, **GRAFANA_VARIABLES}

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in values:
            raise AssertionError(f"unknown Grafana variable ${name} in {expr}")
        return values[name]

    return _VARIABLE.sub(value, expr)


def _range(server: Server, expr: str) -> list[dict[str, Any]]:
    end = datetime.now(UTC)
    result: list[dict[str, Any]] = server.live.client.custom_query_range(
        expr, start_time=end - timedelta(hours=1), end_time=end, step="60s")
    return result


@pytest.mark.parametrize("kind", KINDS)
def test_every_rule_group_loads_and_evaluates_healthy(server: Server, kind: str) -> None:
    file_name = f"{kind}.yaml"
    expected = [group["name"] for group in server.rules[file_name]["groups"]]
    loaded = {group["name"]: group for group in server.groups if Path(group["file"]).name == file_name}
    assert sorted(loaded) == sorted(expected), f"{file_name}: groups loaded {sorted(loaded)}, expected {expected}"
    unhealthy = [f"{name}/{rule['name']}: {rule['health']} {rule.get('lastError', '')}"
                 for name, group in loaded.items() for rule in group["rules"]
                 if rule["health"] != "ok" or rule.get("lastError")]
    assert not unhealthy, f"{file_name}: unhealthy rules: {unhealthy}"


@pytest.mark.parametrize("kind", KINDS)
def test_every_rule_expression_evaluates(server: Server, kind: str) -> None:
    failures = []
    for group in server.rules[f"{kind}.yaml"]["groups"]:
        for rule in group["rules"]:
            try:
                server.live.client.custom_query(rule["expr"])
            except PrometheusApiClientException as error:
                failures.append(f"{group['name']}/{rule.get('alert') or rule.get('record')}: {error}")
    assert not failures, f"{kind}: rule expressions fail: {failures}"


@pytest.mark.parametrize("dashboard", [*(f"{kind}.json" for kind in KINDS), "region-overview.json",
                                       "fleet-overview.json"])
def test_every_dashboard_panel_query_returns_data(server: Server, dashboard: str) -> None:
    assert dashboard in server.models, f"no {dashboard} generated"
    name = dashboard.removesuffix(".json")
    if name not in KINDS:  # the overviews show alerts firing
        server.steady()
    contract = _kind(server, name) if name in KINDS else server.contracts[0]
    model = server.models[dashboard]
    queries = panel_queries(model)
    assert queries, f"{dashboard}: no panel queries"
    failures = []
    for title, expr in queries:
        query = substitute(expr, contract)
        try:
            if not _range(server, query):
                failures.append(f"panel {title!r} returns no data: {query}")
        except PrometheusApiClientException as error:
            failures.append(f"panel {title!r} fails: {error}: {query}")
    assert not failures, f"dashboard {model.get('title')!r} ({dashboard}):\n" + "\n".join(failures)


@pytest.mark.parametrize("kind", ["fleet", *KINDS])
def test_fleet_panels_read_recorded_series_with_data(server: Server, kind: str) -> None:
    from dashboards.fleet import GENERIC_PANELS, fleet_expr, fleet_panels

    if kind == "fleet":  # it shows alerts firing
        server.steady()
    panels = GENERIC_PANELS if kind == "fleet" else fleet_panels(kind)
    assert kind == "fleet" or 2 <= len(panels) <= 4, f"{kind}: FLEET_PANELS has {len(panels)} panels, wants 2-4"
    recorded = {rule["record"] for content in server.rules.values() for group in content["groups"]
                for rule in group["rules"] if "record" in rule}
    failures = []
    for panel in panels:
        if panel.expr not in recorded:
            failures.append(f"{panel.title!r}: {panel.expr} is not a recording rule of the generated files")
        elif not _range(server, fleet_expr(panel).replace("$region", ".*")):
            failures.append(f"{panel.title!r}: {panel.expr} has no data")
    assert not failures, f"{kind} fleet panels: {failures}"


@pytest.mark.parametrize("kind", KINDS)
def test_healthy_data_raises_no_alert(server: Server, kind: str) -> None:
    raised = sorted({f"{alert['labels']['alertname']} ({alert['state']})" for alert in server.steady()
                     if alert["labels"].get("component") == kind
                     and alert["labels"]["alertname"] not in server.always_firing})
    assert not raised, f"{kind}: alerts pending or firing on healthy backfilled data: {raised}"


def test_backfill_ends_now_so_range_functions_see_data(server: Server) -> None:
    result = server.live.client.custom_query('max(timestamp(up{job!=""}))')
    assert result and time.time() - float(result[0]["value"][1]) < 300, result


@pytest.mark.parametrize("kind", KINDS)
def test_backfill_is_shaped_like_the_exporters(kind: str) -> None:
    contract = next(contract for contract in CONTRACTS if contract.kind == kind)
    series = list(contract_series(contract))
    times = sample_times(time.time(), 600)
    keys = [(s.name, s.labels) for s in series]
    assert len(keys) == len(set(keys)), f"{kind}: duplicate series"
    targets = scrape_targets(contract)
    assert sum(1 for s in series if s.name == "up") == len(targets)
    for name, labels in keys:
        assert {"region", "cluster", "job", "instance", "namespace", "pod"} <= dict(labels).keys(), (name, labels)
        assert dict(labels)["region"] == contract.region and dict(labels)["cluster"] == contract.cluster
    for family in families(contract.exporter):
        # Two jobs may share names (MirrorMaker2 and the heartbeat Connect cluster): count the family's own job's.
        emitted = [s for s in series if s.name in family.series_names() and dict(s.labels)["job"] == family.job]
        jobs = [target for target, labels in targets if labels["job"] == family.job]
        assert emitted or not jobs or not family.labels, f"{kind}: {family.name} not emitted"
        if family.type in ("counter", "gauge") and jobs:
            per_target = len(jobs) if family.per_target else 1
            assert len(emitted) == per_target * len(family.labels), f"{kind}: {family.name}: {len(emitted)} series"
            for own in family.labels:  # the family's own labels win over the scrape's
                assert any(dict(s.labels).items() >= own.items() for s in emitted), (family.name, own)
    for s in series:
        values = [s.value_at(t) for t in times]
        if s.kind == "counter":
            assert values == sorted(values), f"{kind}: counter {s.name} decreases"
    counts = {(s.name.removesuffix("_count"), s.labels): s for s in series if s.name.endswith("_count")}
    for s in (s for s in series if s.name.endswith("_bucket")):
        key = (s.name.removesuffix("_bucket"), tuple(item for item in s.labels if item[0] != "le"))
        assert key in counts, f"{kind}: {s.name} has no _count"
        assert s.value_at(times[-1]) <= counts[key].value_at(times[-1]) * (1 + 1e-12), f"{kind}: {key} not cumulative"
        if dict(s.labels)["le"] == "+Inf":
            assert s.value_at(times[-1]) == counts[key].value_at(times[-1])
