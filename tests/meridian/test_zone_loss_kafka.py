"""Kafka zone-loss check: passes on the rendered component, fails on each way of losing quorum, writes or data."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from components.config import parse_stack_config
from components.kafka import Kafka, KafkaArgs
from meridian.checks.kafka import zone_loss
from meridian.checks.verdict import Verdict
from meridian.synth.plan import Plan
from tests.conftest import make_cluster_ref, raw_config

STRIMZI = "kubernetes:kafka.strimzi.io/v1"


@pytest.fixture
def plan(run: Callable[..., Plan]) -> Plan:
    config = parse_stack_config("us-east-1", raw_config(**{"meridian:kafka": {"topics": [
        {"name": "user.playback.events", "partitions": 12, "retention_hours": 168},
        {"name": "billing.invoices", "partitions": 3}]}})).kafka
    assert config is not None
    return run(lambda: Kafka("kafka", KafkaArgs(config=config, cluster=make_cluster_ref(), vpc_cidr="10.10.0.0/16",
                                                tags={})))


def edit(plan: Plan, kind: str, name: str, change: Callable[[dict[str, Any]], None]) -> Plan:
    """A copy of `plan` whose `kind` object called `name` went through `change`."""
    resources = []
    for resource in plan:
        if resource.type == f"{STRIMZI}:{kind}" and resource.inputs["metadata"]["name"] == name:
            inputs = copy.deepcopy(resource.inputs)
            change(inputs)
            resource = dataclasses.replace(resource, inputs=inputs)
        resources.append(resource)
    return Plan(plan.stack, tuple(resources))


def only(verdicts: list[Verdict]) -> Verdict:
    assert len(verdicts) == 1, verdicts
    return verdicts[0]


def test_no_kafka_no_verdict(run: Callable[..., Plan]) -> None:
    assert zone_loss(run(lambda: None)) == []


def test_rendered_cluster_survives_a_zone(plan: Plan) -> None:
    verdict = only(zone_loss(plan))
    assert verdict.passed, verdict.line()
    assert (verdict.service, verdict.check, verdict.reasons[0]) == ("kafka", "zone-loss", "Kafka kafka/meridian")
    text = verdict.line()
    assert "3 controller(s) in pool(s) controller over 3 zone(s) (us-east-1a 1, us-east-1b 1, us-east-1c 1)" in text
    assert "leaving 2 of 3 (majority 2)" in text
    assert "3 broker(s)" in text and "spread over 3 zone(s)" in text
    assert "topic user.playback.events: RF 3, min ISR 2" in text and "topic billing.invoices" in text


def _set(path: list[str], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(obj: dict[str, Any]) -> None:
        for key in path[:-1]:
            obj = obj.setdefault(key, {})
        obj[path[-1]] = value
    return change


def _drop_zone_spread(obj: dict[str, Any]) -> None:
    pod = obj["spec"]["template"]["pod"]
    pod["topologySpreadConstraints"] = [c for c in pod["topologySpreadConstraints"]
                                        if c["topologyKey"] != "topology.kubernetes.io/zone"]


def _two_zones(obj: dict[str, Any]) -> None:
    for term in obj["spec"]["template"]["pod"]["affinity"]["nodeAffinity"][
            "requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]:
        for expression in term["matchExpressions"]:
            if expression["key"] == "topology.kubernetes.io/zone":
                expression["values"] = expression["values"][:2]
    for constraint in obj["spec"]["template"]["pod"]["topologySpreadConstraints"]:
        if "minDomains" in constraint:
            constraint["minDomains"] = 2


@pytest.mark.parametrize(("kind", "name", "change", "reason"), [
    ("KafkaTopic", "billing.invoices", _set(["spec", "replicas"], 2), "topic billing.invoices: replicas 2 < 3"),
    ("KafkaTopic", "billing.invoices", _set(["spec", "config", "min.insync.replicas"], 1),
     "topic billing.invoices: min.insync.replicas 1 <= 1 replica(s) one zone can hold"),
    ("KafkaTopic", "user.playback.events", _set(["spec", "config", "min.insync.replicas"], 3),
     "topic user.playback.events: one zone lost leaves 2 replica(s) < min.insync.replicas 3"),
    ("KafkaTopic", "billing.invoices", _set(["spec", "config", "unclean.leader.election.enable"], "true"),
     "topic billing.invoices: unclean.leader.election.enable is true"),
    ("Kafka", "meridian", _set(["spec", "kafka", "config", "min.insync.replicas"], 1),
     "cluster defaults: min.insync.replicas 1 <= 1"),
    ("Kafka", "meridian", _set(["spec", "kafka", "config", "transaction.state.log.replication.factor"], 1),
     "__transaction_state: replicas 1 < 3"),
    ("Kafka", "meridian", _set(["spec", "kafka", "rack"], {}), "rack-aware by zone: False"),
    ("Kafka", "meridian", _set(["spec", "kafka", "template", "podDisruptionBudget", "maxUnavailable"], 2),
     "PodDisruptionBudget maxUnavailable 2"),
    ("KafkaNodePool", "controller", _set(["spec", "replicas"], 4), "leaving 2 of 4 (majority 3): no majority left"),
    ("KafkaNodePool", "controller", _drop_zone_spread, "not spread evenly: up to 3 of 3 in one zone"),
    ("KafkaNodePool", "controller", _two_zones, "over 2 zone(s)"),
    ("KafkaNodePool", "broker", _drop_zone_spread, "needs >= 3 brokers in distinct zones"),
    ("KafkaNodePool", "broker", _set(["spec", "replicas"], 2), "2 broker(s)"),
])
def test_each_way_to_lose_a_zone_fails(plan: Plan, kind: str, name: str, change: Callable[[dict[str, Any]], None],
                                       reason: str) -> None:
    urn = next(r.urn for r in plan if r.type == f"{STRIMZI}:{kind}" and r.inputs["metadata"]["name"] == name)
    verdict = only(zone_loss(edit(plan, kind, name, change)))
    assert not verdict.passed, f"{urn}: {verdict.line()}"
    assert any(reason in line for line in verdict.reasons), f"{urn}: {verdict.line()}"


def test_five_controllers_over_three_zones_keep_quorum(plan: Plan) -> None:
    verdict = only(zone_loss(edit(plan, "KafkaNodePool", "controller", _set(["spec", "replicas"], 5))))
    assert verdict.passed, verdict.line()
    assert "us-east-1a 2, us-east-1b 2, us-east-1c 1" in verdict.line()
    assert "leaving 3 of 5 (majority 3)" in verdict.line()
