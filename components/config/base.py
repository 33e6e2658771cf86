"""Shared pieces of the typed config: the frozen base model and the error-carrying validator helpers."""

from __future__ import annotations

from typing import Final

from pydantic import BaseModel, ConfigDict

NAMESPACE: Final = "meridian"
# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy API reference).
LOG_RETENTION_DAYS: Final = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192,
                             2557, 2922, 3288, 3653)
FIX_SEPARATOR: Final = " || fix: "


def fail(problem: str, fix: str) -> ValueError:
    """A validator error carrying its fix; the stack parser splits the two apart again."""
    return ValueError(f"{problem}{FIX_SEPARATOR}{fix}")


def check_retention(days: int) -> int:
    """`days` if CloudWatch Logs accepts it as a retention period."""
    if days not in LOG_RETENTION_DAYS:
        nearest = min(LOG_RETENTION_DAYS, key=lambda allowed: abs(allowed - days))
        raise fail("is not a CloudWatch Logs retention period", f"use one of {list(LOG_RETENTION_DAYS)}, "
                   f"for example {nearest}")
    return days


class Frozen(BaseModel):
    """Base for config sections: immutable, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")
