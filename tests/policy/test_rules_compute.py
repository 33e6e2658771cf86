"""KMS, EKS and EC2 rules."""

from __future__ import annotations

from typing import Any

import pytest

from policy import PolicyResource
from tests.policy.helpers import Case, case, check, res

KEY = "aws:kms/key:Key"
CLUSTER = "aws:eks/cluster:Cluster"
TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
INSTANCE = "aws:ec2/instance:Instance"
VOLUME = "aws:ebs/volume:Volume"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/abc"
ALL_LOGS = ["api", "audit", "authenticator", "controllerManager", "scheduler"]


def cluster(**overrides: Any) -> PolicyResource:
    inputs: dict[str, Any] = {
        "vpcConfig": {"endpointPrivateAccess": True, "endpointPublicAccess": False, "subnetIds": ["subnet-1"]},
        "encryptionConfig": {"provider": {"keyArn": KEY_ARN}, "resources": ["secrets"]},
        "enabledClusterLogTypes": ALL_LOGS,
    }
    return res(CLUSTER, "eks", {**inputs, **overrides}, protect=True)


def template(tokens: str = "required", encrypted: str = "true") -> PolicyResource:
    return res(TEMPLATE, "lt", {"metadataOptions": {"httpTokens": tokens, "httpEndpoint": "enabled"},
                                "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {
                                    "encrypted": encrypted, "volumeSize": 100}}]})


CASES: list[Case] = [
    case("kms-key-rotation", "rotating", res(KEY, "k", {"enableKeyRotation": True})),
    case("kms-key-rotation", "asymmetric-cannot-rotate", res(KEY, "k", {"customerMasterKeySpec": "RSA_2048"})),
    case("kms-key-rotation", "unset", res(KEY, "k", {}), violators=("k",), says="enable_key_rotation"),
    case("kms-key-rotation", "false", res(KEY, "k", {"enableKeyRotation": False}), violators=("k",)),
    case("eks-private-endpoint", "private", cluster()),
    case("eks-private-endpoint", "public-limited-to-cidrs", cluster(vpcConfig={
        "endpointPrivateAccess": True, "endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.0/24"]})),
    case("eks-private-endpoint", "public-default", cluster(vpcConfig={"endpointPrivateAccess": True}),
         violators=("eks",), says="endpointPublicAccess"),
    case("eks-private-endpoint", "public-to-world", cluster(vpcConfig={
        "endpointPrivateAccess": True, "endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]}),
         violators=("eks",)),
    case("eks-private-endpoint", "no-private", cluster(vpcConfig={"endpointPublicAccess": False}),
         violators=("eks",), says="endpointPrivateAccess"),
    case("eks-secrets-encryption", "kms", cluster()),
    case("eks-secrets-encryption", "list-form", cluster(encryptionConfig=[
        {"provider": {"keyArn": KEY_ARN}, "resources": ["secrets"]}])),
    case("eks-secrets-encryption", "none", cluster(encryptionConfig=None), violators=("eks",),
         says="encryption_config"),
    case("eks-secrets-encryption", "no-key", cluster(encryptionConfig={"resources": ["secrets"]}),
         violators=("eks",)),
    case("eks-control-plane-logs", "all", cluster()),
    case("eks-control-plane-logs", "audit-missing", cluster(enabledClusterLogTypes=["api", "authenticator"]),
         violators=("eks",), says="audit, controllerManager, scheduler"),
    case("ec2-imdsv2", "template-required", template()),
    case("ec2-imdsv2", "instance-required", res(INSTANCE, "i", {"metadataOptions": {"httpTokens": "required"}})),
    case("ec2-imdsv2", "template-optional", template(tokens="optional"), violators=("lt",), says="'optional'"),
    case("ec2-imdsv2", "instance-default", res(INSTANCE, "i", {}), violators=("i",), says="http_tokens"),
    case("ebs-encrypted", "template", template()),
    case("ebs-encrypted", "template-unencrypted", template(encrypted="false"), violators=("lt",), says="/dev/xvda"),
    case("ebs-encrypted", "instance", res(INSTANCE, "i", {"rootBlockDevice": {"encrypted": True},
                                                          "ebsBlockDevices": [{"deviceName": "/dev/sdb",
                                                                               "encrypted": True}]})),
    case("ebs-encrypted", "instance-data-volume-plain", res(INSTANCE, "i", {
        "rootBlockDevice": {"encrypted": True}, "ebsBlockDevices": [{"deviceName": "/dev/sdb"}]}),
         violators=("i",), says="/dev/sdb"),
    case("ebs-encrypted", "instance-root-undeclared", res(INSTANCE, "i", {}), violators=("i",),
         says="rootBlockDevice"),
    case("ebs-encrypted", "volume", res(VOLUME, "v", {"encrypted": True, "kmsKeyId": KEY_ARN})),
    case("ebs-encrypted", "volume-plain", res(VOLUME, "v", {"size": 10}), violators=("v",)),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: f"{c.rule}-{c.id}")
def test_rule(c: Case) -> None:
    check(c)
