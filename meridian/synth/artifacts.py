"""The monitoring artifacts a stack declares, taken from its recorded Kubernetes objects (what `pulumi up` would
apply, not a second rendering): rule files, dashboards and the contracts; and the Alertmanager config."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, Final

import yaml

from meridian.synth.plan import Plan
from meridian.synth.render import is_manifest, manifest

DASHBOARD_LABEL: Final = "grafana_dashboard"
CONTRACTS_CONFIGMAP: Final = "meridian-monitoring-contracts"
ALERTMANAGER_KEY: Final = "alertmanager.yaml"
GROUP_KEYS: Final = ("name", "interval", "rules")
RULE_KEYS: Final = ("record", "alert", "expr", "for", "labels", "annotations")
"""Key order of rule files as Prometheus documents them."""


def _objects(plan: Plan, kind: str) -> list[dict[str, Any]]:
    return [obj for obj in (manifest(r) for r in plan if is_manifest(r)) if obj.get("kind") == kind]


def rule_files(plan: Plan) -> dict[str, dict[str, Any]]:
    """`<kind>.yaml` to rule file, from each PrometheusRule's spec (file named after its groups' kind prefix)."""
    files: dict[str, dict[str, Any]] = {}
    for rule in _objects(plan, "PrometheusRule"):
        groups = rule["spec"]["groups"]
        kind = groups[0]["name"].split(".")[0]
        files[f"{kind}.yaml"] = canonical_rule_file({"groups": groups})
    return dict(sorted(files.items()))


def canonical_rule_file(content: dict[str, Any]) -> dict[str, Any]:
    """The rule file with its keys in Prometheus' documented order and labels and annotations sorted: the
    recorded objects come back from protobuf maps, whose key order varies from one process to the next."""
    def ordered(item: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
        return {key: item[key] for key in (*keys, *sorted(set(item) - set(keys))) if key in item}

    return {"groups": [
        {**ordered(group, GROUP_KEYS), "rules": [
            {key: dict(sorted(value.items())) if key in ("labels", "annotations") else value
             for key, value in ordered(rule, RULE_KEYS).items()} for rule in group["rules"]]}
        for group in content["groups"]]}


def dashboards(plan: Plan) -> dict[str, dict[str, Any]]:
    """File name to Grafana model, from the ConfigMaps Grafana's sidecar loads."""
    found: dict[str, dict[str, Any]] = {}
    for config_map in _objects(plan, "ConfigMap"):
        if (config_map.get("metadata", {}).get("labels") or {}).get(DASHBOARD_LABEL) == "1":
            for name, text in (config_map.get("data") or {}).items():
                found[name] = json.loads(text)
    return dict(sorted(found.items()))


def contracts_json(plan: Plan) -> str | None:
    """The contracts the monitoring component stored."""
    for config_map in _objects(plan, "ConfigMap"):
        if config_map.get("metadata", {}).get("name") == CONTRACTS_CONFIGMAP:
            text: str = config_map["data"]["contracts.json"]
            return text
    return None


def write_artifacts(plan: Plan, alertmanager_config: dict[str, Any], out_dir: Path) -> dict[str, int]:
    """Write `alerts/*.yaml`, `alerts/alertmanager.yaml`, `dashboards/*.json`, `contracts.json`; file counts."""
    counts: Counter[str] = Counter()
    (out_dir / "alerts").mkdir(parents=True, exist_ok=True)
    (out_dir / "dashboards").mkdir(parents=True, exist_ok=True)
    for name, content in rule_files(plan).items():
        (out_dir / "alerts" / name).write_text(yaml.safe_dump(content, sort_keys=False, width=120))
        counts["rule_files"] += 1
    for name, model in dashboards(plan).items():
        (out_dir / "dashboards" / name).write_text(json.dumps(model, indent=2, sort_keys=True) + "\n")
        counts["dashboards"] += 1
    (out_dir / "alerts" / ALERTMANAGER_KEY).write_text(yaml.safe_dump(alertmanager_config, sort_keys=False,
                                                                       width=120))
    contracts = contracts_json(plan)
    if contracts is not None:
        (out_dir / "contracts.json").write_text(contracts)
    return dict(counts)
