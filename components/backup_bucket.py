"""A backup bucket (`meridian:storage:BackupBucket`): versioned, SSE-KMS with its own rotating key, private, TLS-only.

Cassandra (Medusa), Vault (raft snapshots) and Elasticsearch (snapshots) each get one; services reach it through
an IRSA role whose policy `access_policy` builds for that bucket and key only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import pulumi
import pulumi_aws as aws

from components.policy_documents import account_root_statement, policy_document
from components.tags import resource_tags

OBJECT_READ_WRITE: Final = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload",
                            "s3:ListMultipartUploadParts")
BUCKET_READ: Final = ("s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads")
KEY_USE: Final = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey")


@dataclass(frozen=True, kw_only=True)
class BackupBucketArgs:
    """Inputs of a backup bucket."""

    purpose: str
    """What the bucket holds (`cassandra-medusa`, `vault-snapshots`); part of its physical name prefix."""
    region: str
    tags: Mapping[str, str]
    component: str
    """Owning component, for the `meridian:component` tag."""
    noncurrent_days: int = 30
    """Days a replaced or deleted object version is kept before it expires."""
    protect: bool = True
    """Protect the bucket and its key: `pulumi destroy` and replaces refuse them."""


class BackupBucket(pulumi.ComponentResource):
    """The bucket, its key and its guard rails. Exposes `bucket_name`, `bucket_arn` and `key_arn`."""

    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    key_arn: pulumi.Output[str]

    def __init__(self, name: str, args: BackupBucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("meridian:storage:BackupBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        keep = pulumi.ResourceOptions(parent=self, protect=args.protect)
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self)).partition

        def tags(resource_name: str) -> dict[str, str]:
            return resource_tags(args.tags, resource_name, args.component, {"meridian:purpose": args.purpose})

        key = aws.kms.Key(f"{name}-key", description=f"Backups: {args.purpose}", enable_key_rotation=True,
                          deletion_window_in_days=30, tags=tags(f"{name}-key"),
                          policy=pulumi.Output.all(partition, identity.account_id).apply(
                              lambda v: policy_document(account_root_statement(v[0], v[1]))),
                          opts=keep)
        aws.kms.Alias(f"{name}-key-alias", name=f"alias/meridian/{args.region}/{args.purpose}",
                      target_key_id=key.key_id, opts=child)
        bucket = aws.s3.Bucket(f"{name}-bucket", bucket_prefix=f"meridian-{args.purpose}-",
                               force_destroy=False, tags=tags(f"{name}-bucket"), opts=keep)
        aws.s3.BucketOwnershipControls(f"{name}-ownership", bucket=bucket.id,
                                       rule={"object_ownership": "BucketOwnerEnforced"}, opts=child)
        public_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block", bucket=bucket.id, block_public_acls=True, block_public_policy=True,
            ignore_public_acls=True, restrict_public_buckets=True, opts=child)
        aws.s3.BucketVersioning(f"{name}-versioning", bucket=bucket.id,
                                versioning_configuration={"status": "Enabled"}, opts=child)
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption", bucket=bucket.id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms",
                                                                "kms_master_key_id": key.arn},
                    "bucket_key_enabled": True}], opts=child)
        aws.s3.BucketLifecycleConfiguration(f"{name}-lifecycle", bucket=bucket.id, rules=[
            {"id": "expire-noncurrent-versions", "status": "Enabled", "filter": {},
             "noncurrent_version_expiration": {"noncurrent_days": args.noncurrent_days}},
            {"id": "abort-incomplete-uploads", "status": "Enabled", "filter": {},
             "abort_incomplete_multipart_upload": {"days_after_initiation": 7}},
        ], opts=child)
        aws.s3.BucketPolicy(f"{name}-tls-only", bucket=bucket.id, policy=bucket.arn.apply(tls_only_policy),
                            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_block]))
        self.bucket_name, self.bucket_arn, self.key_arn = bucket.bucket, bucket.arn, key.arn
        self.register_outputs({"bucketName": bucket.bucket, "bucketArn": bucket.arn, "keyArn": key.arn})

    def access_policy(self, prefix: str = "") -> pulumi.Output[str]:
        """IAM policy for a backup writer: this bucket (under `prefix`) and this key, nothing else."""
        return pulumi.Output.all(self.bucket_arn, self.key_arn).apply(
            lambda v: bucket_access_policy(v[0], v[1], prefix))


def tls_only_policy(bucket_arn: str) -> str:
    """Bucket policy denying every request not made over TLS."""
    return policy_document({"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                            "Resource": [bucket_arn, f"{bucket_arn}/*"],
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}}})


def bucket_access_policy(bucket_arn: str, key_arn: str, prefix: str = "") -> str:
    """Read, write and list one bucket (optionally one prefix) and use its key."""
    objects = f"{bucket_arn}/{prefix}*"
    listing: dict[str, object] = {"Sid": "ListBucket", "Effect": "Allow", "Action": list(BUCKET_READ),
                                  "Resource": bucket_arn}
    if prefix:
        listing["Condition"] = {"StringLike": {"s3:prefix": [f"{prefix}*"]}}
    return policy_document(
        listing,
        {"Sid": "ReadWriteBackups", "Effect": "Allow", "Action": list(OBJECT_READ_WRITE), "Resource": objects},
        {"Sid": "UseBackupKey", "Effect": "Allow", "Action": list(KEY_USE), "Resource": key_arn},
    )

