"""IAM rules: no `*` actions on `*` resources, no AdministratorAccess, no role anyone can assume."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from policy.model import PolicyResource, Rule, get, items, policy_statements

ROLE: Final = "aws:iam/role:Role"
DOCUMENT_TYPES: Final = frozenset({
    "aws:iam/policy:Policy", "aws:iam/rolePolicy:RolePolicy", "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy", ROLE,
})
ATTACHMENT_TYPES: Final = frozenset({
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment", "aws:iam/policyAttachment:PolicyAttachment",
})
ADMIN_POLICY_SUFFIX: Final = ":policy/AdministratorAccess"
WILDCARD_ACTIONS: Final = frozenset({"*", "*:*"})


def _documents(resource: PolicyResource) -> list[tuple[str, object]]:
    """(where, document) for every permission policy the resource carries."""
    if resource.type == ROLE:
        return [(f"inlinePolicies[{get(policy, 'name')}]", get(policy, "policy"))
                for policy in items(resource.inputs.get("inlinePolicies"))]
    return [("policy", resource.inputs.get("policy"))]


def _is_full_admin(statement: Mapping[str, Any]) -> bool:
    actions = {str(action) for action in items(statement.get("Action"))}
    resources = {str(resource) for resource in items(statement.get("Resource"))}
    return statement.get("Effect") == "Allow" and bool(actions & WILDCARD_ACTIONS) and "*" in resources


def no_wildcard_admin(resource: PolicyResource) -> list[str]:
    """An Allow statement granting every action on every resource."""
    return [f"{where}: statement {statement.get('Sid') or index} allows Action '*' on Resource '*': list the "
            "actions and resources the principal needs"
            for where, document in _documents(resource)
            for index, statement in enumerate(policy_statements(document)) if _is_full_admin(statement)]


def no_admin_attachment(resource: PolicyResource) -> list[str]:
    """AdministratorAccess attached to a role, user or group (or listed in a role's managedPolicyArns)."""
    arns = items(resource.inputs.get("managedPolicyArns")) if resource.type == ROLE else [
        resource.inputs.get("policyArn")]
    return [f"attaches {arn}: attach a policy scoped to what the principal needs"
            for arn in arns if isinstance(arn, str) and arn.endswith(ADMIN_POLICY_SUFFIX)]


def _public_principal(principal: object) -> bool:
    return principal == "*" or "*" in items(get(principal, "AWS"))


def trust_not_public(resource: PolicyResource) -> list[str]:
    """A role whose trust policy lets any AWS principal assume it, with no condition narrowing it."""
    return [f"assumeRolePolicy statement {statement.get('Sid') or index} lets Principal '*' assume the role "
            "without a Condition: name the trusted principal (account, service or OIDC provider)"
            for index, statement in enumerate(policy_statements(resource.inputs.get("assumeRolePolicy")))
            if statement.get("Effect") == "Allow" and _public_principal(statement.get("Principal"))
            and not statement.get("Condition")]


RULES: Final = (
    Rule("iam-no-wildcard-admin", "IAM policies never allow every action on every resource.", "mandatory",
         DOCUMENT_TYPES, no_wildcard_admin),
    Rule("iam-no-administrator-access", "No role, user or group gets the AdministratorAccess managed policy.",
         "mandatory", ATTACHMENT_TYPES | {ROLE}, no_admin_attachment),
    Rule("iam-role-trust-not-public", "IAM roles cannot be assumed by any principal.", "mandatory",
         frozenset({ROLE}), trust_not_public),
)
