"""Governance rules: required tags, log groups that expire and are encrypted, protected state, pinned Helm charts."""

from __future__ import annotations

import re
from typing import Final

from policy.model import PolicyResource, Rule, get, is_set, is_unknown, tags_of
from policy.stateful import is_stateful

REQUIRED_TAG_KEYS: Final = ("Name", "meridian:component", "meridian:region", "meridian:stack", "owner", "cost-centre")
"""Copy of `components.tags.REQUIRED_TAG_KEYS` (the pack runs without the program's packages; a test keeps the two
equal)."""

TAGGABLE: Final = frozenset({
    "aws:kms/key:Key", "aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2", "aws:eks/cluster:Cluster",
    "aws:eks/nodeGroup:NodeGroup", "aws:eks/addon:Addon", "aws:eks/accessEntry:AccessEntry", "aws:ec2/vpc:Vpc",
    "aws:ec2/subnet:Subnet", "aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    "aws:ec2/routeTable:RouteTable", "aws:ec2/internetGateway:InternetGateway", "aws:ec2/natGateway:NatGateway",
    "aws:ec2/eip:Eip", "aws:ec2/vpcEndpoint:VpcEndpoint", "aws:ec2/flowLog:FlowLog",
    "aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/instance:Instance", "aws:ebs/volume:Volume",
    "aws:iam/role:Role", "aws:iam/policy:Policy", "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
    "aws:cloudwatch/logGroup:LogGroup", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "aws:ec2transitgateway/transitGateway:TransitGateway",
    "aws:ec2transitgateway/routeTable:RouteTable", "aws:ec2transitgateway/vpcAttachment:VpcAttachment",
    "aws:ec2transitgateway/peeringAttachment:PeeringAttachment",
    "aws:ec2transitgateway/peeringAttachmentAccepter:PeeringAttachmentAccepter", "aws:route53/zone:Zone",
})
"""AWS types that must carry tags even when the program passes none (any other AWS resource with a `tags` input
is checked too)."""

LOG_GROUP: Final = "aws:cloudwatch/logGroup:LogGroup"
HELM_RELEASES: Final = frozenset({"kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart"})
EXACT_SEMVER: Final = re.compile(
    r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$")
"""One exact version (https://semver.org, with Helm's optional leading `v`); ranges (`^ ~ > < * x`, `1.2`) fail."""
SECURE_REPOSITORIES: Final = ("https://", "oci://")


def required_tags(resource: PolicyResource) -> list[str]:
    """Every taggable AWS resource carries the stack's base tags plus Name and component."""
    if not resource.type.startswith("aws:") or ("tags" not in resource.inputs and resource.type not in TAGGABLE):
        return []
    tags = resource.inputs.get("tags")
    if is_unknown(tags):
        return []
    missing = [key for key in REQUIRED_TAG_KEYS if not tags_of(resource).get(key)]
    if not missing:
        return []
    return [f"tags lack {', '.join(missing)}: build them with components.tags.resource_tags(base, name, component)"]


def log_group_retention(resource: PolicyResource) -> list[str]:
    """Log groups expire their events (0 or unset keeps them forever)."""
    days = resource.inputs.get("retentionInDays")
    if is_unknown(days) or (isinstance(days, int | float) and days > 0):
        return []
    return [f"retentionInDays is {days!r}: set retention_in_days (e.g. 365)"]


def log_group_kms(resource: PolicyResource) -> list[str]:
    """Log groups are encrypted with a customer-managed KMS key."""
    if is_set(resource.inputs.get("kmsKeyId")):
        return []
    return ["kmsKeyId is not set: set kms_key_id to a key whose policy lets logs.<region>.amazonaws.com use it"]


def stateful_protected(resource: PolicyResource) -> list[str]:
    """Resources holding state (policy.stateful) are protected, so a destroy or replace is refused."""
    if resource.protect or not is_stateful(resource.type, dict(resource.inputs)):
        return []
    return ["holds state but is not protected: pass opts=pulumi.ResourceOptions(protect=True) (renames go "
            "through aliases)"]


def helm_pinned(resource: PolicyResource) -> list[str]:
    """Helm charts are pinned to one exact version."""
    version = resource.inputs.get("version")
    if is_unknown(version) or (isinstance(version, str) and EXACT_SEMVER.match(version)):
        return []
    chart = resource.inputs.get("chart")
    return [f"chart {chart!r} version is {version!r}, not one exact version: pin it in components/versions.py "
            "(e.g. '1.2.3')"]


def helm_repository_secure(resource: PolicyResource) -> list[str]:
    """Charts come from an HTTPS or OCI repository."""
    repo = get(resource.inputs, "repositoryOpts.repo")
    chart = resource.inputs.get("chart")
    source = repo if is_set(repo) else chart
    if not isinstance(source, str) or is_unknown(source) or "://" not in source or source.startswith(
            SECURE_REPOSITORIES):
        return []
    return [f"chart source {source!r} is not HTTPS or OCI: use the repository's https:// or oci:// URL"]


RULES: Final = (
    Rule("required-tags", "Taggable AWS resources carry the required tags.", "mandatory", None, required_tags),
    Rule("log-group-retention", "CloudWatch log groups expire their events.", "mandatory",
         frozenset({LOG_GROUP}), log_group_retention),
    Rule("log-group-kms", "CloudWatch log groups are encrypted with a KMS key.", "mandatory",
         frozenset({LOG_GROUP}), log_group_kms),
    Rule("stateful-protected", "Stateful resources are protected from deletion and replacement.", "mandatory",
         None, stateful_protected),
    Rule("helm-version-pinned", "Helm releases pin their chart to an exact version.", "mandatory",
         HELM_RELEASES, helm_pinned),
    Rule("helm-repository-secure", "Helm charts come from HTTPS or OCI repositories.", "advisory",
         HELM_RELEASES, helm_repository_secure),
)
