"""Typed stack configuration (pydantic v2, frozen, extra="forbid"), parsed once in `__main__.py`.

Keys live in the `meridian:` namespace (plus `aws:region`); one module per config section. Every failure
becomes one `ConfigError` naming the key path, the value and the fix.
"""

from components.config.base import LOG_RETENTION_DAYS, NAMESPACE, Frozen, check_retention, fail
from components.config.cluster import SUPPORTED_KUBERNETES_VERSIONS, ClusterConfig, NodeGroupConfig, Taint
from components.config.monitoring import MonitoringConfig, ReceiverConfig, RoutingConfig
from components.config.network import DEFAULT_INTERFACE_ENDPOINTS, NetworkConfig
from components.config.stack import StackConfig, current_raw_config, parse_stack_config, validate_fleet

__all__ = [
    "DEFAULT_INTERFACE_ENDPOINTS", "LOG_RETENTION_DAYS", "NAMESPACE", "SUPPORTED_KUBERNETES_VERSIONS",
    "ClusterConfig", "Frozen", "MonitoringConfig", "NetworkConfig", "NodeGroupConfig", "ReceiverConfig",
    "RoutingConfig", "StackConfig", "Taint", "check_retention",
    "current_raw_config", "fail", "parse_stack_config", "validate_fleet",
]
