"""`meridian:vault`: Vault: HA raft, AWS KMS auto-unseal."""

from __future__ import annotations

from components.config.base import Frozen, ServiceContext, ServiceMonitoringConfig
from components.versions import check_chart_version


class VaultConfig(Frozen):
    """Vault: HA raft, AWS KMS auto-unseal."""

    chart_version: str | None = None
    """vault chart version; unset: the pin in components/versions.py (only reviewed versions)."""
    monitoring: ServiceMonitoringConfig = ServiceMonitoringConfig()

    def check(self, context: ServiceContext) -> None:
        """Checks against the rest of the stack, before any resource is declared."""
        check_chart_version(context.key("vault.chart_version"), "vault", self.chart_version)
