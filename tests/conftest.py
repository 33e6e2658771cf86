"""Shared test fixtures: run components or the whole program under the recording Pulumi mocks."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from components.config import StackConfig, parse_stack_config  # noqa: E402
from meridian.synth.plan import Plan  # noqa: E402
from meridian.synth.runner import run_program  # noqa: E402

NODE_GROUPS: dict[str, Any] = {
    "system": {"instance_types": ["m7i.xlarge"], "min_size": 3, "desired_size": 3, "max_size": 6, "disk_gib": 80},
    "data": {"instance_types": ["r7i.2xlarge"], "min_size": 1, "desired_size": 2, "max_size": 4, "disk_gib": 100,
             "per_az": True, "labels": {"meridian.io/workload": "data"},
             "taints": [{"key": "meridian.io/data", "value": "true", "effect": "NO_SCHEDULE"}]},
}


def raw_config(region: str = "us-east-1", cidr: str = "10.10.0.0/16", **overrides: Any) -> dict[str, str]:
    """A valid production stack's raw config, as Pulumi hands it to the program (objects as JSON text)."""
    network = {"cidr": cidr, "az_count": 3, "nat_gateways": "per_az"}
    cluster = {"kubernetes_version": "1.35", "admin_role_arns": ["arn:aws:iam::123456789012:role/platform-admin"],
               "node_groups": NODE_GROUPS}
    values: dict[str, Any] = {"aws:region": region, "meridian:environment": "production",
                              "meridian:owner": "platform-sre", "meridian:cost_centre": "cc-1234",
                              "meridian:network": network, "meridian:cluster": cluster}
    values.update(overrides)
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in values.items()}


@pytest.fixture
def stack_config() -> StackConfig:
    """The validated config of a three-zone production stack in us-east-1."""
    return parse_stack_config("us-east-1", raw_config())


@pytest.fixture
def run() -> Callable[..., Plan]:
    """Run a program (a zero-argument callable) under the mocks and return its Plan."""

    def _run(program: Callable[[], None], *, stack: str = "us-east-1", region: str = "us-east-1") -> Plan:
        return Plan(stack, tuple(run_program(program, stack=stack, region=region)))

    return _run
