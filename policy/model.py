"""What a rule sees and returns: a resource as (type, name, urn, inputs, protect), rules and violations.

Inputs are camelCase, as the Pulumi engine sends them to a policy pack and as `meridian synth` records them. A value
the engine cannot know yet during a preview arrives as `UNKNOWN`; rules never report it (`pulumi up` validates the
resolved value).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, Protocol

Enforcement = Literal["mandatory", "advisory", "disabled"]

UNKNOWN: Final = "<computed during preview>"
"""Stands for a value the engine does not know yet (the pack turns pulumi_policy's unknown sentinels into it)."""


class ResourceLike(Protocol):
    """Anything with a resource's identity, inputs and protect flag (the synth's RecordedResource is one)."""

    @property
    def type(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def urn(self) -> str: ...
    @property
    def inputs(self) -> Mapping[str, Any]: ...
    @property
    def protect(self) -> bool: ...


@dataclass(frozen=True)
class PolicyResource:
    """One resource as the rules see it.

    `protect` (a resource option, not an input) and `dependencies` (URNs it depends on; stack rules use them to
    pair a bucket with its settings resources) extend "type and inputs" deliberately.
    """

    type: str
    name: str
    urn: str
    inputs: Mapping[str, Any]
    protect: bool = False
    dependencies: tuple[str, ...] = ()

    @classmethod
    def of(cls, resource: ResourceLike) -> PolicyResource:
        """Adapt any resource-like object; `dependencies` is read when the object has it."""
        if isinstance(resource, PolicyResource):
            return resource
        return cls(resource.type, resource.name, resource.urn, resource.inputs, bool(resource.protect),
                   tuple(getattr(resource, "dependencies", ()) or ()))


Check = Callable[[PolicyResource], list[str]]
"""A resource rule: the violation messages for one resource (empty when it complies)."""

StackCheck = Callable[[Sequence[PolicyResource]], list[tuple[PolicyResource, str]]]
"""A stack rule: (resource, message) for every violation among all the stack's resources."""


@dataclass(frozen=True)
class Rule:
    """A rule over one resource at a time. `resource_types=None` means every type (the check filters)."""

    name: str
    description: str
    enforcement: Enforcement
    resource_types: frozenset[str] | None
    check: Check

    def applies_to(self, resource_type: str) -> bool:
        """Whether this rule looks at resources of `resource_type`."""
        return self.resource_types is None or resource_type in self.resource_types


@dataclass(frozen=True)
class StackRule:
    """A rule over all resources together (CrossGuard's StackValidationPolicy), for settings held by resources
    of their own, e.g. an S3 bucket's encryption."""

    name: str
    description: str
    enforcement: Enforcement
    resource_types: frozenset[str]
    check: StackCheck


@dataclass(frozen=True)
class Violation:
    """One rule broken by one resource."""

    rule: str
    enforcement: Enforcement
    resource_type: str
    resource_name: str
    urn: str
    message: str
    description: str = field(default="", compare=False)


# --- helpers for reading inputs -------------------------------------------------------------------------------------

def is_unknown(value: object) -> bool:
    """True for a value not known during a preview."""
    return isinstance(value, str) and value == UNKNOWN


def get(value: object, path: str) -> Any:
    """`value` at a dotted path of mapping keys, or None where a step is missing."""
    for key in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def items(value: object) -> list[Any]:
    """A list input as a list (a single object counts as one item; None and unknown as none)."""
    if value is None or is_unknown(value):
        return []
    if isinstance(value, Mapping | str):
        return [value]
    if isinstance(value, Sequence):
        return list(value)
    return [value]


def is_true(value: object) -> bool:
    """A boolean input that is set to true (some providers send booleans as "true" strings)."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def is_false(value: object) -> bool:
    """A boolean input explicitly set to false."""
    return value is False or (isinstance(value, str) and value.lower() == "false")


def is_set(value: object) -> bool:
    """A value that is present and not empty (unknown counts as set)."""
    return value is not None and value != "" and value != [] and value != {}


def policy_statements(document: object) -> list[Mapping[str, Any]]:
    """The statements of an IAM/S3 policy document given as JSON text or as an object; [] when unknown."""
    if is_unknown(document) or document is None:
        return []
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError:
            return []
    statements = get(document, "Statement")
    return [statement for statement in items(statements) if isinstance(statement, Mapping)]


def tags_of(resource: PolicyResource) -> Mapping[str, Any]:
    """The resource's `tags` input ({} when it has none)."""
    tags = resource.inputs.get("tags")
    return tags if isinstance(tags, Mapping) else {}
