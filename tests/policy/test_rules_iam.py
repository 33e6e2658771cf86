"""IAM rules over the JSON policy documents the program passes."""

from __future__ import annotations

import pytest

from tests.policy.helpers import TAGS, Case, case, check, document, res

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ADMIN = {"Sid": "Admin", "Effect": "Allow", "Action": "*", "Resource": "*"}
SCOPED = {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::b/*"}
SERVICE_TRUST = document({"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"},
                          "Action": "sts:AssumeRole"})

CASES: list[Case] = [
    case("iam-no-wildcard-admin", "scoped", res(ROLE_POLICY, "p", {"policy": document(SCOPED), "role": "r"})),
    case("iam-no-wildcard-admin", "service-wildcard", res("aws:iam/policy:Policy", "p", {
        "policy": document({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}), "tags": TAGS})),
    case("iam-no-wildcard-admin", "deny-all", res(ROLE_POLICY, "p", {"policy": document(
        {"Effect": "Deny", "Action": "*", "Resource": "*"}), "role": "r"})),
    case("iam-no-wildcard-admin", "admin", res(ROLE_POLICY, "p", {"policy": document(SCOPED, ADMIN), "role": "r"}),
         violators=("p",), says="statement Admin allows Action '*' on Resource '*'"),
    case("iam-no-wildcard-admin", "admin-as-lists", res("aws:iam/userPolicy:UserPolicy", "p", {
        "policy": {"Statement": {"Effect": "Allow", "Action": ["*:*"], "Resource": ["*"]}}}), violators=("p",)),
    case("iam-no-wildcard-admin", "role-inline", res(ROLE, "r", {
        "assumeRolePolicy": SERVICE_TRUST, "inlinePolicies": [{"name": "all", "policy": document(ADMIN)}]}),
         violators=("r",), says="inlinePolicies[all]"),
    case("iam-no-administrator-access", "scoped", res(ATTACHMENT, "a", {
        "policyArn": "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy", "role": "r"})),
    case("iam-no-administrator-access", "admin", res(ATTACHMENT, "a", {
        "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess", "role": "r"}), violators=("a",),
         says="AdministratorAccess"),
    case("iam-no-administrator-access", "role-managed-arns", res(ROLE, "r", {
        "assumeRolePolicy": SERVICE_TRUST,
        "managedPolicyArns": ["arn:aws-us-gov:iam::aws:policy/AdministratorAccess"]}),
         violators=("r",)),
    case("iam-role-trust-not-public", "service", res(ROLE, "r", {"assumeRolePolicy": SERVICE_TRUST})),
    case("iam-role-trust-not-public", "star-with-condition", res(ROLE, "r", {"assumeRolePolicy": document(
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-123"}}})})),
    case("iam-role-trust-not-public", "anyone", res(ROLE, "r", {"assumeRolePolicy": document(
        {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"})}), violators=("r",), says="Principal '*'"),
    case("iam-role-trust-not-public", "any-aws", res(ROLE, "r", {"assumeRolePolicy": document(
        {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::1:root", "*"]}, "Action": "sts:AssumeRole"})}),
         violators=("r",)),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: f"{c.rule}-{c.id}")
def test_rule(c: Case) -> None:
    check(c)
