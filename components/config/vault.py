"""`meridian:vault`: Vault: HA raft, AWS KMS auto-unseal, raft snapshots to S3."""

from __future__ import annotations

import math
from typing import Final

from pydantic import Field, field_validator

from components.config.base import (
    Frozen,
    NamespaceNames,
    ServiceContext,
    ServiceMonitoringConfig,
    check_monitoring_names,
    fail,
)
from components.errors import ConfigError
from components.versions import check_chart_version

RAFT_SIZES: Final = (3, 5)
"""Odd voter counts worth running: 3 survives one lost voter, 5 survives two; more only slows every write."""
THRESHOLD_NAMES: Final = ("request_latency_p99_seconds", "raft_peers_min", "autopilot_failure_tolerance_min",
                         "lease_count_max", "leadership_changes_per_hour_max")
"""Alert thresholds Vault's monitoring understands (see components/vault.py `default_thresholds`)."""
SLO_NAMES: Final = ("request_availability",)
"""SLOs the Vault alert template records SLIs for (alerts/templates/vault.yaml.j2)."""
_CRON_MACROS: Final = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
_MONTHS: Final = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS: Final = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
# (name, lowest, highest, names mapped to lowest.. in order); the five fields of a standard cron line, as
# Kubernetes CronJob parses it (robfig/cron ParseStandard; `?` allowed in day-of-month and day-of-week).
# robfig/cron v3 bounds day-of-week to 0-6 (spec.go `dow = bounds{0, 6, ...}`): `7` for Sunday is rejected.
_CRON_FIELDS: Final = (("minute", 0, 59, ()), ("hour", 0, 23, ()), ("day of month", 1, 31, ()),
                       ("month", 1, 12, _MONTHS), ("day of week", 0, 6, _DAYS))


def _cron_value(text: str, low: int, names: tuple[str, ...]) -> int | None:
    if text.isdigit():
        return int(text)
    upper = text.upper()
    return low + names.index(upper) if upper in names else None


def cron_problem(expression: str) -> str | None:
    """Why `expression` is not a schedule Kubernetes CronJob accepts, or None when it is."""
    text = expression.strip()
    if text.startswith(("TZ=", "CRON_TZ=")):
        return "sets a time zone inside the schedule, which Kubernetes rejects"
    if text.startswith("@"):
        return None if text in _CRON_MACROS else f"{text.split()[0]!r} is not a cron macro"
    parts = text.split()
    if len(parts) != len(_CRON_FIELDS):
        return f"has {len(parts)} fields, not the 5 of minute hour day-of-month month day-of-week"
    for part, (name, low, high, names) in zip(parts, _CRON_FIELDS, strict=True):
        for item in part.split(","):
            if item == "?" and name.startswith("day of"):
                continue
            span, _, step = item.partition("/")
            if step and (not step.isdigit() or int(step) == 0):
                return f"has a bad step {item!r} in the {name} field"
            if span == "*":
                continue
            first, _, last = span.partition("-")
            start, end = _cron_value(first, low, names), _cron_value(last or first, low, names)
            if start is None or end is None or not low <= start <= end <= high:
                return f"has {item!r} in the {name} field (allowed {low}-{high})"
    return None


class VaultConfig(Frozen):
    """Vault: HA raft, AWS KMS auto-unseal, raft snapshots to S3."""

    chart_version: str | None = None
    """vault chart version; unset: the pin in components/versions.py (only reviewed versions)."""
    replicas: int = 3
    """Raft voters (Vault pods), spread over the zones: 3 (survives one lost zone) or 5. Default 3."""
    client_namespaces: NamespaceNames = ()
    """Namespaces whose pods may call Vault's API (8200); the vault namespace always may. Default none."""
    cpu_millicores: int = Field(default=500, ge=100, le=16000)
    """CPU request of each Vault pod, in millicores. Default 500."""
    memory_gib: float = Field(default=1.0, gt=0.0, le=64.0)
    """Memory request and limit of each Vault pod, in GiB. Default 1."""
    data_disk_gib: int = Field(default=10, ge=1, le=1000)
    """Raft data volume per pod (gp3-retain), in GiB. Default 10."""
    audit_disk_gib: int = Field(default=10, ge=1, le=1000)
    """Audit log volume per pod (gp3-retain), in GiB. Default 10."""
    snapshot_schedule: str = "0 * * * *"
    """Cron schedule (UTC) of the raft snapshot CronJob. Default hourly, on the hour."""
    snapshot_retention_days: int = 30
    """Days a superseded raft snapshot (an older S3 object version) is kept, 1-365. Default 30."""
    monitoring: ServiceMonitoringConfig = ServiceMonitoringConfig()

    @field_validator("replicas")
    @classmethod
    def _replicas(cls, value: int) -> int:
        if value > max(RAFT_SIZES):
            raise fail(f"is more than {max(RAFT_SIZES)} raft voters: every write waits for a majority, so more "
                       "voters slow Vault down without surviving more than one lost zone of three",
                       "use 3 (or 5)")
        if value not in RAFT_SIZES:
            raise fail("is not an odd raft cluster of 3 or 5: an even size tolerates no more failures than the "
                       "odd size below it, and 1 tolerates none", "use 3 (or 5)")
        return value

    @field_validator("client_namespaces")
    @classmethod
    def _client_namespaces(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if "vault" in value:
            raise fail("lists the vault namespace itself", "remove it: Vault's own namespace is always allowed")
        return value

    @field_validator("snapshot_schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        problem = cron_problem(value)
        if problem is not None:
            raise fail(f"is not a valid cron schedule: it {problem}",
                       "use five fields, e.g. '0 * * * *' (hourly) or '15 */6 * * *', or a macro such as @daily")
        return value

    @field_validator("snapshot_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if not 1 <= value <= 365:
            raise fail("is outside 1-365 days", "keep superseded snapshots between 1 and 365 days, e.g. 30")
        return value

    @field_validator("monitoring")
    @classmethod
    def _thresholds(cls, value: ServiceMonitoringConfig) -> ServiceMonitoringConfig:
        return check_monitoring_names(value, service="Vault", thresholds=THRESHOLD_NAMES, slos=SLO_NAMES)

    def check(self, context: ServiceContext) -> None:
        """Checks against the rest of the stack, before any resource is declared."""
        check_chart_version(context.key("vault.chart_version"), "vault", self.chart_version)
        if context.zones < 3:
            raise ConfigError(context.key("vault.replicas"), self.replicas,
                              f"cannot keep raft quorum through a zone loss in {context.zones} zone(s): one zone "
                              "then holds a majority of the voters", "set meridian:network.az_count to 3")
        per_zone = math.ceil(self.replicas / context.zones)
        if context.data_nodes_per_zone == 0:
            raise ConfigError(context.key("vault.replicas"), self.replicas,
                              "needs the per-zone data node group Vault runs on, and the cluster has none",
                              "add a node group with per_az: true to meridian:cluster.node_groups")
        if context.data_nodes_per_zone < per_zone:
            raise ConfigError(context.key("vault.replicas"), self.replicas,
                              f"needs {per_zone} data node(s) per zone (one Vault pod per node), but the per-zone "
                              f"data node group allows {context.data_nodes_per_zone}",
                              f"raise the data node group's max_size to {per_zone} or lower vault.replicas")
        memory = context.data_node_memory_gib
        if memory is not None and self.memory_gib >= memory:
            raise ConfigError(context.key("vault.memory_gib"), self.memory_gib,
                              f"does not fit the data nodes' {memory:g} GiB of memory",
                              f"use less than {memory:g} GiB (Vault needs 1-2 GiB for most workloads)")
