"""Builders for policy tests: resources as the engine sends them, and one case shape for every rule."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from policy import PolicyResource, evaluate
from policy.rules_governance import REQUIRED_TAG_KEYS

TAGS = {key: f"value-of-{key}" for key in REQUIRED_TAG_KEYS}


def res(type_: str, name: str, inputs: dict[str, Any] | None = None, *, protect: bool = False,
        deps: tuple[PolicyResource, ...] = ()) -> PolicyResource:
    """A resource with a test URN; `deps` are the resources it depends on."""
    return PolicyResource(type_, name, f"urn:pulumi:test::meridian::{type_}::{name}", inputs or {}, protect,
                          tuple(dep.urn for dep in deps))


def document(*statements: dict[str, Any]) -> str:
    """An IAM/S3 policy document as JSON text, as the program passes it."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@dataclass(frozen=True)
class Case:
    """Resources checked together, and the names that must violate `rule` (none: a compliant case)."""

    rule: str
    id: str
    resources: tuple[PolicyResource, ...]
    violators: tuple[str, ...] = ()
    says: str = ""
    """Text every reported message contains."""

    @property
    def compliant(self) -> bool:
        return not self.violators


def case(rule: str, id_: str, *resources: PolicyResource, violators: tuple[str, ...] = (), says: str = "") -> Case:
    return Case(rule, id_, resources, violators, says)


def check(c: Case) -> None:
    """Evaluate through the registry and compare the rule's findings with the case."""
    found = [violation for violation in evaluate(c.resources) if violation.rule == c.rule]
    urns = {resource.name: resource.urn for resource in c.resources}
    assert sorted({v.resource_name for v in found}) == sorted(set(c.violators)), (
        f"{c.rule}/{c.id}: expected {c.violators}, got {[(v.urn, v.message) for v in found]}")
    for violation in found:
        assert violation.urn == urns[violation.resource_name]
        assert c.says in violation.message, f"{violation.urn}: {violation.message!r} lacks {c.says!r}"
