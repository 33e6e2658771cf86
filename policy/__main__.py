"""The policy pack's entry point: `pulumi preview --policy-pack policy` runs this file by path.

Pulumi runs it with `runpy.run_path(<pack dir>)`, so only `policy/` is on sys.path; the repository root goes first so
that `policy` imports as the package `meridian synth` also uses. Nothing else of the repository is imported.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack

from policy.pack import PACK_NAME, build_policies

PolicyPack(
    name=PACK_NAME,
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=build_policies(),
    description="Meridian guard rails: encryption, private endpoints, least privilege, tags, pinned charts, "
                "hardened workloads, protected state.",
)
