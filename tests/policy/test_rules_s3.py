"""S3 rules: the stack rules pair a bucket with its settings resources by dependency or by bucket name."""

from __future__ import annotations

import pytest

from policy import PolicyResource
from tests.policy.helpers import TAGS, Case, case, check, document, res

BUCKET = "aws:s3/bucket:Bucket"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/abc"
TLS_ONLY = document({"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                     "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
                     "Condition": {"Bool": {"aws:SecureTransport": "false"}}})


def bucket(name: str = "backups", **inputs: object) -> PolicyResource:
    return res(BUCKET, name, {"bucketPrefix": f"{name}-", "forceDestroy": False, "tags": TAGS, **inputs},
               protect=True)


def sse(of: PolicyResource, algorithm: str = "aws:kms", key: str | None = KEY_ARN) -> PolicyResource:
    default = {"sseAlgorithm": algorithm, **({"kmsMasterKeyId": key} if key else {})}
    return res(SSE, f"{of.name}-encryption", {"bucket": f"{of.name}-id",
                                              "rules": [{"applyServerSideEncryptionByDefault": default}]}, deps=(of,))


def versioning(of: PolicyResource, status: str = "Enabled") -> PolicyResource:
    return res(VERSIONING, f"{of.name}-versioning", {"bucket": f"{of.name}-id",
                                                     "versioningConfiguration": {"status": status}}, deps=(of,))


def block(of: PolicyResource, **overrides: bool) -> PolicyResource:
    flags = {"blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True,
             "restrictPublicBuckets": True, **overrides}
    return res(PAB, f"{of.name}-public-access-block", {"bucket": f"{of.name}-id", **flags}, deps=(of,))


def tls_policy(of: PolicyResource, policy: str = TLS_ONLY) -> PolicyResource:
    return res(POLICY, f"{of.name}-tls-only", {"bucket": f"{of.name}-id", "policy": policy}, deps=(of,))


B = bucket()
OTHER = bucket("other")
# CrossGuard's stack validation sees outputs: the settings' `bucket` equals the bucket's `bucket` (no dependency).
NAMED = bucket("named", bucket="named-123")
NAMED_SSE = res(SSE, "named-encryption", {"bucket": "named-123", "rules": [
    {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms:dsse", "kmsMasterKeyId": KEY_ARN}}]})

CASES: list[Case] = [
    case("s3-bucket-sse-kms", "kms-key", B, sse(B)),
    case("s3-bucket-sse-kms", "matched-by-bucket-name", NAMED, NAMED_SSE),
    case("s3-bucket-sse-kms", "inline", bucket(serverSideEncryptionConfiguration={"rule": {
        "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY_ARN}}})),
    case("s3-bucket-sse-kms", "none", B, violators=("backups",), says="BucketServerSideEncryptionConfiguration"),
    case("s3-bucket-sse-kms", "aes256", B, sse(B, "AES256", None), violators=("backups",)),
    case("s3-bucket-sse-kms", "aws-managed-key", B, sse(B, key=None), violators=("backups",)),
    case("s3-bucket-sse-kms", "other-buckets-encryption", B, OTHER, sse(OTHER), violators=("backups",)),
    case("s3-bucket-versioning", "enabled", B, versioning(B)),
    case("s3-bucket-versioning", "inline", bucket(versioning={"enabled": True})),
    case("s3-bucket-versioning", "suspended", B, versioning(B, "Suspended"), violators=("backups",),
         says="BucketVersioning"),
    case("s3-bucket-versioning", "none", B, violators=("backups",)),
    case("s3-bucket-public-access-block", "all-four", B, block(B)),
    case("s3-bucket-public-access-block", "one-off", B, block(B, restrictPublicBuckets=False),
         violators=("backups",), says="restrictPublicBuckets"),
    case("s3-bucket-public-access-block", "none", B, violators=("backups",)),
    case("s3-bucket-tls-only", "deny-insecure", B, tls_policy(B)),
    case("s3-bucket-tls-only", "principal-aws-star", B, tls_policy(B, document(
        {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "*", "Resource": "*",
         "Condition": {"Bool": {"aws:SecureTransport": False}}}))),
    case("s3-bucket-tls-only", "allow-only-policy", B, tls_policy(B, document(
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "s3:GetObject",
         "Resource": "*"})), violators=("backups",), says="aws:SecureTransport"),
    case("s3-bucket-tls-only", "deny-without-condition-on-tls", B, tls_policy(B, document(
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
         "Condition": {"Bool": {"aws:SecureTransport": "true"}}})), violators=("backups",)),
    case("s3-bucket-tls-only", "none", B, violators=("backups",)),
    case("s3-no-public-acl", "private", bucket(acl="private")),
    case("s3-no-public-acl", "public-read", bucket(acl="public-read"), violators=("backups",), says="public-read"),
    case("s3-no-public-acl", "acl-resource", res("aws:s3/bucketAclV2:BucketAclV2", "acl",
                                                 {"acl": "public-read-write"}), violators=("acl",)),
    case("s3-no-force-destroy", "off", B),
    case("s3-no-force-destroy", "on", bucket(forceDestroy=True), violators=("backups",), says="force_destroy"),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: f"{c.rule}-{c.id}")
def test_rule(c: Case) -> None:
    check(c)


def test_a_fully_configured_bucket_breaks_no_s3_rule() -> None:
    from policy import evaluate

    found = evaluate([B, sse(B), versioning(B), block(B), tls_policy(B)])
    assert [v for v in found if v.rule.startswith("s3-")] == []
