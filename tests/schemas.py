"""Validate rendered objects against the real schemas in ../shared/schemas: CRDs and Helm chart values."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "schemas"


class _ValueTagLoader(yaml.SafeLoader):
    """SafeLoader that reads `tag:yaml.org,2002:value` (used in AlertmanagerConfig's CRD) as a plain string."""


_ValueTagLoader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))


@functools.cache
def crd_schema(api_version: str, kind: str) -> dict[str, Any]:
    """The openAPIV3Schema of a served version of a CRD in ../shared/schemas/crds/<group>/<Kind>.yaml."""
    group, _, version = api_version.rpartition("/")
    path = SHARED / "crds" / group / f"{kind}.yaml"
    crd = yaml.load(path.read_text(), Loader=_ValueTagLoader)
    for served in crd["spec"]["versions"]:
        if served["name"] == version and served.get("served"):
            schema: dict[str, Any] = served["schema"]["openAPIV3Schema"]
            return schema
    raise LookupError(f"{group}/{kind} serves no version {version} ({path})")


def unknown_fields(value: Any, schema: dict[str, Any], path: str = "") -> list[str]:
    """Fields the schema does not declare. jsonschema lets them pass, but the API server prunes them silently
    from structural CRDs, so a misspelt or removed field (v1 dropped `acls[].operation`) would vanish unnoticed."""
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return []
    if isinstance(value, list):
        return [f for index, item in enumerate(value)
                for f in unknown_fields(item, schema.get("items") or {}, f"{path}[{index}]")]
    if not isinstance(value, dict):
        return []
    properties, additional = schema.get("properties"), schema.get("additionalProperties")
    found = []
    for key, item in value.items():
        if properties is not None and key in properties:
            found += unknown_fields(item, properties[key], f"{path}.{key}")
        elif isinstance(additional, dict):
            found += unknown_fields(item, additional, f"{path}.{key}")
        elif properties is not None:
            found.append(f"{path}.{key}")
    return found


def unknown_crd_fields(obj: dict[str, Any]) -> list[str]:
    """Fields of a custom resource its CRD does not declare (the API server would prune them)."""
    return unknown_fields(obj, crd_schema(obj["apiVersion"], obj["kind"]))


def validate_custom_resource(obj: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError when `obj` does not match its CRD's schema."""
    schema = crd_schema(obj["apiVersion"], obj["kind"])
    jsonschema.Draft7Validator(schema).validate(obj)


def custom_resource_errors(obj: dict[str, Any]) -> list[str]:
    """Every schema violation of `obj`, as `path: message` lines (empty when valid)."""
    schema = crd_schema(obj["apiVersion"], obj["kind"])
    return [f"{'/'.join(str(p) for p in error.absolute_path)}: {error.message}"
            for error in jsonschema.Draft7Validator(schema).iter_errors(obj)]


@functools.cache
def chart_values_schema(chart: str) -> dict[str, Any] | None:
    """The chart's values.schema.json, when the chart ships one."""
    path = SHARED / "helm" / chart / "values.schema.json"
    return json.loads(path.read_text()) if path.exists() else None


def chart_values_errors(chart: str, values: dict[str, Any]) -> list[str]:
    """Violations of the chart's values schema (Draft 7, as the charts declare)."""
    schema = chart_values_schema(chart)
    if schema is None:
        raise LookupError(f"chart {chart} ships no values.schema.json")
    return [f"{'/'.join(str(p) for p in error.absolute_path)}: {error.message}"
            for error in jsonschema.Draft7Validator(schema).iter_errors(values)]


def chart_default_values(chart: str) -> dict[str, Any]:
    """The chart's own default values.yaml, to check that every key we set exists upstream."""
    loaded: dict[str, Any] = yaml.safe_load((SHARED / "helm" / chart / "values.yaml").read_text())
    return loaded


def unknown_value_keys(values: dict[str, Any], defaults: dict[str, Any], path: str = "") -> list[str]:
    """Keys in `values` the chart's default values.yaml does not have (typos), where defaults are maps."""
    unknown = []
    for key, value in values.items():
        here = f"{path}.{key}" if path else key
        if key not in defaults:
            unknown.append(here)
        elif isinstance(value, dict) and isinstance(defaults[key], dict) and defaults[key]:
            unknown.extend(unknown_value_keys(value, defaults[key], here))
    return unknown
