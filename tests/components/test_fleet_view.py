"""The fleet view's builders: remote-write entries, the fleet Prometheus, its Service and monitor, the Grafana data
source, the contract's scrape job and the fleet dashboard, against the real CRD and Kubernetes schemas."""

from __future__ import annotations

import json
import re
from typing import Any

import kubernetes_validate
import pytest

from components.errors import ConfigError
from components.fleet_plan import FleetView
from components.fleet_view import (
    FLEET_JOB,
    FLEET_POD_LABELS,
    FLEET_SERVICE,
    KEEP_NAMES,
    fleet_datasource,
    fleet_prometheus,
    fleet_service,
    fleet_service_monitor,
    remote_write,
)
from components.monitoring_contracts import monitoring_contract
from components.monitoring_values import PROMETHEUS_POD_LABELS
from dashboards.common import to_json
from dashboards.fleet import FLEET_DATASOURCE_UID, build
from observability.config import ObservabilityConfig
from tests.schemas import custom_resource_errors, unknown_crd_fields

NS = "monitoring"
HOST = "prometheus.us-east-1.meridian.internal"
VIEW = FleetView(primary_region="us-east-1", is_primary=True, receiver_host=HOST, receiver_replicas=3,
                 remote_write_urls=tuple(f"http://prometheus-fleet-{i}.{HOST}:9090/api/v1/write" for i in range(3)),
                 fleet_cidr="10.0.0.0/8")


def _valid(obj: dict[str, Any]) -> None:
    assert custom_resource_errors(obj) == [], obj["metadata"]["name"]
    assert unknown_crd_fields(obj) == [], obj["metadata"]["name"]


def test_remote_write_has_one_bounded_filtered_entry_per_receiver_replica() -> None:
    entries = remote_write(VIEW)
    assert [entry["url"] for entry in entries] == list(VIEW.remote_write_urls)
    assert len({entry["name"] for entry in entries}) == 3, "each queue is named (its metrics carry the name)"
    for entry in entries:
        assert entry["writeRelabelConfigs"] == [{"sourceLabels": ["__name__"], "regex": KEEP_NAMES,
                                                 "action": "keep"}]
        queue = entry["queueConfig"]
        assert queue["capacity"] * queue["maxShards"] <= 10_000 and queue["maxSamplesPerSend"] <= queue["capacity"]
        assert entry["metadataConfig"] == {"send": False}
    _valid({"apiVersion": "monitoring.coreos.com/v1", "kind": "Prometheus", "metadata": {"name": "p"},
            "spec": {"remoteWrite": entries}})


@pytest.mark.parametrize(("name", "kept"), [
    ("cluster:up:avg", True), ("slo:sli_error:ratio_rate1h", True), ("cluster:alerts_firing:count", True),
    ("up", False), ("prometheus_build_info", False), ("cluster_up", False), ("node:cpu:avg", False),
    ("cluster:", False), ("xcluster:up:avg", False)])
def test_only_cluster_and_slo_recordings_are_sent(name: str, kept: bool) -> None:
    # Prometheus anchors relabel regexes (^(?:...)$), as fullmatch does.
    assert bool(re.fullmatch(KEEP_NAMES, name)) is kept


def test_the_fleet_prometheus_receives_and_selects_nothing() -> None:
    obj = fleet_prometheus(VIEW, namespace=NS, storage_class="gp3")
    _valid(obj)
    spec = obj["spec"]
    assert obj["metadata"] == {**obj["metadata"], "name": "fleet", "namespace": NS}
    assert spec["enableRemoteWriteReceiver"] is True and spec["replicas"] == VIEW.receiver_replicas
    for selector in ("serviceMonitorSelector", "podMonitorSelector", "probeSelector", "scrapeConfigSelector",
                     "ruleSelector"):
        assert selector not in spec, f"{selector}: a nil selector selects nothing; {{}} would select everything"
    assert "remoteWrite" not in spec and "alerting" not in spec
    claim = spec["storage"]["volumeClaimTemplate"]["spec"]
    assert claim["storageClassName"] == "gp3"
    size_gb = int(spec["retentionSize"].removesuffix("GB"))
    assert size_gb < int(claim["resources"]["requests"]["storage"].removesuffix("Gi")), "retention below volume"
    assert spec["topologySpreadConstraints"][0]["labelSelector"]["matchLabels"] == FLEET_POD_LABELS
    assert FLEET_POD_LABELS != PROMETHEUS_POD_LABELS, "regional policies and spreads must not select fleet pods"


def test_the_headless_service_publishes_the_receiver_names() -> None:
    service = fleet_service(VIEW, namespace=NS)
    kubernetes_validate.validate(service, "1.35.0", strict=True)
    assert service["spec"]["clusterIP"] == "None" and service["spec"]["selector"] == FLEET_POD_LABELS
    assert service["metadata"]["annotations"] == {"external-dns.alpha.kubernetes.io/hostname": HOST}
    (port,) = service["spec"]["ports"]
    assert port["port"] == 9090
    # ExternalDNS names each ready pod `<pod hostname>.<annotation>`; StatefulSet pods are `prometheus-fleet-<i>`.
    assert {f"http://prometheus-fleet-{i}.{HOST}:9090/api/v1/write" for i in range(3)} == \
        set(VIEW.remote_write_urls)
    assert "app" not in service["metadata"]["labels"], "the chart's self-monitor must not select it"


def test_the_fleet_prometheus_is_scraped_as_the_contracts_job() -> None:
    monitor = fleet_service_monitor(namespace=NS)
    _valid(monitor)
    service = fleet_service(VIEW, namespace=NS)
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert selector.items() <= service["metadata"]["labels"].items()
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] == service["spec"]["ports"][0]["name"]
    assert endpoint["relabelings"] == [{"action": "replace", "targetLabel": "job", "replacement": FLEET_JOB}]
    (drop,) = endpoint["metricRelabelings"]
    assert drop["action"] == "drop" and re.fullmatch(drop["regex"], "prometheus_notifications_alertmanagers_discovered")
    assert not re.fullmatch(drop["regex"], "prometheus_tsdb_head_series")

    contract = monitoring_contract(region="us-east-1", cluster="meridian-us-east-1", prometheus_replicas=2,
                                   alertmanager_replicas=3, fleet_prometheus_replicas=VIEW.receiver_replicas)
    (target,) = [t for t in contract.scrape if t.job == FLEET_JOB]
    assert target.created_by_operator, "the fleet view creates its monitor, not the generic generator"
    assert (target.namespace, target.selector, target.port) == (NS, selector, endpoint["port"])
    assert contract.replicas == 2 + 3 + 2 + VIEW.receiver_replicas
    plain = monitoring_contract(region="us-east-1", cluster="meridian-us-east-1", prometheus_replicas=2,
                                alertmanager_replicas=3)
    assert FLEET_JOB not in {t.job for t in plain.scrape} and plain.replicas == 7
    with pytest.raises(ConfigError, match="fleet prometheus replicas"):
        monitoring_contract(region="us-east-1", cluster="c", prometheus_replicas=1, alertmanager_replicas=1,
                            fleet_prometheus_replicas=-1)


def test_the_fleet_dashboard_reads_only_the_fleet_data_source() -> None:
    source = fleet_datasource(NS)
    assert (source["uid"], source["name"], source["type"]) == (FLEET_DATASOURCE_UID, "Fleet", "prometheus")
    assert source["url"] == f"http://{FLEET_SERVICE}.{NS}.svc:9090"
    contract = monitoring_contract(region="us-east-1", cluster="meridian-us-east-1", prometheus_replicas=2,
                                   alertmanager_replicas=3)
    model = to_json(build([contract], ObservabilityConfig()))
    text = json.dumps(model)
    assert "${datasource}" not in text and all(v["name"] != "datasource" for v in model["templating"]["list"])
    refs = [panel["datasource"] for panel in model["panels"] if panel.get("type") != "row"]
    refs += [v["datasource"] for v in model["templating"]["list"]]
    assert refs and all(ref == {"type": "prometheus", "uid": FLEET_DATASOURCE_UID} for ref in refs)
    for variable in model["templating"]["list"]:
        assert "up{" not in variable["query"] and "(up," not in variable["query"], "no raw `up` in the fleet"

