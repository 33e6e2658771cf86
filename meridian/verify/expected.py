"""What a stack's synth output expects to see in its region's Prometheus: scrape jobs, rule groups, panel queries.

Read from `build/<stack>/`: `contracts.json` (scrape jobs, region and cluster), `alerts/*.yaml` except
`alertmanager.yaml` (each a Prometheus rule file; its groups and their rules), `dashboards/*.json` (Grafana models;
every panel query, with Grafana's variables filled in for the stack's region and cluster as Grafana would).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

from dashboards.common import panel_queries
from observability.catalog import metric_names
from observability.contracts_io import load_contracts

ALERTMANAGER_FILE: Final = "alertmanager.yaml"
GRAFANA_INTERVAL: Final = "1m"
"""`$__interval`: Grafana's step for a panel over its default range."""
PANEL_RANGE: Final = "5m"
"""`$__range`, and the window over which a panel must show data."""
_VARIABLE: Final = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)")


class BuildError(ValueError):
    """The synth output is missing or unreadable: names the path and the fix."""


@dataclass(frozen=True)
class RuleGroup:
    """A rule group as the build declares it: its file and the names of its rules (alert or record), in order."""

    name: str
    file: str
    rules: tuple[str, ...]


@dataclass(frozen=True)
class Panel:
    """One panel query, Grafana's variables filled in (`query`), with where it comes from."""

    dashboard: str
    """The dashboard's title."""
    file: str
    title: str
    expr: str
    query: str
    problem: str = ""
    """Set when the query cannot be built (e.g. a Grafana variable verify does not know)."""


@dataclass(frozen=True)
class Expected:
    """Everything the stack's monitoring should show live."""

    stack: str
    region: str
    cluster: str
    jobs: tuple[str, ...]
    groups: tuple[RuleGroup, ...]
    panels: tuple[Panel, ...]
    always_firing: tuple[str, ...]
    """Alerts over no metric at all (the dead man's switch): firing at all times while rules evaluate."""


def _read(path: Path, what: str) -> Any:
    try:
        text = path.read_text()
        return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as error:
        raise BuildError(f"cannot read {what} {path}: {error}. Fix: run `meridian synth` again") from None


def load_expected(build: Path, stack: str) -> Expected:
    """The expectations of `build/<stack>/`; BuildError when that output is missing or malformed."""
    folder = build / stack
    fix = f"run `meridian synth --stack {stack} --out {build}` first"
    if not (folder / "contracts.json").is_file():
        raise BuildError(f"no synth output for stack {stack!r} in {folder} (contracts.json missing). Fix: {fix}")
    try:
        contracts = load_contracts((folder / "contracts.json").read_text())
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise BuildError(f"{folder / 'contracts.json'} is not a contracts file ({error}). Fix: {fix}") from None
    places = sorted({(c.region, c.cluster) for c in contracts})
    if len(places) != 1:
        raise BuildError(f"{folder / 'contracts.json'}: expected one region and cluster, got {places}. Fix: {fix}")
    region, cluster = places[0]
    rule_paths = sorted(p for p in (folder / "alerts").glob("*.yaml") if p.name != ALERTMANAGER_FILE)
    dashboard_paths = sorted((folder / "dashboards").glob("*.json"))
    if not rule_paths or not dashboard_paths:
        raise BuildError(f"{folder} has no alerts/*.yaml or dashboards/*.json. Fix: {fix}")
    groups, always = rule_groups(rule_paths)
    interval = max((t.interval_seconds for c in contracts for t in c.scrape), default=30)
    values = {"region": region, "cluster": cluster, "__rate_interval": f"{max(4 * interval, 60)}s",
              "__interval": GRAFANA_INTERVAL, "__range": PANEL_RANGE}
    panels = tuple(panel for path in dashboard_paths for panel in dashboard_panels(path, values))
    jobs = tuple(sorted({target.job for contract in contracts for target in contract.scrape}))
    return Expected(stack=stack, region=region, cluster=cluster, jobs=jobs, groups=groups, panels=panels,
                    always_firing=always)


def rule_groups(paths: list[Path]) -> tuple[tuple[RuleGroup, ...], tuple[str, ...]]:
    """The groups of the rule files, and the alerts among them that fire at all times (no metric in `expr`)."""
    groups, always = [], []
    for path in paths:
        content = _read(path, "rule file")
        if not isinstance(content, dict) or not isinstance(content.get("groups"), list):
            raise BuildError(f"{path} is not a Prometheus rule file (no `groups:` list). Fix: run `meridian synth`")
        for group in content["groups"]:
            rules = group.get("rules") or []
            groups.append(RuleGroup(name=group["name"], file=path.name,
                                    rules=tuple(rule.get("alert") or rule.get("record", "") for rule in rules)))
            always += [rule["alert"] for rule in rules if "alert" in rule and not metric_names(rule["expr"])]
    return tuple(groups), tuple(sorted(always))


def dashboard_panels(path: Path, values: dict[str, str]) -> list[Panel]:
    """Every panel query of a dashboard JSON model, with Grafana's variables replaced by `values`."""
    model = _read(path, "dashboard")
    if not isinstance(model, dict):
        raise BuildError(f"{path} is not a Grafana dashboard model. Fix: run `meridian synth`")
    title = str(model.get("title") or path.stem)
    found = []
    for panel_title, expr in panel_queries(model):
        query, problem = substitute(expr, values)
        found.append(Panel(dashboard=title, file=path.name, title=panel_title, expr=expr, query=query,
                           problem=problem))
    return found


def substitute(expr: str, values: dict[str, str]) -> tuple[str, str]:
    """The query with Grafana's variables (`$name`, `${name}`, `${name:format}`) filled in, and a problem naming
    the variables it has no value for (empty when none)."""
    unknown: list[str] = []

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in values:
            unknown.append(f"${name}")
            return match.group(0)
        return values[name]

    query = _VARIABLE.sub(value, expr)
    return query, (f"unknown Grafana variable {', '.join(unknown)}" if unknown else "")
