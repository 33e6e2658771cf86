"""Managed node groups of the EksCluster: one launch template per workload class, node groups per class or zone."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import pulumi
import pulumi_aws as aws

from components.config import NodeGroupConfig
from components.contracts import NetworkRef
from components.tags import resource_tags

NODE_GROUP_LABEL: Final = "meridian.io/node-group"
AMI_X86: Final = "AL2023_x86_64_STANDARD"
AMI_ARM: Final = "AL2023_ARM_64_STANDARD"
ROOT_DEVICE: Final = "/dev/xvda"
# EKS API taint effects and their Kubernetes spelling (for tolerations).
KUBERNETES_EFFECTS: Final = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute",
                             "PREFER_NO_SCHEDULE": "PreferNoSchedule"}


@dataclass(frozen=True)
class NodeGroupPlan:
    """One managed node group to declare: a workload class, in one zone (`per_az`) or across all."""

    resource_name: str
    group: str
    zone: str | None
    subnet_ids: tuple[pulumi.Output[str], ...]


def ami_type(config: NodeGroupConfig) -> str:
    """AL2023 AMI type for the group's architecture (config guarantees one architecture per group)."""
    return AMI_ARM if config.architecture == "arm64" else AMI_X86


def node_labels(group: str, config: NodeGroupConfig) -> dict[str, str]:
    """Kubernetes labels of the group's nodes: its configured labels plus `meridian.io/node-group`."""
    return {**config.labels, NODE_GROUP_LABEL: group}


def eks_taints(config: NodeGroupConfig) -> list[aws.eks.NodeGroupTaintArgsDict]:
    """Taints in EKS API spelling (`NO_SCHEDULE`), as the NodeGroup resource takes them."""
    return [{"key": taint.key, "value": taint.value, "effect": taint.effect} for taint in config.taints]


def kubernetes_taints(config: NodeGroupConfig) -> tuple[dict[str, str], ...]:
    """Taints in Kubernetes spelling (`NoSchedule`), as pods' tolerations name them."""
    return tuple({"key": taint.key, "value": taint.value, "effect": KUBERNETES_EFFECTS[taint.effect]}
                 for taint in config.taints)


def plan_node_groups(name: str, network: NetworkRef,
                     node_groups: Mapping[str, NodeGroupConfig]) -> list[NodeGroupPlan]:
    """Expand workload classes: a `per_az` class becomes one group per zone, in the network's zone order."""
    plans: list[NodeGroupPlan] = []
    for group, config in node_groups.items():
        if config.per_az:
            plans.extend(NodeGroupPlan(f"{name}-{group}-{zone}", group, zone,
                                       (network.subnet_in("private", zone).id,))
                         for zone in network.zones)
        else:
            plans.append(NodeGroupPlan(f"{name}-{group}", group, None, tuple(network.subnet_ids("private"))))
    return plans


def launch_template(name: str, group: str, config: NodeGroupConfig, *, ebs_key_arn: pulumi.Input[str],
                    tags: Mapping[str, str], parent: pulumi.Resource) -> aws.ec2.LaunchTemplate:
    """Launch template of a workload class: IMDSv2 only with hop limit 1, encrypted gp3 root volume.

    No image or instance profile: the managed node group supplies both.
    """
    resource_name = f"{name}-{group}-launch-template"
    instance_tags = resource_tags(tags, f"{name}-{group}", "cluster")
    return aws.ec2.LaunchTemplate(
        resource_name,
        description=f"Managed nodes of node group {group}",
        update_default_version=True,
        metadata_options={"http_endpoint": "enabled", "http_tokens": "required",
                          "http_put_response_hop_limit": 1},
        block_device_mappings=[{"device_name": ROOT_DEVICE, "ebs": {
            "volume_type": "gp3", "volume_size": config.disk_gib, "encrypted": "true",
            "kms_key_id": ebs_key_arn, "delete_on_termination": "true"}}],
        tag_specifications=[{"resource_type": kind, "tags": instance_tags}
                            for kind in ("instance", "volume", "network-interface")],
        tags=resource_tags(tags, resource_name, "cluster"),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def node_group(plan: NodeGroupPlan, config: NodeGroupConfig, template: aws.ec2.LaunchTemplate, *,
               cluster_name: pulumi.Input[str], node_role_arn: pulumi.Input[str], kubernetes_version: str,
               tags: Mapping[str, str], parent: pulumi.Resource,
               depends_on: Sequence[pulumi.Resource]) -> aws.eks.NodeGroup:
    """One managed node group; sizes are per group, so per zone for `per_az` classes."""
    return aws.eks.NodeGroup(
        plan.resource_name,
        cluster_name=cluster_name,
        node_role_arn=node_role_arn,
        subnet_ids=list(plan.subnet_ids),
        version=kubernetes_version,
        ami_type=ami_type(config),
        capacity_type=config.capacity_type,
        instance_types=list(config.instance_types),
        scaling_config={"min_size": config.min_size, "desired_size": config.desired_size,
                        "max_size": config.max_size},
        update_config={"max_unavailable": 1},
        labels=node_labels(plan.group, config),
        taints=eks_taints(config),
        launch_template={"id": template.id, "version": template.latest_version.apply(str)},
        tags=resource_tags(tags, plan.resource_name, "cluster"),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on)),
    )


def create_node_groups(name: str, *, network: NetworkRef, node_groups: Mapping[str, NodeGroupConfig],
                       cluster_name: pulumi.Input[str], node_role_arn: pulumi.Input[str],
                       kubernetes_version: str, ebs_key_arn: pulumi.Input[str], tags: Mapping[str, str],
                       parent: pulumi.Resource, depends_on: Sequence[pulumi.Resource]) -> list[aws.eks.NodeGroup]:
    """Launch templates and managed node groups for every workload class."""
    templates = {group: launch_template(name, group, config, ebs_key_arn=ebs_key_arn, tags=tags, parent=parent)
                 for group, config in node_groups.items()}
    return [node_group(plan, node_groups[plan.group], templates[plan.group], cluster_name=cluster_name,
                       node_role_arn=node_role_arn, kubernetes_version=kubernetes_version, tags=tags,
                       parent=parent, depends_on=depends_on)
            for plan in plan_node_groups(name, network, node_groups)]
