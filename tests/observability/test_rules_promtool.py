"""Generated rule files against the real promtool: syntax and conventions, and unit tests for every alert."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from alerts.render import alerts_of, rule_file, rule_files
from components.contracts import MonitoringContract
from observability.catalog import all_series_names, metric_names
from observability.config import ObservabilityConfig
from tests.observability.conftest import stack_contracts
from tests.observability.promtool_cases import alerts_with_cases, generic_cases, kind_cases, run_promtool

STACKS = ("us-east-1", "dev")


@pytest.mark.parametrize("stack", STACKS)
def test_promtool_checks_every_generated_rule_file(stack: str, tmp_path: Path, obs: ObservabilityConfig) -> None:
    files = rule_files(list(stack_contracts(stack)), obs)
    paths = []
    for name, content in files.items():
        paths.append(tmp_path / name)
        paths[-1].write_text(yaml.safe_dump(content, sort_keys=False))
    result = run_promtool("check", "rules", *map(str, paths))
    assert result.returncode == 0, result.stdout + result.stderr


def test_rules_query_only_catalogued_metrics_and_recorded_series(contracts: list[MonitoringContract],
                                                                 obs: ObservabilityConfig) -> None:
    files = rule_files(contracts, obs)
    recorded = {rule["record"] for content in files.values() for group in content["groups"]
                for rule in group["rules"] if "record" in rule}
    known = all_series_names() | recorded | {"up", "ALERTS", "ALERTS_FOR_STATE"}
    for name, content in files.items():
        for group in content["groups"]:
            for rule in group["rules"]:
                unknown = metric_names(rule["expr"]) - known
                assert not unknown, f"{name}: {rule.get('alert') or rule.get('record')} queries {unknown}"


@pytest.mark.parametrize("kind", [c.kind for c in stack_contracts("us-east-1")])
def test_promtool_unit_tests_fire_and_stay_silent_for_every_alert(kind: str, tmp_path: Path,
                                                                 obs: ObservabilityConfig) -> None:
    contract = next(c for c in stack_contracts("us-east-1") if c.kind == kind)
    rules = rule_file(contract, obs)
    # promtool compares annotations exactly; cases assert labels (the routing keys). Annotation templates are
    # checked by `promtool check rules` above and rendered in the live-Prometheus test.
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(_without_annotations(rules), sort_keys=False))
    cases = kind_cases(kind)
    tests = [*cases["tests"], *generic_cases(contract)]
    suite = {"rule_files": ["rules.yaml"], "evaluation_interval": cases.get("evaluation_interval", "1m"),
             "tests": tests}
    (tmp_path / "tests.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    result = run_promtool("test", "rules", str(tmp_path / "tests.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr
    firing, silent = alerts_with_cases(tests)
    alerts = {rule["alert"] for rule in alerts_of(rules)}
    assert alerts - firing == set(), f"{kind}: alerts with no firing case"
    assert alerts - silent == set(), f"{kind}: alerts with no silent case"


def _without_annotations(rules: dict[str, Any]) -> dict[str, Any]:
    return {"groups": [{**group, "rules": [{k: v for k, v in rule.items() if k != "annotations"}
                                           for rule in group["rules"]]} for group in rules["groups"]]}
