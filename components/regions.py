"""AWS regions Meridian may deploy to, with the availability zones each offers to a standard account.

Zone names follow AWS's published lists (`aws ec2 describe-availability-zones --region R`, zones of type
availability-zone, opt-in not required); the synth's mocks answer `getAvailabilityZones` from this table.
"""

from __future__ import annotations

from typing import Final

ZONES_BY_REGION: Final[dict[str, tuple[str, ...]]] = {
    "us-east-1": ("us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"),
    "us-east-2": ("us-east-2a", "us-east-2b", "us-east-2c"),
    "us-west-1": ("us-west-1a", "us-west-1c"),
    "us-west-2": ("us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"),
    "ca-central-1": ("ca-central-1a", "ca-central-1b", "ca-central-1d"),
    "sa-east-1": ("sa-east-1a", "sa-east-1b", "sa-east-1c"),
    "eu-west-1": ("eu-west-1a", "eu-west-1b", "eu-west-1c"),
    "eu-west-2": ("eu-west-2a", "eu-west-2b", "eu-west-2c"),
    "eu-west-3": ("eu-west-3a", "eu-west-3b", "eu-west-3c"),
    "eu-central-1": ("eu-central-1a", "eu-central-1b", "eu-central-1c"),
    "eu-north-1": ("eu-north-1a", "eu-north-1b", "eu-north-1c"),
    "ap-south-1": ("ap-south-1a", "ap-south-1b", "ap-south-1c"),
    "ap-southeast-1": ("ap-southeast-1a", "ap-southeast-1b", "ap-southeast-1c"),
    "ap-southeast-2": ("ap-southeast-2a", "ap-southeast-2b", "ap-southeast-2c"),
    "ap-northeast-1": ("ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"),
    "ap-northeast-2": ("ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c", "ap-northeast-2d"),
}

SUPPORTED_REGIONS: Final[tuple[str, ...]] = tuple(sorted(ZONES_BY_REGION))


def require_zones(region: str, zones: tuple[str, ...]) -> None:
    """Ask AWS which zones the account can use in `region`; fail clearly if a planned one is missing."""
    import pulumi_aws as aws

    from components.errors import ConfigError

    available = aws.get_availability_zones(region=region, state="available",
                                           filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}])
    missing = [zone for zone in zones if zone not in available.names]
    if missing:
        raise ConfigError("meridian:network.az_count", len(zones),
                          f"needs zones {', '.join(missing)} that this account cannot use in {region}",
                          f"lower az_count to at most {len(available.names)}")
