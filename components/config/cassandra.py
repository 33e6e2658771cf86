"""`meridian:cassandra`: Cassandra through k8ssandra-operator: one datacenter per region, one rack per zone."""

from __future__ import annotations

import re
from typing import Final

from pydantic import Field, field_validator, model_validator

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

DEFAULT_THRESHOLDS: Final[dict[str, float]] = {
    "heap_used_ratio": 0.85,
    "disk_used_ratio": 0.8,
    "pending_compactions": 100,
    "dropped_messages_per_second": 1,
}
"""Alert thresholds the Cassandra alert template knows; `monitoring.thresholds` may override any of them."""
DEFAULT_SLOS: Final[tuple[tuple[str, float, str], ...]] = (
    ("read_availability", 0.999, "CQL reads that neither fail, time out nor find too few replicas"),
    ("write_availability", 0.999, "CQL writes that neither fail, time out nor find too few replicas"),
)
SLO_NAMES: Final = tuple(name for name, _, _ in DEFAULT_SLOS)
"""SLOs the Cassandra alert template records SLIs for (alerts/templates/cassandra.yaml.j2)."""
NODE_HEADROOM: Final = 0.85
"""Share of a data node's memory the Cassandra pod may request; the rest is the kubelet's and daemons'."""
SIDECARS_MEMORY_GIB: Final = 1.0
"""Memory the Medusa and system-logger sidecars request beside the Cassandra container."""
SUPPORTED_SERVER_VERSION: Final = re.compile(r"^(4\.1|5\.0)\.\d{1,2}$")
"""4.1+: `default_keyspace_rf` and the replication-factor guardrails exist, and the Management API's metrics
endpoint replaces MCAC (k8ssandra-operator needs >= 4.0.4 for it, pkg/telemetry/validation.go)."""
_CRON = re.compile(r"^(\S+\s+){4}\S+$")


class CassandraConfig(Frozen):
    """Cassandra through k8ssandra-operator: one datacenter per region, one rack per zone."""

    chart_version: str | None = None
    """k8ssandra-operator chart version; unset: the pin in components/versions.py (only reviewed versions)."""
    cluster_name: str = Field(default="meridian", pattern=r"^[a-z][a-z0-9-]{0,18}[a-z0-9]$")
    """Cassandra cluster name, the same in every region (the regions' datacenters join one cluster); also the
    K8ssandraCluster's name. At most 20 characters so StatefulSet names stay within the operator's 60."""
    server_version: str = "4.1.8"
    """Apache Cassandra version (4.1.x or 5.0.x)."""
    nodes_per_zone: int = Field(default=1, ge=1, le=50)
    """Cassandra nodes in each zone's rack; the datacenter has nodes_per_zone x zones nodes."""
    size: int | None = Field(default=None, ge=3, le=300)
    """Total nodes of the datacenter instead of `nodes_per_zone`; must be a multiple of the zone count."""
    replication_factor: int = Field(default=3, ge=1, le=9)
    """Replicas per keyspace in this datacenter: the default and the enforced minimum (guardrail) for new
    keyspaces. Must not exceed the datacenter's nodes nor its racks (zones)."""
    heap_gib: int = Field(default=8, ge=1, le=31)
    """JVM heap (initial = max) in GiB; below half the data node's memory, at most 31 (compressed oops)."""
    memory_gib: int = Field(default=24, ge=2, le=1024)
    """Memory request and limit of the Cassandra container in GiB (heap, off-heap, Management API)."""
    cpu_cores: float = Field(default=3.0, gt=0, le=192)
    """CPU request of the Cassandra container in cores (no limit: throttling a database hurts latency)."""
    disk_gib: int = Field(default=500, ge=10, le=16384)
    """Data volume (gp3-retain) size per node in GiB."""
    client_namespaces: NamespaceNames = ("default",)
    """Namespaces whose pods may open CQL (9042) connections."""
    backup_schedule: str = "0 2 * * *"
    """Cron schedule (UTC) of the daily differential Medusa backup."""
    backup_retention_days: int = Field(default=14, ge=1, le=3650)
    """Days Medusa keeps a backup before its purge removes it (`max_backup_age`)."""
    monitoring: ServiceMonitoringConfig = ServiceMonitoringConfig()

    @field_validator("server_version")
    @classmethod
    def _server_version(cls, value: str) -> str:
        if not SUPPORTED_SERVER_VERSION.fullmatch(value):
            raise fail("is not a supported Cassandra version",
                       "use a 4.1.x or 5.0.x release, for example 4.1.8 (older ones lack the RF guardrails and "
                       "the Management API metrics endpoint)")
        return value

    @field_validator("backup_schedule")
    @classmethod
    def _backup_schedule(cls, value: str) -> str:
        if not _CRON.fullmatch(value.strip()):
            raise fail("is not a five-field cron expression", "use e.g. `0 2 * * *` (daily at 02:00 UTC)")
        return value

    @field_validator("monitoring")
    @classmethod
    def _monitoring(cls, value: ServiceMonitoringConfig) -> ServiceMonitoringConfig:
        return check_monitoring_names(value, service="Cassandra", thresholds=DEFAULT_THRESHOLDS, slos=SLO_NAMES)

    @model_validator(mode="after")
    def _size_or_nodes_per_zone(self) -> CassandraConfig:
        if self.size is not None and "nodes_per_zone" in self.model_fields_set:
            raise fail("sets both `size` and `nodes_per_zone`", "set only one of them")
        return self

    def datacenter_size(self, zones: int) -> int:
        """Nodes of the datacenter when the stack uses `zones` zones."""
        return self.size if self.size is not None else self.nodes_per_zone * zones

    def check(self, context: ServiceContext) -> None:
        """Checks against the rest of the stack, before any resource is declared."""
        check_chart_version(context.key("cassandra.chart_version"), "k8ssandra-operator", self.chart_version)
        size_key = "cassandra.size" if self.size is not None else "cassandra.nodes_per_zone"
        size = self.datacenter_size(context.zones)
        if size < 3:
            raise ConfigError(context.key(size_key), size, "gives a datacenter of fewer than 3 nodes",
                              "run at least one node in each of 3 zones")
        if size % context.zones:
            raise ConfigError(context.key("cassandra.size"), size,
                              f"does not split evenly over the {context.zones} zones' racks",
                              f"use a multiple of {context.zones}")
        self._check_replication(context, size)
        self._check_nodes(context, size // context.zones)
        self._check_memory(context)

    def _check_replication(self, context: ServiceContext, size: int) -> None:
        key = context.key("cassandra.replication_factor")
        if self.replication_factor > size:
            raise ConfigError(key, self.replication_factor, f"exceeds the datacenter's {size} nodes",
                              f"lower it to at most {size} or add nodes")
        if self.replication_factor > context.zones:
            raise ConfigError(key, self.replication_factor,
                              f"exceeds the {context.zones} racks (zones): two replicas would share a zone",
                              f"lower it to at most {context.zones} or use more zones")

    def _check_nodes(self, context: ServiceContext, per_zone: int) -> None:
        key = context.key("cassandra.size" if self.size is not None else "cassandra.nodes_per_zone")
        if context.data_nodes_per_zone == 0:
            raise ConfigError(key, per_zone, "needs a per-zone data node group (cluster.node_groups.*.per_az)",
                              "add a node group with per_az: true for the stateful services")
        if per_zone > context.data_nodes_per_zone:
            raise ConfigError(key, per_zone,
                              f"puts {per_zone} Cassandra nodes in a zone whose data node group has at most "
                              f"{context.data_nodes_per_zone} nodes (one Cassandra pod per node)",
                              f"raise the data node group's max_size to {per_zone} or lower the node count")

    def _check_memory(self, context: ServiceContext) -> None:
        if self.heap_gib > 0.75 * self.memory_gib:
            raise ConfigError(context.key("cassandra.heap_gib"), self.heap_gib,
                              f"leaves too little of the container's {self.memory_gib} GiB for off-heap memory",
                              f"keep heap_gib <= 3/4 of memory_gib, e.g. memory_gib: {2 * self.heap_gib}")
        node = context.data_node_memory_gib
        if node is None:
            return
        if self.heap_gib >= node / 2:
            raise ConfigError(context.key("cassandra.heap_gib"), self.heap_gib,
                              f"is not below half of the data nodes' {node:g} GiB of memory",
                              f"use at most {max(int(node / 2) - 1, 1)} GiB or larger data nodes")
        fits = NODE_HEADROOM * node - SIDECARS_MEMORY_GIB
        if self.memory_gib > fits:
            raise ConfigError(context.key("cassandra.memory_gib"), self.memory_gib,
                              f"does not fit on a data node of {node:g} GiB (at most {fits:g} GiB once the "
                              f"kubelet, daemons and sidecars have theirs)",
                              f"use at most {int(fits)} GiB or larger data nodes")
