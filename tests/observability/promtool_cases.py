"""promtool unit tests: the hand-written cases per kind (tests/observability/promtool/<kind>.yaml) and the
generated cases of the alerts every contract gets (target down or missing, error-budget burn)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any, Final

import yaml

from alerts.names import alert_prefix
from alerts.slo import BURN_RATES, SLO_WINDOWS
from alerts.target_down import jobs_selector
from components.contracts import MonitoringContract

CASES: Final = Path(__file__).resolve().parent / "promtool"


def run_promtool(*args: str) -> subprocess.CompletedProcess[str]:
    """promtool with a bounded run time; its output for assertion messages."""
    return subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=120, check=False)


def kind_cases(kind: str) -> dict[str, Any]:
    """The hand-written test file of a kind (without `rule_files`)."""
    path = CASES / f"{kind}.yaml"
    if not path.exists():
        return {"tests": []}
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    return data


def generic_cases(contract: MonitoringContract) -> list[dict[str, Any]]:
    """Cases for the generated alerts: one firing and one silent case each."""
    prefix = alert_prefix(contract.kind)
    job = sorted({target.job for target in contract.scrape})[0]
    base = {"region": contract.region, "cluster": contract.cluster, "job": job, "instance": "10.10.1.1:9000"}
    labels = ",".join(f'{k}="{v}"' for k, v in base.items())
    others = [t.job for t in contract.scrape if t.job != job]
    up_others = [{"series": f'up{{job="{other}",instance="10.10.2.2:9000"}}', "values": "1x30"} for other in others]
    cases: list[dict[str, Any]] = [
        {"interval": "1m", "input_series": [{"series": f"up{{{labels}}}", "values": "1x5 0x20"}, *up_others],
         "alert_rule_test": [
             {"eval_time": "4m", "alertname": f"{prefix}TargetDown", "exp_alerts": []},
             {"eval_time": "20m", "alertname": f"{prefix}TargetDown", "exp_alerts": [{"exp_labels": {
                 **base, "severity": "critical" if contract.replicas <= 1 else "warning",
                 "component": contract.kind}}]},
             {"eval_time": "20m", "alertname": f"{prefix}TargetMissing", "exp_alerts": []}]},
        {"interval": "1m", "input_series": up_others, "alert_rule_test": [
            {"eval_time": "10m", "alertname": f"{prefix}TargetMissing", "exp_alerts": [{"exp_labels": {
                "job": job, "severity": "critical", "component": contract.kind}}]}]},
    ]
    assert jobs_selector(contract)
    for slo in contract.slos:
        budget = 1 - slo.objective
        cases.append(_burn_case(contract, slo.name, {w: 20 * budget for w in SLO_WINDOWS}, "Fast", "critical"))
        slow = {w: (3.5 * budget if w in ("1d", "2h") else 0.0) for w in SLO_WINDOWS}
        cases.append(_burn_case(contract, slo.name, slow, "Slow", "warning"))
        quiet = _burn_case(contract, slo.name, {w: 0.5 * budget for w in SLO_WINDOWS}, "Fast", "critical")
        quiet["alert_rule_test"] = [{**test, "exp_alerts": []} for test in quiet["alert_rule_test"]]
        quiet["alert_rule_test"].append({"eval_time": "30m", "alertname": f"{prefix}ErrorBudgetBurnSlow",
                                         "exp_alerts": []})
        cases.append(quiet)
    assert BURN_RATES
    return cases


def _burn_case(contract: MonitoringContract, slo: str, ratios: dict[str, float], speed: str,
               severity: str) -> dict[str, Any]:
    labels = f'region="{contract.region}",cluster="{contract.cluster}",slo="{slo}"'
    return {"interval": "1m",
            "input_series": [{"series": f"slo:sli_error:ratio_rate{window}{{{labels}}}", "values": f"{ratio}x40"}
                             for window, ratio in ratios.items()],
            "alert_rule_test": [{"eval_time": "30m",
                                 "alertname": f"{alert_prefix(contract.kind)}ErrorBudgetBurn{speed}",
                                 "exp_alerts": [{"exp_labels": {"region": contract.region, "cluster": contract.cluster,
                                                                "slo": slo, "severity": severity,
                                                                "component": contract.kind}}]}]}


def alerts_with_cases(cases: list[dict[str, Any]]) -> tuple[set[str], set[str]]:
    """Alert names with a firing case, and with a silent case."""
    firing: set[str] = set()
    silent: set[str] = set()
    for case in cases:
        for test in case.get("alert_rule_test", []):
            (firing if test.get("exp_alerts") else silent).add(test["alertname"])
    return firing, silent
