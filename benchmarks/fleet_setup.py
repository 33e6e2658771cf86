"""What the fleet-query benchmark measures: the contracts, the fleet panels' queries, the raw queries behind them."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

from alerts.render import RuleError, rule_file
from components.contracts import MonitoringContract
from dashboards.common import panel_queries, to_json
from dashboards.render import DashboardError, kind_dashboard, module_name
from observability.catalog import families, metric_names
from observability.config import ObservabilityConfig

ROOT: Final = Path(__file__).resolve().parents[1]
STACK: Final = "us-east-1"
FANOUT: Final = {"topic": 20, "partition": 6, "consumergroup": 5}
"""Values per fanned-out label, so that per-entity families reach production-like series counts."""
REGION_VARIABLE: Final = "$region"


def usable_contracts(obs: ObservabilityConfig) -> tuple[list[MonitoringContract], list[str]]:
    """The us-east-1 contracts whose catalog, rule template and dashboard all exist; the kinds left out."""
    from meridian.synth.stack import synth_program

    usable, skipped = [], []
    for contract in synth_program(ROOT, STACK).contracts:
        try:
            families(contract.exporter)
            rule_file(contract, obs)
            kind_dashboard(contract, obs)
        except (LookupError, RuleError, DashboardError, ImportError):
            skipped.append(contract.kind)
            continue
        usable.append(contract)
    return usable, skipped


def panels_of(contracts: list[MonitoringContract], obs: ObservabilityConfig) -> list[tuple[str, str, set[str]]]:
    """(title, query with every region selected, names it reads) of each fleet-dashboard panel; before the fleet
    dashboard exists, every kind's `FLEET_PANELS` over all regions."""
    try:
        fleet = importlib.import_module("dashboards.fleet")
    except ImportError:
        fleet = None
    if fleet is not None:
        found = panel_queries(to_json(fleet.build(contracts, obs)))
    else:
        found = [(panel.title, f'{panel.expr}{{region=~"{REGION_VARIABLE}"}}')
                 for contract in contracts
                 for panel in getattr(importlib.import_module(module_name(contract.kind)), "FLEET_PANELS", ())]
    return [(title, expr.replace(REGION_VARIABLE, ".*"), metric_names(expr)) for title, expr in found]


def fleet_rule_exprs(rules: Mapping[str, dict[str, Any]]) -> dict[str, str]:
    """Each recorded name to the raw query that computes all its series at once: the expressions of every rule
    recording it (`or`-ed, each with its static labels attached), recorded names they read inlined."""
    parts: dict[str, list[str]] = {}
    for content in rules.values():
        for group in content["groups"]:
            for rule in group["rules"]:
                if "record" not in rule:
                    continue
                expr = f"({rule['expr']})"
                for key, value in sorted(rule.get("labels", {}).items()):
                    expr = f'label_replace({expr}, "{key}", "{value}", "", "")'
                parts.setdefault(rule["record"], []).append(expr)
    own = {name: " or ".join(exprs) for name, exprs in parts.items()}
    return {name: inline(expr, own) for name, expr in own.items()}


def inline(expr: str, exprs: Mapping[str, str], depth: int = 5) -> str:
    """`expr` with every recorded name it reads bare (no matchers, no range) replaced by its own expression."""
    for _ in range(depth):
        inner = metric_names(expr) & exprs.keys()
        if not inner:
            break
        for name in inner:
            replacement = f"({exprs[name]})".replace("\\", "\\\\")
            expr = re.sub(rf"(?<![\w:]){re.escape(name)}(?![\w:])(?!\s*[{{\[])", replacement, expr)
    return expr


def dependency_levels(rules: Mapping[str, dict[str, Any]], wanted: Iterable[str]) -> list[set[str]]:
    """The recorded names in `wanted` and those they read (transitively), by level: each level reads only raw
    metrics and the levels before it (promtool backfills a rule from what the server already stores)."""
    reads: dict[str, set[str]] = {}
    for content in rules.values():
        for group in content["groups"]:
            for rule in group["rules"]:
                if "record" in rule:
                    reads.setdefault(rule["record"], set()).update(metric_names(rule["expr"]))
    level: dict[str, int] = {}

    def depth(name: str, path: frozenset[str]) -> int:
        if name not in level:
            inner = (reads[name] & reads.keys()) - path - {name}
            level[name] = 1 + max((depth(other, path | {name}) for other in inner), default=-1)
        return level[name]

    for name in set(wanted) & reads.keys():
        depth(name, frozenset())
    return [{name for name, found in level.items() if found == index} for index in range(max(level.values()) + 1)] \
        if level else []


def contract_rules(contracts: list[MonitoringContract], obs: ObservabilityConfig) -> dict[str, dict[str, Any]]:
    """Rule file name to content for the contracts."""
    return {f"{contract.kind}.yaml": rule_file(contract, obs) for contract in contracts}
