"""Rollout waves: development first, then the canary (lowest order), then the other regions in order."""

from __future__ import annotations

import itertools
import json
from typing import Any

import yaml

from components.fleet import load_fleet
from meridian.rollout import WAVES, github_outputs, rollout_waves
from tests.conftest import ROOT


def test_the_project_rolls_out_dev_then_the_canary_then_the_rest_in_order() -> None:
    waves = rollout_waves(load_fleet(ROOT))
    assert [wave.name for wave in waves] == list(WAVES)
    assert [wave.stacks for wave in waves] == [("dev",), ("us-east-1",), ("us-west-2", "eu-west-1")]


def test_every_stack_is_in_exactly_one_wave() -> None:
    fleet = load_fleet(ROOT)
    stacks = [stack for wave in rollout_waves(fleet) for stack in wave.stacks]
    assert sorted(stacks) == sorted(fleet)


def test_github_outputs_are_a_matrix_and_a_size_per_wave() -> None:
    fleet = load_fleet(ROOT)
    lines = dict(line.split("=", 1) for line in github_outputs(rollout_waves(fleet), fleet).splitlines())
    assert json.loads(lines["regions"]) == {"include": [{"stack": "us-west-2", "region": "us-west-2"},
                                                        {"stack": "eu-west-1", "region": "eu-west-1"}]}
    assert json.loads(lines["development"]) == {"include": [{"stack": "dev", "region": fleet["dev"].region}]}
    assert [lines[f"{wave}-size"] for wave in WAVES] == ["1", "1", "2"]


def _workflow(name: str) -> dict[str, Any]:
    document = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    document["on"] = document.pop(True, document.get("on"))
    return dict(document)


def test_deploy_runs_the_waves_in_order_on_merge_to_main() -> None:
    deploy = _workflow("deploy.yml")
    assert deploy["on"]["push"]["branches"] == ["main"]
    jobs = deploy["jobs"]
    assert [name for name in jobs if name != "waves"] == list(WAVES)
    for previous, wave in itertools.pairwise(WAVES):
        assert previous in jobs[wave]["needs"], f"{wave} must wait for {previous}"
    for wave in WAVES:
        assert jobs[wave]["uses"] == "./.github/workflows/deploy-wave.yml"
        assert jobs[wave]["with"]["matrix"] == f"${{{{ needs.waves.outputs.{wave} }}}}"
        assert f"needs.waves.outputs.{wave}-size != '0'" in jobs[wave]["if"]
    assert "meridian rollout-waves" in jobs["waves"]["steps"][-1]["run"]


def test_each_stack_is_deployed_then_verified_one_at_a_time() -> None:
    job = _workflow("deploy-wave.yml")["jobs"]["deploy"]
    assert job["strategy"]["max-parallel"] == 1 and job["strategy"]["fail-fast"] is True
    runs = [step.get("run", "") for step in job["steps"]]
    up = next(i for i, run in enumerate(runs) if "pulumi up" in run)
    gate = next(i for i, run in enumerate(runs) if "meridian verify" in run)
    assert up < gate, "the health gate follows the deployment"
    assert "--policy-pack policy" in runs[up]
    assert "exit 1" in runs[gate], "a failed gate fails the job, which stops the rollout"
