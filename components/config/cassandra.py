"""`meridian:cassandra`: Cassandra through k8ssandra-operator: one datacenter per region."""

from __future__ import annotations

from components.config.base import Frozen, ServiceContext, ServiceMonitoringConfig
from components.versions import check_chart_version


class CassandraConfig(Frozen):
    """Cassandra through k8ssandra-operator: one datacenter per region."""

    chart_version: str | None = None
    """k8ssandra-operator chart version; unset: the pin in components/versions.py (only reviewed versions)."""
    monitoring: ServiceMonitoringConfig = ServiceMonitoringConfig()

    def check(self, context: ServiceContext) -> None:
        """Checks against the rest of the stack, before any resource is declared."""
        check_chart_version(context.key("cassandra.chart_version"), "k8ssandra-operator", self.chart_version)
