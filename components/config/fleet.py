"""`stacks/fleet.yaml`: what the regions share (the global keyspaces and topics, the fleet's DNS zone and CIDR).

It is one file beside the stack files, not a stack's config: every stack reads the same values, so adding a region
is one new stack file, and no existing stack file changes.
"""

from __future__ import annotations

import ipaddress
from typing import Final

from pydantic import Field, field_validator

from components.config.base import Frozen, fail

FILE_NAME: Final = "fleet.yaml"


class KeyspaceConfig(Frozen):
    """A keyspace every region's datacenter replicates (NetworkTopologyStrategy)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,47}$")
    """CQL keyspace name (lowercase, unquoted identifier, at most 48 characters)."""
    replication: dict[str, int] = Field(default_factory=dict)
    """Replicas per region (datacenter), overriding that region's `meridian:cassandra.replication_factor`;
    0 keeps no copy there. Regions not named here use their stack's replication_factor."""

    @field_validator("replication")
    @classmethod
    def _replication(cls, value: dict[str, int]) -> dict[str, int]:
        for region, replicas in value.items():
            if not 0 <= replicas <= 9:
                raise fail(f"gives {region} {replicas} replicas", "use 0 (no copy) to 9 per region")
        return value


class FleetConfig(Frozen):
    """Settings shared by every region (`stacks/fleet.yaml`)."""

    cidr: str = "10.0.0.0/8"
    """Aggregate of every region's VPC CIDR: Kubernetes NetworkPolicies admit the cross-region flows from it, so a
    new region is admitted by the existing ones without changing them (security groups stay per peer CIDR)."""
    dns_zone: str = Field(default="meridian.internal", pattern=r"^([a-z0-9-]{1,63}\.)+[a-z]{2,63}$")
    """Route 53 private hosted zone the regions publish their cross-region endpoints in (`<region>.<zone>`)."""
    keyspaces: tuple[KeyspaceConfig, ...] = ()
    """Keyspaces replicated to every region's Cassandra datacenter."""
    global_topics: tuple[str, ...] = ()
    """Kafka topics every region mirrors from every other region with MirrorMaker2 (declared in each region's
    `meridian:kafka.topics`)."""

    @field_validator("cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        try:
            network = ipaddress.ip_network(value, strict=True)
        except ValueError as error:
            raise fail(f"is not a network address ({error})", "use e.g. 10.0.0.0/8") from None
        if not network.is_private or network.version != 4:
            raise fail("is not a private IPv4 range", "use a range of RFC 1918, e.g. 10.0.0.0/8")
        return value
