"""The regional EKS cluster on pulumi-aws primitives (`meridian:cluster:EksCluster`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

from components.config import NodeGroupConfig
from components.contracts import ClusterRef, NetworkRef


@dataclass(frozen=True, kw_only=True)
class EksClusterArgs:
    """Inputs of the EksCluster component."""

    cluster_name: str
    """EKS cluster name; changing it replaces the cluster."""
    region: str
    kubernetes_version: str
    """EKS minor version, e.g. "1.35"; add-on versions are pinned per minor version."""
    network: NetworkRef
    """Control plane ENIs and nodes go in the private subnets."""
    public_access_cidrs: tuple[str, ...]
    """Empty: private endpoint only. Otherwise the public endpoint is also on, limited to these CIDRs."""
    admin_role_arns: tuple[str, ...]
    """IAM roles granted AmazonEKSClusterAdminPolicy through access entries."""
    log_retention_days: int
    """Days control-plane logs are kept."""
    node_groups: Mapping[str, NodeGroupConfig]
    """Workload classes; `per_az` groups become one managed node group per zone."""
    tags: Mapping[str, str]
    """Base tags merged onto every taggable resource."""
    protect_stateful: bool = True
    """Protect the cluster and its KMS keys from deletion."""


class EksCluster(pulumi.ComponentResource):
    """EKS cluster, node groups, add-ons, IRSA and StorageClasses. Exposes `ref: ClusterRef`."""

    ref: ClusterRef

    def __init__(self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("meridian:cluster:EksCluster", name, None, opts)
        raise NotImplementedError("EksCluster is being built")
