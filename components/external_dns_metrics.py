"""ExternalDNS (chart 1.21.1, v0.21.0) monitoring: how it is scraped and the thresholds its alerts use.

The chart's Service (charts/external-dns/templates/service.yaml at external-dns-helm-chart-1.21.1) exposes port
`http` (7979, `/metrics`) and carries the chart's selector labels (`_helpers.tpl` `external-dns.selectorLabels`:
`app.kubernetes.io/name: external-dns`, `app.kubernetes.io/instance: <release>`), which the generated
ServiceMonitor matches. One replica: the chart's Deployment uses the Recreate strategy and ExternalDNS is the
zone's single writer. Metric names: observability/catalog/external_dns.py.
"""

from __future__ import annotations

from typing import Final

from components.contracts import MonitoringContract, ScrapeTarget

EXPORTER: Final = "external-dns"
"""Contract exporter flavour: ExternalDNS v0.21.0's own `/metrics` (controller, registry, source, AWS SDK calls)."""
KIND: Final = "external-dns"
JOB: Final = "external-dns"
NAMESPACE: Final = "external-dns"
RELEASE: Final = "external-dns"
METRICS_PORT_NAME: Final = "http"
SCRAPE_INTERVAL_SECONDS: Final = 60
SELECTOR: Final = {"app.kubernetes.io/name": "external-dns", "app.kubernetes.io/instance": RELEASE}
"""The chart's selector labels for release `external-dns` (also on its Service)."""

DEFAULT_THRESHOLDS: Final[dict[str, float]] = {
    "sync_stale_minutes": 10,
    "sync_errors_15m": 3,
    "route53_error_ratio": 0.05,
    "unpublished_records": 0,
    "owner_mismatch_records": 0,
}
"""Alert thresholds. The controller loops every 30 s (chart value `interval`) and on Service events, and stamps
`last_sync_timestamp_seconds` after every successful loop, changes or not: no new stamp for 10 minutes (plus the
alert's 5-minute `for`) is some 30 failed or hung loops. More than 3 failed loops (registry or source errors) in 15
minutes is more than a transient Route 53 hiccup. Over 5 % of Route 53 API responses not 2xx (throttling is HTTP
400 `Throttling`, missing IAM rights 403) for 15 minutes means the SDK's retries no longer hide it. Any desired
record missing from the zone, or skipped because another owner holds it, for 30 minutes is a publishing failure."""


def external_dns_contract(*, region: str, cluster_name: str) -> MonitoringContract:
    """The MonitoringContract of a region's ExternalDNS release (`external-dns` in namespace `external-dns`)."""
    return MonitoringContract(
        kind=KIND, region=region, cluster=cluster_name, namespace=NAMESPACE, exporter=EXPORTER, replicas=1,
        scrape=(ScrapeTarget(kind="ServiceMonitor", job=JOB, namespace=NAMESPACE, selector=dict(SELECTOR),
                             port=METRICS_PORT_NAME, path="/metrics", interval_seconds=SCRAPE_INTERVAL_SECONDS),),
        thresholds=dict(DEFAULT_THRESHOLDS))
