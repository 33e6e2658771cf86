"""ExternalDNS v0.21.0 metrics (port `http`, 7979, `/metrics`), as the AWS provider with the TXT registry emits them.

Sources at kubernetes-sigs/external-dns@v0.21.0: `docs/monitoring/metrics.md` (generated list), and the
definitions: `controller/metrics.go` (controller, registry and source families), `plan/metrics.go` (owner
mismatches), `pkg/http/http.go` (the request summary, const label `handler="instrumented_http"`), whose labels
`provider/aws/instrumented_config.go` sets for every AWS SDK call (`host`, `path` = last URL segment, `method`,
`status` = HTTP code or `unknown`) and `pkg/client/config.go` for Kubernetes API calls; every name is prefixed
`external_dns_` (`pkg/metrics/models.go`, `pkg/metrics/metrics.go`). Gauge vectors reset every loop and lowercase
their label values (`record_type="a"`); a vector with nothing to count has no series. Process metrics come from
client_golang's default registry (listed in metrics.md).
"""

from __future__ import annotations

from typing import Final

from observability.catalog import MetricFamily

EXPORTER: Final = "external-dns"
JOB: Final = "external-dns"
_REPO: Final = "kubernetes-sigs/external-dns@v0.21.0"
_CONTROLLER: Final = f"{_REPO}:controller/metrics.go"
_PLAN: Final = f"{_REPO}:plan/metrics.go"
_HTTP: Final = f"{_REPO}:pkg/http/http.go"
_DOCS: Final = f"{_REPO}:docs/monitoring/metrics.md"
_ROUTE53: Final = {"handler": "instrumented_http", "scheme": "https", "host": "route53.amazonaws.com"}
_KUBE_API: Final = {"handler": "instrumented_http", "scheme": "https", "host": "172.20.0.1:443"}

FAMILIES: Final = (
    MetricFamily(name="external_dns_controller_last_sync_timestamp_seconds", type="gauge", job=JOB,
                 help="Timestamp of last successful sync with the DNS provider.", source=_CONTROLLER,
                 value=1.76e9 + 0.5),  # a wall-clock stamp: not an integer, so the backfill moves it
    MetricFamily(name="external_dns_controller_last_reconcile_timestamp_seconds", type="gauge", job=JOB,
                 help="Timestamp of last attempted sync with the DNS provider.", source=_CONTROLLER,
                 value=1.76e9 + 0.5),
    MetricFamily(name="external_dns_controller_consecutive_soft_errors", type="gauge", job=JOB,
                 help="Number of consecutive soft errors in reconciliation loop.", source=_CONTROLLER, value=0.0),
    MetricFamily(name="external_dns_controller_no_op_runs_total", type="counter", job=JOB,
                 help="Number of reconcile loops ending up with no changes on the DNS provider side.",
                 source=_CONTROLLER, value=0.03),
    MetricFamily(name="external_dns_controller_verified_records", type="gauge", job=JOB,
                 help="Number of DNS records that exists both in source and registry (vector).",
                 source=_CONTROLLER, labels=({"record_type": "a"},), value=12.0),
    MetricFamily(name="external_dns_registry_errors_total", type="counter", job=JOB,
                 help="Number of Registry errors.", source=_CONTROLLER, value=0.0),
    MetricFamily(name="external_dns_source_errors_total", type="counter", job=JOB,
                 help="Number of Source errors.", source=_CONTROLLER, value=0.0),
    MetricFamily(name="external_dns_registry_endpoints_total", type="gauge", job=JOB,
                 help="Number of Endpoints in the registry.", source=_CONTROLLER, value=36.0),
    MetricFamily(name="external_dns_source_endpoints_total", type="gauge", job=JOB,
                 help="Number of Endpoints in all sources.", source=_CONTROLLER, value=12.0),
    MetricFamily(name="external_dns_registry_records", type="gauge", job=JOB,
                 help="Number of registry records partitioned by label name (vector).", source=_CONTROLLER,
                 labels=({"record_type": "a"},), value=36.0),  # every region's records in the fleet zone
    MetricFamily(name="external_dns_source_records", type="gauge", job=JOB,
                 help="Number of source records partitioned by label name (vector).", source=_CONTROLLER,
                 labels=({"record_type": "a"},), value=12.0),
    # Only records another owner holds have series; a healthy zone has none.
    MetricFamily(name="external_dns_registry_skipped_records_owner_mismatch_per_sync", type="gauge", job=JOB,
                 help="Number of records skipped with owner mismatch for each record type, owner mismatch ID "
                      "and domain (vector).", source=_PLAN, labels=(), value=0.0),
    MetricFamily(name="external_dns_http_request_duration_seconds", type="summary", job=JOB,
                 help="The HTTP request latencies in seconds (AWS SDK and Kubernetes client calls).", source=_HTTP,
                 labels=({**_ROUTE53, "path": "rrset", "method": "GET", "status": "200"},
                         {**_ROUTE53, "path": "hostedzone", "method": "GET", "status": "200"},
                         {**_ROUTE53, "path": "", "method": "POST", "status": "200"},
                         {**_KUBE_API, "path": "services", "method": "GET", "status": "200"}),
                 value=0.05, buckets=(0.02, 0.06, 0.15, 0.4)),
    MetricFamily(name="external_dns_build_info", type="gauge", job=JOB,
                 help="A metric with a constant '1' value labeled with version, revision, go_version, os, arch.",
                 source=f"{_REPO}:pkg/metrics/metrics.go",
                 labels=({"version": "v0.21.0", "revision": "v0.21.0", "go_version": "go1.26.1", "os": "linux",
                          "arch": "amd64"},), value=1.0),
    MetricFamily(name="process_resident_memory_bytes", type="gauge", job=JOB,
                 help="Resident memory size in bytes (client_golang process collector).", source=_DOCS,
                 value=48e6),
    MetricFamily(name="process_start_time_seconds", type="gauge", job=JOB,
                 help="Start time of the process since unix epoch in seconds.", source=_DOCS, value=1.75e9),
)
