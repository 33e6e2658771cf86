"""`meridian:kafka`: Kafka through Strimzi (KRaft)."""

from __future__ import annotations

from components.config.base import Frozen, ServiceContext, ServiceMonitoringConfig
from components.versions import check_chart_version


class KafkaConfig(Frozen):
    """Kafka through Strimzi (KRaft)."""

    chart_version: str | None = None
    """strimzi-kafka-operator chart version; unset: the pin in components/versions.py (only reviewed versions)."""
    monitoring: ServiceMonitoringConfig = ServiceMonitoringConfig()

    def check(self, context: ServiceContext) -> None:
        """Checks against the rest of the stack, before any resource is declared."""
        check_chart_version(context.key("kafka.chart_version"), "strimzi-kafka-operator", self.chart_version)
