"""The fleet view's query path: every region pushes its `cluster:` and `slo:` series to a fleet Prometheus in the
primary region (pure builders, no Pulumi).

Why push (remote write), not Thanos or federation: a Thanos querier (over sidecars or stores) and a federating
Prometheus both *pull*, so the primary's stack would have to list every region's endpoint, and a new region's first
`pulumi up` would change the primary's stack; the new-region rule is that it changes no existing stack. With push,
each region names only the primary's receiver, which is derived from the primary's config alone
(components/fleet_plan.py), so a new region adds itself. Push also sends only what the fleet view reads (a few
hundred recorded series per region, filtered by `writeRelabelConfigs`), needs no sidecar, object store or gRPC
path between VPCs, and keeps working through a short outage: each sender's WAL-backed queue retries. Its costs:
raw metrics are not queryable globally (by design: the fleet dashboards read recording rules only), and the
receiver runs the remote-write receiver, fine at this volume.

The receiver is a second `Prometheus` object (`fleet`) in `monitoring`: no monitors, no rules (nil selectors
select nothing), so its data never triggers the primary's regional alerts. Every sender writes to every replica
(one URL each), so each replica holds a full copy. A headless Service publishes its pods through ExternalDNS as
`prometheus-fleet-<i>.<receiver_host>`; the primary's regional Prometheus scrapes it (job `prometheus-fleet`).
The senders' HA replicas differ by the operator's `prometheus_replica` external label; the fleet dashboard
deduplicates (dashboards/fleet.py).
"""

from __future__ import annotations

from typing import Any, Final

from components.fleet_plan import FLEET_PROMETHEUS, PROMETHEUS_PORT, FleetView
from dashboards.fleet import FLEET_DATASOURCE_UID

MONITORING_API: Final = "monitoring.coreos.com/v1"
FLEET_JOB: Final = "prometheus-fleet"
FLEET_SERVICE: Final = "prometheus-fleet"
FLEET_POD_LABELS: Final = {"app.kubernetes.io/name": "prometheus", "operator.prometheus.io/name": FLEET_PROMETHEUS}
"""Labels the operator sets on the fleet Prometheus' pods (as components/monitoring_values.PROMETHEUS_POD_LABELS)."""
FLEET_SERVICE_LABELS: Final = {"app.kubernetes.io/part-of": "meridian", "app.kubernetes.io/component": FLEET_JOB}
"""Labels of our headless Service; the fleet ServiceMonitor selects it by them (the chart's monitors do not)."""
WEB_PORT_NAME: Final = "http-web"
EXTERNAL_DNS_HOSTNAME: Final = "external-dns.alpha.kubernetes.io/hostname"
DATASOURCE_NAME: Final = "Fleet"
KEEP_NAMES: Final = "(cluster|slo):.+"
"""Series names sent to the fleet (anchored by Prometheus): the recording rules the fleet dashboards read."""
IMAGE: Final = "quay.io/prometheus/prometheus:v3.14.0-distroless"
VERSION: Final = "v3.14.0"
"""The regional Prometheus' image (kube-prometheus-stack 88.5.3 values `prometheus.prometheusSpec.image`)."""
RETENTION_DAYS: Final = 90
VOLUME_GIB: Final = 20
"""A few hundred series per region and sender replica at 30 s are ~30 MB a day for ten regions; 20 GiB keeps
90 days with a wide margin."""
RETENTION_SIZE_SHARE: Final = 0.85
QUEUE: Final = {"capacity": 2500, "minShards": 1, "maxShards": 4, "maxSamplesPerSend": 500,
                "batchSendDeadline": "5s", "minBackoff": "30ms", "maxBackoff": "5s", "retryOnRateLimit": True}
"""Bounded remote-write queue: at most 4 shards x 2500 samples buffered per receiver (the WAL holds the rest)."""
DROPPED_SELF_METRICS: Final = "prometheus_notifications_.+"
"""The fleet Prometheus sends no alerts, so its notifier reports 0 Alertmanagers; the scrape drops those series
so `MonitoringPrometheusNotConnectedToAlertmanagers` stays about the regional Prometheus."""


def remote_write(view: FleetView) -> list[dict[str, Any]]:
    """`prometheusSpec.remoteWrite`: one entry per receiver replica, keeping only `cluster:`/`slo:` series."""
    return [{"name": f"{FLEET_PROMETHEUS}-{index}", "url": url,
             "writeRelabelConfigs": [{"sourceLabels": ["__name__"], "regex": KEEP_NAMES, "action": "keep"}],
             "queueConfig": dict(QUEUE), "metadataConfig": {"send": False}, "remoteTimeout": "30s"}
            for index, url in enumerate(view.remote_write_urls)]


def _metadata(name: str, namespace: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {"name": name, "namespace": namespace,
            "labels": {"app.kubernetes.io/part-of": "meridian", "meridian.io/monitoring": "true",
                       "meridian.io/component": "monitoring", **(labels or {})}}


def fleet_prometheus(view: FleetView, *, namespace: str, storage_class: str) -> dict[str, Any]:
    """The receiving `Prometheus` object: remote-write receiver on, nothing scraped, no rules."""
    volume = {"volumeClaimTemplate": {"spec": {"storageClassName": storage_class, "accessModes": ["ReadWriteOnce"],
                                               "resources": {"requests": {"storage": f"{VOLUME_GIB}Gi"}}}}}
    return {"apiVersion": MONITORING_API, "kind": "Prometheus", "metadata": _metadata(FLEET_PROMETHEUS, namespace),
            "spec": {
                "replicas": view.receiver_replicas, "image": IMAGE, "version": VERSION,
                "enableRemoteWriteReceiver": True,
                "retention": f"{RETENTION_DAYS}d",
                "retentionSize": f"{int(VOLUME_GIB * RETENTION_SIZE_SHARE)}GB",
                "storage": volume,
                "automountServiceAccountToken": False,
                "resources": {"requests": {"cpu": "200m", "memory": "1Gi"}, "limits": {"memory": "2Gi"}},
                "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "runAsGroup": 1000, "fsGroup": 1000,
                                    "seccompProfile": {"type": "RuntimeDefault"}},
                "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                                               "whenUnsatisfiable": "DoNotSchedule",
                                               "labelSelector": {"matchLabels": dict(FLEET_POD_LABELS)}}],
            }}


def fleet_service(view: FleetView, *, namespace: str) -> dict[str, Any]:
    """Headless Service over the fleet pods; ExternalDNS publishes `<pod>.<receiver_host>` for each."""
    metadata = _metadata(FLEET_SERVICE, namespace, FLEET_SERVICE_LABELS)
    metadata["annotations"] = {EXTERNAL_DNS_HOSTNAME: view.receiver_host}
    return {"apiVersion": "v1", "kind": "Service", "metadata": metadata,
            "spec": {"clusterIP": "None", "selector": dict(FLEET_POD_LABELS),
                     "ports": [{"name": WEB_PORT_NAME, "port": PROMETHEUS_PORT, "targetPort": "web",
                                "protocol": "TCP"}]}}


def fleet_service_monitor(*, namespace: str) -> dict[str, Any]:
    """The regional Prometheus scrapes the fleet Prometheus (job `prometheus-fleet`)."""
    return {"apiVersion": MONITORING_API, "kind": "ServiceMonitor",
            "metadata": _metadata(FLEET_JOB, namespace),
            "spec": {"selector": {"matchLabels": dict(FLEET_SERVICE_LABELS)},
                     "namespaceSelector": {"matchNames": [namespace]},
                     "endpoints": [{"port": WEB_PORT_NAME, "path": "/metrics", "scheme": "http", "interval": "30s",
                                    "relabelings": [{"action": "replace", "targetLabel": "job",
                                                     "replacement": FLEET_JOB}],
                                    "metricRelabelings": [{"action": "drop", "sourceLabels": ["__name__"],
                                                           "regex": DROPPED_SELF_METRICS}]}]}}


def fleet_datasource(namespace: str, url: str | None = None) -> dict[str, Any]:
    """Grafana data source `Fleet` (uid `fleet`), by default the fleet Prometheus' Service."""
    return {"name": DATASOURCE_NAME, "uid": FLEET_DATASOURCE_UID, "type": "prometheus", "access": "proxy",
            "url": url or f"http://{FLEET_SERVICE}.{namespace}.svc:{PROMETHEUS_PORT}",
            "isDefault": False, "editable": False, "jsonData": {"httpMethod": "POST", "timeInterval": "30s"}}
