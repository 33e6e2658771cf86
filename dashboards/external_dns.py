"""ExternalDNS dashboard: sync health, the records it publishes, its Route 53 API calls, the process."""

from __future__ import annotations

from typing import Final

from grafana_foundation_sdk.builders.dashboard import Dashboard

from components.contracts import MonitoringContract
from dashboards.common import (
    RATE,
    FleetPanel,
    job_selector,
    new_dashboard,
    query,
    rising,
    row,
    stat_panel,
    timeseries_panel,
)
from observability.config import ObservabilityConfig

MINUTE: Final = 60
MEMORY_LIMIT_BYTES: Final = 128 * 2**20
"""The chart values' memory limit (components/fleet_dns.py)."""

FLEET_PANELS: Final = (
    FleetPanel(title="ExternalDNS: time since last successful sync",
               expr="cluster:external_dns_last_sync_age_seconds:min", unit="s", limits=rising(5 * MINUTE, 10 * MINUTE)),
    FleetPanel(title="ExternalDNS: failed sync loops (15m)", expr="cluster:external_dns_sync_errors:increase15m",
               unit="short", limits=rising(1, 3)),
    FleetPanel(title="ExternalDNS: records not published", expr="cluster:external_dns_records_unpublished:sum",
               unit="short", limits=rising(1, 1)),
    FleetPanel(title="ExternalDNS: Route 53 error ratio", expr="cluster:external_dns_route53_errors:ratio_rate15m",
               unit="percentunit", limits=rising(0.01, 0.05)),
)


def build(contract: MonitoringContract, obs: ObservabilityConfig) -> Dashboard:
    """The ExternalDNS dashboard of one region."""
    t = contract.thresholds
    job = contract.scrape[0].job
    sel = job_selector(job)
    route53 = job_selector(job, 'host=~"route53[.].+"')
    route53_errors = job_selector(job, 'host=~"route53[.].+", status!~"2.."')
    p99 = job_selector(job, 'quantile="0.99"')
    stale = t["sync_stale_minutes"] * MINUTE
    return (new_dashboard(f"ExternalDNS · {contract.region}", kind=contract.kind, region=contract.region, obs=obs)
            .with_row(row("Sync"))
            .with_panel(stat_panel("Since last successful sync", query(
                f"time() - max(external_dns_controller_last_sync_timestamp_seconds{sel})", instant=True),
                unit="s", limits=rising(stale / 2, stale),
                description="The controller stamps every successful loop (changes or not)."))
            .with_panel(stat_panel("Consecutive soft errors", query(
                f"max(external_dns_controller_consecutive_soft_errors{sel})", instant=True),
                unit="short", limits=rising(1, 5)))
            .with_panel(stat_panel("Failed loops (15m)", query(
                f"sum(increase(external_dns_registry_errors_total{sel}[15m]))"
                f" + sum(increase(external_dns_source_errors_total{sel}[15m]))", instant=True),
                unit="short", limits=rising(1, t["sync_errors_15m"] + 1)))
            .with_panel(stat_panel("Records not published", query(
                f"(sum(external_dns_source_records{sel}) or vector(0))"
                f" - (sum(external_dns_controller_verified_records{sel}) or vector(0))", instant=True),
                unit="short", limits=rising(t["unpublished_records"] + 1, t["unpublished_records"] + 1)))
            .with_panel(stat_panel("Owner conflicts", query(
                f"sum(external_dns_registry_skipped_records_owner_mismatch_per_sync{sel}) or vector(0)",
                instant=True), unit="short",
                limits=rising(t["owner_mismatch_records"] + 1, t["owner_mismatch_records"] + 1)))
            .with_panel(stat_panel("Version", query(
                f"max by (version) (external_dns_build_info{sel})", "{{version}}", instant=True),
                unit="none", limits=rising(2, 2)))
            .with_panel(timeseries_panel("Loops", [
                query(f"sum(rate(external_dns_controller_no_op_runs_total{sel}[{RATE}]))", "no-op loops", "A"),
                query(f"sum(rate(external_dns_registry_errors_total{sel}[{RATE}]))", "registry errors", "B"),
                query(f"sum(rate(external_dns_source_errors_total{sel}[{RATE}]))", "source errors", "C")],
                unit="ops", limits=rising(0.01, 0.05), width=24,
                description="Loops ending without changes, and failed loops, per second."))
            .with_row(row("Records"))
            .with_panel(timeseries_panel("Records by type", [
                query(f"sum by (record_type) (external_dns_source_records{sel})", "desired {{record_type}}", "A"),
                query(f"sum by (record_type) (external_dns_registry_records{sel})", "in zone {{record_type}}", "B"),
                query(f"sum by (record_type) (external_dns_controller_verified_records{sel})",
                      "verified {{record_type}}", "C")],
                unit="short", limits=rising(10_000, 10_000),
                description="Desired (annotated Services), in the zone (all owners), and both."))
            .with_panel(timeseries_panel("Endpoints", [
                query(f"sum(external_dns_source_endpoints_total{sel})", "sources", "A"),
                query(f"sum(external_dns_registry_endpoints_total{sel})", "registry", "B")],
                unit="short", limits=rising(10_000, 10_000)))
            .with_row(row("Route 53 API"))
            .with_panel(timeseries_panel("Route 53 responses by status and call", [query(
                f"sum by (status, method, path) (rate(external_dns_http_request_duration_seconds_count{route53}"
                f"[{RATE}]))", "{{status}} {{method}} {{path}}")],
                unit="reqps", limits=rising(3, 5),
                description="Route 53 allows 5 requests/s per account; 400 is throttling, 403 missing rights."))
            .with_panel(timeseries_panel("Route 53 error ratio", [query(
                f"(sum(rate(external_dns_http_request_duration_seconds_count{route53_errors}[{RATE}])) or vector(0))"
                f" / sum(rate(external_dns_http_request_duration_seconds_count{route53}[{RATE}]))")],
                unit="percentunit", limits=rising(t["route53_error_ratio"] / 2, t["route53_error_ratio"])))
            .with_panel(timeseries_panel("API call latency p99", [query(
                f"max by (host, path) (external_dns_http_request_duration_seconds{p99})", "{{host}} {{path}}")],
                unit="s", limits=rising(1, 5),
                description="Route 53 and Kubernetes API calls (99th percentile of the pod's recent calls)."))
            .with_row(row("Process"))
            .with_panel(timeseries_panel("Resident memory", [query(
                f"max(process_resident_memory_bytes{sel})", "resident")], unit="bytes",
                limits=rising(0.8 * MEMORY_LIMIT_BYTES, 0.95 * MEMORY_LIMIT_BYTES)))
            .with_panel(timeseries_panel("Restarts (1h)", [query(
                f"sum(changes(process_start_time_seconds{sel}[1h]))", "restarts")], unit="short",
                limits=rising(1, 3))))
