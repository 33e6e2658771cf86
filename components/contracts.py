"""Typed references components hand to each other (and, later, their MonitoringContracts)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s


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
