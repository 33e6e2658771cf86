"""Read the project's stack files (every region's config) and validate them together.

This is the one module that reads files: config is input, not infrastructure. Values are returned the way
the Pulumi engine hands them to a program: strings, with objects and lists as JSON text.
"""

from __future__ import annotations

import functools
import ipaddress
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import yaml
from pydantic import ValidationError

from components.config import NAMESPACE, StackConfig, parse_stack_config, validate_fleet
from components.config.fleet import FILE_NAME, FleetConfig
from components.config.stack import fix_for
from components.errors import ConfigError

SECRET_PLACEHOLDER: Final = "[secret]"
"""Offline stand-in for `secure:` values: the synth never has the stack's decryption key."""


@functools.lru_cache(maxsize=1024)
def _parse_yaml(path: Path, mtime_ns: int, size: int) -> Any:
    """A YAML file's content; cached per (path, mtime, size), so a fleet's files are parsed once per change."""
    del mtime_ns, size  # cache key only
    return yaml.safe_load(path.read_text())


def _read_yaml(path: Path) -> Any:
    stat = path.stat()
    return _parse_yaml(path.resolve(), stat.st_mtime_ns, stat.st_size)


def _project_file(project_dir: Path) -> dict[str, Any]:
    data = _read_yaml(project_dir / "Pulumi.yaml")
    return data if isinstance(data, dict) else {}


def stacks_dir(project_dir: Path) -> Path:
    """The folder `stackConfigDir` names (Pulumi's default is the project folder)."""
    return project_dir / str(_project_file(project_dir).get("stackConfigDir", "."))


def stack_names(project_dir: Path) -> list[str]:
    """Every stack with a `Pulumi.<stack>.yaml` file, sorted."""
    return sorted(path.name[len("Pulumi."):-len(".yaml")] for path in stacks_dir(project_dir).glob("Pulumi.*.yaml"))


def _full_key(key: str) -> str:
    return key if ":" in key else f"{NAMESPACE}:{key}"


def _engine_value(value: Any) -> str:
    """A config value as the engine passes it: strings as-is, everything else as JSON text."""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _project_defaults(project_dir: Path) -> dict[str, Any]:
    defaults: dict[str, Any] = {}
    for key, spec in (_project_file(project_dir).get("config") or {}).items():
        value = spec.get("default", spec.get("value")) if isinstance(spec, dict) else spec
        if value is not None:
            defaults[_full_key(key)] = value
    return defaults


def read_stack_config(project_dir: Path, stack: str) -> tuple[dict[str, str], list[str]]:
    """The stack's effective config (project defaults overlaid by the stack file) and its secret keys."""
    path = stacks_dir(project_dir) / f"Pulumi.{stack}.yaml"
    if not path.exists():
        raise ConfigError("stack", stack, f"has no stack file {path}", f"create {path} or pick one of "
                          f"{', '.join(stack_names(project_dir))}")
    document = _read_yaml(path) or {}
    merged = _project_defaults(project_dir)
    secret_keys: list[str] = []
    for key, value in (document.get("config") or {}).items():
        full = _full_key(key)
        if isinstance(value, dict) and set(value) == {"secure"}:
            merged[full] = SECRET_PLACEHOLDER
            secret_keys.append(full)
        else:
            merged[full] = value
    return {key: _engine_value(value) for key, value in merged.items()}, secret_keys


@functools.lru_cache(maxsize=1024)
def _parse_cached(stack: str, raw_json: str) -> StackConfig:
    """Parsed config of a stack file's content; each stack's synth checks the whole fleet, parsed once."""
    return parse_stack_config(stack, json.loads(raw_json))


def load_fleet(project_dir: Path, overrides: Mapping[str, StackConfig] | None = None) -> dict[str, StackConfig]:
    """Every stack's validated config (with `overrides` standing in for some), checked across stacks."""
    configs = {stack: _parse_cached(stack, json.dumps(read_stack_config(project_dir, stack)[0], sort_keys=True))
               for stack in stack_names(project_dir) if stack not in (overrides or {})}
    configs.update(overrides or {})
    validate_fleet(configs, current=next(iter(overrides), None) if overrides else None)
    return configs


def load_fleet_config(project_dir: Path) -> FleetConfig:
    """`stacks/fleet.yaml` (beside the stack files), validated; its defaults when the file does not exist."""
    path = stacks_dir(project_dir) / FILE_NAME
    document = _read_yaml(path) if path.exists() else {}
    if not isinstance(document, dict):
        raise ConfigError(FILE_NAME, document, "is not a mapping", "write keys such as `keyspaces:` at the top")
    try:
        return FleetConfig.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        problem, fix = fix_for(first, list(FleetConfig.model_fields))
        where = ".".join(str(part) for part in first["loc"]) or "<root>"
        raise ConfigError(f"{FILE_NAME}: {where}", first.get("input"), problem, fix) from None


def check_fleet_config(fleet: FleetConfig, configs: Mapping[str, StackConfig]) -> None:
    """Checks of `stacks/fleet.yaml` against every stack: VPCs inside the fleet CIDR, keyspace replication only
    for regions that run Cassandra and within their racks, global topics declared wherever Kafka runs."""
    aggregate = ipaddress.ip_network(fleet.cidr)
    ordered = {name: config for name, config in configs.items() if config.order is not None}
    for name, config in sorted(ordered.items()):
        if not config.network.network.subnet_of(aggregate):  # type: ignore[arg-type]
            raise ConfigError(f"{FILE_NAME}: cidr", fleet.cidr, f"does not contain stack {name}'s VPC "
                              f"{config.network.cidr} (NetworkPolicies admit cross-region flows from it)",
                              "widen it to cover every ordered stack's VPC, e.g. 10.0.0.0/8")
    regions = {config.region: config for config in ordered.values() if config.cassandra is not None}
    for index, keyspace in enumerate(fleet.keyspaces):
        for region, replicas in keyspace.replication.items():
            key = f"{FILE_NAME}: keyspaces[{index}].replication.{region}"
            if region not in regions:
                raise ConfigError(key, replicas, "names a region where no ordered stack runs Cassandra",
                                  f"use one of {', '.join(sorted(regions)) or '(none)'}")
            zones = len(regions[region].zones)
            if replicas > zones:
                raise ConfigError(key, replicas, f"exceeds the {zones} racks (zones) of {region}'s datacenter",
                                  f"use at most {zones}")
    for name, config in sorted(ordered.items()):
        if config.kafka is None:
            continue
        declared = {topic.name for topic in config.kafka.topics}
        missing = [topic for topic in fleet.global_topics if topic not in declared]
        if missing:
            raise ConfigError(f"{FILE_NAME}: global_topics", missing, f"are not declared in stack {name}'s "
                              "meridian:kafka.topics (MirrorMaker2 mirrors topics each region owns)",
                              f"declare them in stacks/Pulumi.{name}.yaml, or remove them from global_topics")
