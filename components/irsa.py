"""IAM roles for service accounts (IRSA): the trust policy a pod's service account assumes a role through."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

STS_AUDIENCE = "sts.amazonaws.com"


def issuer_host(issuer: str) -> str:
    """The OIDC issuer without its scheme, as IAM condition keys and provider ARNs spell it."""
    return issuer.removeprefix("https://")


def irsa_trust_document(oidc_provider_arn: str, oidc_issuer: str, namespace: str,
                        service_account: str) -> dict[str, Any]:
    """Trust policy letting only `namespace/service_account` assume the role via the cluster's OIDC provider."""
    host = issuer_host(oidc_issuer)
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "AssumeFromServiceAccount",
            "Effect": "Allow",
            "Principal": {"Federated": oidc_provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {
                f"{host}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                f"{host}:aud": STS_AUDIENCE,
            }},
        }],
    }


def irsa_trust_policy(oidc_provider_arn: pulumi.Input[str], oidc_issuer: pulumi.Input[str], namespace: str,
                      service_account: str) -> pulumi.Output[str]:
    """`irsa_trust_document` as JSON, from outputs (the issuer may carry `https://` or not)."""
    return pulumi.Output.all(oidc_provider_arn, oidc_issuer).apply(
        lambda values: json.dumps(irsa_trust_document(values[0], values[1], namespace, service_account),
                                  sort_keys=True))


def irsa_role(resource_name: str, *, oidc_provider_arn: pulumi.Input[str], oidc_issuer: pulumi.Input[str],
              namespace: str, service_account: str, policy: pulumi.Input[str], tags: Mapping[str, str],
              component: str, parent: pulumi.Resource) -> aws.iam.Role:
    """An IAM role only `namespace/service_account` can assume, with one inline least-privilege policy."""
    from components.tags import resource_tags

    role = aws.iam.Role(
        resource_name,
        description=f"IRSA: {namespace}/{service_account}",
        assume_role_policy=irsa_trust_policy(oidc_provider_arn, oidc_issuer, namespace, service_account),
        tags=resource_tags(tags, resource_name, component),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    aws.iam.RolePolicy(f"{resource_name}-policy", role=role.id, policy=policy,
                       opts=pulumi.ResourceOptions(parent=parent))
    return role
