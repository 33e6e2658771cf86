"""`meridian:logging`: ELK through ECK: Elasticsearch, Kibana, log shipping."""

from __future__ import annotations

import re
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

DEFAULT_ELASTICSEARCH_VERSION: Final = "9.4.3"
"""The stack version ECK 3.5.0's own samples deploy (config/samples/elasticsearch/elasticsearch.yaml at v3.5.0)."""
MIN_ELASTICSEARCH_VERSION: Final = (8, 18, 0)
"""8.18 is the oldest 8.x with a direct upgrade path to 9.x (ECK v3.5.0 pkg/controller/elasticsearch/version)."""
KNOWN_THRESHOLDS: Final = ("heap_used_ratio", "disk_watermark_high_ratio", "unassigned_shards")
SLO_NAMES: Final = ("search_availability",)
"""SLOs the Elasticsearch alert template records SLIs for (alerts/templates/elasticsearch.yaml.j2)."""
NODE_MEMORY_SHARE: Final = 0.9
"""Share of a data node's memory an Elasticsearch container may take (the rest: kubelet, system, the Beat)."""
_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


def container_memory_gib(heap_gib: int) -> int:
    """Elasticsearch container memory: twice the heap (the other half is for the page cache and off-heap)."""
    return 2 * heap_gib


class LoggingConfig(Frozen):
    """ELK through ECK: Elasticsearch (dedicated masters, zone-aware data nodes), Kibana, Filebeat, snapshots."""

    chart_version: str | None = None
    """eck-operator chart version; unset: the pin in components/versions.py (only reviewed versions)."""
    exporter_chart_version: str | None = None
    """prometheus-elasticsearch-exporter chart version; unset: the pin in components/versions.py."""
    elasticsearch_version: str = DEFAULT_ELASTICSEARCH_VERSION
    """Version of Elasticsearch, Kibana and Filebeat (one stack version); 8.18.0 or later."""
    master_nodes: int = 3
    """Dedicated master-eligible nodes, odd and >= 3, spread one per zone; default 3."""
    data_nodes: int = Field(default=3, ge=1, le=120)
    """Data/ingest nodes, spread evenly across zones; at least 3 and at least the zone count."""
    master_heap_gib: int = Field(default=2, ge=1, le=31)
    """JVM heap of each master in GiB (container memory is twice this); default 2."""
    data_heap_gib: int = Field(default=8, ge=1, le=31)
    """JVM heap of each data node in GiB (container memory twice this, <= 31 for compressed oops); default 8."""
    master_cpu: float = Field(default=1.0, gt=0, le=64)
    """CPU cores requested by each master; default 1."""
    data_cpu: float = Field(default=2.0, gt=0, le=64)
    """CPU cores requested by each data node; default 2."""
    master_disk_gib: int = Field(default=20, ge=1, le=16384)
    """Volume size of each master in GiB (cluster state only); default 20."""
    data_disk_gib: int = Field(default=500, ge=10, le=65536)
    """Volume size of each data node in GiB; default 500."""
    index_shards: int = Field(default=1, ge=1, le=64)
    """Primary shards of each log index (rolled over daily or at 50 GB per primary); default 1."""
    index_replicas: int = 1
    """Replica copies of each log shard, kept in other zones; >= 1 so a zone loss loses no data; default 1."""
    retention_days: int = Field(default=30, ge=1, le=3650)
    """Days log indices are kept after rollover before ILM deletes them; default 30."""
    snapshot_schedule: str = "0 30 1 * * ?"
    """Snapshot (SLM) schedule in Elasticsearch cron syntax (sec min hour dom month dow); default 01:30 daily."""
    snapshot_retention_days: int = Field(default=30, ge=1, le=3650)
    """Days snapshots are kept in S3 (at least 5 are always kept); default 30."""
    kibana_replicas: int = Field(default=2, ge=1, le=10)
    """Kibana instances, spread across zones; default 2."""
    client_namespaces: NamespaceNames = ()
    """Namespaces whose pods may call Elasticsearch on 9200 (besides the stack's own pods); default none."""
    kibana_namespaces: NamespaceNames = ()
    """Namespaces whose pods may reach Kibana on 5601 (an ingress controller, say); default none."""
    monitoring: ServiceMonitoringConfig = ServiceMonitoringConfig()

    @field_validator("elasticsearch_version")
    @classmethod
    def _version(cls, value: str) -> str:
        match = _VERSION.fullmatch(value)
        if not match:
            raise fail("is not an Elasticsearch version",
                       f"use MAJOR.MINOR.PATCH, e.g. {DEFAULT_ELASTICSEARCH_VERSION}")
        parts = tuple(int(part) for part in match.groups())
        if parts < MIN_ELASTICSEARCH_VERSION or parts[0] > 9:
            raise fail("is not a version this ECK release and the S3 snapshot setup support",
                       f"use 8.18.0 or later 8.x/9.x, e.g. {DEFAULT_ELASTICSEARCH_VERSION}")
        return value

    @field_validator("master_nodes")
    @classmethod
    def _masters(cls, value: int) -> int:
        if value < 3 or value % 2 == 0 or value > 9:
            raise fail("must be odd and at least 3 (a majority of masters must survive a zone loss)",
                       "use 3 (one per zone) or 5")
        return value

    @field_validator("data_nodes")
    @classmethod
    def _data(cls, value: int) -> int:
        if value < 3:
            raise fail("must be at least 3 (one data node per zone)", "use 3 or more")
        return value

    @field_validator("index_replicas")
    @classmethod
    def _replicas(cls, value: int) -> int:
        if value < 1 or value > 5:
            raise fail("must be between 1 and 5: with 0 replicas a zone loss loses the shards stored there",
                       "use 1 (one copy in another zone) or 2")
        return value

    @field_validator("snapshot_schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        if len(value.split()) not in (6, 7):
            raise fail("is not an Elasticsearch cron expression", "use 6 or 7 fields, e.g. '0 30 1 * * ?'")
        return value

    @field_validator("monitoring")
    @classmethod
    def _monitoring(cls, value: ServiceMonitoringConfig) -> ServiceMonitoringConfig:
        return check_monitoring_names(value, service="Elasticsearch", thresholds=KNOWN_THRESHOLDS, slos=SLO_NAMES)

    def check(self, context: ServiceContext) -> None:
        """Checks against the rest of the stack, before any resource is declared."""
        check_chart_version(context.key("logging.chart_version"), "eck-operator", self.chart_version)
        check_chart_version(context.key("logging.exporter_chart_version"), "prometheus-elasticsearch-exporter",
                            self.exporter_chart_version)
        if self.data_nodes < context.zones:
            raise ConfigError(context.key("logging.data_nodes"), self.data_nodes,
                              f"is fewer than the {context.zones} zones: a zone would hold no data node",
                              f"use at least {context.zones}, ideally a multiple of it")
        if self.index_replicas + 1 > self.data_nodes:
            raise ConfigError(context.key("logging.index_replicas"), self.index_replicas,
                              f"needs {self.index_replicas + 1} data nodes for every copy, only {self.data_nodes}",
                              f"use at most {self.data_nodes - 1} replicas, or more data nodes")
        memory = context.data_node_memory_gib
        if memory is None:
            return
        for key, heap in (("data_heap_gib", self.data_heap_gib), ("master_heap_gib", self.master_heap_gib)):
            if container_memory_gib(heap) > memory * NODE_MEMORY_SHARE:
                raise ConfigError(context.key(f"logging.{key}"), heap,
                                  f"needs a {container_memory_gib(heap)} GiB container (2 x heap), more than "
                                  f"{NODE_MEMORY_SHARE:.0%} of the data nodes' {memory:g} GiB",
                                  f"use at most {int(memory * NODE_MEMORY_SHARE // 2)}, or larger data nodes")
