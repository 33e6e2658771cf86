"""Peering order across stack files: unique orders, peers only earlier, a full mesh per environment."""

from __future__ import annotations

import pytest

from components.config import StackConfig, parse_stack_config, validate_fleet
from components.errors import ConfigError
from components.fleet import load_fleet
from tests.conftest import ROOT, raw_config


def _stack(name: str, cidr: str, order: int | None, peers: list[str], environment: str = "production") -> StackConfig:
    extra: dict[str, object] = {"meridian:peers": peers, "meridian:environment": environment}
    if order is not None:
        extra["meridian:order"] = order
    return parse_stack_config(name, raw_config(cidr=cidr, **extra))


def _fleet_error(*configs: StackConfig) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        validate_fleet({config.stack: config for config in configs})
    return caught.value


def test_the_project_fleet_is_a_full_mesh_in_order() -> None:
    fleet = load_fleet(ROOT)
    assert [fleet[s].order for s in ("us-east-1", "us-west-2", "eu-west-1")] == [1, 2, 3]
    assert fleet["eu-west-1"].peers == ("us-east-1", "us-west-2")
    assert fleet["dev"].order is None and not fleet["dev"].peers


def test_a_peer_must_come_earlier() -> None:
    error = _fleet_error(_stack("a", "10.10.0.0/16", 1, ["b"]), _stack("b", "10.20.0.0/16", 2, ["a"]))
    assert error.key == "[stack a] meridian:peers"
    assert error.value == "b"
    assert "does not come earlier" in error.problem
    assert "list a in b's peers instead" in error.fix


def test_orders_are_unique() -> None:
    error = _fleet_error(_stack("a", "10.10.0.0/16", 1, []), _stack("b", "10.20.0.0/16", 1, []))
    assert error.key == "[stack b] meridian:order"
    assert error.value == 1
    assert "stack a's order" in error.problem
    assert "2" in error.fix


def test_an_earlier_stack_of_the_environment_left_out_is_named() -> None:
    error = _fleet_error(_stack("a", "10.10.0.0/16", 1, []), _stack("b", "10.20.0.0/16", 2, ["a"]),
                         _stack("c", "10.30.0.0/16", 3, ["b"]))
    assert error.key == "[stack c] meridian:peers"
    assert "leaves out earlier production stack(s) a" in error.problem
    assert error.fix == "add a"


def test_peers_need_an_order_and_the_same_environment() -> None:
    unordered = _fleet_error(_stack("a", "10.10.0.0/16", 1, []), _stack("b", "10.20.0.0/16", None, ["a"]))
    assert unordered.key == "[stack b] meridian:order"
    mixed = _fleet_error(_stack("a", "10.10.0.0/16", 1, [], environment="development"),
                         _stack("b", "10.20.0.0/16", 2, ["a"]))
    assert mixed.key == "[stack b] meridian:peers"
    assert "development stack" in mixed.problem


def test_the_stack_reference_org_is_validated() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config("a", raw_config(**{"meridian:stack_reference_org": "acme corp"}))
    assert caught.value.key == "[stack a] meridian:stack_reference_org"
