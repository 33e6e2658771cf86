"""Required tags, log groups, protected state and pinned Helm charts."""

from __future__ import annotations

import pytest

from components import tags as program_tags
from policy import PolicyResource
from policy.rules_governance import REQUIRED_TAG_KEYS
from tests.policy.helpers import TAGS, Case, case, check, res

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
RELEASE = "kubernetes:helm.sh/v3:Release"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/abc"


def release(version: object, chart: str = "cert-manager", repo: str = "https://charts.jetstack.io",
            protect: bool = False) -> PolicyResource:
    return res(RELEASE, "release", {"chart": chart, "version": version, "repositoryOpts": {"repo": repo}},
               protect=protect)


def log_group(**inputs: object) -> PolicyResource:
    return res(LOG_GROUP, "logs", {"name": "/x", "tags": TAGS, **inputs})


UNTAGGED = {key: value for key, value in TAGS.items() if key != "owner"}
PINNED = ["1.2.3", "v1.21.1", "88.5.3", "1.0.0-rc.1", "2.0.0+build.5"]
UNPINNED = ["^1.2.3", "~1.2.3", ">=1.0.0", "<2", "*", "1.2.x", "1.2", "", None, "1.2.3 - 1.4.0", "latest"]

CASES: list[Case] = [
    case("required-tags", "tagged", res("aws:ec2/subnet:Subnet", "s", {"tags": TAGS})),
    case("required-tags", "not-taggable", res("aws:iam/rolePolicy:RolePolicy", "p", {"policy": "{}"})),
    case("required-tags", "kubernetes", res("kubernetes:core/v1:ConfigMap", "cm", {"data": {}})),
    case("required-tags", "owner-missing", res("aws:ec2/subnet:Subnet", "s", {"tags": UNTAGGED}),
         violators=("s",), says="tags lack owner"),
    case("required-tags", "taggable-without-tags", res("aws:kms/key:Key", "k", {"enableKeyRotation": True}),
         violators=("k",), says="Name, meridian:component"),
    case("log-group-retention", "one-year", log_group(retentionInDays=365, kmsKeyId=KEY_ARN)),
    case("log-group-retention", "forever", log_group(retentionInDays=0, kmsKeyId=KEY_ARN), violators=("logs",),
         says="retention_in_days"),
    case("log-group-retention", "unset", log_group(kmsKeyId=KEY_ARN), violators=("logs",)),
    case("log-group-kms", "encrypted", log_group(retentionInDays=30, kmsKeyId=KEY_ARN)),
    case("log-group-kms", "plain", log_group(retentionInDays=30), violators=("logs",), says="kms_key_id"),
    case("stateful-protected", "protected-bucket", res("aws:s3/bucket:Bucket", "b", {"tags": TAGS}, protect=True)),
    case("stateful-protected", "stateless-chart", release("1.2.3")),
    case("stateful-protected", "unprotected-bucket", res("aws:s3/bucket:Bucket", "b", {"tags": TAGS}),
         violators=("b",), says="protect=True"),
    case("stateful-protected", "unprotected-vault-release", release("0.34.1", chart="vault",
                                                                    repo="https://helm.releases.hashicorp.com"),
         violators=("release",)),
    *[case("helm-version-pinned", f"pinned-{version}", release(version)) for version in PINNED],
    *[case("helm-version-pinned", f"unpinned-{version!r}", release(version), violators=("release",),
           says="not one exact version") for version in UNPINNED],
    case("helm-repository-secure", "https", release("1.2.3")),
    case("helm-repository-secure", "oci-chart", res(RELEASE, "release", {
        "chart": "oci://registry-1.docker.io/bitnamicharts/redis", "version": "1.2.3"})),
    case("helm-repository-secure", "plain-http", release("1.2.3", repo="http://charts.example.com"),
         violators=("release",), says="http://charts.example.com"),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: f"{c.rule}-{c.id}")
def test_rule(c: Case) -> None:
    check(c)


def test_required_tag_keys_are_the_programs() -> None:
    assert REQUIRED_TAG_KEYS == program_tags.REQUIRED_TAG_KEYS
