"""What changed in a stack's generated monitoring: alerts, recording rules, dashboards, Alertmanager routing.

Reads `build/<stack>/alerts/<kind>.yaml` (Prometheus rule files), `alerts/alertmanager.yaml` and
`dashboards/*.json` as `meridian synth` writes them. An alert whose expression differs only in its numbers is a
threshold change, reported old -> new.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

import yaml

from meridian.preview.model import GeneratedChange
from meridian.preview.properties import format_path, leaves, show

ALERTMANAGER: Final = "alertmanager.yaml"
NUMBER: Final = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?:e[+-]?\d+)?(?![\w.])")
"""A numeric literal in PromQL (not part of a name, a label value's word, or a duration like `5m`)."""


def _keyed(items: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Items keyed by name, duplicates numbered `name #2` so each stays distinct."""
    seen: Counter[str] = Counter()
    keyed = {}
    for name, item in items:
        seen[name] += 1
        keyed[name if seen[name] == 1 else f"{name} #{seen[name]}"] = item
    return keyed


def _rules(alerts_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(alerts, recording rules) of every rule file, keyed by name (alerts also by severity)."""
    alerts: list[tuple[str, Any]] = []
    records: list[tuple[str, Any]] = []
    for path in sorted(alerts_dir.glob("*.yaml")) if alerts_dir.is_dir() else []:
        if path.name == ALERTMANAGER:
            continue
        for group in (yaml.safe_load(path.read_text()) or {}).get("groups", []):
            for rule in group.get("rules", []):
                if "alert" in rule:
                    severity = (rule.get("labels") or {}).get("severity", "")
                    alerts.append((f"{rule['alert']} ({severity})" if severity else rule["alert"], rule))
                else:
                    labels = ",".join(f"{k}={v}" for k, v in sorted((rule.get("labels") or {}).items()))
                    records.append((f"{rule['record']}{{{labels}}}" if labels else rule["record"], rule))
    return _keyed(alerts), _keyed(records)


def short_change(old: str, new: str, context: int = 24) -> str:
    """`…a → …b` around the part that differs, so a long query's change stays readable."""
    old, new = " ".join(old.split()), " ".join(new.split())
    start = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), min(len(old), len(new)))
    end = 0
    while end < min(len(old), len(new)) - start and old[-1 - end] == new[-1 - end]:
        end += 1
    cut = max(0, start - context)

    def middle(text: str) -> str:
        tail = len(text) - end + min(end, context)
        return ("…" if cut else "") + text[cut:tail] + ("…" if tail < len(text) else "")
    return f"{middle(old)} → {middle(new)}"


def expr_change(old: str, new: str) -> str:
    """`threshold 0.05 -> 0.1` when only numbers changed, else the expressions."""
    old_numbers, new_numbers = NUMBER.findall(old), NUMBER.findall(new)
    if NUMBER.sub("N", old) == NUMBER.sub("N", new) and old_numbers != new_numbers:
        changed = [f"{a} → {b}" for a, b in zip(old_numbers, new_numbers, strict=True) if a != b]
        return "threshold " + ", ".join(changed)
    return "expr " + short_change(old, new)


def _rule_details(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, ...]:
    details = []
    if old.get("expr") != new.get("expr"):
        details.append(expr_change(str(old.get("expr", "")), str(new.get("expr", ""))))
    if old.get("for") != new.get("for"):
        details.append(f"for {old.get('for', '0s')} → {new.get('for', '0s')}")
    old_labels, new_labels = old.get("labels") or {}, new.get("labels") or {}
    details += [f"label {key} {old_labels.get(key)} → {new_labels.get(key)}"
                for key in sorted(old_labels.keys() | new_labels.keys()) if old_labels.get(key) != new_labels.get(key)]
    if old.get("annotations") != new.get("annotations"):
        details.append("annotations changed")
    return tuple(details)


def _compare(artifact: str, old: dict[str, Any], new: dict[str, Any], details: Any) -> list[GeneratedChange]:
    changes = [GeneratedChange(artifact, name, "added") for name in sorted(new.keys() - old.keys())]
    changes += [GeneratedChange(artifact, name, "removed") for name in sorted(old.keys() - new.keys())]
    for name in sorted(old.keys() & new.keys()):
        if old[name] != new[name]:
            changes.append(GeneratedChange(artifact, name, "changed", details(old[name], new[name])))
    return changes


def _panels(model: dict[str, Any]) -> dict[str, Any]:
    """Panels by title, row panels' children included."""
    flat: list[tuple[str, Any]] = []
    for panel in model.get("panels", []):
        if panel.get("type") != "row":
            flat.append((str(panel.get("title", "")), panel))
        flat += [(str(child.get("title", "")), child) for child in panel.get("panels", [])]
    return _keyed(flat)


def _panel_details(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, ...]:
    details = []
    old_queries = [str(t.get("expr", "")) for t in old.get("targets", [])]
    new_queries = [str(t.get("expr", "")) for t in new.get("targets", [])]
    if old_queries != new_queries:
        details += [f"query {short_change(a, b)}" for a, b in zip(old_queries, new_queries, strict=False) if a != b]
        if len(old_queries) != len(new_queries):
            details.append(f"{len(old_queries)} → {len(new_queries)} queries")
    old_defaults = (old.get("fieldConfig") or {}).get("defaults") or {}
    new_defaults = (new.get("fieldConfig") or {}).get("defaults") or {}
    if old_defaults.get("thresholds") != new_defaults.get("thresholds"):
        details.append("thresholds changed")
    return tuple(details) or ("layout or display changed",)


def _dashboards(folder: Path) -> dict[str, Any]:
    return {path.stem: json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))} \
        if folder.is_dir() else {}


def _alertmanager(old_file: Path, new_file: Path) -> list[GeneratedChange]:
    old = yaml.safe_load(old_file.read_text()) if old_file.exists() else None
    new = yaml.safe_load(new_file.read_text()) if new_file.exists() else None
    if old == new:
        return []
    if old is None or new is None:
        return [GeneratedChange("alertmanager", ALERTMANAGER, "added" if old is None else "removed")]
    before, after = dict(leaves(old)), dict(leaves(new))
    paths = sorted((p for p in before.keys() | after.keys() if before.get(p) != after.get(p)), key=format_path)
    details = tuple(f"{format_path(p)}: {show(before.get(p), p)} → {show(after.get(p), p)}" for p in paths)
    return [GeneratedChange("alertmanager", "routing", "changed", details)]


def diff_generated(base_stack: Path, head_stack: Path) -> list[GeneratedChange]:
    """Every change in one stack's generated monitoring between two synth outputs."""
    old_alerts, old_records = _rules(base_stack / "alerts")
    new_alerts, new_records = _rules(head_stack / "alerts")
    old_boards, new_boards = _dashboards(base_stack / "dashboards"), _dashboards(head_stack / "dashboards")
    changes = _compare("alert", old_alerts, new_alerts, _rule_details)
    changes += _compare("recording rule", old_records, new_records, _rule_details)
    changes += _compare("dashboard", {k: True for k in old_boards}, {k: True for k in new_boards}, None)
    for board in sorted(old_boards.keys() & new_boards.keys()):
        panels = _compare("panel", _panels(old_boards[board]), _panels(new_boards[board]), _panel_details)
        changes += [GeneratedChange(c.artifact, f"{board}: {c.name}", c.change, c.details) for c in panels]
    return changes + _alertmanager(base_stack / "alerts" / ALERTMANAGER, head_stack / "alerts" / ALERTMANAGER)
