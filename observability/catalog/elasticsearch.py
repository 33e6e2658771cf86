"""Elasticsearch metrics of prometheus-community/elasticsearch_exporter v1.11.0 (chart
prometheus-elasticsearch-exporter 7.4.0, job `elasticsearch-exporter`).

Collectors on (components/logging_setup.py `exporter_values`, chart templates/deployment.yaml at 7.4.0): cluster
health and nodes (always; `--es.all`: every node of the cluster), indices and shards (`--es.indices`,
`--es.shards`), `--es.indices_settings`, and the collector framework's `--collector.clustersettings`,
`snapshots`, `slm`, `ilm`, `data-stream` (plus `cluster-info`, on by default). One exporter reports for the whole
cluster, so every family is `per_target=False`. The exporter's `cluster` label (the Elasticsearch cluster name,
`elasticsearch`) is stored as `es_cluster`. v1.11.0 has no `elasticsearch_cluster_health_up`: a failed
`_cluster/health` call just leaves the cluster-health families out of the scrape; the framework collectors
report `elasticsearch_scrape_success{collector}`.
"""

from __future__ import annotations

from typing import Final, Literal

from observability.catalog import MetricFamily

EXPORTER: Final = "elasticsearch_exporter"
JOB: Final = "elasticsearch-exporter"
_REPO: Final = "prometheus-community/elasticsearch_exporter@v1.11.0"
_HEALTH: Final = f"{_REPO}:collector/cluster_health.go"
_NODES: Final = f"{_REPO}:collector/nodes.go"
_CLUSTER: Final = {"es_cluster": "elasticsearch"}


def _node(name: str, host: str, *, master: bool) -> dict[str, str]:
    """Node labels (nodes.go defaultNodeLabels): masters have role `master`, data nodes `data` and `ingest`."""
    return {**_CLUSTER, "host": host, "name": name, "es_master_node": str(master).lower(),
            "es_data_node": str(not master).lower(), "es_ingest_node": str(not master).lower(),
            "es_client_node": "true"}


_ES_NODES: Final = (
    *(_node(f"elasticsearch-es-master-{i}", f"10.0.{i + 1}.20", master=True) for i in range(3)),
    *(_node(f"elasticsearch-es-data-{i}", f"10.0.{i + 1}.30", master=False) for i in range(3)),
)
_DATA_NODES: Final = tuple(node for node in _ES_NODES if node["es_data_node"] == "true")
_FS: Final = tuple({**node, "mount": "/usr/share/elasticsearch/data (/dev/nvme1n1)",
                    "path": "/usr/share/elasticsearch/data"} for node in _ES_NODES)
_HEAP: Final = tuple({**node, "area": "heap"} for node in _ES_NODES)
_POOLS: Final = tuple({**node, "type": pool} for node in _DATA_NODES for pool in ("search", "write"))


def _family(name: str, kind: Literal["counter", "gauge"], help_text: str, source: str, value: float,
            labels: tuple[dict[str, str], ...] = (_CLUSTER,)) -> MetricFamily:
    return MetricFamily(name=name, type=kind, job=JOB, help=help_text, source=source, labels=labels, value=value,
                        per_target=False)


def _health(name: str, help_text: str, value: float) -> MetricFamily:
    return _family(f"elasticsearch_cluster_health_{name}", "gauge", help_text, _HEALTH, value)


FAMILIES: Final = (
    # Healthy: only the green series is 1 (the yellow and red series exist with 0; rules never need them to).
    _family("elasticsearch_cluster_health_status", "gauge",
            "1 for the cluster's current health color (green, yellow, red), 0 for the others.", _HEALTH, 1.0,
            labels=({**_CLUSTER, "color": "green"},)),
    _health("number_of_nodes", "Nodes in the cluster.", 6.0),
    _health("number_of_data_nodes", "Data nodes in the cluster.", 3.0),
    _health("active_primary_shards", "Active primary shards.", 40.0),
    _health("active_shards", "Active shards, replicas included.", 80.0),
    _health("relocating_shards", "Shards moving from one node to another.", 0.0),
    _health("initializing_shards", "Shards being created or recovered.", 0.0),
    _health("unassigned_shards", "Shards in the cluster state that no node holds.", 0.0),
    _health("delayed_unassigned_shards", "Unassigned shards whose allocation waits for the node-left delay.", 0.0),
    _health("number_of_pending_tasks", "Cluster state changes not yet executed.", 0.0),
    _family("elasticsearch_jvm_memory_used_bytes", "gauge", "JVM memory used, per area.", _NODES, 3.6e9, _HEAP),
    _family("elasticsearch_jvm_memory_max_bytes", "gauge", "JVM memory max, per area (the heap's -Xmx).", _NODES,
            8589934592.0, _HEAP),
    _family("elasticsearch_filesystem_data_size_bytes", "gauge", "Size of the data path's block device.", _NODES,
            536870912000.0, _FS),
    _family("elasticsearch_filesystem_data_available_bytes", "gauge",
            "Bytes of the data path's device available to Elasticsearch (what the disk watermarks compare).",
            _NODES, 3.2e11, _FS),
    _family("elasticsearch_filesystem_data_free_bytes", "gauge", "Free bytes of the data path's device.", _NODES,
            3.3e11, _FS),
    _family("elasticsearch_indices_indexing_index_total", "counter", "Documents indexed on the node.", _NODES,
            800.0, _DATA_NODES),
    _family("elasticsearch_indices_indexing_index_time_seconds_total", "counter",
            "Time spent indexing documents on the node.", _NODES, 0.4, _DATA_NODES),
    _family("elasticsearch_indices_search_query_total", "counter", "Search query phases run on the node (per shard).",
            _NODES, 12.0, _DATA_NODES),
    _family("elasticsearch_indices_search_query_time_seconds", "counter",
            "Time spent in search query phases on the node.", _NODES, 0.12, _DATA_NODES),
    _family("elasticsearch_thread_pool_rejected_count", "counter", "Tasks a thread pool rejected (HTTP 429).",
            _NODES, 0.0, _POOLS),
    _family("elasticsearch_thread_pool_queue_count", "gauge", "Tasks queued in a thread pool.", _NODES, 0.0,
            _POOLS),
    _family("elasticsearch_thread_pool_active_count", "gauge", "Threads busy in a thread pool.", _NODES, 1.0,
            _POOLS),
    _family("elasticsearch_node_shards_total", "gauge", "Shards a node holds (from _cat/shards).",
            f"{_REPO}:collector/shards.go", 27.0,
            tuple({**_CLUSTER, "node": node["name"]} for node in _DATA_NODES)),
    _family("elasticsearch_clustersettings_allocation_watermark_high_ratio", "gauge",
            "High disk watermark as a ratio of the disk (defaults included; absent when set in bytes).",
            f"{_REPO}:collector/cluster_settings.go", 0.9, ({},)),
    _family("elasticsearch_clustersettings_allocation_watermark_flood_stage_ratio", "gauge",
            "Flood-stage disk watermark as a ratio of the disk (defaults included; absent when set in bytes).",
            f"{_REPO}:collector/cluster_settings.go", 0.95, ({},)),
    _family("elasticsearch_indices_settings_stats_read_only_indices", "gauge",
            "Indices with the index.blocks.read_only_allow_delete block (set at the flood-stage watermark).",
            f"{_REPO}:collector/indices_settings.go", 0.0, ({},)),
    _family("elasticsearch_snapshot_stats_snapshot_total_shards", "gauge",
            "Shards in the repository's latest snapshot, labelled with its state (SUCCESS, PARTIAL, FAILED, ...).",
            f"{_REPO}:collector/snapshots.go", 120.0,
            ({"repository": "s3-snapshots", "state": "SUCCESS", "version": "9.4.3"},)),
    _family("elasticsearch_slm_stats_snapshots_taken_total", "counter", "Snapshots an SLM policy has taken.",
            f"{_REPO}:collector/slm.go", 1 / 86400, ({"policy": "nightly-snapshots"},)),
    _family("elasticsearch_slm_stats_snapshots_failed_total", "counter", "Snapshots of an SLM policy that failed.",
            f"{_REPO}:collector/slm.go", 0.0, ({"policy": "nightly-snapshots"},)),
    _family("elasticsearch_ilm_index_status", "gauge",
            "1 for an ILM-managed index, labelled with its current phase, action and step (ERROR when stuck).",
            f"{_REPO}:collector/ilm.go", 1.0,
            ({"index": ".ds-logs-kubernetes-2026.01.01-000001", "phase": "hot", "action": "rollover",
              "step": "check-rollover-ready"},)),
    _family("elasticsearch_scrape_success", "gauge", "1 if a framework collector's last call to Elasticsearch worked.",
            f"{_REPO}:collector/collector.go", 1.0,
            tuple({"collector": name} for name in ("cluster-info", "clustersettings", "snapshots", "slm", "ilm",
                                                   "data-stream"))),
)
