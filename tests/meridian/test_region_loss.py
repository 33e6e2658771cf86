"""The region-loss check over hand-built plans: each way of losing data is caught, and its reason named."""

from __future__ import annotations

import json
from typing import Any

from meridian.checks.region_loss import region_loss_verdicts
from meridian.synth.mocks import RecordedResource
from meridian.synth.plan import Plan

TOPIC = "user.playback.events"
PATTERN = r"user\.playback\.events"


def _resource(name: str, token: str, inputs: dict[str, Any]) -> RecordedResource:
    return RecordedResource(urn=f"urn:pulumi:s::p::{token}::{name}", type=token, name=name, parent="", custom=True,
                            protect=False, retain_on_delete=False, provider="", dependencies=[], aliases=[],
                            inputs=inputs)


def _k8s(kind: str, name: str, spec: dict[str, Any] | None = None, **extra: Any) -> RecordedResource:
    inputs: dict[str, Any] = {"kind": kind, "metadata": {"name": name}, **extra}
    if spec is not None:
        inputs["spec"] = spec
    return _resource(f"{kind}-{name}", "kubernetes:test:" + kind, inputs)


def _region_plan(region: str, *, replication: dict[str, int] | None, mirrors_from: tuple[str, ...] = (),
                 size: int = 3) -> Plan:
    resources = [
        _resource("aws", "pulumi:providers:aws", {"region": region}),
        _k8s("K8ssandraCluster", "meridian", {"cassandra": {"datacenters": [
            {"metadata": {"name": region}, "size": size}]}}),
        _k8s("KafkaTopic", "user-playback-events", {"topicName": TOPIC, "partitions": 12}),
    ]
    if replication is not None:
        resources.append(_k8s("ConfigMap", "meridian-keyspaces", data={"playback_state.json": json.dumps(replication)}))
    resources += [_k8s("KafkaMirrorMaker2", f"mirror-from-{source}", {
        "target": {"alias": region}, "mirrors": [{"source": {"alias": source}, "topicsPattern": PATTERN}]})
        for source in mirrors_from]
    return Plan(stack=region, resources=tuple(resources))


def _verdicts(plans: dict[str, Plan]) -> dict[str, Any]:
    found = region_loss_verdicts(plans, keyspaces=["playback_state"], topics=[TOPIC])
    return {verdict.service: verdict for verdict in found}


def test_two_regions_mirroring_each_other_survive_either_loss() -> None:
    verdicts = _verdicts({"a": _region_plan("us-east-1", replication={"us-east-1": 3}, mirrors_from=("us-west-2",)),
                          "b": _region_plan("us-west-2", replication={"us-east-1": 3, "us-west-2": 3},
                                            mirrors_from=("us-east-1",))})
    keyspace, topic = verdicts["cassandra keyspace playback_state"], verdicts[f"kafka topic {TOPIC}"]
    assert keyspace.passed and "any one region lost leaves 1" in keyspace.reasons[0]
    assert topic.passed and topic.reasons == ("us-east-1's data mirrored to us-west-2",
                                              "us-west-2's data mirrored to us-east-1")


def test_the_later_stack_s_keyspace_map_extends_the_earlier_one() -> None:
    verdicts = _verdicts({"a": _region_plan("us-east-1", replication={"us-east-1": 3}),
                          "b": _region_plan("us-west-2", replication={"us-west-2": 3})})
    # Each stack's map alone names one datacenter; merged (Jobs never drop one), both hold copies.
    assert verdicts["cassandra keyspace playback_state"].passed


def test_a_keyspace_in_one_region_only_fails() -> None:
    verdicts = _verdicts({"a": _region_plan("us-east-1", replication={"us-east-1": 3}),
                          "b": _region_plan("us-west-2", replication={"us-west-2": 0})})
    keyspace = verdicts["cassandra keyspace playback_state"]
    assert not keyspace.passed
    assert "full copies only in us-east-1" in keyspace.reasons[0]


def test_replicas_where_no_datacenter_exists_or_above_its_size_fail() -> None:
    verdicts = _verdicts({"a": _region_plan("us-east-1", replication={"us-east-1": 4, "eu-west-1": 3}, size=3),
                          "b": _region_plan("us-west-2", replication={"us-west-2": 3})})
    reasons = " ".join(verdicts["cassandra keyspace playback_state"].reasons)
    assert "eu-west-1, where no datacenter exists" in reasons
    assert "us-east-1 (RF 4 > 3 nodes)" in reasons


def test_a_region_nobody_mirrors_from_loses_its_data_with_it() -> None:
    verdicts = _verdicts({"a": _region_plan("us-east-1", replication={"us-east-1": 3}, mirrors_from=("us-west-2",)),
                          "b": _region_plan("us-west-2", replication={"us-west-2": 3})})
    topic = verdicts[f"kafka topic {TOPIC}"]
    assert not topic.passed
    assert "no other region mirrors it from us-east-1" in topic.reasons[0]


def test_a_pattern_that_does_not_match_the_topic_does_not_count() -> None:
    plans = {"a": _region_plan("us-east-1", replication={"us-east-1": 3}, mirrors_from=("us-west-2",)),
             "b": _region_plan("us-west-2", replication={"us-west-2": 3}, mirrors_from=("us-east-1",))}
    mirror = plans["b"].resources[-1]
    mirror.inputs["spec"]["mirrors"][0]["topicsPattern"] = r"user\.playback\.event"
    assert not _verdicts(plans)[f"kafka topic {TOPIC}"].passed


def test_a_declared_keyspace_or_topic_no_stack_renders_fails() -> None:
    plan = _region_plan("us-east-1", replication=None)
    found = region_loss_verdicts({"a": plan}, keyspaces=["playback_state"], topics=["billing.events"])
    assert [verdict.passed for verdict in found] == [False, False]
    assert "no datacenter" in found[0].reasons[0]
    assert found[1].reasons == ("no region declares it (KafkaTopic)",)
