"""Runbook pages: one markdown page per alert, from `alerts/runbooks/<kind>.yaml` through one jinja2 template.

A kind's YAML maps each alert name to `meaning`, `impact`, `check` (steps) and `fix` (steps); the generic alerts
every contract gets (target down or missing, error-budget burn) read `alerts/runbooks/generic.yaml`, keyed by the
alert name without the kind prefix. Steps may use `{{ ns }}` and `{{ kind }}`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, Final

import jinja2
import yaml

from alerts.names import alert_prefix
from alerts.render import alerts_of, rule_file
from components.contracts import MonitoringContract
from observability.config import ObservabilityConfig

RUNBOOKS: Final = Path(__file__).resolve().parent / "runbooks"
_ENV: Final = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "templates"),
                                 undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
_FIELDS: Final = ("meaning", "impact", "check", "fix")


class RunbookError(LookupError):
    """An alert has no runbook entry, or an entry lacks a section."""


@cache
def _entries(kind: str) -> dict[str, dict[str, Any]]:
    path = RUNBOOKS / f"{kind}.yaml"
    if not path.exists():
        return {}
    data: dict[str, dict[str, Any]] = yaml.safe_load(path.read_text())
    return data


def runbook_entry(kind: str, alert: str) -> dict[str, Any]:
    """The runbook sections of `alert`: the kind's own entry, else the generic one for its suffix."""
    entry = _entries(kind).get(alert)
    if entry is None:
        entry = _entries("generic").get(alert.removeprefix(alert_prefix(kind)))
    if entry is None:
        raise RunbookError(f"alert {alert} has no runbook: add it to alerts/runbooks/{kind}.yaml")
    missing = [section for section in _FIELDS if not entry.get(section)]
    if missing:
        raise RunbookError(f"runbook of {alert} (alerts/runbooks/{kind}.yaml) lacks {missing}")
    return entry


def runbook_pages(contracts: list[MonitoringContract], obs: ObservabilityConfig) -> dict[str, str]:
    """Relative path (`<kind>/<Alert>.md`) to markdown, for every alert the contracts' rule files define.

    Pages hold what does not vary by region (thresholds and severities do), so one set serves every stack."""
    template = _ENV.get_template("runbook.md.j2")
    pages: dict[str, str] = {}
    for contract in contracts:
        for rule in alerts_of(rule_file(contract, obs)):
            name = rule["alert"]
            path = f"{contract.kind}/{name}.md"
            if path in pages:
                continue
            context = {"ns": contract.namespace, "kind": contract.kind}
            entry = {key: _expand(value, context) for key, value in runbook_entry(contract.kind, name).items()}
            pages[path] = template.render(alert=name, kind=contract.kind, **entry)
    return dict(sorted(pages.items()))


def _expand(value: Any, context: dict[str, str]) -> Any:
    if isinstance(value, list):
        return [_expand(item, context) for item in value]
    return jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(str(value)).render(**context)
