"""The fleet view end to end with two real Prometheus 2.42 servers: a fleet receiver (remote-write receiver on)
and a member region's Prometheus configured from the generated remoteWrite entries, its generated recording rules
and a scrape of itself. Only `cluster:`/`slo:` series reach the receiver, with the member's region and cluster,
and every query of the generated fleet dashboard runs there."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode

import pytest
import yaml

from alerts.render import rule_file
from components.config.monitoring import MonitoringConfig
from components.fleet_plan import FleetView
from components.fleet_view import KEEP_NAMES, remote_write
from components.monitoring_contracts import monitoring_contract
from components.monitoring_values import ValuesInputs, chart_values, scrape_class
from dashboards.common import panel_queries, to_json
from dashboards.fleet import build
from observability.config import ObservabilityConfig
from tests.observability.live_prometheus import Live, LiveError, running, write_config

REGION: Final = "us-west-2"
CLUSTER: Final = f"meridian-{REGION}"
HOST: Final = "prometheus.us-east-1.meridian.internal"
VIEW: Final = FleetView(primary_region="us-east-1", is_primary=False, receiver_host=HOST, receiver_replicas=2,
                        remote_write_urls=tuple(f"http://prometheus-fleet-{i}.{HOST}:9090/api/v1/write"
                                                for i in range(2)), fleet_cidr="10.0.0.0/8")
RENAMED: Final = {"retryOnRateLimit": "retry_on_http_429"}
"""Fields whose Prometheus name is not the snake_case of the operator's (prometheus-operator pkg/prometheus
promcfg.go writes `retry_on_http_429` for `queueConfig.retryOnRateLimit`)."""
OPERATOR_LABELS: Final = {"prometheus": "monitoring/kube-prometheus-stack-prometheus",
                          "prometheus_replica": "prometheus-kube-prometheus-stack-prometheus-0"}
"""External labels the operator adds to the regional Prometheus (its defaults), as the receiver sees them."""
WAIT_SECONDS: Final = 30.0


def snake(key: str) -> str:
    """An operator (camelCase) field name as Prometheus' configuration (snake_case) names it."""
    return RENAMED.get(key) or re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key).lower()


def to_prometheus(value: Any) -> Any:
    """A CRD fragment (remoteWrite entry, relabelings) with every field renamed as prometheus.yml names it."""
    if isinstance(value, Mapping):
        return {snake(key): to_prometheus(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_prometheus(item) for item in value]
    return value


def test_the_converter_names_fields_as_prometheus_does() -> None:
    entry = {"url": "u", "remoteTimeout": "30s", "metadataConfig": {"send": False},
             "writeRelabelConfigs": [{"sourceLabels": ["__name__"], "regex": "a", "action": "keep"}],
             "queueConfig": {"maxSamplesPerSend": 5, "batchSendDeadline": "5s", "retryOnRateLimit": True}}
    assert to_prometheus(entry) == {
        "url": "u", "remote_timeout": "30s", "metadata_config": {"send": False},
        "write_relabel_configs": [{"source_labels": ["__name__"], "regex": "a", "action": "keep"}],
        "queue_config": {"max_samples_per_send": 5, "batch_send_deadline": "5s", "retry_on_http_429": True}}
    assert snake("targetLabel") == "target_label" and snake("url") == "url"


def _member_values() -> dict[str, Any]:
    inputs = ValuesInputs(config=MonitoringConfig(), region=REGION, cluster=CLUSTER, storage_class="gp3",
                          config_secret="c", receivers_secret=None, grafana_admin_secret="g", grafana_cluster_role="r",
                          remote_write=tuple(remote_write(VIEW)))
    spec: dict[str, Any] = chart_values(inputs)["prometheus"]["prometheusSpec"]
    return spec


def _member_config(folder: Path, receiver: str, targets: Path, rules: Path) -> Path:
    """prometheus.yml of the member: the generated remote write (to the local receiver), external labels, rules,
    and a scrape of itself (file SD, filled in once its port is known) with the chart's scrape-class labels."""
    spec = _member_values()
    writes = [{**to_prometheus(entry), "url": f"{receiver}/api/v1/write"} for entry in spec["remoteWrite"]]
    relabel = to_prometheus(scrape_class(REGION, CLUSTER)["relabelings"])
    config = {"global": {"scrape_interval": "1s", "evaluation_interval": "1s",
                         "external_labels": {**spec["externalLabels"], **OPERATOR_LABELS}},
              "rule_files": [str(rules)], "remote_write": writes,
              "scrape_configs": [{"job_name": "prometheus", "file_sd_configs": [{"files": [str(targets)]}],
                                  "relabel_configs": relabel}]}
    path = folder / "prometheus.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _rules(folder: Path) -> Path:
    """The member's generated `monitoring` rule file (1 s intervals), plus an SLI recorded as the templates do."""
    contract = monitoring_contract(region=REGION, cluster=CLUSTER, prometheus_replicas=1, alertmanager_replicas=1)
    groups = rule_file(contract, ObservabilityConfig())["groups"]
    requests_total = "prometheus_http_requests_total"
    groups.append({"name": "slo.test", "rules": [{
        "record": "slo:sli_error:ratio_rate1h", "labels": {"slo": "http"},
        "expr": f'(sum by (region, cluster) (rate({requests_total}{{code=~"5.."}}[1m])) or sum by (region, cluster) '
                f'(rate({requests_total}[1m])) * 0) / sum by (region, cluster) (rate({requests_total}[1m]))'}]})
    for group in groups:
        group["interval"] = "1s"
    path = folder / "rules.yaml"
    path.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
    return path


def _names(live: Live) -> set[str]:
    return set(live.api("label/__name__/values"))


def _wait_for(receiver: Live, names: set[str]) -> list[dict[str, Any]]:
    """Bounded wait until the receiver holds series of every name; those series."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        found: list[dict[str, Any]] = receiver.api(
            "series?" + urlencode([("match[]", name) for name in sorted(names)]))
        if {series["__name__"] for series in found} >= names:
            return found
        if time.monotonic() > deadline:
            raise LiveError(f"receiver has {sorted(_names(receiver))} after {WAIT_SECONDS} s, wants {sorted(names)}")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Live, Live]]:
    root = tmp_path_factory.mktemp("fleet-view")
    (root / "receiver").mkdir()
    (root / "member").mkdir()
    receiver_config = write_config(root / "receiver", [])
    with running(root / "receiver" / "data", receiver_config, ready_timeout=20,
                 extra_flags=("--web.enable-remote-write-receiver",)) as receiver:
        targets = root / "member" / "targets.json"
        targets.write_text("[]")
        config = _member_config(root / "member", receiver.url, targets, _rules(root / "member"))
        with running(root / "member" / "data", config, ready_timeout=20) as member:
            staged = targets.with_suffix(".tmp")
            staged.write_text(json.dumps([{"targets": [member.url.removeprefix("http://")]}]))
            staged.replace(targets)
            yield receiver, member


def test_only_recordings_reach_the_receiver_with_the_members_labels(servers: tuple[Live, Live]) -> None:
    receiver, member = servers
    series = _wait_for(receiver, {"cluster:up:avg", "cluster:prometheus_tsdb_head_series:max",
                                  "slo:sli_error:ratio_rate1h"})
    for labels in series:
        assert (labels["region"], labels["cluster"]) == (REGION, CLUSTER), labels
        assert labels["prometheus_replica"] == OPERATOR_LABELS["prometheus_replica"], labels
    assert {"up", "prometheus_build_info"} <= _names(member), "the member has the raw series"
    received = _names(receiver)
    assert "up" not in received and "prometheus_build_info" not in received
    assert all(re.fullmatch(KEEP_NAMES, name) for name in received), sorted(received)


def test_every_fleet_dashboard_query_runs_on_the_receiver(servers: tuple[Live, Live]) -> None:
    receiver, _ = servers
    _wait_for(receiver, {"cluster:up:avg"})
    contract = monitoring_contract(region=REGION, cluster=CLUSTER, prometheus_replicas=1, alertmanager_replicas=1)
    model = to_json(build([contract], ObservabilityConfig()))
    variables = {v["name"]: v["query"] for v in model["templating"]["list"]}
    for name, query in variables.items():
        series = query.removeprefix("label_values(").rsplit(",", 1)[0].replace("$region", REGION)
        assert receiver.api(f"label/{name}/values?{urlencode({'match[]': series})}") == \
            [REGION if name == "region" else CLUSTER], query
    queries = panel_queries(model)
    assert len(queries) >= 4
    with_data = set()
    for title, expr in queries:
        filled = expr.replace("$region", REGION).replace("$cluster", CLUSTER)
        result = receiver.client.custom_query(filled)  # raises on an error
        if result:
            with_data.add(title)
            assert all("prometheus_replica" not in item["metric"] for item in result), f"{title}: not deduplicated"
    assert {"Share of scrape targets up, per component", "SLO error ratio over 1h, per SLO"} <= with_data
