"""The Prometheus stack's own metrics: Prometheus, Alertmanager, the Prometheus operator, Grafana.

Versions (kube-prometheus-stack 88.5.3 values.yaml): Prometheus v3.14.0, Alertmanager v0.34.0, operator v0.93.1
(names read at v0.93.0, the same release line), Grafana from the grafana chart 12.11.1. None of the chart's
self-monitors honours labels and none of these families has a `namespace`, `pod` or `job` label of its own.
Prometheus' `rule_group` is `<rule file>;<group name>`, its `alertmanager` label the Alertmanager's API URL;
operator families carry `controller` (the registerer wraps them per controller). Status families list only the
rows a healthy stack has at their typical value (e.g. `state="selected"` of the operator's managed resources).
Remote-write queue families carry `remote_name` (the `remoteWrite` entry's name, which the operator passes on:
pkg/prometheus/promcfg.go at v0.93.0) and `url` (storage/remote/storage.go); one queue per fleet receiver replica
(components/fleet_view.py).
"""

from __future__ import annotations

from typing import Final

from observability.catalog import MetricFamily

EXPORTER: Final = "monitoring"
_PROMETHEUS: Final = "prometheus/prometheus@v3.14.0:"
_ALERTMANAGER: Final = "prometheus/alertmanager@v0.34.0:"
_OPERATOR: Final = "prometheus-operator/prometheus-operator@v0.93.0:pkg/operator/"
_GRAFANA: Final = ("grafana/grafana:pkg/infra/metrics/metrics.go; "
                   "https://grafana.com/docs/grafana/latest/setup-grafana/set-up-grafana-monitoring/")
_RULES_DIR: Final = "/etc/prometheus/rules/prometheus-kube-prometheus-stack-prometheus-rulefiles-0"
RULE_GROUPS: Final = tuple({"rule_group": f"{_RULES_DIR}/monitoring-meridian-{kind}.yaml;{kind}.{suffix}"}
                           for kind in ("kubernetes", "kafka", "cassandra") for suffix in ("rules", "alerts"))
ALERTMANAGERS: Final = tuple({"alertmanager": f"http://10.10.{16 * zone}.{40 + zone}:9093/api/v2/alerts"}
                             for zone in range(3))
INTEGRATIONS: Final = ("pagerduty", "slack")
_FAILURE_REASONS: Final = ("other", "clientError", "serverError", "contextCanceled", "contextDeadlineExceeded",
                           "authError", "rateLimited")
_CONTROLLERS: Final = ("prometheus", "alertmanager")
REMOTE_QUEUES: Final = tuple(
    {"remote_name": f"fleet-{index}",
     "url": f"http://prometheus-fleet-{index}.prometheus.us-east-1.meridian.internal:9090/api/v1/write"}
    for index in range(2))
"""The regional Prometheus' remote-write queues: one per fleet receiver replica (components/fleet_view.py)."""
_REMOTE: Final = "storage/remote/queue_manager.go"
SENT_AT: Final = 1_767_225_600.0
"""The timestamp gauges' level (a fixed instant: the backfill holds integer gauges constant), so a healthy queue
has sent up to the highest timestamp it received."""


def _prometheus(name: str, path: str, help_text: str, value: float, labels: tuple[dict[str, str], ...] = ({},),
                kind: str = "gauge") -> MetricFamily:
    return MetricFamily(name=name, type="counter" if kind == "counter" else "gauge", help=help_text,
                        source=f"{_PROMETHEUS}{path}", job="prometheus", labels=labels, value=value)


PROMETHEUS: Final = (
    _prometheus("prometheus_rule_evaluation_failures_total", "rules/group.go",
                "The total number of rule evaluation failures.", 0.0, RULE_GROUPS, kind="counter"),
    _prometheus("prometheus_rule_evaluations_total", "rules/group.go", "The total number of rule evaluations.",
                0.2, RULE_GROUPS, kind="counter"),
    _prometheus("prometheus_rule_group_iterations_missed_total", "rules/group.go",
                "The total number of rule group evaluations missed due to slow rule group evaluation.", 0.0,
                RULE_GROUPS, kind="counter"),
    _prometheus("prometheus_rule_group_last_duration_seconds", "rules/group.go",
                "The duration of the last rule group evaluation.", 0.04, RULE_GROUPS),
    _prometheus("prometheus_rule_group_interval_seconds", "rules/group.go", "The interval of a rule group.", 30.0,
                RULE_GROUPS),
    _prometheus("prometheus_notifications_sent_total", "notifier/metric.go", "Total number of alerts sent.", 0.05,
                ALERTMANAGERS, kind="counter"),
    _prometheus("prometheus_notifications_errors_total", "notifier/metric.go",
                "Total number of sent alerts affected by errors.", 0.0, ALERTMANAGERS, kind="counter"),
    _prometheus("prometheus_notifications_dropped_total", "notifier/metric.go",
                "Total number of alerts dropped due to errors when sending to Alertmanager.", 0.0, ALERTMANAGERS,
                kind="counter"),
    _prometheus("prometheus_notifications_queue_length", "notifier/metric.go",
                "The number of alert notifications in the queue.", 0.0, ALERTMANAGERS),
    _prometheus("prometheus_notifications_queue_capacity", "notifier/metric.go",
                "The capacity of the alert notifications queue.", 10000.0),
    _prometheus("prometheus_notifications_alertmanagers_discovered", "notifier/metric.go",
                "The number of alertmanagers discovered and active.", float(len(ALERTMANAGERS))),
    _prometheus("prometheus_config_last_reload_successful", "cmd/prometheus/main.go",
                "Whether the last configuration reload attempt was successful.", 1.0),
    _prometheus("prometheus_tsdb_head_series", "tsdb/head.go", "Total number of series in the head block.", 2.5e5),
    _prometheus("prometheus_tsdb_head_samples_appended_total", "tsdb/head.go", "Total number of appended samples.",
                8000.0, ({"type": "float"},), kind="counter"),
    _prometheus("prometheus_tsdb_compactions_failed_total", "tsdb/db.go",
                "Total number of compactions that failed for the partition.", 0.0, kind="counter"),
    _prometheus("prometheus_tsdb_reloads_failures_total", "tsdb/db.go",
                "Number of times the database failed to reload block data from disk.", 0.0, kind="counter"),
    _prometheus("prometheus_tsdb_storage_blocks_bytes", "tsdb/db.go",
                "The number of bytes that are currently used for local storage by all blocks.", 3.2e10),
    *(_prometheus(f"prometheus_target_scrapes_{name}_total", "scrape/metrics.go", help_text, 0.0, kind="counter")
      for name, help_text in (
          ("sample_out_of_order", "Total number of samples rejected due to not being out of the expected order."),
          ("sample_duplicate_timestamp",
           "Total number of samples rejected due to duplicate timestamps but different values."),
          ("sample_out_of_bounds",
           "Total number of samples rejected due to timestamp falling outside of the time bounds."),
          ("exceeded_sample_limit", "Total number of scrapes that hit the sample limit and were rejected."))),
    _prometheus("prometheus_remote_storage_samples_total", _REMOTE,
                "Total number of samples sent to remote storage.", 10.0, REMOTE_QUEUES, kind="counter"),
    _prometheus("prometheus_remote_storage_samples_failed_total", _REMOTE,
                "Total number of samples which failed on send to remote storage, non-recoverable errors.", 0.0,
                REMOTE_QUEUES, kind="counter"),
    _prometheus("prometheus_remote_storage_samples_retried_total", _REMOTE,
                "Total number of samples which failed on send to remote storage but were retried because the send "
                "error was recoverable.", 0.0, REMOTE_QUEUES, kind="counter"),
    _prometheus("prometheus_remote_storage_queue_highest_sent_timestamp_seconds", _REMOTE,
                "Highest timestamp successfully sent by this queue, in seconds since epoch.", SENT_AT, REMOTE_QUEUES),
    _prometheus("prometheus_remote_storage_highest_timestamp_in_seconds", "storage/remote/write.go",
                "Highest timestamp that has come into the remote storage via the Appender interface, in seconds "
                "since epoch (deprecated upstream, still registered at v3.14.0).", SENT_AT),
)

ALERTMANAGER: Final = (
    MetricFamily(name="alertmanager_notifications_total", type="counter", job="alertmanager",
                 help="The total number of attempted notifications.", source=f"{_ALERTMANAGER}notify/metrics.go",
                 labels=tuple({"integration": name} for name in INTEGRATIONS), value=0.01),
    MetricFamily(name="alertmanager_notifications_failed_total", type="counter", job="alertmanager",
                 help="The total number of failed notifications (by integration and reason).",
                 source=f"{_ALERTMANAGER}notify/metrics.go; {_ALERTMANAGER}notify/util.go",
                 labels=tuple({"integration": name, "reason": reason} for name in INTEGRATIONS
                              for reason in _FAILURE_REASONS), value=0.0),
    MetricFamily(name="alertmanager_config_last_reload_successful", type="gauge", job="alertmanager",
                 help="Whether the last configuration reload attempt was successful.",
                 source=f"{_ALERTMANAGER}config/coordinator.go", value=1.0),
    MetricFamily(name="alertmanager_cluster_members", type="gauge", job="alertmanager",
                 help="Number indicating current number of members in cluster.",
                 source=f"{_ALERTMANAGER}cluster/delegate.go", value=3.0),
    MetricFamily(name="alertmanager_alerts", type="gauge", job="alertmanager", help="How many alerts by state.",
                 source=f"{_ALERTMANAGER}dispatch/metric.go",
                 labels=({"state": "active"}, {"state": "suppressed"}, {"state": "unprocessed"}), value=0.0),
)

OPERATOR: Final = (
    MetricFamily(name="prometheus_operator_reconcile_operations_total", type="counter", job="prometheus-operator",
                 help="Total number of reconcile operations.", source=f"{_OPERATOR}resource_reconciler.go",
                 labels=tuple({"controller": name} for name in _CONTROLLERS), value=0.05),
    MetricFamily(name="prometheus_operator_reconcile_errors_total", type="counter", job="prometheus-operator",
                 help="Number of errors that occurred during reconcile operations.",
                 source=f"{_OPERATOR}resource_reconciler.go",
                 labels=tuple({"controller": name} for name in _CONTROLLERS), value=0.0),
    MetricFamily(name="prometheus_operator_ready", type="gauge", job="prometheus-operator",
                 help="1 when the controller is ready to reconcile resources, 0 otherwise.",
                 source=f"{_OPERATOR}operator.go", labels=tuple({"controller": name} for name in _CONTROLLERS),
                 value=1.0),
    MetricFamily(name="prometheus_operator_managed_resources", type="gauge", job="prometheus-operator",
                 help="Number of resources managed by the operator's controller per state (selected/rejected).",
                 source=f"{_OPERATOR}operator.go; pkg/prometheus/resource_selector.go",
                 labels=tuple({"controller": "prometheus", "resource": resource, "state": "selected"}
                              for resource in ("ServiceMonitor", "PodMonitor", "PrometheusRule")), value=8.0),
)

GRAFANA: Final = (
    MetricFamily(name="grafana_api_response_status_total", type="counter", job="grafana",
                 help="api http response status (healthy: code 200).", source=_GRAFANA,
                 labels=({"code": "200"},), value=0.5),
    MetricFamily(name="grafana_stat_totals_dashboard", type="gauge", job="grafana",
                 help="total amount of dashboards", source=_GRAFANA, value=40.0),
    MetricFamily(name="grafana_build_info", type="gauge", job="grafana",
                 help="A metric with a constant '1' value labeled by version, revision, branch, and goversion.",
                 source=_GRAFANA, labels=({"version": "12.3.1", "revision": "0d1a2b3c4d", "branch": "HEAD",
                                           "goversion": "go1.25.5", "edition": "oss"},), value=1.0),
)

FAMILIES: Final = (*PROMETHEUS, *ALERTMANAGER, *OPERATOR, *GRAFANA)
