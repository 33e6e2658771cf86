"""`stacks/fleet.yaml` and each stack's fleet plan: validation errors name the key, value and fix; plans of earlier
stacks never depend on later ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.config import StackConfig, parse_stack_config
from components.config.fleet import FleetConfig, KeyspaceConfig
from components.errors import ConfigError
from components.fleet import check_fleet_config, load_fleet, load_fleet_config
from components.fleet_plan import fleet_plan
from tests.conftest import ROOT, raw_config

KAFKA = {"topics": [{"name": "user.playback.events", "partitions": 12}]}


def _stack(name: str, region: str, cidr: str, order: int | None, peers: list[str], **extra: object) -> StackConfig:
    values: dict[str, object] = {"meridian:peers": peers, "meridian:cassandra": {}, "meridian:kafka": KAFKA, **extra}
    if order is not None:
        values["meridian:order"] = order
    return parse_stack_config(name, raw_config(region=region, cidr=cidr, **values))


def _fleet(*configs: StackConfig) -> dict[str, StackConfig]:
    return {config.stack: config for config in configs}


THREE = _fleet(_stack("a", "us-east-1", "10.10.0.0/16", 1, []),
               _stack("b", "us-west-2", "10.20.0.0/16", 2, ["a"]),
               _stack("c", "eu-west-1", "10.30.0.0/16", 3, ["a", "b"]))
SHARED = FleetConfig(keyspaces=(KeyspaceConfig(name="playback_state", replication={"eu-west-1": 2}),),
                     global_topics=("user.playback.events",))


def _error(fleet: FleetConfig, configs: dict[str, StackConfig]) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        check_fleet_config(fleet, configs)
    return caught.value


def test_the_project_fleet_file_is_valid_and_names_what_the_regions_share() -> None:
    fleet = load_fleet_config(ROOT)
    check_fleet_config(fleet, load_fleet(ROOT))
    assert [keyspace.name for keyspace in fleet.keyspaces] == ["playback_state", "user_profiles"]
    assert fleet.global_topics == ("user.playback.events",)


def test_a_bad_fleet_file_names_the_key_the_value_and_the_fix(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: meridian\nruntime: python\n")
    (tmp_path / "fleet.yaml").write_text("cidr: 8.8.0.0/16\n")
    with pytest.raises(ConfigError) as caught:
        load_fleet_config(tmp_path)
    assert caught.value.key == "fleet.yaml: cidr"
    assert caught.value.value == "8.8.0.0/16"
    assert "RFC 1918" in caught.value.fix
    (tmp_path / "fleet.yaml").write_text("keyspace: []\n")
    with pytest.raises(ConfigError) as caught:
        load_fleet_config(tmp_path)
    assert caught.value.key == "fleet.yaml: keyspace"


def test_a_missing_fleet_file_gives_the_defaults(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: meridian\nruntime: python\n")
    assert load_fleet_config(tmp_path) == FleetConfig()


def test_a_vpc_outside_the_fleet_cidr_is_refused() -> None:
    error = _error(FleetConfig(cidr="10.0.0.0/12"), THREE)
    assert error.key == "fleet.yaml: cidr"
    assert "stack b's VPC 10.20.0.0/16" in error.problem


def test_keyspace_replicas_only_where_cassandra_runs_and_within_its_racks() -> None:
    unknown = FleetConfig(keyspaces=(KeyspaceConfig(name="k", replication={"ap-south-1": 3}),))
    error = _error(unknown, THREE)
    assert error.key == "fleet.yaml: keyspaces[0].replication.ap-south-1"
    assert "us-east-1" in error.fix
    too_many = FleetConfig(keyspaces=(KeyspaceConfig(name="k", replication={"us-west-2": 4}),))
    error = _error(too_many, THREE)
    assert error.value == 4 and "3 racks" in error.problem


def test_a_global_topic_must_be_declared_by_every_region_running_kafka() -> None:
    fleet = FleetConfig(global_topics=("user.playback.events", "billing.events"))
    error = _error(fleet, THREE)
    assert error.key == "fleet.yaml: global_topics"
    assert error.value == ["billing.events"]
    assert "Pulumi.a.yaml" in error.fix


def test_each_stack_plans_the_earlier_datacenters_and_its_own_replicas() -> None:
    first, second, third = (fleet_plan(THREE[name], THREE, SHARED) for name in "abc")
    assert first is not None and second is not None and third is not None
    assert first.is_primary and not second.is_primary and third.primary_stack == "a"
    assert first.cassandra is not None and third.cassandra is not None
    assert first.cassandra.additional_seeds == () and first.cassandra.rebuild_from is None
    assert third.cassandra.earlier_datacenters == ("us-east-1", "us-west-2")
    assert third.cassandra.additional_seeds == ("cassandra-seeds.us-east-1.meridian.internal",
                                                "cassandra-seeds.us-west-2.meridian.internal")
    assert third.cassandra.rebuild_from == "us-east-1"
    # The override (2 in eu-west-1) and each region's own replication_factor (3) elsewhere.
    assert third.cassandra.keyspaces[0].replication == (("us-east-1", 3), ("us-west-2", 3), ("eu-west-1", 2))
    assert first.cassandra.keyspaces[0].replication == (("us-east-1", 3),)
    assert third.kafka is not None and third.kafka.earlier_regions == ("us-east-1", "us-west-2")
    assert third.view.remote_write_urls == (
        "http://prometheus-fleet-0.prometheus.us-east-1.meridian.internal:9090/api/v1/write",
        "http://prometheus-fleet-1.prometheus.us-east-1.meridian.internal:9090/api/v1/write")
    assert first.view.remote_write_urls == third.view.remote_write_urls


def test_a_later_region_changes_no_earlier_plan() -> None:
    grown = {**THREE, "d": _stack("d", "ap-southeast-1", "10.40.0.0/16", 4, ["a", "b", "c"])}
    for name in "abc":
        assert fleet_plan(grown[name], grown, SHARED) == fleet_plan(THREE[name], THREE, SHARED), name


def test_a_stack_outside_the_order_has_no_plan_and_environments_do_not_mix() -> None:
    dev = _stack("dev", "us-east-2", "10.99.0.0/16", None, [], **{"meridian:environment": "development"})
    assert fleet_plan(dev, {**THREE, "dev": dev}, SHARED) is None
    staging = _stack("s", "us-east-2", "10.50.0.0/16", 9, [], **{"meridian:environment": "development"})
    plan = fleet_plan(staging, {**THREE, "s": staging}, SHARED)
    assert plan is not None and plan.is_primary and plan.earlier_stacks == ()
