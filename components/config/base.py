"""Shared pieces of the typed config: the frozen base model and the error-carrying validator helpers."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Final

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

NAMESPACE: Final = "meridian"
# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy API reference).
LOG_RETENTION_DAYS: Final = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192,
                             2557, 2922, 3288, 3653)
FIX_SEPARATOR: Final = " || fix: "
_DNS_LABEL: Final = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


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


@dataclass(frozen=True, kw_only=True)
class ServiceContext:
    """What a service's config checks need from the rest of the stack (cross-key checks)."""

    stack: str
    zones: int
    """Availability zones the stack uses."""
    data_node_memory_gib: float | None
    """Memory of the smallest instance type of the data node group (None when no per-zone group exists)."""
    data_nodes_per_zone: int
    """max_size of the data node group, per zone."""

    def key(self, path: str) -> str:
        """Full key path of a config key, as errors name it."""
        return f"[stack {self.stack}] meridian:{path}"


class SloConfig(Frozen):
    """A service-level objective over a 30-day error budget."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,40}$")
    objective: float = Field(gt=0.9, lt=1.0)
    """Target ratio of good events, e.g. 0.999 (then the budget is 0.1% of events over 30 days)."""
    description: str = ""


class ServiceMonitoringConfig(Frozen):
    """Per-service alert thresholds and SLOs; unset thresholds keep the service's defaults."""

    thresholds: dict[str, float] = Field(default_factory=dict)
    slos: tuple[SloConfig, ...] = ()


def _namespace_names(value: tuple[str, ...]) -> tuple[str, ...]:
    for name in value:
        if not _DNS_LABEL.fullmatch(name):
            raise fail(f"{name!r} is not a Kubernetes namespace name", "use lowercase DNS labels such as `payments`")
    if len(set(value)) != len(value):
        raise fail("lists a namespace twice", "list each namespace once")
    return value


NamespaceNames = Annotated[tuple[str, ...], AfterValidator(_namespace_names)]
"""Kubernetes namespace names (DNS labels), each once: the namespaces a service admits clients from."""


def check_threshold_names(monitoring: ServiceMonitoringConfig, known: Iterable[str]) -> ServiceMonitoringConfig:
    """`monitoring` if it sets only thresholds the service's alert template knows."""
    unknown = sorted(set(monitoring.thresholds) - set(known))
    if unknown:
        raise fail(f"names unknown thresholds {unknown}", f"use only {', '.join(sorted(known))}")
    return monitoring


def check_monitoring_names(monitoring: ServiceMonitoringConfig, *, service: str, thresholds: Iterable[str],
                           slos: Iterable[str]) -> ServiceMonitoringConfig:
    """`monitoring` if its SLOs are ones the service's alert template records an SLI for, and its thresholds ones
    the template knows."""
    known_slos = list(slos)
    unknown = sorted({slo.name for slo in monitoring.slos} - set(known_slos))
    if unknown:
        raise fail(f"names SLOs the {service} alert template records no SLI for: {unknown}",
                   f"use only {', '.join(known_slos)}")
    return check_threshold_names(monitoring, thresholds)
