"""Rollout waves for `.github/workflows/deploy.yml`: development first, then a canary region, then the rest.

Waves come from the stack files: development stacks (no `meridian:order`), the canary (the lowest order), then every
other ordered stack, deployed one at a time in order. The workflow runs `meridian verify` against each region
just deployed, and a failed check stops the rollout before the next wave.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from components.config import StackConfig

WAVES: Final = ("development", "canary", "regions")
"""Wave names, in rollout order (the workflow has one job per wave)."""


@dataclass(frozen=True)
class Wave:
    """One step of the rollout: its stacks, deployed in this order."""

    name: str
    stacks: tuple[str, ...]


def rollout_waves(fleet: Mapping[str, StackConfig]) -> list[Wave]:
    """The waves of `fleet`, each possibly empty, in `WAVES` order."""
    ordered = sorted((config.order, name) for name, config in fleet.items() if config.order is not None)
    development = tuple(sorted(name for name, config in fleet.items() if config.order is None))
    return [Wave("development", development),
            Wave("canary", tuple(name for _, name in ordered[:1])),
            Wave("regions", tuple(name for _, name in ordered[1:]))]


def github_outputs(waves: list[Wave], fleet: Mapping[str, StackConfig]) -> str:
    """Lines for `$GITHUB_OUTPUT`: per wave, `<wave>=` a matrix (`{"include": [{"stack", "region"}...]}`, read with
    fromJSON) and `<wave>-size=` its stack count (a job skips an empty wave: GitHub rejects an empty matrix)."""
    lines = []
    for wave in waves:
        matrix = {"include": [{"stack": stack, "region": fleet[stack].region} for stack in wave.stacks]}
        lines.append(f"{wave.name}={json.dumps(matrix, separators=(',', ':'))}\n{wave.name}-size={len(wave.stacks)}\n")
    return "".join(lines)
