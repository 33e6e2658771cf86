"""The one observability config (like a monitoring mixin's `_config`): label names, durations, dashboard defaults."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

REGION_LABEL: Final = "region"
CLUSTER_LABEL: Final = "cluster"
SEVERITIES: Final = ("critical", "warning", "info")
DEFAULT_RUNBOOK_BASE_URL: Final = "https://github.com/meridian-platform/meridian/blob/main/docs/runbooks"


@dataclass(frozen=True, kw_only=True)
class ObservabilityConfig:
    """Defaults every generator reads; the stack's `meridian:monitoring` section may override them."""

    runbook_base_url: str = DEFAULT_RUNBOOK_BASE_URL
    """Runbook pages live at `<base>/<kind>/<AlertName>.md` (generated into docs/runbooks/)."""
    for_critical: str = "5m"
    """How long a critical condition must hold before it fires."""
    for_warning: str = "15m"
    """How long a warning condition must hold before it fires."""
    target_down_for: str = "5m"
    """How long a scrape target may be down before `<Kind>TargetDown` fires."""
    dashboard_refresh: str = "1m"
    dashboard_time_from: str = "now-6h"
    dashboard_timezone: str = "utc"
    dashboard_tags: tuple[str, ...] = ("meridian",)
    rule_interval: str = "30s"
    """Evaluation interval of every generated rule group."""

    def runbook_url(self, kind: str, alert: str) -> str:
        """Where the runbook page of `alert` (of component `kind`) lives."""
        return f"{self.runbook_base_url.rstrip('/')}/{kind}/{alert}.md"
