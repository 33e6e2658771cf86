"""S3 rules. Since pulumi-aws v6 a bucket's encryption, versioning, public access block and policy are resources of
their own, so four of these are stack rules pairing each bucket with the settings resources that point at it.

A settings resource belongs to a bucket when it depends on the bucket's URN (the engine records that dependency
whenever `bucket=bucket.id` flows in) or when its `bucket` equals the bucket's `bucket`/`id`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

from policy.model import (
    PolicyResource,
    Rule,
    StackRule,
    get,
    is_false,
    is_set,
    is_true,
    is_unknown,
    items,
    policy_statements,
)

BUCKETS: Final = frozenset({"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"})
SSE: Final = frozenset({
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
})
VERSIONING: Final = frozenset({"aws:s3/bucketVersioning:BucketVersioning",
                               "aws:s3/bucketVersioningV2:BucketVersioningV2"})
PUBLIC_ACCESS_BLOCK: Final = frozenset({"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"})
BUCKET_POLICY: Final = frozenset({"aws:s3/bucketPolicy:BucketPolicy"})
ACLS: Final = frozenset({"aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2"})

KMS_ALGORITHMS: Final = frozenset({"aws:kms", "aws:kms:dsse"})
PUBLIC_CANNED_ACLS: Final = frozenset({"public-read", "public-read-write", "authenticated-read"})
BLOCK_FLAGS: Final = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")

BucketTest = Callable[[PolicyResource, list[PolicyResource]], str | None]
"""Given a bucket and its settings resources of one kind: the violation message, or None."""


def _settings_of(bucket: PolicyResource, resources: Sequence[PolicyResource],
                 types: frozenset[str]) -> list[PolicyResource]:
    names = {str(value) for value in (bucket.inputs.get("bucket"), bucket.inputs.get("id")) if value}
    return [resource for resource in resources if resource.type in types
            and (bucket.urn in resource.dependencies or str(resource.inputs.get("bucket")) in names)]


def _per_bucket(types: frozenset[str], test: BucketTest) -> Callable[[Sequence[PolicyResource]],
                                                                     list[tuple[PolicyResource, str]]]:
    def check(resources: Sequence[PolicyResource]) -> list[tuple[PolicyResource, str]]:
        found = []
        for bucket in (resource for resource in resources if resource.type in BUCKETS):
            message = test(bucket, _settings_of(bucket, resources, types))
            if message:
                found.append((bucket, message))
        return found
    return check


def _sse_is_kms(rule: object) -> bool:
    default = get(rule, "applyServerSideEncryptionByDefault")
    algorithm = get(default, "sseAlgorithm")
    return (is_unknown(algorithm) or algorithm in KMS_ALGORITHMS) and is_set(get(default, "kmsMasterKeyId"))


def _encryption(bucket: PolicyResource, settings: list[PolicyResource]) -> str | None:
    rules = items(get(bucket.inputs, "serverSideEncryptionConfiguration.rule"))
    rules += [rule for setting in settings for rule in items(setting.inputs.get("rules"))]
    if any(_sse_is_kms(rule) for rule in rules):
        return None
    return ("no default encryption with a customer-managed KMS key: add an "
            "aws.s3.BucketServerSideEncryptionConfiguration for this bucket with sse_algorithm 'aws:kms' and "
            "kms_master_key_id set")


def _versioning(bucket: PolicyResource, settings: list[PolicyResource]) -> str | None:
    statuses = [get(setting.inputs, "versioningConfiguration.status") for setting in settings]
    if is_true(get(bucket.inputs, "versioning.enabled")) or any(
            status == "Enabled" or is_unknown(status) for status in statuses):
        return None
    return ("versioning is not enabled: add an aws.s3.BucketVersioning for this bucket with "
            "versioning_configuration status 'Enabled'")


def _public_access_block(bucket: PolicyResource, settings: list[PolicyResource]) -> str | None:
    if any(all(is_true(block.inputs.get(flag)) or is_unknown(block.inputs.get(flag)) for flag in BLOCK_FLAGS)
           for block in settings):
        return None
    return ("no public access block with all four flags true: add an aws.s3.BucketPublicAccessBlock for this "
            f"bucket setting {', '.join(BLOCK_FLAGS)} to true")


def _denies_insecure_transport(statement: object) -> bool:
    principal = get(statement, "Principal")
    actions = {str(action) for action in items(get(statement, "Action"))}
    secure = get(statement, "Condition.Bool.aws:SecureTransport")
    return (get(statement, "Effect") == "Deny" and is_false(secure)
            and (principal == "*" or "*" in items(get(principal, "AWS")))
            and bool(actions & {"s3:*", "*"}))


def _tls_only(bucket: PolicyResource, settings: list[PolicyResource]) -> str | None:
    for setting in settings:
        document = setting.inputs.get("policy")
        if is_unknown(document) or any(_denies_insecure_transport(s) for s in policy_statements(document)):
            return None
    return ("no bucket policy denies plain HTTP: add an aws.s3.BucketPolicy with a Deny of s3:* for Principal '*' "
            "when aws:SecureTransport is 'false'")


def public_acl(resource: PolicyResource) -> list[str]:
    """A bucket or bucket ACL whose canned ACL grants public or any-AWS-account access."""
    acl = resource.inputs.get("acl")
    if isinstance(acl, str) and acl in PUBLIC_CANNED_ACLS:
        return [f"acl is '{acl}', which grants access outside the account: drop it (ownership is "
                "BucketOwnerEnforced) or use 'private'"]
    return []


def force_destroy(resource: PolicyResource) -> list[str]:
    """A bucket that `pulumi destroy` may empty."""
    if is_true(resource.inputs.get("forceDestroy")):
        return ["forceDestroy is true, so a destroy or replace deletes every object: set force_destroy=False"]
    return []


RULES: Final[tuple[Rule | StackRule, ...]] = (
    StackRule("s3-bucket-sse-kms", "S3 buckets encrypt by default with a customer-managed KMS key (SSE-KMS).",
              "mandatory", BUCKETS | SSE, _per_bucket(SSE, _encryption)),
    StackRule("s3-bucket-versioning", "S3 buckets keep object versions (versioning enabled).",
              "mandatory", BUCKETS | VERSIONING, _per_bucket(VERSIONING, _versioning)),
    StackRule("s3-bucket-public-access-block", "S3 buckets block every form of public access.",
              "mandatory", BUCKETS | PUBLIC_ACCESS_BLOCK, _per_bucket(PUBLIC_ACCESS_BLOCK, _public_access_block)),
    StackRule("s3-bucket-tls-only", "S3 bucket policies deny requests not made over TLS.",
              "mandatory", BUCKETS | BUCKET_POLICY, _per_bucket(BUCKET_POLICY, _tls_only)),
    Rule("s3-no-public-acl", "S3 buckets and bucket ACLs use no public canned ACL.",
         "mandatory", BUCKETS | ACLS, public_acl),
    Rule("s3-no-force-destroy", "S3 buckets cannot be emptied by a destroy (forceDestroy off).",
         "mandatory", BUCKETS, force_destroy),
)
