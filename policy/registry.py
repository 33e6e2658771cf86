"""Every rule, and the offline evaluation `meridian synth` runs over the recorded resources."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import groupby
from typing import Final

from policy import rules_compute, rules_governance, rules_iam, rules_kubernetes, rules_network, rules_s3
from policy.model import Enforcement, PolicyResource, ResourceLike, Rule, StackRule, Violation

RULES: Final[tuple[Rule | StackRule, ...]] = (
    *rules_s3.RULES, *rules_compute.RULES, *rules_network.RULES, *rules_iam.RULES, *rules_governance.RULES,
    *rules_kubernetes.RULES,
)

UNPROTECTED_STACK_LEVELS: Final[Mapping[str, Enforcement]] = {"stateful-protected": "advisory"}
"""Enforcement overrides for a stack that sets `meridian:protect_stateful: false` (a throw-away dev stack): its
unprotected state is reported, not fatal. The CrossGuard equivalent is a `--policy-pack-config` file holding
`{"stateful-protected": "advisory"}`."""


def evaluate(resources: Iterable[ResourceLike], levels: Mapping[str, Enforcement] | None = None) -> list[Violation]:
    """Run every rule over the resources (each resource rule on each resource, each stack rule once).

    `levels` overrides a rule's enforcement by name, as a CrossGuard policy-pack config does; "disabled" skips it.
    """
    plan = [PolicyResource.of(resource) for resource in resources]
    levels = levels or {}
    unknown = sorted(set(levels) - {rule.name for rule in RULES})
    if unknown:
        raise ValueError(f"unknown policy rule(s) in levels: {', '.join(unknown)}; known: "
                         f"{', '.join(rule.name for rule in RULES)}")
    found: list[Violation] = []
    for rule in RULES:
        level = levels.get(rule.name, rule.enforcement)
        if level == "disabled":
            continue
        if isinstance(rule, StackRule):
            pairs = rule.check(plan)
        else:
            pairs = [(resource, message) for resource in plan if rule.applies_to(resource.type)
                     for message in rule.check(resource)]
        found += [Violation(rule.name, level, resource.type, resource.name, resource.urn, message, rule.description)
                  for resource, message in pairs]
    return found


def mandatory(violations: Iterable[Violation]) -> list[Violation]:
    """The violations that fail a synth (and block a `pulumi up`)."""
    return [violation for violation in violations if violation.enforcement == "mandatory"]


def report(violations: Iterable[Violation]) -> str:
    """Readable text: a count line, then one block per rule (mandatory first) listing resource and fix."""
    ordered = sorted(violations, key=lambda v: (v.enforcement != "mandatory", v.rule, v.resource_name, v.message))
    if not ordered:
        return "policy: no violations"
    hard = len(mandatory(ordered))
    lines = [f"policy: {len(ordered)} violation(s), {hard} mandatory, {len(ordered) - hard} advisory"]
    for (level, rule), group in groupby(ordered, key=lambda v: (v.enforcement, v.rule)):
        entries = list(group)
        lines.append(f"\n[{level}] {rule}: {entries[0].description}")
        lines += [f"  - {v.resource_name} ({v.resource_type}): {v.message}" for v in entries]
    return "\n".join(lines)
