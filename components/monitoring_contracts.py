"""MonitoringContracts of the platform itself: the EKS cluster and its nodes (`kubernetes`), and the
kube-prometheus-stack's own Prometheus, Alertmanager, operator and Grafana (`monitoring`).

Pure factories, no Pulumi. The chart creates every monitor (`created_by_operator=True`); the monitoring component
configures it so the jobs are exactly the ones below (kube-prometheus-stack 88.5.3 templates: the kubelet monitor
scrapes `/metrics` and `/metrics/cadvisor` as job `kubelet` with honorLabels; kube-state-metrics' monitor honours
labels; the API server's monitor takes job `apiserver` from the `component` label of `default/kubernetes`).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, Literal

from components.config import NodeGroupConfig
from components.contracts import MonitoringContract, ScrapeTarget
from components.errors import ConfigError
from components.fleet_view import FLEET_JOB, FLEET_SERVICE_LABELS, WEB_PORT_NAME
from components.namespaces import MONITORING_NAMESPACE

KUBERNETES_EXPORTER: Final = "kubernetes"
MONITORING_EXPORTER: Final = "monitoring"
_NO_OVERRIDES: Final[Mapping[str, float]] = MappingProxyType({})

KUBERNETES_THRESHOLDS: Final[Mapping[str, float]] = MappingProxyType({
    "volume_free_ratio_critical": 0.05,
    "volume_free_ratio_warning": 0.15,
    "volume_full_hours": 96.0,
    "node_filesystem_free_ratio": 0.10,
    "node_memory_available_ratio": 0.10,
    "cpu_throttling_ratio": 0.25,
    "apiserver_error_ratio": 0.05,
})
"""Defaults of the `kubernetes` kind (kubernetes-mixin's levels where it has one): a volume pages below 5 % free and
warns below 15 % free when predicted full within `volume_full_hours`; node root filesystem and memory warn below
10 % available; containers throttled in more than 25 % of their CFS periods; API server 5xx above 5 %."""

MONITORING_THRESHOLDS: Final[Mapping[str, float]] = MappingProxyType({
    "notification_error_ratio": 0.01,
    "alertmanager_failure_ratio": 0.01,
    "operator_reconcile_error_ratio": 0.10,
    "remote_write_failure_ratio": 0.01,
    "remote_write_behind_seconds": 120.0,
})
"""Defaults of the `monitoring` kind (the Prometheus, Alertmanager and operator mixins' levels): Prometheus'
errors sending to Alertmanager above 1 %, Alertmanager's failed notifications above 1 % per integration, the
operator's failed reconciliations above 10 %; remote writes to the fleet Prometheus failing above 1 % of samples
or more than 120 s behind (the Prometheus mixin's levels)."""


def planned_nodes(node_groups: Mapping[str, NodeGroupConfig], zones: int) -> int:
    """Nodes the cluster config plans: each group's desired size, once per zone for per-zone groups."""
    return sum(group.desired_size * (zones if group.per_az else 1) for group in node_groups.values())


def kubernetes_contract(*, region: str, cluster: str, nodes: int,
                        thresholds: Mapping[str, float] = _NO_OVERRIDES) -> MonitoringContract:
    """The cluster's contract: kubelet and cAdvisor on every node, node-exporter, kube-state-metrics, the API
    server. `nodes` is the node count expected ready (replicas of the per-node targets)."""
    if nodes < 1:
        raise ConfigError("kubernetes nodes", nodes, "must be at least 1", "plan at least one node in a node group")

    monitor = _chart_monitor
    kubelet = {"app.kubernetes.io/name": "kubelet", "k8s-app": "kubelet"}
    return MonitoringContract(
        kind="kubernetes", region=region, cluster=cluster, namespace=MONITORING_NAMESPACE,
        scrape=(monitor("kubelet", "kube-system", kubelet, "https-metrics", scheme="https"),
                monitor("kubelet", "kube-system", kubelet, "https-metrics", scheme="https",
                        path="/metrics/cadvisor", interval_seconds=10),
                monitor("node-exporter", MONITORING_NAMESPACE,
                        {"app.kubernetes.io/name": "prometheus-node-exporter"}, "http-metrics"),
                monitor("kube-state-metrics", MONITORING_NAMESPACE, {"app.kubernetes.io/name": "kube-state-metrics"},
                        "http"),
                monitor("apiserver", "default", {"component": "apiserver", "provider": "kubernetes"}, "https",
                        scheme="https")),
        exporter=KUBERNETES_EXPORTER,
        thresholds=_merged("kubernetes", KUBERNETES_THRESHOLDS, thresholds),
        replicas=nodes)


def monitoring_contract(*, region: str, cluster: str, prometheus_replicas: int, alertmanager_replicas: int,
                        thresholds: Mapping[str, float] = _NO_OVERRIDES,
                        fleet_prometheus_replicas: int = 0) -> MonitoringContract:
    """The Prometheus stack's own contract. Replicas: every Prometheus and Alertmanager, the operator, Grafana.

    `fleet_prometheus_replicas` (the primary region's fleet Prometheus, components/fleet_view.py; 0 elsewhere) adds
    its scrape job `prometheus-fleet`; the monitoring component creates that monitor with the fleet view."""
    for key, value in (("prometheus replicas", prometheus_replicas), ("alertmanager replicas", alertmanager_replicas)):
        if value < 1:
            raise ConfigError(f"monitoring {key}", value, "must be at least 1", "run at least one replica")
    if fleet_prometheus_replicas < 0:
        raise ConfigError("monitoring fleet prometheus replicas", fleet_prometheus_replicas, "must not be negative",
                          "use 0 outside the primary region")

    ns, monitor = MONITORING_NAMESPACE, _chart_monitor
    return MonitoringContract(
        kind="monitoring", region=region, cluster=cluster, namespace=MONITORING_NAMESPACE,
        scrape=(monitor("prometheus", ns, {"app": "kube-prometheus-stack-prometheus", "self-monitor": "true"},
                        "http-web"),
                monitor("alertmanager", ns, {"app": "kube-prometheus-stack-alertmanager", "self-monitor": "true"},
                        "http-web"),
                monitor("prometheus-operator", ns, {"app": "kube-prometheus-stack-operator"}, "https",
                        scheme="https"),
                monitor("grafana", ns, {"app.kubernetes.io/name": "grafana"}, "http-web"),
                *((monitor(FLEET_JOB, ns, dict(FLEET_SERVICE_LABELS), WEB_PORT_NAME),)
                  if fleet_prometheus_replicas else ())),
        exporter=MONITORING_EXPORTER,
        thresholds=_merged("monitoring", MONITORING_THRESHOLDS, thresholds),
        replicas=prometheus_replicas + alertmanager_replicas + 2 + fleet_prometheus_replicas)


def _chart_monitor(job: str, namespace: str, selector: dict[str, str], port: str, *,
                   scheme: Literal["http", "https"] = "http", path: str = "/metrics",
                   interval_seconds: int = 30) -> ScrapeTarget:
    """A ServiceMonitor endpoint the chart (or, for the fleet Prometheus, the fleet view) creates, not the
    contract's generic monitor."""
    return ScrapeTarget(kind="ServiceMonitor", job=job, namespace=namespace, selector=selector, port=port,
                        scheme=scheme, path=path, interval_seconds=interval_seconds, created_by_operator=True)


def _merged(kind: str, defaults: Mapping[str, float], overrides: Mapping[str, float]) -> dict[str, float]:
    """Defaults with overrides; unknown names and ratios outside (0, 1) are errors naming the fix."""
    known = ", ".join(sorted(defaults))
    unknown = sorted(set(overrides) - set(defaults))
    if unknown:
        raise ConfigError(f"{kind} thresholds", unknown, "names unknown thresholds", f"use only {known}")
    merged = {**defaults, **{name: float(value) for name, value in overrides.items()}}
    for name, value in merged.items():
        if name.endswith("_ratio") or "_ratio_" in name:
            if not 0 < value < 1:
                raise ConfigError(f"{kind} thresholds.{name}", value, "is a ratio", "use a value between 0 and 1")
        elif value <= 0:
            raise ConfigError(f"{kind} thresholds.{name}", value, "must be positive", "use a value above 0")
    if "volume_free_ratio_critical" in merged and \
            merged["volume_free_ratio_critical"] >= merged["volume_free_ratio_warning"]:
        raise ConfigError(f"{kind} thresholds.volume_free_ratio_critical", merged["volume_free_ratio_critical"],
                          "must be below volume_free_ratio_warning", "lower the critical level or raise the warning")
    return merged
