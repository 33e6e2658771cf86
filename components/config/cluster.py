"""`meridian:cluster`: the regional EKS cluster and its node groups."""

from __future__ import annotations

import ipaddress
import re
from typing import Final, Literal

from pydantic import Field, field_validator

from components.config.base import Frozen, check_retention, fail

SUPPORTED_KUBERNETES_VERSIONS: Final = ("1.34", "1.35", "1.36")
_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
_GRAVITON = re.compile(r"^(a1|[a-z]+\d+[a-z]*g[a-z]*)\.")
"""arm64 instance families: a1 and every family with a `g` after its generation (m7g, c7gn, r8gd)."""
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
_CLUSTER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")



class Taint(Frozen):
    """A Kubernetes taint on a managed node group, in EKS API spelling."""

    key: str = Field(pattern=r"^[a-z0-9.-/]+$", max_length=63)
    value: str = Field(default="true", max_length=63)
    effect: Literal["NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"] = "NO_SCHEDULE"


class NodeGroupConfig(Frozen):
    """One workload class of managed nodes (`meridian:cluster.node_groups.<name>`)."""

    instance_types: tuple[str, ...] = Field(min_length=1, max_length=10)
    """EC2 instance types, first preferred."""
    min_size: int = Field(ge=0, le=450)
    desired_size: int = Field(ge=0, le=450)
    max_size: int = Field(ge=1, le=450)
    """Per node group; with `per_az` each zone's group gets these sizes."""
    disk_gib: int = Field(default=50, ge=20, le=16384)
    """Encrypted gp3 root volume size in GiB."""
    capacity_type: Literal["ON_DEMAND", "SPOT"] = "ON_DEMAND"
    per_az: bool = False
    """One node group per zone (stateful workloads: EBS volumes are zonal); otherwise one spanning all zones."""
    labels: dict[str, str] = Field(default_factory=dict)
    taints: tuple[Taint, ...] = ()

    @field_validator("instance_types")
    @classmethod
    def _instance_types(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for instance_type in value:
            if not _INSTANCE_TYPE.fullmatch(instance_type):
                raise fail(f"{instance_type!r} is not an EC2 instance type", "use names like m7i.xlarge")
        if len({bool(_GRAVITON.match(instance_type)) for instance_type in value}) > 1:
            raise fail("mixes arm64 (Graviton) and x86_64 instance types",
                        "split them into two node groups, one per architecture")
        return value

    @property
    def architecture(self) -> Literal["arm64", "x86_64"]:
        """CPU architecture shared by all the group's instance types."""
        return "arm64" if _GRAVITON.match(self.instance_types[0]) else "x86_64"


class ClusterConfig(Frozen):
    """`meridian:cluster`: the regional EKS cluster."""

    name: str | None = None
    """Cluster name; defaults to `meridian-<stack>`. Changing it replaces the cluster."""
    kubernetes_version: str
    """EKS Kubernetes minor version, one of SUPPORTED_KUBERNETES_VERSIONS."""
    public_access_cidrs: tuple[str, ...] = ()
    """Empty: the API endpoint is private only. Otherwise the public endpoint is on, open to these CIDRs only."""
    admin_role_arns: tuple[str, ...] = ()
    """IAM roles given cluster-admin through EKS access entries."""
    log_retention_days: int = 90
    """Days control-plane logs are kept."""
    node_groups: dict[str, NodeGroupConfig]
    """Workload classes; `system` is required."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is not None and not _CLUSTER_NAME.fullmatch(value):
            raise fail("is not a valid EKS cluster name", "use 1-100 letters, digits, - or _, starting alphanumeric")
        return value

    @field_validator("kubernetes_version")
    @classmethod
    def _version(cls, value: str) -> str:
        if value not in SUPPORTED_KUBERNETES_VERSIONS:
            raise fail("is not a supported Kubernetes version",
                        f"use one of {', '.join(SUPPORTED_KUBERNETES_VERSIONS)} (quote it in YAML)")
        return value

    @field_validator("public_access_cidrs")
    @classmethod
    def _public_cidrs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for cidr in value:
            try:
                network = ipaddress.ip_network(cidr, strict=True)
            except ValueError:
                raise fail(f"{cidr!r} is not a CIDR network address", "write it as a.b.c.d/prefix") from None
            if network.prefixlen == 0:
                raise fail("opens the API endpoint to the whole internet",
                            "list your office or VPN ranges, or leave it empty for a private endpoint")
        return value

    @field_validator("admin_role_arns")
    @classmethod
    def _admin_roles(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for arn in value:
            if not _ROLE_ARN.fullmatch(arn):
                raise fail(f"{arn!r} is not an IAM role ARN", "use arn:aws:iam::<account>:role/<name>")
        return value

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        return check_retention(value)

    @field_validator("node_groups")
    @classmethod
    def _groups(cls, value: dict[str, NodeGroupConfig]) -> dict[str, NodeGroupConfig]:
        for group in value:
            if not _NAME.fullmatch(group):
                raise fail(f"group name {group!r} is invalid", "use lowercase letters, digits and -")
        if "system" not in value:
            raise fail("has no `system` node group", "add node_groups.system for cluster add-ons and operators")
        return value
