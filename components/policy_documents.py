"""Pure builders of IAM and KMS policy JSON shared by components (sorted keys, so diffs stay stable)."""

from __future__ import annotations

import json
from typing import Any, Final

LOGS_KEY_ACTIONS: Final = ("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                           "kms:Describe*")


def policy_document(*statements: dict[str, Any]) -> str:
    """An IAM policy document (JSON text) of these statements."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=True)


def account_root_statement(partition: str, account_id: str) -> dict[str, Any]:
    """Key-policy statement delegating the key to the account's IAM policies (the default key policy)."""
    return {"Sid": "AccountAdministers", "Effect": "Allow",
            "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"}, "Action": "kms:*", "Resource": "*"}


def log_group_arn(partition: str, region: str, account_id: str, group_name: str) -> str:
    """ARN of a CloudWatch Logs log group."""
    return f"arn:{partition}:logs:{region}:{account_id}:log-group:{group_name}"


def logs_key_statement(partition: str, region: str, account_id: str, group_name: str) -> dict[str, Any]:
    """Key-policy statement letting CloudWatch Logs use the key for one log group only."""
    return {"Sid": "CloudWatchLogsEncryptsLogGroup", "Effect": "Allow",
            "Principal": {"Service": f"logs.{region}.amazonaws.com"}, "Action": list(LOGS_KEY_ACTIONS),
            "Resource": "*", "Condition": {"ArnLike": {
                "kms:EncryptionContext:aws:logs:arn": log_group_arn(partition, region, account_id, group_name)}}}
