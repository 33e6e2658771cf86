"""The platform's contract factories: jobs and targets as kube-prometheus-stack creates them, thresholds merged
over the defaults, bad input refused with the fix."""

from __future__ import annotations

import pytest

from components.config import NodeGroupConfig
from components.errors import ConfigError
from components.monitoring_contracts import (
    KUBERNETES_THRESHOLDS,
    MONITORING_THRESHOLDS,
    kubernetes_contract,
    monitoring_contract,
    planned_nodes,
)
from observability.catalog import families

REGION, CLUSTER = "us-east-1", "meridian-us-east-1"


def test_kubernetes_contract_scrapes_kubelet_cadvisor_node_exporter_kube_state_metrics_and_api_server() -> None:
    contract = kubernetes_contract(region=REGION, cluster=CLUSTER, nodes=9)
    assert (contract.kind, contract.exporter, contract.namespace) == ("kubernetes", "kubernetes", "monitoring")
    assert (contract.region, contract.cluster, contract.replicas) == (REGION, CLUSTER, 9)
    targets = {(t.job, t.namespace, t.path) for t in contract.scrape}
    assert targets == {("kubelet", "kube-system", "/metrics"), ("kubelet", "kube-system", "/metrics/cadvisor"),
                       ("node-exporter", "monitoring", "/metrics"), ("kube-state-metrics", "monitoring", "/metrics"),
                       ("apiserver", "default", "/metrics")}
    assert all(t.created_by_operator and t.kind == "ServiceMonitor" for t in contract.scrape)
    kubelet = [t for t in contract.scrape if t.job == "kubelet"]
    assert {t.scheme for t in kubelet} == {"https"} and {t.port for t in kubelet} == {"https-metrics"}
    apiserver = next(t for t in contract.scrape if t.job == "apiserver")
    assert apiserver.selector == {"component": "apiserver", "provider": "kubernetes"}
    assert contract.thresholds == dict(KUBERNETES_THRESHOLDS)
    assert contract.slos == ()


def test_monitoring_contract_scrapes_the_stack_and_counts_every_replica() -> None:
    contract = monitoring_contract(region=REGION, cluster=CLUSTER, prometheus_replicas=2, alertmanager_replicas=3)
    assert (contract.kind, contract.exporter, contract.namespace) == ("monitoring", "monitoring", "monitoring")
    assert sorted(t.job for t in contract.scrape) == ["alertmanager", "grafana", "prometheus", "prometheus-operator"]
    assert {t.namespace for t in contract.scrape} == {"monitoring"}
    assert all(t.created_by_operator for t in contract.scrape)
    assert contract.replicas == 2 + 3 + 2
    assert contract.thresholds == dict(MONITORING_THRESHOLDS)


def test_every_job_of_both_contracts_has_catalogued_families() -> None:
    for contract in (kubernetes_contract(region=REGION, cluster=CLUSTER, nodes=3),
                     monitoring_contract(region=REGION, cluster=CLUSTER, prometheus_replicas=1,
                                         alertmanager_replicas=1)):
        catalogued = {family.job for family in families(contract.exporter)}
        assert catalogued == {t.job for t in contract.scrape}, contract.kind


def test_overrides_merge_over_defaults_without_changing_them() -> None:
    contract = kubernetes_contract(region=REGION, cluster=CLUSTER, nodes=3,
                                   thresholds={"volume_free_ratio_warning": 0.2, "volume_full_hours": 48})
    assert contract.thresholds["volume_free_ratio_warning"] == 0.2
    assert contract.thresholds["volume_full_hours"] == 48.0
    assert contract.thresholds["volume_free_ratio_critical"] == KUBERNETES_THRESHOLDS["volume_free_ratio_critical"]
    assert KUBERNETES_THRESHOLDS["volume_free_ratio_warning"] == 0.15
    contract.thresholds["cpu_throttling_ratio"] = 0.9
    assert kubernetes_contract(region=REGION, cluster=CLUSTER, nodes=3).thresholds["cpu_throttling_ratio"] == 0.25
    monitoring = monitoring_contract(region=REGION, cluster=CLUSTER, prometheus_replicas=1, alertmanager_replicas=1,
                                     thresholds={"notification_error_ratio": 0.05})
    assert monitoring.thresholds == {**MONITORING_THRESHOLDS, "notification_error_ratio": 0.05}


@pytest.mark.parametrize("factory", ["kubernetes", "monitoring"])
def test_unknown_threshold_names_are_refused_naming_the_known_ones(factory: str) -> None:
    with pytest.raises(ValueError, match="names unknown thresholds") as error:
        if factory == "kubernetes":
            kubernetes_contract(region=REGION, cluster=CLUSTER, nodes=3, thresholds={"disk_free": 0.1})
        else:
            monitoring_contract(region=REGION, cluster=CLUSTER, prometheus_replicas=1, alertmanager_replicas=1,
                                thresholds={"disk_free": 0.1})
    known = KUBERNETES_THRESHOLDS if factory == "kubernetes" else MONITORING_THRESHOLDS
    assert "disk_free" in str(error.value)
    assert all(name in str(error.value) for name in known)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"cpu_throttling_ratio": 1.5}, "is a ratio"),
    ({"apiserver_error_ratio": 0.0}, "is a ratio"),
    ({"volume_full_hours": -1}, "must be positive"),
    ({"volume_free_ratio_critical": 0.2}, "must be below volume_free_ratio_warning"),
])
def test_out_of_range_thresholds_are_refused(overrides: dict[str, float], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        kubernetes_contract(region=REGION, cluster=CLUSTER, nodes=3, thresholds=overrides)


def test_counts_below_one_are_refused() -> None:
    with pytest.raises(ConfigError, match="kubernetes nodes"):
        kubernetes_contract(region=REGION, cluster=CLUSTER, nodes=0)
    with pytest.raises(ConfigError, match="alertmanager replicas"):
        monitoring_contract(region=REGION, cluster=CLUSTER, prometheus_replicas=2, alertmanager_replicas=0)


def test_planned_nodes_counts_per_zone_groups_once_per_zone() -> None:
    groups = {
        "system": NodeGroupConfig(instance_types=("m7i.xlarge",), min_size=3, desired_size=3, max_size=6),
        "data": NodeGroupConfig(instance_types=("r7i.4xlarge",), min_size=2, desired_size=2, max_size=4,
                                per_az=True),
    }
    assert planned_nodes(groups, zones=3) == 3 + 2 * 3
    assert planned_nodes(groups, zones=2) == 3 + 2 * 2
