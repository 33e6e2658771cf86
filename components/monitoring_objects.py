"""The Kubernetes objects generated from a region's MonitoringContracts, as plain dicts (pure, no Pulumi).

ServiceMonitors/PodMonitors for the scrape targets the platform owns, one PrometheusRule per kind, one dashboard
ConfigMap per dashboard, and the contracts themselves. Prometheus selects every monitor and rule in every
namespace (see components/monitoring_values.py), so the objects carry the `meridian.io/monitoring` label only
to say who made them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from alerts.render import rule_files
from components.contracts import MonitoringContract, ScrapeTarget
from dashboards.render import dashboards
from observability.config import ObservabilityConfig
from observability.contracts_io import dump_contracts

MONITORING_API: Final = "monitoring.coreos.com/v1"
MANAGED_LABELS: Final = {"app.kubernetes.io/part-of": "meridian", "meridian.io/monitoring": "true"}
DASHBOARD_LABEL: Final = ("grafana_dashboard", "1")
"""Label Grafana's dashboard sidecar selects ConfigMaps by (kube-prometheus-stack's `sidecar.dashboards`)."""
FOLDER_ANNOTATION: Final = "grafana_folder"
"""Annotation naming the Grafana folder a dashboard ConfigMap goes into (sidecar `folderAnnotation`)."""
OVERVIEW_FOLDER: Final = "Meridian"
FLEET_OVERVIEW: Final = "fleet-overview.json"
OVERVIEWS: Final = ("region-overview.json", FLEET_OVERVIEW)
CONTRACTS_CONFIGMAP: Final = "meridian-monitoring-contracts"
CONFIGMAP_LIMIT_BYTES: Final = 1024 * 1024
"""The API server refuses ConfigMaps over 1 MiB."""
_UNSAFE: Final = re.compile(r"[^a-z0-9-]+")


@dataclass(frozen=True, kw_only=True)
class GeneratedObject:
    """One object to declare: a stable resource suffix and the Kubernetes object."""

    key: str
    """Unique within a region and object kind; the suffix of the Pulumi resource name."""
    obj: dict[str, Any]


def _dns_name(text: str) -> str:
    return _UNSAFE.sub("-", text.lower()).strip("-")[:63].rstrip("-")


def _metadata(name: str, namespace: str, component: str, labels: Mapping[str, str] | None = None,
              annotations: Mapping[str, str] | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "namespace": namespace,
                                "labels": {**MANAGED_LABELS, "meridian.io/component": component, **(labels or {})}}
    if annotations:
        metadata["annotations"] = dict(annotations)
    return metadata


def _endpoint(target: ScrapeTarget) -> dict[str, Any]:
    """One endpoint: port, path, scheme, interval, params, TLS, and the relabelings that fix `job` (and move the
    exporter's own `cluster` label out of the way of the platform's)."""
    endpoint: dict[str, Any] = {
        "port": target.port, "path": target.path, "scheme": target.scheme,
        "interval": f"{target.interval_seconds}s",
        "relabelings": [{"action": "replace", "targetLabel": "job", "replacement": target.job}],
    }
    if target.params:
        endpoint["params"] = {key: list(values) for key, values in sorted(target.params.items())}
    tls: dict[str, Any] = {}
    if target.tls_ca_secret is not None:
        secret, key = target.tls_ca_secret
        tls["ca"] = {"secret": {"name": secret, "key": key}}
    if target.tls_server_name is not None:
        tls["serverName"] = target.tls_server_name
    if tls:
        endpoint["tlsConfig"] = tls
    if target.exporter_cluster_label is not None:
        endpoint["metricRelabelings"] = [
            {"action": "replace", "sourceLabels": ["exported_cluster"], "regex": "(.+)", "replacement": "$1",
             "targetLabel": target.exporter_cluster_label},
            {"action": "labeldrop", "regex": "exported_cluster"},
        ]
    return endpoint


def monitor(contract: MonitoringContract, target: ScrapeTarget, name: str) -> dict[str, Any]:
    """The ServiceMonitor or PodMonitor scraping `target`, in the target's namespace."""
    endpoints_key = "endpoints" if target.kind == "ServiceMonitor" else "podMetricsEndpoints"
    return {
        "apiVersion": MONITORING_API, "kind": target.kind,
        "metadata": _metadata(name, target.namespace, contract.kind),
        "spec": {"selector": {"matchLabels": dict(sorted(target.selector.items()))},
                 "namespaceSelector": {"matchNames": [target.namespace]},
                 endpoints_key: [_endpoint(target)]},
    }


def monitors(contracts: Sequence[MonitoringContract]) -> list[GeneratedObject]:
    """A monitor per scrape target the operator or chart does not create itself, named after its job."""
    found: list[GeneratedObject] = []
    taken: set[tuple[str, str, str]] = set()
    for contract in contracts:
        for target in contract.scrape:
            if target.created_by_operator:
                continue
            base = name = _dns_name(f"meridian-{target.job}")
            index = 1
            while (target.kind, target.namespace, name) in taken:
                index += 1
                name = f"{base[:60]}-{index}"
            taken.add((target.kind, target.namespace, name))
            found.append(GeneratedObject(key=f"monitor-{target.namespace}-{name.removeprefix('meridian-')}",
                                         obj=monitor(contract, target, name)))
    return found


def prometheus_rules(contracts: Sequence[MonitoringContract], obs: ObservabilityConfig,
                     namespace: str) -> list[GeneratedObject]:
    """One PrometheusRule per contract kind, from alerts.render."""
    kinds = {f"{contract.kind}.yaml": contract.kind for contract in contracts}
    found = []
    for file_name, content in sorted(rule_files(list(contracts), obs).items()):
        kind = kinds[file_name]
        name = _dns_name(f"meridian-{kind}")
        found.append(GeneratedObject(key=f"rules-{_dns_name(kind)}", obj={
            "apiVersion": MONITORING_API, "kind": "PrometheusRule",
            "metadata": _metadata(name, namespace, kind), "spec": {"groups": content["groups"]}}))
    return found


def dashboard_config_maps(contracts: Sequence[MonitoringContract], obs: ObservabilityConfig,
                          namespace: str, *, fleet_overview: bool = True) -> list[GeneratedObject]:
    """One ConfigMap per dashboard, labelled for Grafana's sidecar; folder per kind, overviews in `Meridian`.

    `fleet_overview=False` leaves the fleet overview out (a region that does not hold the fleet's data)."""
    folders = {f"{contract.kind}.json": contract.kind for contract in contracts}
    found = []
    for file_name, model in dashboards(list(contracts), obs).items():
        if file_name == FLEET_OVERVIEW and not fleet_overview:
            continue
        folder = OVERVIEW_FOLDER if file_name in OVERVIEWS else folders[file_name]
        text = json.dumps(model, sort_keys=True, separators=(",", ":"))
        if len(text.encode()) > CONFIGMAP_LIMIT_BYTES:
            raise ValueError(f"dashboard {file_name} is {len(text.encode())} bytes, over the 1 MiB ConfigMap limit")
        name = _dns_name(f"meridian-dashboard-{file_name.removesuffix('.json')}")
        found.append(GeneratedObject(key=name.removeprefix("meridian-"), obj={
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": _metadata(name, namespace, folders.get(file_name, "overview"),
                                  labels={DASHBOARD_LABEL[0]: DASHBOARD_LABEL[1]},
                                  annotations={FOLDER_ANNOTATION: folder}),
            "data": {file_name: text}}))
    return found


def contracts_config_map(contracts: Sequence[MonitoringContract], namespace: str) -> GeneratedObject:
    """The region's contracts as JSON, for the CLI and for people debugging the generated objects."""
    return GeneratedObject(key="contracts", obj={
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": _metadata(CONTRACTS_CONFIGMAP, namespace, "monitoring"),
        "data": {"contracts.json": dump_contracts(list(contracts))}})
