"""EKS managed add-ons (pinned per Kubernetes minor version), the EBS CSI driver's IRSA role, StorageClasses."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Final

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.cluster_policies import ebs_csi_kms_policy
from components.errors import ConfigError
from components.irsa import irsa_trust_policy
from components.tags import resource_tags

VPC_CNI: Final = "vpc-cni"
KUBE_PROXY: Final = "kube-proxy"
COREDNS: Final = "coredns"
EBS_CSI: Final = "aws-ebs-csi-driver"
ADDONS: Final = (VPC_CNI, KUBE_PROXY, COREDNS, EBS_CSI)
BEFORE_NODES: Final = (VPC_CNI, KUBE_PROXY)
"""DaemonSets nodes need to join (pod networking, service routing); the others are Deployments that need nodes."""

# The one add-on versions table: Kubernetes minor version -> add-on -> EKS add-on version. Sources: the EKS
# user guide's "Amazon VPC CNI versions", "CoreDNS versions" and "kube-proxy versions" tables; the EBS CSI driver
# follows the upstream release (kubernetes-sigs/aws-ebs-csi-driver). Check a bump with
# `aws eks describe-addon-versions --kubernetes-version <v> --addon-name <addon>`.
ADDON_VERSIONS: Final[Mapping[str, Mapping[str, str]]] = {
    "1.34": {VPC_CNI: "v1.21.1-eksbuild.7", KUBE_PROXY: "v1.34.6-eksbuild.13", COREDNS: "v1.13.2-eksbuild.11",
             EBS_CSI: "v1.63.1-eksbuild.1"},
    "1.35": {VPC_CNI: "v1.21.1-eksbuild.7", KUBE_PROXY: "v1.35.3-eksbuild.13", COREDNS: "v1.14.3-eksbuild.3",
             EBS_CSI: "v1.63.1-eksbuild.1"},
    "1.36": {VPC_CNI: "v1.21.1-eksbuild.7", KUBE_PROXY: "v1.36.0-eksbuild.14", COREDNS: "v1.14.3-eksbuild.3",
             EBS_CSI: "v1.63.1-eksbuild.1"},
}

EBS_CSI_NAMESPACE: Final = "kube-system"
EBS_CSI_SERVICE_ACCOUNT: Final = "ebs-csi-controller-sa"
EBS_PROVISIONER: Final = "ebs.csi.aws.com"
DEFAULT_CLASS_ANNOTATION: Final = "storageclass.kubernetes.io/is-default-class"
ADDON_CONFIGURATION: Final[Mapping[str, Mapping[str, str]]] = {
    # The VPC CNI enforces NetworkPolicies only with its network policy agent switched on.
    VPC_CNI: {"enableNetworkPolicy": "true"},
}


def addon_versions(kubernetes_version: str) -> Mapping[str, str]:
    """Pinned add-on versions of a Kubernetes minor version."""
    if kubernetes_version not in ADDON_VERSIONS:
        raise ConfigError("meridian:cluster.kubernetes_version", kubernetes_version, "has no pinned add-on versions",
                          f"use one of {', '.join(ADDON_VERSIONS)} or add a row to cluster_addons.ADDON_VERSIONS")
    return ADDON_VERSIONS[kubernetes_version]


def ebs_csi_role(name: str, *, oidc_provider_arn: pulumi.Input[str], oidc_issuer: pulumi.Input[str],
                 partition: pulumi.Input[str], tags: Mapping[str, str],
                 parent: pulumi.Resource) -> tuple[aws.iam.Role, aws.iam.RolePolicyAttachment]:
    """IRSA role of the EBS CSI controller, with AmazonEBSCSIDriverPolicy (its KMS policy comes with the key)."""
    role_name = f"{name}-ebs-csi-role"
    role = aws.iam.Role(
        role_name,
        description="EBS CSI controller (IRSA: kube-system/ebs-csi-controller-sa)",
        assume_role_policy=irsa_trust_policy(oidc_provider_arn, oidc_issuer, EBS_CSI_NAMESPACE,
                                             EBS_CSI_SERVICE_ACCOUNT),
        tags=resource_tags(tags, role_name, "cluster"),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    attachment = aws.iam.RolePolicyAttachment(
        f"{name}-ebs-csi-driver-policy",
        role=role.name,
        policy_arn=pulumi.Output.concat("arn:", partition, ":iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return role, attachment


def ebs_csi_key_policy(name: str, role: aws.iam.Role, ebs_key_arn: pulumi.Output[str],
                       parent: pulumi.Resource) -> aws.iam.RolePolicy:
    """Inline policy letting the EBS CSI role use (and grant EBS) the EBS key only."""
    return aws.iam.RolePolicy(f"{name}-ebs-csi-kms", role=role.id, policy=ebs_key_arn.apply(ebs_csi_kms_policy),
                              opts=pulumi.ResourceOptions(parent=parent))


def addon(name: str, addon_name: str, *, cluster_name: pulumi.Input[str], kubernetes_version: str,
          tags: Mapping[str, str], parent: pulumi.Resource, depends_on: Sequence[pulumi.Resource],
          service_account_role_arn: pulumi.Input[str] | None = None) -> aws.eks.Addon:
    """One managed add-on at its pinned version; creation overwrites, updates keep hand-made changes."""
    resource_name = f"{name}-{addon_name}"
    return aws.eks.Addon(
        resource_name,
        cluster_name=cluster_name,
        addon_name=addon_name,
        addon_version=addon_versions(kubernetes_version)[addon_name],
        resolve_conflicts_on_create="OVERWRITE",
        resolve_conflicts_on_update="PRESERVE",
        service_account_role_arn=service_account_role_arn,
        configuration_values=(json.dumps(ADDON_CONFIGURATION[addon_name], sort_keys=True)
                              if addon_name in ADDON_CONFIGURATION else None),
        tags=resource_tags(tags, resource_name, "cluster"),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on)),
    )


def storage_classes(name: str, *, ebs_key_arn: pulumi.Input[str], provider: k8s.Provider, protect: bool,
                    parent: pulumi.Resource, depends_on: Sequence[pulumi.Resource],
                    ) -> tuple[k8s.storage.v1.StorageClass, k8s.storage.v1.StorageClass]:
    """`gp3` (default, deleted with its claim) and `gp3-retain` (kept after its claim goes: stateful data).

    Both are encrypted with the EBS key and bind in the consuming pod's zone (WaitForFirstConsumer).
    """
    parameters: dict[str, pulumi.Input[str]] = {"type": "gp3", "encrypted": "true", "kmsKeyId": ebs_key_arn,
                                                "csi.storage.k8s.io/fstype": "ext4"}

    def storage_class(class_name: str, reclaim_policy: str, default: bool,
                      protect_class: bool) -> k8s.storage.v1.StorageClass:
        return k8s.storage.v1.StorageClass(
            f"{name}-{class_name}",
            metadata={"name": class_name,
                      "annotations": {DEFAULT_CLASS_ANNOTATION: "true" if default else "false"}},
            provisioner=EBS_PROVISIONER,
            parameters=parameters,
            reclaim_policy=reclaim_policy,
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=True,
            opts=pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=list(depends_on),
                                        protect=protect_class),
        )

    return (storage_class("gp3", "Delete", True, False),
            storage_class("gp3-retain", "Retain", False, protect))
