"""The danger list: every replace or delete of a stateful resource, and the exit code it implies.

"Stateful" is `policy.stateful.is_stateful` (one definition for the policy pack, the preview summary and the diff).
A danger is allowed only when `--allow-replace` names it by URN, by `<stack>:<name>`, or by its name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from meridian.preview.model import ResourceChange, StackReport

EXIT_OK: Final = 0
EXIT_ERROR: Final = 1
EXIT_DANGER: Final = 2


@dataclass(frozen=True)
class Danger:
    """A stateful resource that would be replaced or deleted, and whether the pull request allows it."""

    region: str
    change: ResourceChange
    allowed: bool


def is_allowed(change: ResourceChange, allow: Iterable[str]) -> bool:
    """True when one allow entry names this resource."""
    names = {change.urn, f"{change.stack}:{change.name}", change.name}
    return any(entry.strip() in names for entry in allow)


def dangers(reports: Iterable[StackReport], allow: Iterable[str] = ()) -> list[Danger]:
    """Every dangerous change, stack by stack, in a stable order."""
    allow = [entry for entry in allow if entry.strip()]
    found = [Danger(report.title, change, is_allowed(change, allow))
             for report in reports for change in report.changes if change.dangerous]
    return sorted(found, key=lambda d: (d.change.stack, d.change.op, d.change.type, d.change.name))


def exit_code(reports: list[StackReport], allow: Iterable[str] = ()) -> int:
    """2 when a danger is not allowed, else 1 when a stack could not be read, else 0."""
    if any(not danger.allowed for danger in dangers(reports, allow)):
        return EXIT_DANGER
    if any(report.errors for report in reports):
        return EXIT_ERROR
    return EXIT_OK
