"""Every contract's scrape health: a target that is down, and a job with no target at all."""

from __future__ import annotations

from typing import Any

from alerts.names import alert_prefix
from components.contracts import MonitoringContract
from observability.config import ObservabilityConfig


def jobs_selector(contract: MonitoringContract) -> str:
    """Label matcher selecting every scrape job of the contract."""
    jobs = sorted({target.job for target in contract.scrape})
    return f'job=~"{"|".join(jobs)}"' if len(jobs) > 1 else f'job="{jobs[0]}"'


def target_down_group(contract: MonitoringContract, obs: ObservabilityConfig) -> dict[str, Any]:
    """`cluster:up:avg{component=<kind>}` (share of targets up, for the fleet view), `<Kind>TargetDown` (a target
    failing its scrapes) and `<Kind>TargetMissing` (a job with no target)."""
    prefix = alert_prefix(contract.kind)
    absent = " or ".join(f'absent(up{{job="{job}"}})' for job in sorted({t.job for t in contract.scrape}))
    return {"name": f"{contract.kind}.targets", "rules": [
        {"record": "cluster:up:avg",
         "expr": f"avg by (region, cluster) (up{{{jobs_selector(contract)}}})",
         "labels": {"component": contract.kind}},
        {"alert": f"{prefix}TargetDown",
         "expr": f"up{{{jobs_selector(contract)}}} == 0",
         "for": obs.target_down_for,
         "labels": {"severity": "critical" if contract.replicas <= 1 else "warning"},
         "annotations": {
             "summary": f"A {contract.kind} scrape target is down",
             "description": "{{ $labels.job }} target {{ $labels.instance }} in {{ $labels.region }}/"
                            "{{ $labels.cluster }} has failed its scrapes for " + obs.target_down_for + "."}},
        {"alert": f"{prefix}TargetMissing",
         "expr": absent,
         "for": obs.target_down_for,
         "labels": {"severity": "critical"},
         "annotations": {
             "summary": f"Prometheus discovers no {contract.kind} target",
             "description": "Scrape job {{ $labels.job }} has no target at all: the monitor selects nothing "
                            "or the workload is gone."}},
    ]}
