"""Deterministic subnet CIDR plan: every (tier, zone index) owns a fixed slot of the VPC block.

A tier's slots sit in a fixed region of the VPC CIDR and a zone's slot is its index inside that region, so
adding a zone or a tier never moves an existing subnet (a changed CIDR would replace the subnet).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Final

MAX_ZONES: Final = 8


@dataclass(frozen=True)
class TierLayout:
    """A tier's subnets are `/(vpc_prefix + newbits)`, zone i at slot `first_slot + i`."""

    newbits: int
    first_slot: int


# Regions of a VPC block (fractions of it): private [0, 1/2) · data [1/2, 5/8) · public [5/8, 11/16);
# [11/16, 1) is reserved for future tiers (for example Transit Gateway attachments).
TIERS: Final[dict[str, TierLayout]] = {
    "private": TierLayout(newbits=4, first_slot=0),
    "data": TierLayout(newbits=6, first_slot=32),
    "public": TierLayout(newbits=7, first_slot=80),
}


def subnet_cidr(vpc_cidr: str, tier: str, zone_index: int) -> str:
    """The CIDR of `tier`'s subnet in the zone at `zone_index` (0-based)."""
    if not 0 <= zone_index < MAX_ZONES:
        raise ValueError(f"zone_index must be in 0..{MAX_ZONES - 1}, got {zone_index}")
    layout = TIERS[tier]
    vpc = ipaddress.IPv4Network(vpc_cidr)
    size = 2 ** (32 - vpc.prefixlen - layout.newbits)
    first = int(vpc.network_address) + (layout.first_slot + zone_index) * size
    return str(ipaddress.IPv4Network((first, vpc.prefixlen + layout.newbits)))


def plan_subnets(vpc_cidr: str, zones: tuple[str, ...]) -> dict[str, tuple[tuple[str, str], ...]]:
    """Per tier, the (zone, cidr) of each subnet, zones in the given order."""
    return {tier: tuple((zone, subnet_cidr(vpc_cidr, tier, index)) for index, zone in enumerate(zones))
            for tier in TIERS}
