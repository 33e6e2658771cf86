"""KMS, EKS and EC2 rules: rotating keys, a private and encrypted control plane that logs, IMDSv2, encrypted EBS."""

from __future__ import annotations

from typing import Final

from policy.model import PolicyResource, Rule, get, is_false, is_set, is_true, is_unknown, items

KMS_KEY: Final = "aws:kms/key:Key"
EKS_CLUSTER: Final = "aws:eks/cluster:Cluster"
LAUNCH_TEMPLATE: Final = "aws:ec2/launchTemplate:LaunchTemplate"
INSTANCE: Final = "aws:ec2/instance:Instance"
VOLUME: Final = "aws:ebs/volume:Volume"

CONTROL_PLANE_LOGS: Final = ("api", "audit", "authenticator", "controllerManager", "scheduler")
"""Every EKS control-plane log type (https://docs.aws.amazon.com/eks/latest/userguide/control-plane-logs.html)."""


def _ok(value: object) -> bool:
    return is_true(value) or is_unknown(value)


def key_rotation(resource: PolicyResource) -> list[str]:
    """Symmetric keys rotate yearly; asymmetric and HMAC keys cannot rotate, so they are not asked to."""
    spec = resource.inputs.get("customerMasterKeySpec") or "SYMMETRIC_DEFAULT"
    if spec != "SYMMETRIC_DEFAULT" or _ok(resource.inputs.get("enableKeyRotation")):
        return []
    return ["enableKeyRotation is not true: set enable_key_rotation=True"]


def _anywhere(cidr: object) -> bool:
    return isinstance(cidr, str) and cidr.endswith("/0")


def eks_private_endpoint(resource: PolicyResource) -> list[str]:
    """The API server has its private endpoint; the public one is off (AWS turns it on unless told otherwise) or,
    for a stack that opts in with `cluster.public_access_cidrs`, limited to those CIDRs (unset means 0.0.0.0/0)."""
    vpc = resource.inputs.get("vpcConfig")
    found = []
    public, cidrs = get(vpc, "endpointPublicAccess"), items(get(vpc, "publicAccessCidrs"))
    if not (is_false(public) or is_unknown(public)) and (not cidrs or any(_anywhere(cidr) for cidr in cidrs)):
        found.append(f"vpcConfig.endpointPublicAccess is {public!r} with publicAccessCidrs {cidrs or 'unset'} "
                     "(open to the internet): set endpoint_public_access=False, or public_access_cidrs to the "
                     "operators' networks")
    if not _ok(get(vpc, "endpointPrivateAccess")):
        found.append("vpcConfig.endpointPrivateAccess is not true: set endpoint_private_access=True")
    return found


def eks_secrets_encryption(resource: PolicyResource) -> list[str]:
    """Kubernetes Secrets are envelope-encrypted with a KMS key."""
    for config in items(resource.inputs.get("encryptionConfig")):
        if "secrets" in items(get(config, "resources")) and is_set(get(config, "provider.keyArn")):
            return []
    return ["encryptionConfig does not encrypt 'secrets' with a KMS key: set encryption_config with "
            "resources=['secrets'] and provider.key_arn"]


def eks_control_plane_logs(resource: PolicyResource) -> list[str]:
    """Every control-plane log type goes to CloudWatch."""
    enabled = items(resource.inputs.get("enabledClusterLogTypes"))
    missing = [kind for kind in CONTROL_PLANE_LOGS if kind not in enabled]
    if not missing or is_unknown(resource.inputs.get("enabledClusterLogTypes")):
        return []
    return [f"enabledClusterLogTypes lacks {', '.join(missing)}: enable all of {', '.join(CONTROL_PLANE_LOGS)}"]


def imdsv2(resource: PolicyResource) -> list[str]:
    """Instances and launch templates require session tokens for the metadata service (IMDSv2)."""
    tokens = get(resource.inputs, "metadataOptions.httpTokens")
    if tokens == "required" or is_unknown(tokens):
        return []
    return [f"metadataOptions.httpTokens is {tokens!r}: set metadata_options http_tokens='required' (IMDSv2)"]


def ebs_encrypted(resource: PolicyResource) -> list[str]:
    """Every EBS volume a launch template, an instance or a volume resource declares is encrypted."""
    inputs = resource.inputs
    if resource.type == VOLUME:
        return [] if _ok(inputs.get("encrypted")) else ["encrypted is not true: set encrypted=True (and kms_key_id)"]
    found = []
    if resource.type == LAUNCH_TEMPLATE:
        for mapping in items(inputs.get("blockDeviceMappings")):
            ebs = get(mapping, "ebs")
            if ebs is not None and not _ok(get(ebs, "encrypted")):
                found.append(f"blockDeviceMappings {get(mapping, 'deviceName')}: ebs.encrypted is not true: "
                             "set encrypted='true'")
    else:
        # No rootBlockDevice means the AMI snapshot's setting, which may be unencrypted: the root must be declared.
        devices = [("rootBlockDevice", inputs.get("rootBlockDevice"))]
        devices += [(f"ebsBlockDevices {get(device, 'deviceName')}", device)
                    for device in items(inputs.get("ebsBlockDevices"))]
        found += [f"{where}: encrypted is not true: set encrypted=True"
                  for where, device in devices if not _ok(get(device, "encrypted"))]
    return found


RULES: Final = (
    Rule("kms-key-rotation", "Symmetric KMS keys rotate automatically.", "mandatory",
         frozenset({KMS_KEY}), key_rotation),
    Rule("eks-private-endpoint", "EKS API servers have a private endpoint only.", "mandatory",
         frozenset({EKS_CLUSTER}), eks_private_endpoint),
    Rule("eks-secrets-encryption", "EKS encrypts Kubernetes Secrets with a KMS key.", "mandatory",
         frozenset({EKS_CLUSTER}), eks_secrets_encryption),
    Rule("eks-control-plane-logs", "EKS sends every control-plane log type to CloudWatch.", "mandatory",
         frozenset({EKS_CLUSTER}), eks_control_plane_logs),
    Rule("ec2-imdsv2", "EC2 instances and launch templates require IMDSv2.", "mandatory",
         frozenset({LAUNCH_TEMPLATE, INSTANCE}), imdsv2),
    Rule("ebs-encrypted", "EBS volumes of instances, launch templates and volume resources are encrypted.",
         "mandatory", frozenset({LAUNCH_TEMPLATE, INSTANCE, VOLUME}), ebs_encrypted),
)
