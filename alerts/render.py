"""Prometheus rule files from MonitoringContracts: a jinja2 template per kind, plus target-down and SLO groups.

`alerts/templates/<kind>.yaml.j2` renders a rule file (`groups:`) for one contract. Its context:
`contract`, `t` (the contract's thresholds), `labels` (the contract's static labels), `ns` (its namespace),
`jobs` (its scrape jobs), `obs` (the ObservabilityConfig), `slos` (the contract's SloSpecs) and `slo_windows`.
For every SLO it must record `slo:sli_error:ratio_rate<window>` with label `slo="<name>"` for every window in
`slo_windows`, grouped `by (region, cluster)`; the burn-rate alerts are generated from those series.
The generator adds `runbook_url`, the `component` label and the group interval; templates write only `severity`,
`summary` and `description`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Final

import jinja2
import yaml

from alerts.names import alert_prefix
from alerts.slo import SLO_WINDOWS, slo_alert_group
from alerts.target_down import target_down_group
from components.contracts import MonitoringContract
from observability.config import SEVERITIES, ObservabilityConfig

TEMPLATES: Final = Path(__file__).resolve().parent / "templates"
_ENV: Final = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                                 keep_trailing_newline=True, autoescape=False)
_ALERT_NAME: Final = re.compile(r"^[A-Z][A-Za-z0-9]+$")
_RECORD_NAME: Final = re.compile(r"^[a-z_]+:[a-z0-9_]+:[a-z0-9_]+$")
REQUIRED_ANNOTATIONS: Final = ("summary", "description", "runbook_url")


class RuleError(ValueError):
    """A generated rule breaks a convention (names, labels, annotations, SLI coverage)."""


def template_name(kind: str) -> str:
    """File name of a kind's rule template."""
    return f"{kind}.yaml.j2"


def rule_file(contract: MonitoringContract, obs: ObservabilityConfig) -> dict[str, Any]:
    """The rule file of one contract: its kind's groups, its target-down group, its SLO burn-rate group."""
    try:
        template = _ENV.get_template(template_name(contract.kind))
    except jinja2.TemplateNotFound:
        raise RuleError(f"no alert template for kind {contract.kind!r}: add alerts/templates/"
                        f"{template_name(contract.kind)}") from None
    rendered = template.render(
        contract=contract, t=contract.thresholds, labels=contract.labels, ns=contract.namespace,
        jobs=[target.job for target in contract.scrape], obs=obs, slos=contract.slos, slo_windows=SLO_WINDOWS)
    groups: list[dict[str, Any]] = yaml.safe_load(rendered)["groups"]
    groups.append(target_down_group(contract, obs))
    if contract.slos:
        _check_slis(contract, groups)
        groups.append(slo_alert_group(contract, obs))
    for group in groups:
        group["interval"] = obs.rule_interval
        for rule in group["rules"]:
            _finish(rule, contract, obs)
    return {"groups": groups}


def rule_files(contracts: list[MonitoringContract], obs: ObservabilityConfig) -> dict[str, dict[str, Any]]:
    """File name (`<kind>.yaml`) to rule file, for every contract of a region (one contract per kind)."""
    files: dict[str, dict[str, Any]] = {}
    for contract in contracts:
        name = f"{contract.kind}.yaml"
        if name in files:
            raise RuleError(f"two contracts of kind {contract.kind!r} in one region; kinds must be unique")
        files[name] = rule_file(contract, obs)
    return files


def alerts_of(rule_file_data: dict[str, Any]) -> list[dict[str, Any]]:
    """The alerting rules of a rule file, in order."""
    return [rule for group in rule_file_data["groups"] for rule in group["rules"] if "alert" in rule]


def _finish(rule: dict[str, Any], contract: MonitoringContract, obs: ObservabilityConfig) -> None:
    rule["expr"] = " ".join(str(rule["expr"]).split())
    if "record" in rule:
        if not _RECORD_NAME.fullmatch(rule["record"]):
            raise RuleError(f"{contract.kind}: recording rule {rule['record']!r} is not level:metric:operations")
        return
    name = rule["alert"]
    if not _ALERT_NAME.fullmatch(name) or not name.startswith(alert_prefix(contract.kind)):
        raise RuleError(f"{contract.kind}: alert {name!r} must be CamelCase and start with "
                        f"{alert_prefix(contract.kind)!r}")
    labels = rule.setdefault("labels", {})
    if labels.get("severity") not in SEVERITIES:
        raise RuleError(f"{contract.kind}: alert {name} needs severity in {SEVERITIES}, got {labels.get('severity')}")
    labels["component"] = contract.kind
    annotations = rule.setdefault("annotations", {})
    annotations["runbook_url"] = obs.runbook_url(contract.kind, name)
    missing = [key for key in REQUIRED_ANNOTATIONS if not annotations.get(key)]
    if missing:
        raise RuleError(f"{contract.kind}: alert {name} lacks annotations {missing}")


def _check_slis(contract: MonitoringContract, groups: list[dict[str, Any]]) -> None:
    recorded = {(rule["record"], str(rule.get("labels", {}).get("slo")))
                for group in groups for rule in group["rules"] if "record" in rule}
    for slo in contract.slos:
        missing = [window for window in SLO_WINDOWS if (f"slo:sli_error:ratio_rate{window}", slo.name) not in recorded]
        if missing:
            raise RuleError(f"{contract.kind}: SLO {slo.name!r} has no SLI recording rule for windows {missing}; "
                            f"the {template_name(contract.kind)} template must record them (or the config must "
                            "name a known SLO)")
