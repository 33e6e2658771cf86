"""The Elasticsearch zone-loss check on the rendered logging stack, and on broken variants of it."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from components.config import parse_stack_config
from components.logging import Logging, LoggingArgs
from meridian.checks.elasticsearch import lookup, zone_loss
from meridian.synth.plan import Plan
from tests.conftest import make_cluster_ref, raw_config


@pytest.fixture
def plan(run: Callable[..., Plan]) -> Plan:
    config = parse_stack_config("us-east-1", raw_config(**{"meridian:logging": {}})).logging
    assert config is not None
    return run(lambda: Logging("logging", LoggingArgs(config=config, cluster=make_cluster_ref(),
                                                      vpc_cidr="10.10.0.0/16", tags={})))


def edit(plan: Plan, kind: str, change: Callable[[dict[str, Any]], None]) -> Plan:
    """The plan with `change` applied to a copy of the spec of every object of `kind`."""
    resources = []
    for resource in plan:
        if resource.custom and resource.inputs.get("kind") == kind:
            inputs = copy.deepcopy(resource.inputs)
            change(inputs["spec"])
            resource = dataclasses.replace(resource, inputs=inputs)
        resources.append(resource)
    return Plan(plan.stack, tuple(resources))


def node_set(spec: dict[str, Any], name: str) -> dict[str, Any]:
    return next(ns for ns in spec["nodeSets"] if ns["name"] == name)


def verdict_of(plan: Plan) -> tuple[bool, str]:
    (verdict,) = zone_loss(plan)
    return verdict.passed, verdict.line()


def test_rendered_stack_survives_a_zone_loss(plan: Plan) -> None:
    (verdict,) = zone_loss(plan)
    assert verdict.passed, verdict.line()
    assert verdict.service == "elasticsearch logging/elasticsearch"
    text = verdict.line()
    for counted in ("3 zones (zoneAwareness.zones)", "3 masters, at most 1 per zone: a zone loss leaves 2",
                    "3 data nodes", "shard allocation awareness", "index replicas 1"):
        assert counted in text, text


def test_no_elasticsearch_no_verdict() -> None:
    assert zone_loss(Plan("us-east-1", ())) == []


def test_five_masters_over_three_zones_keep_a_majority(plan: Plan) -> None:
    passed, line = verdict_of(edit(plan, "Elasticsearch", lambda s: node_set(s, "master").update(count=5)))
    assert passed, line
    assert "at most 2 per zone: a zone loss leaves 3 (majority 3)" in line


def drop_zone_awareness(spec: dict[str, Any]) -> None:
    for ns in spec["nodeSets"]:
        ns.pop("zoneAwareness")


def unspread_masters(spec: dict[str, Any]) -> None:
    masters = node_set(spec, "master")
    masters.pop("zoneAwareness")
    masters["podTemplate"]["spec"]["topologySpreadConstraints"][0]["whenUnsatisfiable"] = "ScheduleAnyway"


def soft_template_spread_over_zone_awareness(spec: dict[str, Any]) -> None:
    # zoneAwareness kept, but the template's own zone constraint wins (ECK adds its default only when none is set)
    masters = node_set(spec, "master")
    masters["podTemplate"]["spec"]["topologySpreadConstraints"][0]["whenUnsatisfiable"] = "ScheduleAnyway"


def two_zones(spec: dict[str, Any]) -> None:
    for ns in spec["nodeSets"]:
        ns["zoneAwareness"]["zones"] = ["us-east-1a", "us-east-1b"]


@pytest.mark.parametrize(("kind", "change", "expected"), [
    ("Elasticsearch", lambda s: node_set(s, "master").update(count=2), "2 masters: need an odd count >= 3"),
    ("Elasticsearch", lambda s: node_set(s, "master").update(count=1), "1 masters: need an odd count >= 3"),
    ("Elasticsearch", unspread_masters, "nodeSets ['master'] are not spread"),
    ("Elasticsearch", soft_template_spread_over_zone_awareness, "nodeSets ['master'] are not spread"),
    ("Elasticsearch", lambda s: node_set(s, "data").update(count=2), "2 data nodes: need at least 3"),
    ("Elasticsearch", drop_zone_awareness, "no zone awareness"),
    ("Elasticsearch", two_zones, "losing the zone with 2 masters leaves 1 of 3"),
    ("Beat", lambda s: s["config"]["setup"]["template"]["settings"]["index"].update(number_of_replicas=0),
     "index replicas 0"),
    ("Beat", lambda s: s["config"].pop("setup"), "index replicas None"),
])
def test_broken_variants_fail(plan: Plan, kind: str, change: Callable[[dict[str, Any]], None],
                              expected: str) -> None:
    passed, line = verdict_of(edit(plan, kind, change))
    assert not passed, line
    assert expected in line, line


def test_explicit_awareness_settings_count_without_zone_awareness_field(plan: Plan) -> None:
    def manual(spec: dict[str, Any]) -> None:
        for ns in spec["nodeSets"]:
            ns.pop("zoneAwareness")
            ns["config"].update({"node.attr.zone": "${ZONE}",
                                 "cluster.routing.allocation.awareness.attributes": "k8s_node_name,zone"})

    passed, line = verdict_of(edit(plan, "Elasticsearch", manual))
    assert passed, line
    assert "3 zones (assumed" in line


def test_lookup_reads_nested_and_dotted_keys() -> None:
    assert lookup({"setup": {"template.settings": {"index": {"number_of_replicas": 2}}}},
                  "setup.template.settings.index.number_of_replicas") == 2
    assert lookup({"setup.template.settings.index.number_of_replicas": 0},
                  "setup.template.settings.index.number_of_replicas") == 0
    assert lookup({"setup": {}}, "setup.template") is None
