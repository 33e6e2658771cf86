"""SLO burn-rate alerts: the multi-window, multi-burn-rate table over a 30-day error budget (SRE workbook ch. 5)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from alerts.names import alert_prefix
from components.contracts import MonitoringContract
from observability.config import ObservabilityConfig

SLO_WINDOWS: Final = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
"""Windows every SLI is recorded over: `slo:sli_error:ratio_rate<window>`."""


@dataclass(frozen=True)
class BurnRate:
    """One row of the table: both windows must burn faster than `factor` times the budget rate."""

    factor: float
    long_window: str
    short_window: str
    severity: str
    """critical pages, warning opens a ticket."""


BURN_RATES: Final = (
    BurnRate(14.4, "1h", "5m", "critical"),
    BurnRate(6.0, "6h", "30m", "critical"),
    BurnRate(3.0, "1d", "2h", "warning"),
    BurnRate(1.0, "3d", "6h", "warning"),
)


def burn_condition(slo_name: str, objective: float, rate: BurnRate) -> str:
    """PromQL: both windows of `rate` burn the budget of `objective` faster than its factor."""
    threshold = f"({rate.factor:g} * {1 - objective:.6g})"
    long_series = f'slo:sli_error:ratio_rate{rate.long_window}{{slo="{slo_name}"}}'
    short_series = f'slo:sli_error:ratio_rate{rate.short_window}{{slo="{slo_name}"}}'
    return f"({long_series} > {threshold} and {short_series} > {threshold})"


def slo_alert_group(contract: MonitoringContract, obs: ObservabilityConfig) -> dict[str, Any]:
    """Per SLO, a page alert (14.4x over 1h/5m or 6x over 6h/30m) and a ticket alert (3x over 1d/2h or 1x over
    3d/6h)."""
    prefix, rules = alert_prefix(contract.kind), []
    for slo in contract.slos:
        for severity, speed in (("critical", "Fast"), ("warning", "Slow")):
            rows = [rate for rate in BURN_RATES if rate.severity == severity]
            windows = " or ".join(f"{rate.factor:g}x over {rate.long_window}/{rate.short_window}" for rate in rows)
            rules.append({
                "alert": f"{prefix}ErrorBudgetBurn{speed}",
                "expr": " or ".join(burn_condition(slo.name, slo.objective, rate) for rate in rows),
                "for": "2m" if severity == "critical" else "15m",
                "labels": {"severity": severity, "slo": slo.name},
                "annotations": {
                    "summary": f"{contract.kind} SLO {slo.name} is burning its 30-day error budget too fast",
                    "description": f"{slo.description or slo.name} (objective {slo.objective:.4%}): the error "
                                   f"ratio exceeds {windows} the budget rate in "
                                   "{{ $labels.region }}/{{ $labels.cluster }}."}})
    return {"name": f"{contract.kind}.slo", "rules": rules}
