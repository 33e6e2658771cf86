"""Checks over the synth output of every stack at once: region loss, per environment of ordered stacks."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path

from components.fleet import load_fleet, load_fleet_config
from meridian.checks.region_loss import region_loss_verdicts
from meridian.checks.verdict import Verdict
from meridian.synth.plan import Plan


def region_loss(project_dir: Path, plans: Mapping[str, Plan]) -> dict[str, list[Verdict]]:
    """Region-loss verdicts per environment, over the stacks with a `meridian:order` (in that order)."""
    configs, fleet = load_fleet(project_dir), load_fleet_config(project_dir)
    environments: dict[str, dict[str, Plan]] = {}
    for stack in sorted((name for name in plans if configs[name].order is not None),
                        key=lambda name: configs[name].order or 0):
        environments.setdefault(configs[stack].environment, {})[stack] = plans[stack]
    return {environment: region_loss_verdicts(ordered, keyspaces=[keyspace.name for keyspace in fleet.keyspaces],
                                              topics=fleet.global_topics)
            for environment, ordered in environments.items()}


def write_region_loss(verdicts: Mapping[str, list[Verdict]], out: Path) -> Path:
    """`<out>/region-loss.json`: every verdict with its reasons, per environment."""
    path = out / "region-loss.json"
    path.write_text(json.dumps({env: [asdict(verdict) for verdict in found] for env, found in verdicts.items()},
                               indent=2, sort_keys=True) + "\n")
    return path
