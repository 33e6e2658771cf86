"""Cassandra's zone-loss check over the rendered K8ssandraCluster: passing plan, and plans broken one way each."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from components.cassandra import Cassandra, CassandraArgs
from components.config.cassandra import CassandraConfig
from meridian.checks.cassandra import rack_sizes, zone_loss
from meridian.synth.plan import Plan
from tests.conftest import make_certificates_ref, make_cluster_ref


@pytest.fixture
def plan(run: Callable[..., Plan]) -> Plan:
    def program() -> None:
        Cassandra("cassandra", CassandraArgs(config=CassandraConfig(), cluster=make_cluster_ref(),
                                             certificates=make_certificates_ref(), vpc_cidr="10.10.0.0/16",
                                             tags={}, protect_stateful=True))
    return run(program)


def _edited(plan: Plan, edit: Callable[[dict[str, Any]], None]) -> Plan:
    """The plan with its K8ssandraCluster's rendered spec changed by `edit`."""
    resources = []
    for resource in plan:
        if resource.inputs.get("kind") == "K8ssandraCluster":
            inputs = copy.deepcopy(resource.inputs)
            edit(inputs["spec"]["cassandra"])
            resource = dataclasses.replace(resource, inputs=inputs)
        resources.append(resource)
    return Plan(plan.stack, tuple(resources))


def _datacenter(cassandra: dict[str, Any]) -> dict[str, Any]:
    datacenter: dict[str, Any] = cassandra["datacenters"][0]
    return datacenter


def test_rf3_over_three_zones_survives_a_zone_loss(plan: Plan) -> None:
    (verdict,) = zone_loss(plan)
    assert verdict.passed, verdict.line()
    assert (verdict.service, verdict.check) == ("cassandra", "zone-loss")
    counted = verdict.reasons[0]
    assert "3 nodes in 3 racks over 3 zones" in counted
    assert "us-east-1a=1, us-east-1b=1, us-east-1c=1" in counted and "RF 3" in counted
    assert "2 of 3 remain >= LOCAL_QUORUM 2" in counted


def test_no_cassandra_no_verdict() -> None:
    assert zone_loss(Plan("us-east-1", ())) == []


def _drop_rack(cassandra: dict[str, Any]) -> None:
    _datacenter(cassandra)["racks"].pop()


def _rf_two(cassandra: dict[str, Any]) -> None:
    cassandra["config"]["cassandraYaml"]["default_keyspace_rf"] = 2
    cassandra["config"]["cassandraYaml"]["minimum_replication_factor_fail_threshold"] = 2


def _no_rf(cassandra: dict[str, Any]) -> None:
    for key in ("default_keyspace_rf", "minimum_replication_factor_fail_threshold"):
        cassandra["config"]["cassandraYaml"].pop(key)


def _shared_zone(cassandra: dict[str, Any]) -> None:
    _datacenter(cassandra)["racks"][2]["nodeAffinityLabels"]["topology.kubernetes.io/zone"] = "us-east-1a"


def _unpinned(cassandra: dict[str, Any]) -> None:
    _datacenter(cassandra)["racks"][1]["nodeAffinityLabels"].pop("topology.kubernetes.io/zone")


def _too_small(cassandra: dict[str, Any]) -> None:
    _datacenter(cassandra)["size"] = 2


@pytest.mark.parametrize(("edit", "reason"), [
    (_drop_rack, "only 2 racks"),
    (_rf_two, "RF 2 < 3"),
    (_no_rf, "no replication factor is enforced"),
    (_shared_zone, "racks share zones"),
    (_unpinned, "not pinned to a zone"),
    (_too_small, "have no node"),
])
def test_a_plan_that_loses_quorum_or_data_fails(plan: Plan, edit: Callable[[dict[str, Any]], None],
                                                reason: str) -> None:
    (verdict,) = zone_loss(_edited(plan, edit))
    assert not verdict.passed, verdict.line()
    assert any(reason in line for line in verdict.reasons), verdict.line()


def test_datacenter_level_rf_overrides_the_clusters(plan: Plan) -> None:
    def dc_rf_two(cassandra: dict[str, Any]) -> None:
        _datacenter(cassandra)["config"] = {"cassandraYaml": {"minimum_replication_factor_fail_threshold": 2}}

    (verdict,) = zone_loss(_edited(plan, dc_rf_two))
    assert not verdict.passed and "RF 2" in verdict.reasons[0], verdict.line()


def test_larger_rf_counts_replicas_per_zone(plan: Plan) -> None:
    def rf_five_on_six(cassandra: dict[str, Any]) -> None:
        _datacenter(cassandra)["size"] = 6
        cassandra["config"]["cassandraYaml"]["minimum_replication_factor_fail_threshold"] = 5

    (verdict,) = zone_loss(_edited(plan, rf_five_on_six))
    assert verdict.passed, verdict.line()
    assert "at most 2 replica(s), 3 of 5 remain >= LOCAL_QUORUM 3" in verdict.reasons[0]


def test_rack_sizes_follow_cass_operator() -> None:
    assert rack_sizes(7, 3) == [3, 2, 2]
    assert rack_sizes(2, 3) == [1, 1, 0]
    assert rack_sizes(3, 0) == []
