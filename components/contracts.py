"""Typed references components hand to each other (and, later, their MonitoringContracts)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

import pulumi
import pulumi_kubernetes as k8s

ZONE_LABEL: Final = "topology.kubernetes.io/zone"
"""Node label naming a node's availability zone: the key of every zone spread, rack and affinity."""
KUBERNETES_SERVICE_CIDR: Final = "172.20.0.0/16"
"""Service ClusterIP range of every cluster (set explicitly on the EKS cluster, never overlapping a VPC)."""
KUBERNETES_API_SERVICE_IP: Final = "172.20.0.1"
"""ClusterIP of `kubernetes.default` (the first address of the range): pods reach the API server through it."""


def tolerations(taints: Sequence[Mapping[str, str]]) -> list[dict[str, str]]:
    """Tolerations matching taints exactly (Kubernetes spelling), e.g. the data nodes' `ClusterRef.data_node_taints`."""
    return [{"key": taint["key"], "operator": "Equal", "value": taint.get("value", ""), "effect": taint["effect"]}
            for taint in taints]


@dataclass(frozen=True, kw_only=True)
class SubnetRef:
    """One subnet: its id (an output), and its planned CIDR, zone and tier (known before deployment)."""

    id: pulumi.Output[str]
    cidr: str
    zone: str
    tier: str


@dataclass(frozen=True, kw_only=True)
class NetworkRef:
    """What the Network component gives the cluster and, later, connectivity."""

    vpc_id: pulumi.Output[str]
    cidr: str
    zones: tuple[str, ...]
    subnets: dict[str, tuple[SubnetRef, ...]]
    """Per tier (`public`, `private`, `data`), one subnet per zone in `zones` order."""
    route_table_ids: dict[str, tuple[pulumi.Output[str], ...]]
    """Per tier: `public` has one shared table; `private` and `data` one per zone, in `zones` order."""
    endpoint_security_group_id: pulumi.Output[str]

    def subnet_ids(self, tier: str) -> list[pulumi.Output[str]]:
        """Ids of a tier's subnets, in zone order."""
        return [subnet.id for subnet in self.subnets[tier]]

    def subnet_in(self, tier: str, zone: str) -> SubnetRef:
        """The tier's subnet in `zone`."""
        return next(subnet for subnet in self.subnets[tier] if subnet.zone == zone)


@dataclass(frozen=True, kw_only=True)
class ClusterRef:
    """What the EKS cluster gives the services deployed on it."""

    name: pulumi.Output[str]
    cluster_name: str
    """The configured cluster name (known before deployment), for labels and monitoring contracts."""
    region: str
    kubernetes_version: str
    zones: tuple[str, ...]
    endpoint: pulumi.Output[str]
    certificate_authority: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    oidc_issuer: pulumi.Output[str]
    """Issuer host and path without `https://`, as IRSA trust policies' condition keys need it."""
    node_role_arn: pulumi.Output[str]
    cluster_security_group_id: pulumi.Output[str]
    provider: k8s.Provider
    """Kubernetes provider for this cluster; every in-cluster resource uses it."""
    default_storage_class: str = "gp3"
    data_storage_class: str = "gp3-retain"
    """Retained, zone-bound (WaitForFirstConsumer) gp3 class for stateful services."""
    data_node_labels: dict[str, str] = field(default_factory=dict)
    """Labels on the per-zone data node groups; stateful pods select them."""
    data_node_taints: tuple[dict[str, str], ...] = ()
    """Taints on the data node groups, in Kubernetes spelling (key, value, effect), for tolerations."""


@dataclass(frozen=True, kw_only=True)
class CertificatesRef:
    """The region's private CA, for services whose operator does not run its own."""

    cluster_issuer: str
    """Name of the cert-manager ClusterIssuer that signs service certificates."""
    ca_secret_namespace: str
    ca_secret_name: str
    """Secret (in cert-manager's namespace) holding the CA certificate clients trust."""


@dataclass(frozen=True, kw_only=True)
class ScrapeTarget:
    """How Prometheus scrapes one set of a service's endpoints."""

    kind: Literal["ServiceMonitor", "PodMonitor"]
    job: str
    """Value of the `job` label on the scraped series (the generated monitor sets it; for monitors the operator or
    chart creates, the value it uses). Target-down alerts and dashboards select by it."""
    namespace: str
    selector: dict[str, str]
    """matchLabels of the Services (ServiceMonitor) or Pods (PodMonitor) to scrape."""
    port: str
    """Name of the metrics port."""
    path: str = "/metrics"
    scheme: Literal["http", "https"] = "http"
    interval_seconds: int = 30
    created_by_operator: bool = False
    """True when the operator or chart already creates the monitor; the monitoring component then skips it."""
    params: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Query parameters of the scrape (e.g. Vault's `format=prometheus`)."""
    tls_ca_secret: tuple[str, str] | None = None
    """(Secret name, key) in the target's namespace holding the CA that signed the target's certificate."""
    tls_server_name: str | None = None
    """Name to verify the target's certificate against (certificates carry service names, not pod IPs)."""
    exporter_cluster_label: str | None = None
    """Label to keep the exporter's own `cluster` label under (Cassandra's and Elasticsearch's exporters name
    their service cluster `cluster`, which the platform's `cluster` target label displaces to `exported_cluster`)."""


@dataclass(frozen=True, kw_only=True)
class SloSpec:
    """A service-level objective over a 30-day budget, as the monitoring generators turn it into rules."""

    name: str
    objective: float
    """Target ratio of good events, e.g. 0.999."""
    description: str


@dataclass(frozen=True, kw_only=True)
class MonitoringContract:
    """What a workload-running component promises its monitoring: how to scrape it and what to expect."""

    kind: str
    """Component kind (`cassandra`, `kafka`, `vault`, `elasticsearch`, ...): selects dashboard and alert template."""
    region: str
    cluster: str
    namespace: str
    scrape: tuple[ScrapeTarget, ...]
    exporter: str
    """The exporter flavour actually deployed, which fixes the metric names that exist (see the metric catalog)."""
    thresholds: dict[str, float] = field(default_factory=dict)
    """Alert thresholds by name (units in the names: `heap_used_ratio`, `disk_free_ratio`, `lag_records`)."""
    slos: tuple[SloSpec, ...] = ()
    replicas: int = 1
    """Instances expected up (for target-down and quorum alerts)."""
    labels: dict[str, str] = field(default_factory=dict)
    """Extra static labels for rules (e.g. the Kafka cluster name)."""
