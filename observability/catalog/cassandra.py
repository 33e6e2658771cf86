"""Cassandra 4.1 metrics of the Management API agent's Prometheus endpoint (port `metrics`, 9000; MCAC off).

How names come about (k8ssandra/management-api-for-apache-cassandra@v0.1.125, which the operator's
`cass-management-api:4.1.x` images bundle): the agent listens on Cassandra's metric registry
(`CassandraMetricRegistryListener.java`): a Meter becomes a counter `<name>_total`; a Timer a histogram
`<name>_bucket/_sum/_count` whose `le` bounds are the fixed `LATENCY_OFFSETS` in MICROSECONDS for Cassandra 4.1
(`CassandraMetricsTools.java`), filled from the reservoir's non-decaying counts, so they are cumulative; a
dropwizard Counter and a Gauge become an untyped gauge without suffix (monotonic ones are listed as counters here).
Names are `default-metric-settings.yaml`'s relabels of the registry names (`ClientRequest.<Metric>.<Scope>` ->
`org_apache_cassandra_metrics_client_request_<metric>{request_type}`, `ThreadPools.<Metric>.<type>.<pool>` ->
`..._thread_pools_<metric>{pool_type,pool_name}`, `DroppedMessage.<Metric>.<verb>` ->
`..._dropped_message_<metric>{message_type}`), else the camelCase-to-snake_case name
(`Compaction.PendingTasks` -> `..._compaction_pending_tasks`). Registry names: Cassandra 4.1's metrics reference.
JVM memory comes from simpleclient_hotspot 0.16.0 (`JvmExports.java`, pom `prometheus.version`), so the heap is
`jvm_memory_bytes_used{area="heap"}` (Cassandra's own `jvm.memory.heap.used` is relabelled to
`jvm_memory_used{memory_type="heap"}`; the bare `jvm_memory_heap_used` does not exist).

Every sample carries the agent's labels host (host id), instance (broadcast address), cluster, datacenter, rack:
stored as `host`, `exported_instance` (the target's `instance` wins), `cassandra_cluster` (the ScrapeTarget's
exporter_cluster_label), `datacenter`, `rack`. k8ssandra-operator's default agent config (v1.32.5
pkg/telemetry/cassandra_agent/cassandra_agent_config.go) drops per-table series except a few; none is used here.
"""

from __future__ import annotations

from typing import Final, Literal

from observability.catalog import MetricFamily

EXPORTER: Final = "k8ssandra-management-api"
JOB: Final = "cassandra"
_AGENT: Final = "k8ssandra/management-api-for-apache-cassandra@v0.1.125:management-api-agent-common/src/main/"
_NAMES: Final = (f"{_AGENT}resources/default-metric-settings.yaml; {_AGENT}java/io/k8ssandra/metrics/builder/"
                 "CassandraMetricRegistryListener.java; https://cassandra.apache.org/doc/4.1/cassandra/operating/"
                 "metrics.html")
_DASHBOARDS: Final = ("k8ssandra/k8ssandra-operator@v1.32.5:docs/content/en/tasks/monitor/prometheus-grafana/"
                      "grafana-dashboards-new.yaml")
_SOURCE: Final = f"{_NAMES}; {_DASHBOARDS}"
_JVM: Final = (f"{_AGENT}java/io/k8ssandra/metrics/prometheus/JvmExports.java; prometheus/client_java@parent-0.16.0:"
               "simpleclient_hotspot/src/main/java/io/prometheus/client/hotspot/")
_NODE: Final = {"host": "6f0c1b7e-3a52-4b7e-9a8e-0d6c2f1e4a10", "exported_instance": "10.0.1.12",
                "cassandra_cluster": "meridian", "datacenter": "us-east-1", "rack": "us-east-1a"}
LATENCY_BUCKETS_US: Final = (35.0, 60.0, 103.0, 179.0, 310.0, 535.0, 924.0, 1597.0, 2759.0, 4768.0, 8239.0,
                             14237.0, 24601.0, 42510.0, 73457.0, 126934.0, 219342.0, 379022.0, 654949.0, 1131752.0,
                             1955666.0, 3379391.0, 5839588.0, 10090808.0, 17436917.0)
"""`le` bounds of every Timer histogram, in microseconds (CassandraMetricsTools.LATENCY_OFFSETS)."""
_REQUESTS: Final = tuple({**_NODE, "request_type": kind} for kind in ("Read", "Write", "RangeSlice"))
_POOLS: Final = tuple({**_NODE, "pool_type": kind, "pool_name": name} for kind, name in (
    ("request", "MutationStage"), ("request", "ReadStage"), ("transport", "Native-Transport-Requests"),
    ("internal", "GossipStage"), ("internal", "CompactionExecutor")))


def _family(name: str, kind: Literal["counter", "gauge"], help_text: str, value: float, *,
            labels: tuple[dict[str, str], ...] = (_NODE,), source: str = _SOURCE) -> MetricFamily:
    return MetricFamily(name=name, type=kind, job=JOB, help=help_text, source=source, labels=labels, value=value)


FAMILIES: Final = (
    MetricFamily(name="org_apache_cassandra_metrics_client_request_latency", type="histogram", job=JOB,
                 help="Coordinator latency of client requests per request_type, in microseconds (ClientRequest "
                      "Latency timer; failed and timed-out requests included).",
                 source=_SOURCE, labels=_REQUESTS, value=150.0, buckets=LATENCY_BUCKETS_US),
    _family("org_apache_cassandra_metrics_client_request_timeouts_total", "counter",
            "Client requests that timed out waiting for replicas (ClientRequest Timeouts meter).", 0.0,
            labels=_REQUESTS),
    _family("org_apache_cassandra_metrics_client_request_unavailables_total", "counter",
            "Client requests refused because too few replicas were alive (ClientRequest Unavailables meter).", 0.0,
            labels=_REQUESTS),
    _family("org_apache_cassandra_metrics_client_request_failures_total", "counter",
            "Client requests failed by replica errors (ClientRequest Failures meter).", 0.0, labels=_REQUESTS),
    _family("org_apache_cassandra_metrics_client_connected_native_clients", "gauge",
            "Connected CQL (native protocol) clients (Client connectedNativeClients).", 24.0),
    _family("org_apache_cassandra_metrics_dropped_message_dropped_total", "counter",
            "Messages dropped because they waited past their timeout, per verb (DroppedMessage Dropped meter).",
            0.0, labels=tuple({**_NODE, "message_type": verb} for verb in ("MUTATION_REQ", "READ_REQ", "HINT_REQ"))),
    _family("org_apache_cassandra_metrics_compaction_pending_tasks", "gauge",
            "Estimated compactions still to run on the node (Compaction PendingTasks; nodetool compactionstats).",
            2.0),
    _family("org_apache_cassandra_metrics_compaction_completed_tasks", "counter",
            "Compactions completed since start (Compaction CompletedTasks gauge, monotonic).", 0.05),
    _family("org_apache_cassandra_metrics_thread_pools_pending_tasks", "gauge",
            "Tasks queued in a thread pool (ThreadPools PendingTasks).", 0.0, labels=_POOLS),
    _family("org_apache_cassandra_metrics_thread_pools_active_tasks", "gauge",
            "Tasks running in a thread pool (ThreadPools ActiveTasks).", 1.0, labels=_POOLS),
    _family("org_apache_cassandra_metrics_thread_pools_completed_tasks", "counter",
            "Tasks a thread pool completed since start (ThreadPools CompletedTasks gauge, monotonic); GossipStage "
            "completes gossip rounds every second on a node that gossips with its peers.", 3.0, labels=_POOLS),
    _family("org_apache_cassandra_metrics_thread_pools_total_blocked_tasks", "counter",
            "Tasks a full thread pool blocked since start (ThreadPools TotalBlockedTasks counter).", 0.0,
            labels=_POOLS),
    _family("org_apache_cassandra_metrics_thread_pools_currently_blocked_tasks", "gauge",
            "Tasks blocked now because the pool's queue is full (ThreadPools CurrentlyBlockedTasks).", 0.0,
            labels=_POOLS),
    _family("org_apache_cassandra_metrics_storage_load", "gauge",
            "Bytes of live data the node stores on disk (Storage Load).", 1.5e11),
    _family("org_apache_cassandra_metrics_storage_exceptions", "counter",
            "Internal errors the node caught since start (Storage Exceptions counter, monotonic).", 0.0),
    _family("org_apache_cassandra_metrics_storage_total_hints_in_progress", "gauge",
            "Hints being delivered to peers right now (Storage TotalHintsInProgress).", 0.0),
    _family("jvm_memory_bytes_used", "gauge", "Used bytes of a JVM memory area (simpleclient_hotspot).", 3.5e9,
            labels=({**_NODE, "area": "heap"},), source=f"{_JVM}MemoryPoolsExports.java"),
    _family("jvm_memory_bytes_max", "gauge", "Max bytes of a JVM memory area (-Xmx for the heap).", 8589934592.0,
            labels=({**_NODE, "area": "heap"},), source=f"{_JVM}MemoryPoolsExports.java"),
    MetricFamily(name="jvm_gc_collection_seconds", type="summary", job=JOB,
                 help="Time spent in a given JVM garbage collector, in seconds (simpleclient_hotspot).",
                 source=f"{_JVM}GarbageCollectorExports.java",
                 labels=({**_NODE, "gc": "G1 Young Generation"},), value=0.5, buckets=(0.01, 0.02, 0.05, 0.1)),
)
