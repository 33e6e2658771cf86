"""The one place tags are built: base tags for the provider's default_tags, merged with per-resource ones."""

from __future__ import annotations

from collections.abc import Mapping

from components.config import StackConfig

REQUIRED_TAG_KEYS = ("Name", "meridian:component", "meridian:region", "meridian:stack", "owner", "cost-centre")


def base_tags(config: StackConfig) -> dict[str, str]:
    """Tags every resource of the stack carries (also set as the AWS provider's default_tags)."""
    return {
        "meridian:region": config.region,
        "meridian:stack": config.stack,
        "meridian:environment": config.environment,
        "owner": config.owner,
        "cost-centre": config.cost_centre,
        "managed-by": "pulumi",
    }


def resource_tags(base: Mapping[str, str], name: str, component: str,
                  extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Base tags plus `Name`, `meridian:component` and any resource-specific tags."""
    return {**base, "Name": name, "meridian:component": component, **(extra or {})}
