"""The verify report: a rich table for people (failures one per row, passing rows summed up per check unless
verbose) and JSON for machines."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any, Final

from rich.console import Console
from rich.table import Table

from meridian.verify.checks import Result

CHECKS: Final = ("targets", "rules", "panels", "alerts", "watchdog")
_NOUNS: Final = {"targets": ("job", "jobs", "all targets up"), "rules": ("group", "groups", "loaded and healthy"),
                 "panels": ("panel", "panels", "evaluate and return data")}
_STYLES: Final = {"ok": "green", "fail": "bold red", "pending": "yellow", "info": "cyan"}


@dataclass(frozen=True)
class Report:
    """Every result of one verify run, and what it ran against."""

    stack: str
    prometheus: str
    region: str
    cluster: str
    results: tuple[Result, ...]

    @property
    def passed(self) -> bool:
        """No row failed."""
        return not any(result.failed for result in self.results)

    def counts(self) -> dict[str, dict[str, int]]:
        """Per check, rows per status."""
        found: dict[str, Counter[str]] = {check: Counter() for check in CHECKS}
        for result in self.results:
            found.setdefault(result.check, Counter())[result.status] += 1
        return {check: dict(sorted(counter.items())) for check, counter in found.items()}

    def firing(self) -> dict[str, int]:
        """Alerts firing now, per severity."""
        return {result.subject: result.count for result in self.results if result.check == "alerts"}


def to_json(report: Report) -> str:
    """The report as JSON: `passed`, the target, per-check counts, alerts firing per severity and every row."""
    data: dict[str, Any] = {"passed": report.passed, "stack": report.stack, "prometheus": report.prometheus,
                            "region": report.region, "cluster": report.cluster, "counts": report.counts(),
                            "alerts_firing": report.firing(), "results": [asdict(r) for r in report.results]}
    return json.dumps(data, indent=2)


def error_json(stack: str, prometheus: str, kind: str, message: str, fix: str) -> str:
    """A run that could not check anything (bad input or unusable endpoint), as JSON."""
    return json.dumps({"passed": False, "stack": stack, "prometheus": prometheus,
                       "error": {"kind": kind, "message": message, "fix": fix}}, indent=2)


def rows(report: Report, *, verbose: bool = False) -> list[Result]:
    """The table's rows: every row when verbose; else failing rows, alert rows, and one sum per check for the
    rows that passed."""
    shown: list[Result] = []
    for check in CHECKS:
        mine = [result for result in report.results if result.check == check]
        if verbose or check not in _NOUNS:
            shown += mine
            continue
        shown += [result for result in mine if result.status != "ok"]
        passed = sum(1 for result in mine if result.status == "ok")
        if passed:
            one, many, detail = _NOUNS[check]
            other = " other" if passed < len(mine) else ""
            shown.append(Result(check, f"{passed}{other} {one if passed == 1 else many}", "ok", detail))
    return shown


def render(report: Report, console: Console, *, verbose: bool = False) -> None:
    """Print the table and a one-line verdict."""
    console.print(f"[bold]verify[/] stack [bold]{report.stack}[/] (region {report.region}, cluster "
                  f"{report.cluster}) against {report.prometheus}", highlight=False)
    table = Table(show_lines=False)
    for column in ("check", "subject", "status", "detail"):
        table.add_column(column, overflow="fold")
    for result in rows(report, verbose=verbose):
        table.add_row(result.check, result.subject, f"[{_STYLES[result.status]}]{result.status}[/]", result.detail)
    console.print(table)
    failed = [result for result in report.results if result.failed]
    if not failed:
        console.print(f"[green]PASSED[/]: {len(report.results)} checks", highlight=False)
        return
    per_check = Counter(result.check for result in failed)
    console.print(f"[bold red]FAILED[/]: {len(failed)} of {len(report.results)} checks ("
                  + ", ".join(f"{check} {count}" for check, count in per_check.items()) + ")", highlight=False)
