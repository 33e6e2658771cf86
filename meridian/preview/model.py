"""What one stack would change: the model both `meridian preview-summary` and `meridian diff` render."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Final

OPS_ORDER: Final = ("create", "update", "replace", "delete", "import", "read", "refresh", "discard", "same")
"""Column order of the counts; any other op follows, sorted."""
DANGEROUS_OPS: Final = frozenset({"replace", "delete"})


@dataclass(frozen=True)
class PropertyChange:
    """One changed property path; `old`/`new` are already masked display text (None when absent)."""

    path: str
    kind: str = "update"
    """add | delete | update, as Pulumi's detailedDiff kinds without the `-replace` suffix."""
    replace: bool = False
    """This change forces the resource to be replaced."""
    old: str | None = None
    new: str | None = None


@dataclass(frozen=True)
class ResourceChange:
    """One resource's logical operation (a replace's several engine steps count once)."""

    stack: str
    urn: str
    type: str
    name: str
    op: str
    properties: tuple[PropertyChange, ...] = ()
    replace_reasons: tuple[str, ...] = ()
    stateful: bool = False
    protect: bool = False
    retain_on_delete: bool = False

    @property
    def dangerous(self) -> bool:
        """A stateful resource would be replaced or deleted."""
        return self.stateful and self.op in DANGEROUS_OPS

    def why(self) -> str:
        """Why it is replaced or deleted, for the danger list."""
        if self.op == "delete":
            return "removed from the program (a rename without an alias is a delete)"
        reasons = self.replace_reasons or tuple(p.path for p in self.properties if p.replace)
        return "changed: " + ", ".join(reasons) if reasons else "replacement requested by the provider"


@dataclass(frozen=True)
class GeneratedChange:
    """A change in a generated artifact (alert, recording rule, dashboard, panel, routing)."""

    artifact: str
    """alert | recording rule | dashboard | panel | alertmanager."""
    name: str
    change: str
    """added | removed | changed."""
    details: tuple[str, ...] = ()


@dataclass
class StackReport:
    """Everything one stack would change."""

    stack: str
    region: str = ""
    changes: list[ResourceChange] = field(default_factory=list)
    unchanged: int = 0
    """Resources with no change (reported as `same`)."""
    generated: list[GeneratedChange] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    """Why this stack's preview could not be read (shown loudly; the command exits 1)."""

    def counts(self) -> Counter[str]:
        """Resources per operation, `same` included."""
        counts = Counter(change.op for change in self.changes)
        if self.unchanged:
            counts["same"] += self.unchanged
        return counts

    @property
    def title(self) -> str:
        """`us-east-1`, or `dev (us-east-2)` when the stack is not named after its region."""
        return self.stack if not self.region or self.region == self.stack else f"{self.stack} ({self.region})"


def ordered_ops(ops: set[str] | frozenset[str]) -> list[str]:
    """Ops in display order."""
    return [op for op in OPS_ORDER if op in ops] + sorted(set(ops) - set(OPS_ORDER))
