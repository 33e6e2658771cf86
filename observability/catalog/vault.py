"""Vault 2.0 built-in telemetry at `/v1/sys/metrics?format=prometheus` (job `vault`, every pod).

Names: https://developer.hashicorp.com/vault/docs/internals/telemetry/metrics (core-system, raft, audit pages) and
hashicorp/vault's source (cited per family). Prometheus format through hashicorp/go-metrics' prometheus sink
(hashicorp/go-metrics@v0.5.4:prometheus/prometheus.go): dots become underscores (`disable_hostname = true`, so no
host prefix); `MeasureSince` samples are summaries in milliseconds with quantiles 0.5/0.9/0.99 over the last 10 s
(NaN when idle) plus `_sum`/`_count`; counters keep their name (no `_total`); every series not updated within
`prometheus_retention_time` (30 s, components/vault_values.py) disappears until its next update. Metrics emitted
through Vault's ClusterMetricSink carry Vault's own `cluster` label (its cluster name), kept as `vault_cluster`
(the contract's `exporter_cluster_label`); token gauges' `namespace` is stored as
`exported_namespace`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from observability.catalog import MetricFamily

EXPORTER: Final = "vault-telemetry"
_DOCS: Final = "https://developer.hashicorp.com/vault/docs/internals/telemetry/metrics/"
_CORE_METRICS: Final = "hashicorp/vault@main:vault/core_metrics.go"
_AUTOPILOT: Final = f"{_DOCS}raft; hashicorp/vault@main:physical/raft/raft_autopilot.go (Delegate.NotifyState)"
_RAFT_STATS: Final = f"{_DOCS}raft; hashicorp/vault@main:physical/raft/raft.go (RaftBackend.CollectMetrics)"
_CLUSTER: Final[Mapping[str, str]] = {"vault_cluster": "vault-cluster-5e3a1f2b"}
_MS_BUCKETS: Final = (1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0)
"""Request durations in milliseconds: the backfill reports p50 2 ms, p90 5 ms, p99 10 ms."""
_NODES: Final = tuple({"node_id": f"vault-{index}"} for index in range(3))

FAMILIES: Final = (
    MetricFamily(name="vault_core_unsealed", type="gauge", job="vault",
                 help="1 when the node is unsealed; a sealed node stops refreshing it (it disappears after 30 s).",
                 source=f"{_DOCS}core-system; {_CORE_METRICS} (metricsLoop)", labels=(_CLUSTER,), value=1),
    MetricFamily(name="vault_core_active", type="gauge", job="vault",
                 help="1 on the active (leader) node, 0 on standbys (the backfill models the active node only).",
                 source=f"{_DOCS}core-system; {_CORE_METRICS} (metricsLoop)", labels=(_CLUSTER,), value=1,
                 per_target=False),
    MetricFamily(name="vault_core_in_flight_requests", type="gauge", job="vault",
                 help="Requests the node is handling right now.",
                 source=f"{_DOCS}core-system; {_CORE_METRICS} (inFlightReqGaugeMetric)", labels=(_CLUSTER,),
                 value=3),
    MetricFamily(name="vault_core_handle_request", type="summary", job="vault",
                 help="Time to handle a non-login request, milliseconds.",
                 source=f"{_DOCS}core-system; hashicorp/vault@main:vault/request_handling.go (handleRequest)",
                 value=40, buckets=_MS_BUCKETS),
    MetricFamily(name="vault_core_handle_login_request", type="summary", job="vault",
                 help="Time to handle a login request, milliseconds.",
                 source=f"{_DOCS}core-system; hashicorp/vault@main:vault/request_handling.go (handleLoginRequest)",
                 value=2, buckets=_MS_BUCKETS),
    MetricFamily(name="vault_core_response_status_code", type="counter", job="vault",
                 help="Responses the node issued, by exact status `code` and class `type` (2xx ... 5xx); Vault "
                      "1.20+. A class never seen has no series.",
                 source=("hashicorp/vault@main:website/content/partials/telemetry-metrics/vault/core/"
                         "response_status_code.mdx (hashicorp/vault#30354)"),
                 labels=({"code": "200", "type": "2xx"}, {"code": "204", "type": "2xx"}), value=20),
    MetricFamily(name="vault_audit_log_request_failure", type="counter", job="vault",
                 help="Requests no audit device could log (incremented by 0 on success, so the series stays).",
                 source=f"{_DOCS}audit; hashicorp/vault@main:audit/broker.go (Broker.LogRequest)", value=0),
    MetricFamily(name="vault_audit_log_response_failure", type="counter", job="vault",
                 help="Responses no audit device could log (incremented by 0 on success, so the series stays).",
                 source=f"{_DOCS}audit; hashicorp/vault@main:audit/broker.go (Broker.LogResponse)", value=0),
    MetricFamily(name="vault_autopilot_healthy", type="gauge", job="vault",
                 help="1 when autopilot considers every raft server healthy; set by the leader only.",
                 source=_AUTOPILOT, value=1, per_target=False),
    MetricFamily(name="vault_autopilot_failure_tolerance", type="gauge", job="vault",
                 help="Voters the raft cluster can lose and keep quorum; set by the leader only.",
                 source=_AUTOPILOT, value=1, per_target=False),
    MetricFamily(name="vault_autopilot_node_healthy", type="gauge", job="vault",
                 help="1 per healthy raft server (`node_id`), 0 per unhealthy one; set by the leader only.",
                 source=_AUTOPILOT, labels=_NODES, value=1, per_target=False),
    MetricFamily(name="vault_raft_storage_stats_commit_index", type="gauge", job="vault",
                 help="Raft index the node knows committed (`peer_id`: the node).", source=_RAFT_STATS,
                 labels=({**_CLUSTER, "peer_id": "vault-0"},), value=1_250_000),
    MetricFamily(name="vault_raft_storage_stats_applied_index", type="gauge", job="vault",
                 help="Raft index the node has applied to its FSM (`peer_id`: the node).", source=_RAFT_STATS,
                 labels=({**_CLUSTER, "peer_id": "vault-0"},), value=1_250_000),
    MetricFamily(name="vault_expire_num_leases", type="gauge", job="vault",
                 help="Leases the expiration manager tracks; set every second by the active node.",
                 source=f"{_DOCS}core-system; hashicorp/vault@main:vault/expiration.go (emitMetrics)", value=1500,
                 per_target=False),
    MetricFamily(name="vault_token_count", type="gauge", job="vault",
                 help="Service tokens per namespace; reported every usage_gauge_period (10 min) by the active node, "
                      "so the series exists only briefly after each report.",
                 source=f"{_DOCS}core-system; {_CORE_METRICS} (emitMetricsActiveNode)",
                 labels=({**_CLUSTER, "exported_namespace": "root"},), value=180, per_target=False),
    MetricFamily(name="vault_runtime_alloc_bytes", type="gauge", job="vault",
                 help="Bytes allocated on the Go heap (go-metrics runtime metrics).",
                 source=f"{_DOCS}core-system; hashicorp/go-metrics@v0.5.4:start.go (EnableRuntimeMetrics)",
                 value=1.2e8),
)
