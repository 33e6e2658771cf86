"""The regional VPC: three subnet tiers per zone, NAT, endpoints, flow logs (`meridian:network:Network`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import pulumi

from components.contracts import NetworkRef


@dataclass(frozen=True, kw_only=True)
class NetworkArgs:
    """Inputs of the Network component."""

    region: str
    """AWS region the VPC lives in."""
    cidr: str
    """VPC CIDR; subnets are carved from it by `components.subnets.plan_subnets`."""
    zones: tuple[str, ...]
    """Availability zones, in the stable order subnets are planned in."""
    nat_gateways: Literal["per_az", "single"]
    """`per_az`: one NAT per zone, each zone's private subnet routed to its own; `single`: one NAT (dev)."""
    flow_log_retention_days: int
    """Days the VPC flow logs' CloudWatch log group keeps events."""
    interface_endpoints: tuple[str, ...]
    """AWS services (`ecr.api`, `sts`, ...) reached through interface endpoints in the private subnets."""
    cluster_name: str
    """EKS cluster that uses this VPC; subnets carry its `kubernetes.io/cluster/<name>` tag."""
    tags: Mapping[str, str]
    """Base tags merged onto every taggable resource."""
    protect_stateful: bool = True
    """Protect the flow-log KMS key from deletion."""


class Network(pulumi.ComponentResource):
    """VPC with public, private and data subnets per zone. Exposes `ref: NetworkRef`."""

    ref: NetworkRef

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("meridian:network:Network", name, None, opts)
        raise NotImplementedError("Network is being built")
