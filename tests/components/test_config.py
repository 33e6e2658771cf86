"""Config validation: every bad value is one ConfigError naming the key path, the value and the fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components.config import SUPPORTED_KUBERNETES_VERSIONS, parse_stack_config, validate_fleet
from components.errors import ConfigError
from components.fleet import load_fleet, read_stack_config, stack_names
from tests.conftest import NODE_GROUPS, ROOT, raw_config


def _network(**changes: object) -> dict[str, object]:
    return {"cidr": "10.10.0.0/16", "az_count": 3, **changes}


def _cluster(**changes: object) -> dict[str, object]:
    return {"kubernetes_version": "1.35", "node_groups": NODE_GROUPS, **changes}


def _error(raw: dict[str, str], stack: str = "us-east-1") -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(stack, raw)
    return caught.value


def test_a_valid_production_config_parses() -> None:
    config = parse_stack_config("us-east-1", raw_config())
    assert config.zones == ("us-east-1a", "us-east-1b", "us-east-1c")
    assert config.cluster_name == "meridian-us-east-1"
    assert config.network.nat_gateways == "per_az"


@pytest.mark.parametrize(("cidr", "problem", "fix"), [
    ("10.10.0.0/33", "not an IPv4 CIDR", "a.b.c.d/prefix"),
    ("10.10.0/16x", "not an IPv4 CIDR", "a.b.c.d/prefix"),
    ("10.10.0.1/16", "host bits set", "10.10.0.0/16"),
    ("10.0.0.0/8", "larger than the /16", "/16../20"),
    ("10.10.0.0/24", "too small", "/16../20"),
    ("8.8.0.0/16", "not in a private range", "10.0.0.0/8"),
    ("fd00::/48", "must be an IPv4 CIDR", "private IPv4"),
])
def test_bad_cidrs_name_key_value_and_fix(cidr: str, problem: str, fix: str) -> None:
    error = _error(raw_config(**{"meridian:network": _network(cidr=cidr)}))
    assert error.key == "[stack us-east-1] meridian:network.cidr"
    assert error.value == cidr
    assert problem in error.problem
    assert fix in error.fix


@pytest.mark.parametrize("az_count", [0, 1, 7, 12])
def test_az_count_outside_two_to_six(az_count: int) -> None:
    error = _error(raw_config(**{"meridian:network": _network(az_count=az_count)}))
    assert error.key.endswith("meridian:network.az_count")
    assert error.value == az_count


def test_az_count_beyond_the_regions_zones() -> None:
    error = _error(raw_config(region="eu-west-1", **{"meridian:network": _network(az_count=4)}))
    assert error.key.endswith("meridian:network.az_count")
    assert "3 zones eu-west-1 offers" in error.problem
    assert "at most 3" in error.fix


def test_unknown_region_suggests_the_closest() -> None:
    error = _error(raw_config(region="us-est-1"))
    assert error.key.endswith("aws:region")
    assert error.value == "us-est-1"
    assert "did you mean us-east-1" in error.fix or "did you mean us-west-1" in error.fix


@pytest.mark.parametrize("version", ["1.29", "1.40", "1.35.2", "latest"])
def test_unsupported_kubernetes_version(version: str) -> None:
    error = _error(raw_config(**{"meridian:cluster": _cluster(kubernetes_version=version)}))
    assert error.key.endswith("meridian:cluster.kubernetes_version")
    assert all(supported in error.fix for supported in SUPPORTED_KUBERNETES_VERSIONS)


@pytest.mark.parametrize(("minimum", "desired", "maximum"), [(3, 2, 4), (1, 5, 4), (5, 4, 3)])
def test_node_group_sizes_out_of_order(minimum: int, desired: int, maximum: int) -> None:
    groups = {**NODE_GROUPS, "system": {**NODE_GROUPS["system"], "min_size": minimum, "desired_size": desired,
                                        "max_size": maximum}}
    error = _error(raw_config(**{"meridian:cluster": _cluster(node_groups=groups)}))
    assert error.key.endswith("meridian:cluster.node_groups.system")
    assert error.value == {"min_size": minimum, "desired_size": desired, "max_size": maximum}
    assert "min <= desired <= max" in error.fix


@pytest.mark.parametrize(("key", "value", "path", "suggestion"), [
    ("meridian:netwrok", {"cidr": "10.10.0.0/16"}, "meridian:netwrok", "meridian:network"),
    ("meridian:network", _network(az_cuont=3), "meridian:network.az_cuont", "az_count"),
    ("meridian:cluster", _cluster(kubernetes_versoin="1.35"), "meridian:cluster.kubernetes_versoin",
     "kubernetes_version"),
])
def test_unknown_keys_are_rejected_with_a_suggestion(key: str, value: object, path: str, suggestion: str) -> None:
    raw = raw_config()
    raw[key] = json.dumps(value)
    error = _error(raw)
    assert error.key == f"[stack us-east-1] {path}"
    assert f"did you mean `{suggestion}`" in error.fix


def test_nested_unknown_key_in_a_node_group() -> None:
    groups = {**NODE_GROUPS, "data": {**NODE_GROUPS["data"], "disk_gb": 100}}
    error = _error(raw_config(**{"meridian:cluster": _cluster(node_groups=groups)}))
    assert error.key.endswith("meridian:cluster.node_groups.data.disk_gb")
    assert "disk_gib" in error.fix


def test_missing_system_node_group() -> None:
    error = _error(raw_config(**{"meridian:cluster": _cluster(node_groups={"data": NODE_GROUPS["data"]})}))
    assert error.key.endswith("meridian:cluster.node_groups")
    assert "system" in error.fix


def test_public_endpoint_open_to_the_world_is_refused() -> None:
    error = _error(raw_config(**{"meridian:cluster": _cluster(public_access_cidrs=["0.0.0.0/0"])}))
    assert error.key.endswith("meridian:cluster.public_access_cidrs")


def test_log_retention_must_be_a_cloudwatch_period() -> None:
    error = _error(raw_config(**{"meridian:network": _network(flow_log_retention_days=100)}))
    assert error.key.endswith("meridian:network.flow_log_retention_days")
    assert "90" in error.fix or "120" in error.fix


def test_error_message_reads_what_value_fix() -> None:
    error = _error(raw_config(**{"meridian:network": _network(az_count=9)}))
    assert str(error).startswith("[stack us-east-1] meridian:network.az_count: ")
    assert ", got 9. Fix: " in str(error)


def test_the_repository_stacks_are_valid_and_disjoint() -> None:
    fleet = load_fleet(ROOT)
    assert {"us-east-1", "us-west-2", "eu-west-1", "dev"} <= set(fleet)
    assert fleet["dev"].network.nat_gateways == "single"
    assert fleet["us-east-1"].network.nat_gateways == "per_az"
    assert fleet["us-east-1"].owner == "platform-sre", "project-level default from Pulumi.yaml applies"


def test_cidrs_overlapping_another_stack_file_are_refused() -> None:
    us_west_2 = load_fleet(ROOT)["us-west-2"]
    clashing = parse_stack_config("us-east-1", raw_config(cidr="10.20.64.0/18"))
    with pytest.raises(ConfigError) as caught:
        load_fleet(ROOT, overrides={"us-east-1": clashing})
    assert caught.value.key == "[stack us-east-1] meridian:network.cidr"
    assert caught.value.value == "10.20.64.0/18"
    assert us_west_2.network.cidr in caught.value.problem
    assert "10.0.0.0/18" in caught.value.fix, "suggests a block no stack uses"


def test_peers_must_name_a_stack() -> None:
    config = parse_stack_config("us-east-1", raw_config(**{"meridian:peers": ["ap-south-9"]}))
    with pytest.raises(ConfigError) as caught:
        validate_fleet({"us-east-1": config})
    assert caught.value.key == "[stack us-east-1] meridian:peers"
    assert caught.value.value == "ap-south-9"


def test_secure_values_become_placeholders(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (tmp_path / "stacks").mkdir()
    source = (ROOT / "stacks" / "Pulumi.dev.yaml").read_text()
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text(source + "  meridian:grafana_admin:\n    secure: v1:abc\n")
    raw, secret_keys = read_stack_config(tmp_path, "dev")
    assert raw["meridian:grafana_admin"] == "[secret]"
    assert secret_keys == ["meridian:grafana_admin"]
    assert stack_names(tmp_path) == ["dev"]


def test_vpc_must_not_overlap_the_kubernetes_service_range() -> None:
    error = _error(raw_config(cidr="172.20.0.0/16"))
    assert error.key == "[stack us-east-1] meridian:network.cidr"
    assert "172.20.0.0/16" in error.problem
