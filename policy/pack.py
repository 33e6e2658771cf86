"""The CrossGuard side: one pulumi_policy policy per rule, calling the same functions `meridian synth` does.

`__main__.py` hands `build_policies()` to `PolicyPack`, which serves them over gRPC; tests call the policies'
`validate` directly. Values the engine does not know during a preview (pulumi_policy raises UnknownValueError on
reading them) become `model.UNKNOWN`, which no rule reports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
)

from policy.model import UNKNOWN, PolicyResource, Rule, StackRule
from policy.registry import RULES

PACK_NAME: Final = "meridian"
SENTINELS: Final = frozenset({UNKNOWN_ARCHIVE_VALUE, UNKNOWN_ARRAY_VALUE, UNKNOWN_ASSET_VALUE, UNKNOWN_BOOLEAN_VALUE,
                              UNKNOWN_NUMBER_VALUE, UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE})


def _read(container: Any, key: Any) -> Any:
    try:
        return container[key]
    except UnknownValueError:
        return UNKNOWN


def materialize(value: Any) -> Any:
    """Plain dicts and lists from pulumi_policy's unknown-checking proxies, unknowns replaced by `UNKNOWN`."""
    if isinstance(value, Mapping):
        return {str(key): materialize(_read(value, key)) for key in value}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [materialize(_read(value, index)) for index in range(len(value))]
    if isinstance(value, str) and value in SENTINELS:
        return UNKNOWN
    return value


def _resource_policy(rule: Rule) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if not rule.applies_to(args.resource_type):
            return
        resource = PolicyResource(args.resource_type, args.name, args.urn, materialize(args.props),
                                  bool(args.opts.protect))
        for message in rule.check(resource):
            report_violation(message, None)

    return ResourceValidationPolicy(name=rule.name, description=rule.description, validate=validate,
                                    enforcement_level=EnforcementLevel(rule.enforcement))


def stack_resources(args: StackValidationArgs) -> list[PolicyResource]:
    """The stack's resources as the rules see them (props are outputs here; dependencies are URNs)."""
    return [PolicyResource(resource.resource_type, resource.name, resource.urn, materialize(resource.props),
                           bool(resource.opts.protect), tuple(dependency.urn for dependency in resource.dependencies))
            for resource in args.resources]


def _stack_policy(rule: StackRule) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        for resource, message in rule.check(stack_resources(args)):
            report_violation(f"{resource.name} ({resource.type}): {message}", resource.urn)

    return StackValidationPolicy(name=rule.name, description=rule.description, validate=validate,
                                 enforcement_level=EnforcementLevel(rule.enforcement))


def build_policies(rules: Sequence[Rule | StackRule] = RULES) -> list[Policy]:
    """One CrossGuard policy per rule, with the rule's name, description and enforcement level."""
    return [_stack_policy(rule) if isinstance(rule, StackRule) else _resource_policy(rule) for rule in rules]
