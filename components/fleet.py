"""Read the project's stack files (every region's config) and validate them together.

This is the one module that reads files: config is input, not infrastructure. Values are returned the way
the Pulumi engine hands them to a program: strings, with objects and lists as JSON text.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import yaml

from components.config import NAMESPACE, StackConfig, parse_stack_config, validate_fleet
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
