"""A recorded program run, with the look-ups tests, policies and diffs need."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from meridian.synth.mocks import RecordedResource


@dataclass(frozen=True)
class Plan:
    """Every resource one stack declares, in registration order."""

    stack: str
    resources: tuple[RecordedResource, ...]

    def __iter__(self) -> Iterator[RecordedResource]:
        return iter(self.resources)

    def __len__(self) -> int:
        return len(self.resources)

    def of_type(self, token: str) -> list[RecordedResource]:
        """Resources of one type token, e.g. `aws:ec2/subnet:Subnet`."""
        return [resource for resource in self.resources if resource.type == token]

    def named(self, name: str) -> RecordedResource:
        """The one resource with this logical name."""
        found = [resource for resource in self.resources if resource.name == name]
        if len(found) != 1:
            raise KeyError(f"expected exactly one resource named {name!r}, found {[r.urn for r in found]}")
        return found[0]

    def by_urn(self, urn: str) -> RecordedResource:
        """The resource with this URN."""
        return next(resource for resource in self.resources if resource.urn == urn)

    def children_of(self, urn: str) -> list[RecordedResource]:
        """Direct children of a component."""
        return [resource for resource in self.resources if resource.parent == urn]

    def descendants_of(self, urn: str) -> list[RecordedResource]:
        """Everything parented, directly or not, under `urn`."""
        result: list[RecordedResource] = []
        frontier = [urn]
        while frontier:
            children = [resource for resource in self.resources if resource.parent in frontier]
            result.extend(children)
            frontier = [child.urn for child in children]
        return result

    def component(self, token: str) -> RecordedResource:
        """The one component resource of this type token."""
        found = self.of_type(token)
        if len(found) != 1:
            raise KeyError(f"expected one {token}, found {len(found)}")
        return found[0]

    def as_json(self) -> dict[str, Any]:
        """plan.json: resources sorted by URN so the file is stable across runs."""
        return {"stack": self.stack,
                "resources": [r.as_json() for r in sorted(self.resources, key=lambda r: r.urn)]}
