"""Pure builders of the EksCluster's IAM and KMS policy documents and its kubeconfig (JSON text, sorted keys)."""

from __future__ import annotations

import json
from typing import Any, Final

from components.policy_documents import account_root_statement, logs_key_statement, policy_document

KMS_USE_ACTIONS: Final = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                          "kms:DescribeKey")
KMS_GRANT_ACTIONS: Final = ("kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant")
AUTOSCALING_ROLE_PATH: Final = "role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"


def _dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=True)


def service_trust_policy(service: str) -> str:
    """Trust policy letting an AWS service (`eks.amazonaws.com`, `ec2.amazonaws.com`) assume the role."""
    return policy_document({"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"})


def secrets_key_policy(partition: str, account_id: str, region: str, log_group_name: str) -> str:
    """Key policy of the cluster key: the account administers it through IAM, EKS uses grants for secrets,
    and CloudWatch Logs encrypts the control-plane log group with it."""
    return policy_document(account_root_statement(partition, account_id),
                           logs_key_statement(partition, region, account_id, log_group_name))


def autoscaling_role_arn(partition: str, account_id: str) -> str:
    """ARN of the EC2 Auto Scaling service-linked role, which launches managed nodes with their volumes."""
    return f"arn:{partition}:iam::{account_id}:{AUTOSCALING_ROLE_PATH}"


def ebs_key_policy(partition: str, account_id: str, region: str, ebs_csi_role_arn: str) -> str:
    """Key policy of the EBS key: Auto Scaling encrypts node root volumes, the EBS CSI driver PVs (via EC2 only)."""
    autoscaling = {"AWS": autoscaling_role_arn(partition, account_id)}
    return policy_document(
        account_root_statement(partition, account_id),
        {"Sid": "AutoScalingUsesKey", "Effect": "Allow", "Principal": autoscaling,
         "Action": list(KMS_USE_ACTIONS), "Resource": "*"},
        {"Sid": "AutoScalingGrantsForVolumes", "Effect": "Allow", "Principal": autoscaling,
         "Action": "kms:CreateGrant", "Resource": "*",
         "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}},
        {"Sid": "EbsCsiDriverViaEc2", "Effect": "Allow", "Principal": {"AWS": ebs_csi_role_arn},
         "Action": [*KMS_USE_ACTIONS, *KMS_GRANT_ACTIONS], "Resource": "*",
         "Condition": {"StringEquals": {"kms:ViaService": f"ec2.{region}.amazonaws.com",
                                        "kms:CallerAccount": account_id}}},
    )


def ebs_csi_kms_policy(ebs_key_arn: str) -> str:
    """Inline policy of the EBS CSI role: use the EBS key, and grant it to EBS only for AWS resources."""
    return policy_document(
        {"Sid": "GrantsForAwsResources", "Effect": "Allow", "Action": list(KMS_GRANT_ACTIONS),
         "Resource": ebs_key_arn, "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}},
        {"Sid": "UseEbsKey", "Effect": "Allow", "Action": list(KMS_USE_ACTIONS), "Resource": ebs_key_arn},
    )


def cluster_kms_policy(secrets_key_arn: str) -> str:
    """Inline policy of the cluster role: envelope-encrypt Kubernetes secrets with the secrets key."""
    return policy_document({"Sid": "EncryptSecrets", "Effect": "Allow",
                    "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
                    "Resource": secrets_key_arn})


def kubeconfig(cluster_name: str, endpoint: str, certificate_authority: str, region: str) -> str:
    """A kubeconfig that authenticates with `aws eks get-token` (no credential is stored in it)."""
    context = f"{cluster_name}.{region}"
    return _dumps({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": context, "cluster": {"server": endpoint,
                                                   "certificate-authority-data": certificate_authority}}],
        "users": [{"name": context, "user": {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": "aws",
            "args": ["eks", "get-token", "--cluster-name", cluster_name, "--region", region],
            "interactiveMode": "Never",
        }}}],
        "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
        "current-context": context,
    })
