"""Vault's zone-loss check over a real plan, and over plans whose rendered values were made unsafe."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from components.config.vault import VaultConfig
from components.vault import Vault, VaultArgs
from meridian.checks.vault import zone_loss
from meridian.synth.mocks import RecordedResource
from meridian.synth.plan import Plan
from meridian.synth.runner import run_program
from tests.conftest import make_certificates_ref, make_cluster_ref

RELEASE = "kubernetes:helm.sh/v3:Release"


def _plan(replicas: int) -> Plan:
    def program() -> None:
        Vault("vault", VaultArgs(config=VaultConfig(replicas=replicas), cluster=make_cluster_ref(),
                                 certificates=make_certificates_ref(), vpc_cidr="10.10.0.0/16", tags={},
                                 protect_stateful=True))
    return Plan("us-east-1", tuple(run_program(program, stack="us-east-1", region="us-east-1")))


@pytest.fixture(scope="module")
def plans() -> dict[int, Plan]:
    return {replicas: _plan(replicas) for replicas in (3, 5)}


def _with_server(plan: Plan, change: Callable[[dict[str, Any]], None]) -> Plan:
    """The plan with the vault release's `server` values changed in place of the rendered ones."""
    resources = []
    for resource in plan:
        if resource.type == RELEASE and resource.inputs.get("chart") == "vault":
            inputs = copy.deepcopy(resource.inputs)
            change(inputs["values"]["server"])
            resource = dataclasses.replace(resource, inputs=inputs)
        resources.append(resource)
    return Plan(plan.stack, tuple(resources))


@pytest.mark.parametrize(("replicas", "largest", "majority"), [(3, 1, 2), (5, 2, 3)])
def test_rendered_vault_survives_any_zone(plans: dict[int, Plan], replicas: int, largest: int,
                                          majority: int) -> None:
    (verdict,) = zone_loss(plans[replicas])
    text = "; ".join(verdict.reasons)
    assert verdict.passed, text
    assert f"{replicas} voters, maxSkew 1 over 3 zones (minDomains): at most {largest} in one zone" in text
    assert f"majority {majority}" in text
    assert "raft snapshots also go to S3 (CronJob vault-raft-snapshot" in text


def _spread(server: dict[str, Any]) -> dict[str, Any]:
    constraint: dict[str, Any] = server["topologySpreadConstraints"][0]
    return constraint


@pytest.mark.parametrize(("change", "reason"), [
    (lambda s: s.pop("topologySpreadConstraints"), "no topology spread constraint on topology.kubernetes.io/zone"),
    (lambda s: _spread(s).update(whenUnsatisfiable="ScheduleAnyway"), "only ScheduleAnyway"),
    (lambda s: _spread(s).update(topologyKey="kubernetes.io/hostname"), "no topology spread constraint"),
    (lambda s: _spread(s).update(labelSelector={"matchLabels": {"app": "other"}}), "does not select"),
    (lambda s: _spread(s).update(maxSkew=2), "at most 2 in one zone"),
    (lambda s: s["ha"].update(replicas=4), "server.ha.replicas is 4"),
    (lambda s: s["ha"].update(replicas=1), "server.ha.replicas is 1"),
    (lambda s: s["ha"]["raft"].update(enabled=False), "server.ha.raft.enabled"),
    (lambda s: s.update(topologySpreadConstraints="- maxSkew: 1"), "template string"),
])
def test_unsafe_values_fail_with_what_was_counted(plans: dict[int, Plan], change: Callable[[dict[str, Any]], None],
                                                  reason: str) -> None:
    (verdict,) = zone_loss(_with_server(plans[3], change))
    text = "; ".join(verdict.reasons)
    assert not verdict.passed, text
    assert reason in text, text
    assert verdict.line().startswith("FAIL vault zone-loss: release vault in namespace vault")


def test_five_voters_with_a_loose_skew_lose_quorum(plans: dict[int, Plan]) -> None:
    (verdict,) = zone_loss(_with_server(plans[5], lambda s: _spread(s).update(maxSkew=3)))
    assert not verdict.passed
    assert "at most 3 in one zone; majority 3, so 2 may be lost" in "; ".join(verdict.reasons)


def test_zones_come_from_the_plans_subnets_when_it_has_them(plans: dict[int, Plan]) -> None:
    subnets = tuple(RecordedResource(urn=f"urn:subnet-{zone}", type="aws:ec2/subnet:Subnet", name=f"data-{zone}",
                                     parent="", custom=True, protect=False, retain_on_delete=False, provider="",
                                     dependencies=[], aliases=[], inputs={"availabilityZone": f"us-east-1{zone}"})
                    for zone in "ab")
    (verdict,) = zone_loss(Plan("us-east-1", (*plans[3].resources, *subnets)))
    assert not verdict.passed
    assert "maxSkew 1 over 2 zones (the plan's subnets): at most 2 in one zone" in "; ".join(verdict.reasons)


def test_no_vault_no_verdict(plans: dict[int, Plan]) -> None:
    others = Plan("us-east-1", tuple(r for r in plans[3] if r.type != RELEASE))
    assert zone_loss(others) == []
