"""Memory of EC2 instance types, for checks such as "a JVM heap must fit on its node".

Families follow AWS's published ratios (EC2 instance-type pages): general purpose `m*` 4 GiB per vCPU,
memory optimised `r*` 8, compute optimised `c*` 2, storage optimised `i4i`/`i3`/`im4gn` 8 and 4, burstable `t3`/`t4g`
by size. Sizes give vCPUs: large 2, xlarge 4, Nxlarge 4N.
"""

from __future__ import annotations

import re
from typing import Final

GIB_PER_VCPU: Final = {"m": 4.0, "r": 8.0, "c": 2.0, "i": 8.0, "x": 16.0}
BURSTABLE_GIB: Final = {"micro": 1.0, "small": 2.0, "medium": 4.0, "large": 8.0, "xlarge": 16.0, "2xlarge": 32.0}
_TYPE = re.compile(r"^(?P<family>[a-z]+)(?P<generation>\d+)(?P<options>[a-z-]*)\.(?P<size>[a-z0-9]+)$")


def _vcpus(size: str) -> int | None:
    if size == "large":
        return 2
    if size == "xlarge":
        return 4
    match = re.fullmatch(r"(\d+)xlarge", size)
    return 4 * int(match.group(1)) if match else None


def memory_gib(instance_type: str) -> float | None:
    """Memory of `instance_type` in GiB, or None when the family is not in the table."""
    match = _TYPE.fullmatch(instance_type)
    if not match:
        return None
    family, size = match.group("family"), match.group("size")
    if family in ("t", "a") or instance_type.startswith(("t3", "t4g", "t3a")):
        return BURSTABLE_GIB.get(size)
    if family == "im":
        per_vcpu = 4.0
    elif family in GIB_PER_VCPU:
        per_vcpu = GIB_PER_VCPU[family]
    else:
        return None
    vcpus = _vcpus(size)
    return per_vcpu * vcpus if vcpus else None
