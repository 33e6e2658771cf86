"""`meridian:network`: the regional VPC."""

from __future__ import annotations

import ipaddress
import re
from typing import Final, Literal

from pydantic import Field, field_validator

from components.config.base import Frozen, check_retention, fail

VPC_PREFIX_RANGE: Final = (16, 20)
PRIVATE_RANGES: Final = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                                                  "100.64.0.0/10"))
DEFAULT_INTERFACE_ENDPOINTS: Final = ("ec2", "ecr.api", "ecr.dkr", "elasticloadbalancing", "kms", "logs", "sts")


class NetworkConfig(Frozen):
    """`meridian:network`: the regional VPC."""

    cidr: str
    """VPC CIDR, a private /16../20 network address; never overlaps another stack's."""
    az_count: int = Field(default=3, ge=2, le=6)
    """Availability zones used (2..6); subnets, NAT gateways and data node groups exist once per zone."""
    nat_gateways: Literal["per_az", "single"] = "per_az"
    """`per_az` (production: an AZ outage leaves the others' egress intact) or `single` (dev: one NAT)."""
    flow_log_retention_days: int = 365
    """Days VPC flow logs are kept in CloudWatch Logs."""
    interface_endpoints: tuple[str, ...] = DEFAULT_INTERFACE_ENDPOINTS
    """AWS service names (`ecr.api`, `sts`, ...) that get an interface endpoint in the private subnets."""

    @field_validator("cidr")
    @classmethod
    def _valid_cidr(cls, value: str) -> str:
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise fail("is not an IPv4 CIDR", "write it as a.b.c.d/prefix, for example 10.10.0.0/16") from None
        if not isinstance(network, ipaddress.IPv4Network):
            raise fail("must be an IPv4 CIDR", "use a private IPv4 block such as 10.10.0.0/16")
        if str(network) != value:
            raise fail("has host bits set", f"use the network address {network}")
        low, high = VPC_PREFIX_RANGE
        if network.prefixlen < low:
            raise fail(f"is larger than the /{low} AWS allows for a VPC", f"use a /{low}../{high} block")
        if network.prefixlen > high:
            raise fail(f"is too small: three subnet tiers in up to 6 zones need at least a /{high}",
                        f"use a /{low}../{high} block")
        if not any(network.subnet_of(private) for private in PRIVATE_RANGES):
            raise fail("is not in a private range", "use a block inside 10.0.0.0/8, 172.16.0.0/12, "
                        "192.168.0.0/16 or 100.64.0.0/10")
        return value

    @field_validator("flow_log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        return check_retention(value)

    @field_validator("interface_endpoints")
    @classmethod
    def _endpoints(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        missing = sorted(set(DEFAULT_INTERFACE_ENDPOINTS) - set(value))
        if missing:
            raise fail(f"lacks endpoints private nodes need ({', '.join(missing)})",
                        "keep every default endpoint and add to the list")
        if len(set(value)) != len(value):
            raise fail("lists an endpoint twice", "list each service once")
        for service in value:
            if not re.fullmatch(r"[a-z0-9]+([.-][a-z0-9]+)*", service):
                raise fail(f"names an invalid service {service!r}", "use AWS service names such as ecr.api")
        return value

    @property
    def network(self) -> ipaddress.IPv4Network:
        """The VPC CIDR as a network object."""
        return ipaddress.IPv4Network(self.cidr)
