"""kube-prometheus-stack values (chart 88.5.3, prometheus-community/helm-charts tag kube-prometheus-stack-88.5.3).

Key choices, each checked against the chart's templates at that tag:
- Selectors: `*SelectorNilUsesHelmValues: false` with empty selectors, so Prometheus picks up every
  ServiceMonitor, PodMonitor and PrometheusRule in every namespace (templates/prometheus/prometheus.yaml renders
  `{}`). A label selector would also need every chart and operator that creates monitors (ScrapeTargets with
  `created_by_operator`) to carry our label, and a monitor that is silently not selected is a monitoring gap.
- `defaultRules.create: false` and `grafana.defaultDashboardsEnabled: false`: the rules and dashboards generated
  from the contracts replace the kube-prometheus mixins, whose alerts carry neither our severities' routing
  contract nor runbooks, and whose dashboards would duplicate ours.
- A default scrape class adds `region` and `cluster` target labels to every scrape, so every series carries
  them locally (externalLabels only label what leaves Prometheus).
- `job` labels: kubelet (`jobLabel: k8s-app`), apiserver (`jobLabel: component`), node-exporter (service label
  `jobLabel: node-exporter`) and kube-state-metrics (`app.kubernetes.io/name`) already give the names the
  contracts use; Prometheus, Alertmanager, the operator and Grafana would get their Service names, so their
  monitors relabel `job` (on every endpoint: Prometheus' and Alertmanager's config-reloader endpoints share it,
  as in upstream kube-prometheus).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from components.config.monitoring import MonitoringConfig
from components.contracts import ZONE_LABEL

RELEASE: Final = "kube-prometheus-stack"
"""Release name; it contains the chart name, so the chart's `fullname` is the release name itself."""
PROMETHEUS_NAME: Final = f"{RELEASE}-prometheus"
ALERTMANAGER_NAME: Final = f"{RELEASE}-alertmanager"
# Pod labels the operator sets (prometheus-operator v0.93.0 pkg/prometheus/server/operator.go and
# pkg/alertmanager/operator.go `makeSelectorLabels`) and the charts set (grafana `grafana.selectorLabels`,
# kube-prometheus-stack templates/prometheus-operator/deployment.yaml).
PROMETHEUS_POD_LABELS: Final = {"app.kubernetes.io/name": "prometheus", "operator.prometheus.io/name": PROMETHEUS_NAME}
ALERTMANAGER_POD_LABELS: Final = {"app.kubernetes.io/name": "alertmanager", "alertmanager": ALERTMANAGER_NAME}
GRAFANA_POD_LABELS: Final = {"app.kubernetes.io/name": "grafana", "app.kubernetes.io/instance": RELEASE}
OPERATOR_POD_LABELS: Final = {"app": f"{RELEASE}-operator", "release": RELEASE}
GRAFANA_PORT: Final = 3000
OPERATOR_WEBHOOK_PORT: Final = 10250
"""The operator serves its admission webhook (and metrics) on `prometheusOperator.tls.internalPort`."""
GRAFANA_ADMIN_KEYS: Final = ("admin-user", "admin-password")
JOBS: Final = {"kubelet": "kubelet", "node-exporter": "node-exporter", "kube-state-metrics": "kube-state-metrics",
               "apiserver": "apiserver", "prometheus": "prometheus", "alertmanager": "alertmanager",
               "operator": "prometheus-operator", "grafana": "grafana"}
"""`job` label of each monitor the chart creates."""
EKS_HIDDEN_COMPONENTS: Final = ("kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy", "coreDns",
                                "kubeDns")
"""Monitors switched off: EKS runs the control plane out of reach (no controller-manager, scheduler or etcd
endpoints in the cluster), kube-proxy binds its metrics to localhost, and CoreDNS is no contract's job."""
RETENTION_SIZE_SHARE: Final = 0.85
"""Share of the volume Prometheus may fill before it drops the oldest blocks (before the time retention)."""


@dataclass(frozen=True, kw_only=True)
class ValuesInputs:
    """What the values need besides the config: names of the objects the component creates, and the cluster."""

    config: MonitoringConfig
    region: str
    cluster: str
    storage_class: str
    config_secret: str
    """Secret holding `alertmanager.yaml`."""
    receivers_secret: str | None
    """Secret holding the receiver keys, mounted under /etc/alertmanager/secrets/; None without receivers."""
    grafana_admin_secret: str
    grafana_cluster_role: str
    """ClusterRole Grafana's sidecars use: ConfigMaps only (the chart's own also reads every Secret)."""
    remote_write: tuple[dict[str, Any], ...] = ()
    """`prometheusSpec.remoteWrite` entries (the fleet view's, components/fleet_view.py); none by default."""
    datasources: tuple[dict[str, Any], ...] = ()
    """Grafana data sources besides the regional Prometheus (`grafana.additionalDataSources`); none by default."""


def _job(job: str) -> list[dict[str, str]]:
    return [{"action": "replace", "targetLabel": "job", "replacement": job}]


def _resources(cpu: str, memory: str, memory_limit: str) -> dict[str, Any]:
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"memory": memory_limit}}


def _spread(labels: dict[str, str], hard: bool) -> list[dict[str, Any]]:
    return [{"maxSkew": 1, "topologyKey": ZONE_LABEL,
             "whenUnsatisfiable": "DoNotSchedule" if hard else "ScheduleAnyway",
             "labelSelector": {"matchLabels": dict(labels)}}]


def _volume(storage_class: str, gib: int) -> dict[str, Any]:
    return {"volumeClaimTemplate": {"spec": {"storageClassName": storage_class, "accessModes": ["ReadWriteOnce"],
                                             "resources": {"requests": {"storage": f"{gib}Gi"}}}}}


def _pdb(replicas: int) -> dict[str, Any]:
    """Keep all but one replica up through voluntary disruptions; none for one replica (it would block drains)."""
    return {"enabled": replicas > 1, "minAvailable": max(replicas - 1, 1)}


def _non_root(uid: int, seccomp: bool = True) -> dict[str, Any]:
    """Pod security context; Grafana's chart sets the seccomp profile on its containers instead."""
    context: dict[str, Any] = {"runAsNonRoot": True, "runAsUser": uid, "runAsGroup": uid, "fsGroup": uid}
    if seccomp:
        context["seccompProfile"] = {"type": "RuntimeDefault"}
    return context


def scrape_class(region: str, cluster: str) -> dict[str, Any]:
    """The default scrape class: every target gets `region` and `cluster` labels."""
    return {"name": "meridian", "default": True, "relabelings": [
        {"action": "replace", "targetLabel": "region", "replacement": region},
        {"action": "replace", "targetLabel": "cluster", "replacement": cluster}]}


def _prometheus(inputs: ValuesInputs) -> dict[str, Any]:
    settings = inputs.config.prometheus
    interval = f"{settings.scrape_interval_seconds}s"
    spec: dict[str, Any] = {
        "replicas": settings.replicas,
        "retention": f"{settings.retention_days}d",
        # Prometheus size units are powers of 2 (GB = GiB), like the volume's Gi.
        "retentionSize": f"{int(settings.volume_gib * RETENTION_SIZE_SHARE)}GB",
        "scrapeInterval": interval, "evaluationInterval": interval,
        "externalLabels": {"region": inputs.region, "cluster": inputs.cluster},
        "scrapeClasses": [scrape_class(inputs.region, inputs.cluster)],
        "storageSpec": _volume(inputs.storage_class, settings.volume_gib),
        "resources": _resources("500m", "2Gi", "4Gi"),
        "securityContext": _non_root(1000),
        "topologySpreadConstraints": _spread(PROMETHEUS_POD_LABELS, hard=True),
    }
    if inputs.remote_write:
        spec["remoteWrite"] = [dict(entry) for entry in inputs.remote_write]
    for kind in ("rule", "serviceMonitor", "podMonitor"):
        spec.update({f"{kind}SelectorNilUsesHelmValues": False, f"{kind}Selector": {},
                     f"{kind}NamespaceSelector": {}})
    return {"prometheusSpec": spec, "podDisruptionBudget": _pdb(settings.replicas),
            "serviceMonitor": {"relabelings": _job(JOBS["prometheus"])}}


def _alertmanager(inputs: ValuesInputs) -> dict[str, Any]:
    settings = inputs.config.alertmanager
    return {
        "podDisruptionBudget": _pdb(settings.replicas),
        "serviceMonitor": {"relabelings": _job(JOBS["alertmanager"])},
        "alertmanagerSpec": {
            "replicas": settings.replicas,
            # Our Secret holds the config (templates/alertmanager/secret.yaml is then not rendered).
            "useExistingSecret": True, "configSecret": inputs.config_secret,
            "secrets": [inputs.receivers_secret] if inputs.receivers_secret else [],
            "storage": _volume(inputs.storage_class, settings.volume_gib),
            "resources": _resources("50m", "128Mi", "256Mi"),
            "securityContext": _non_root(1000),
            "topologySpreadConstraints": _spread(ALERTMANAGER_POD_LABELS, hard=True),
        },
    }


def _grafana(inputs: ValuesInputs) -> dict[str, Any]:
    replicas = inputs.config.grafana.replicas
    sidecar_resources = _resources("20m", "64Mi", "128Mi")
    values: dict[str, Any] = {
        "replicas": replicas,
        "defaultDashboardsEnabled": False,
        "admin": {"existingSecret": inputs.grafana_admin_secret, "userKey": GRAFANA_ADMIN_KEYS[0],
                  "passwordKey": GRAFANA_ADMIN_KEYS[1]},
        "rbac": {"useExistingClusterRole": inputs.grafana_cluster_role},
        "sidecar": {
            "resources": sidecar_resources,
            "dashboards": {"enabled": True, "label": "grafana_dashboard", "labelValue": "1", "searchNamespace": "ALL",
                           "resource": "configmap", "folderAnnotation": "grafana_folder",
                           "provider": {"foldersFromFilesStructure": True, "allowUiUpdates": False}},
            "datasources": {"enabled": True, "defaultDatasourceEnabled": True, "uid": "prometheus",
                            "resource": "configmap"},
        },
        "serviceMonitor": {"enabled": True, "relabelings": _job(JOBS["grafana"])},
        # Each replica keeps its own SQLite database (sessions included): pin a client to one replica.
        "service": {"sessionAffinity": "ClientIP"},
        "resources": _resources("100m", "256Mi", "512Mi"),
        "securityContext": _non_root(472, seccomp=False),
        "podDisruptionBudget": {"minAvailable": 1} if replicas > 1 else {},
        "topologySpreadConstraints": _spread(GRAFANA_POD_LABELS, hard=False),
        "persistence": {"enabled": False},
        "initChownData": {"enabled": False},
        "testFramework": {"enabled": False},
    }
    if inputs.datasources:
        # The chart's data-source ConfigMap lists them after its own (templates/grafana: `concat $datasources
        # .Values.grafana.additionalDataSources`).
        values["additionalDataSources"] = [dict(source) for source in inputs.datasources]
    return values


def chart_values(inputs: ValuesInputs) -> dict[str, Any]:
    """Values of the kube-prometheus-stack release."""
    values: dict[str, Any] = {
        "crds": {"enabled": True},
        "defaultRules": {"create": False},
        "windowsMonitoring": {"enabled": False},
        "prometheus": _prometheus(inputs),
        "alertmanager": _alertmanager(inputs),
        "grafana": _grafana(inputs),
        "prometheusOperator": {
            "resources": _resources("100m", "128Mi", "512Mi"),
            "prometheusConfigReloader": {"resources": _resources("10m", "32Mi", "64Mi")},
            "serviceMonitor": {"relabelings": _job(JOBS["operator"])},
        },
        "kubeStateMetrics": {"enabled": True},
        "kube-state-metrics": {"resources": _resources("50m", "128Mi", "512Mi")},
        "nodeExporter": {"enabled": True},
        "prometheus-node-exporter": {"resources": _resources("50m", "64Mi", "128Mi")},
    }
    for component in EKS_HIDDEN_COMPONENTS:
        values[component] = {"enabled": False}
    return values
