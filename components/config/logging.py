"""`meridian:logging`: ELK through ECK: Elasticsearch, Kibana, log shipping."""

from __future__ import annotations

from components.config.base import Frozen, ServiceContext, ServiceMonitoringConfig
from components.versions import check_chart_version


class LoggingConfig(Frozen):
    """ELK through ECK: Elasticsearch, Kibana, log shipping."""

    chart_version: str | None = None
    """eck-operator chart version; unset: the pin in components/versions.py (only reviewed versions)."""
    monitoring: ServiceMonitoringConfig = ServiceMonitoringConfig()

    def check(self, context: ServiceContext) -> None:
        """Checks against the rest of the stack, before any resource is declared."""
        check_chart_version(context.key("logging.chart_version"), "eck-operator", self.chart_version)
