"""A check's verdict on one service: passed or not, and why, in words an operator reads."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Verdict:
    """The outcome of one check on one service."""

    service: str
    check: str
    passed: bool
    reasons: tuple[str, ...] = field(default_factory=tuple)
    """Why it passed (what was counted) or why not (what is missing)."""

    def line(self) -> str:
        """One line for the synth summary."""
        status = "ok" if self.passed else "FAIL"
        return f"{status:4} {self.service} {self.check}: {'; '.join(self.reasons)}"
