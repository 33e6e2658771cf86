"""The rules over what the program really declares: every stack's synth, as `meridian synth` records it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import pytest

from components.fleet import load_fleet, stack_names
from meridian.synth.mocks import RecordedResource
from meridian.synth.schema import is_taggable
from meridian.synth.stack import synth_program
from policy import UNPROTECTED_STACK_LEVELS, evaluate, mandatory, report
from policy.model import Enforcement
from policy.rules_governance import TAGGABLE
from tests.conftest import ROOT

STACKS = stack_names(ROOT)
PRODUCTION = "us-east-1"


@pytest.fixture(scope="module")
def plans() -> dict[str, list[RecordedResource]]:
    return {stack: list(synth_program(ROOT, stack).plan) for stack in STACKS}


def levels(stack: str) -> Mapping[str, Enforcement] | None:
    """What `meridian synth` passes: a stack that does not protect state reports unprotected state as advisory."""
    return None if load_fleet(ROOT)[stack].protect_stateful else UNPROTECTED_STACK_LEVELS


@pytest.mark.parametrize("stack", STACKS)
def test_no_stack_breaks_a_mandatory_rule(plans: dict[str, list[RecordedResource]], stack: str) -> None:
    found = evaluate(plans[stack], levels(stack))
    assert mandatory(found) == [], report(found)


def test_a_stack_that_does_not_protect_state_is_only_let_off_by_its_levels(
        plans: dict[str, list[RecordedResource]]) -> None:
    unprotected = [stack for stack in STACKS if levels(stack)]
    assert unprotected, "expected a stack with protect_stateful false (dev)"
    for stack in unprotected:
        hard = mandatory(evaluate(plans[stack]))
        assert hard and {v.rule for v in hard} == {"stateful-protected"}, report(hard)
        assert "aws:s3/bucket:Bucket" in {v.resource_type for v in hard}


def test_stack_rules_pair_the_recorded_resources(plans: dict[str, list[RecordedResource]]) -> None:
    plan = plans[PRODUCTION]
    buckets = sorted(r.name for r in plan if r.type == "aws:s3/bucket:Bucket")
    without_versioning = [r for r in plan if r.type != "aws:s3/bucketVersioning:BucketVersioning"]
    found = [v for v in evaluate(without_versioning) if v.rule == "s3-bucket-versioning"]
    assert len(buckets) >= 3 and sorted(v.resource_name for v in found) == buckets
    without_flow_log = [r for r in plan if r.type != "aws:ec2/flowLog:FlowLog"]
    assert [v.resource_name for v in evaluate(without_flow_log) if v.rule == "vpc-flow-logs"] == [
        "meridian-network-vpc"]


def test_protect_flags_come_from_the_recording(plans: dict[str, list[RecordedResource]]) -> None:
    plan = [replace(r, protect=False) if r.type == "aws:ec2/vpc:Vpc" else r for r in plans[PRODUCTION]]
    assert [v.resource_name for v in mandatory(evaluate(plan))] == ["meridian-network-vpc"]


def test_every_taggable_type_the_program_declares_must_carry_tags(plans: dict[str, list[RecordedResource]]) -> None:
    declared = {r.type for plan in plans.values() for r in plan if r.custom and is_taggable(r.type)}
    missing = sorted(declared - TAGGABLE)
    assert not missing, f"add {missing} to policy.rules_governance.TAGGABLE"
