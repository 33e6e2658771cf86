"""The four checks of `meridian verify`, each a function from what the build expects and what the server says to
result rows.

Scrape jobs are checked through the `up` series scoped to the stack's `region` and `cluster` labels rather than
`/api/v1/targets`: every scrape writes `up`, our default scrape class puts `region` and `cluster` on it, and a
query works the same through federation or Thanos, where the targets API shows only the local server's targets
(or nothing). Expected replicas are not compared: single-exporter jobs (Kafka Exporter, the Elasticsearch exporter)
have one target whatever the contract's `replicas`, so a job passes with at least one target and none down.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

from meridian.verify.expected import PANEL_RANGE, Expected, Panel, RuleGroup
from meridian.verify.probe import Prometheus, QueryError
from observability.config import CLUSTER_LABEL, REGION_LABEL, SEVERITIES

Status = Literal["ok", "fail", "pending", "info"]
FAILING: Final = ("fail", "pending")
NEVER: Final = "0001-01-01T00:00:00Z"
"""`lastEvaluation` of a rule group not evaluated yet."""
PANEL_STEP: Final = "60s"


@dataclass(frozen=True)
class Result:
    """One row of the report."""

    check: str
    """`targets`, `rules`, `panels`, `alerts` (firing, per severity) or `watchdog` (always-firing alerts)."""
    subject: str
    status: Status
    detail: str
    count: int = 0
    """What the row counts: targets up, rules, series returned, alerts firing."""

    @property
    def failed(self) -> bool:
        """Whether this row makes verify fail."""
        return self.status in FAILING


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def scope(expected: Expected) -> str:
    """The label matchers selecting the stack's series."""
    return f"{REGION_LABEL}={_quote(expected.region)}, {CLUSTER_LABEL}={_quote(expected.cluster)}"


def check_targets(expected: Expected, counts: Mapping[str, int], down: Mapping[str, Sequence[str]],
                  unscoped: Mapping[str, int]) -> list[Result]:
    """Every expected job has targets (`counts`, per job, in the stack's scope) and none down (`down`: instances
    per job); `unscoped` (targets per job without the scope) explains a job whose series lack the labels."""
    results = []
    for job in expected.jobs:
        total, dead = counts.get(job, 0), sorted(down.get(job, ()))
        if not total and unscoped.get(job):
            results.append(Result("targets", job, "fail", f"no targets with {scope(expected)}, but {unscoped[job]} "
                                  "without them: the scrape class adding region and cluster is missing"))
        elif not total:
            results.append(Result("targets", job, "fail", f"no targets: nothing scraped as job={_quote(job)} with "
                                  f"{scope(expected)} (check its ServiceMonitor/PodMonitor and selector)"))
        elif dead:
            results.append(Result("targets", job, "fail", f"{len(dead)} of {total} targets down: {', '.join(dead)}"))
        else:
            results.append(Result("targets", job, "ok", f"{total} target{'s' * (total != 1)} up", total))
    return results


def target_state(prometheus: Prometheus, expected: Expected) -> tuple[dict[str, int], dict[str, list[str]],
                                                                      dict[str, int]]:
    """(targets per job in scope, down instances per job in scope, targets per job anywhere) from `up`."""
    def per_job(expr: str) -> dict[str, int]:
        return {row["metric"].get("job", ""): int(float(row["value"][1])) for row in prometheus.query(expr)}

    down: dict[str, list[str]] = defaultdict(list)
    for row in prometheus.query(f"up{{{scope(expected)}}} == 0"):
        down[row["metric"].get("job", "")].append(row["metric"].get("instance", "?"))
    return per_job(f"count by (job) (up{{{scope(expected)}}})"), dict(down), per_job("count by (job) (up)")


def _evaluated(group: Mapping[str, Any]) -> bool:
    """Whether the server evaluated the group (a rule's health stays `unknown` until then)."""
    return group.get("lastEvaluation") != NEVER and all(rule.get("health") != "unknown"
                                                         for rule in group.get("rules", []))


def check_rules(expected: Sequence[RuleGroup], loaded: Sequence[Mapping[str, Any]]) -> list[Result]:
    """Every expected group is loaded once, with the same rules, evaluated and healthy; no group is loaded that the
    build does not declare (left over from an older generation)."""
    by_name: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for group in loaded:
        by_name[str(group.get("name"))].append(group)
    results = []
    for want in expected:
        found = by_name.get(want.name, [])
        if not found:
            results.append(Result("rules", want.name, "fail", f"missing: not loaded (declared in {want.file})"))
            continue
        if len(found) > 1:
            files = ", ".join(sorted(str(group.get("file")) for group in found))
            results.append(Result("rules", want.name, "fail", f"loaded {len(found)} times: {files}"))
            continue
        group = found[0]
        rules = [str(rule.get("name")) for rule in group.get("rules", [])]
        gone, extra = Counter(want.rules) - Counter(rules), Counter(rules) - Counter(want.rules)
        unhealthy = [f"{rule.get('name')}: {rule.get('lastError') or rule.get('health')}"
                     for rule in group.get("rules", []) if rule.get("health") == "err" or rule.get("lastError")]
        if gone or extra:
            results.append(Result("rules", want.name, "fail", "loaded rules differ from the build:"
                                  + (f" missing {sorted(gone)}" if gone else "")
                                  + (f" not in the build {sorted(extra)}" if extra else "")))
        elif unhealthy:
            results.append(Result("rules", want.name, "fail", f"{len(unhealthy)} unhealthy: {'; '.join(unhealthy)}"))
        elif not _evaluated(group):
            results.append(Result("rules", want.name, "pending", "loaded but not evaluated yet: run verify again "
                                  f"after its interval ({group.get('interval', '?')} s)"))
        else:
            results.append(Result("rules", want.name, "ok", f"{len(rules)} rules healthy", len(rules)))
    declared = {group.name for group in expected}
    for name, groups in sorted(by_name.items()):
        if name not in declared:
            results += [Result("rules", name, "fail", f"extra: loaded from {group.get('file')} but not in the build "
                               "(left from an older generation? delete its PrometheusRule)") for group in groups]
    return results


def check_panel(prometheus: Prometheus, panel: Panel, now: datetime) -> Result:
    """The panel's query evaluates over the last `PANEL_RANGE` and returns data."""
    subject = f"{panel.dashboard} / {panel.title}"
    if panel.problem:
        return Result("panels", subject, "fail", f"{panel.problem} ({panel.file}): {panel.expr}")
    try:
        series = prometheus.query_range(panel.query, now - _duration(PANEL_RANGE), now, PANEL_STEP)
    except QueryError as error:
        return Result("panels", subject, "fail", f"query fails ({panel.file}): {error}: {panel.query}")
    if not series:
        return Result("panels", subject, "fail", f"returns no data in the last {PANEL_RANGE} ({panel.file}): "
                      f"{panel.query}")
    return Result("panels", subject, "ok", f"{len(series)} series", len(series))


def _duration(text: str) -> timedelta:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    return timedelta(seconds=int(text[:-1]) * units[text[-1]])


def check_alerts(alerts: Iterable[Mapping[str, Any]], always_firing: Sequence[str], *,
                 fail_on_critical: bool = False) -> list[Result]:
    """Alerts firing now, one row per severity (info, or fail for critical with `fail_on_critical`), and every
    always-firing alert (the dead man's switch) firing: if it is not, rule evaluation or alerting is broken."""
    firing: dict[str, Counter[str]] = defaultdict(Counter)
    states: dict[str, str] = {}
    for alert in alerts:
        labels = alert.get("labels", {})
        name, state = str(labels.get("alertname", "?")), str(alert.get("state", ""))
        states[name] = "firing" if state == "firing" or states.get(name) == "firing" else state
        if state == "firing":
            firing[str(labels.get("severity") or "none")][name] += 1
    results = []
    for severity in [*SEVERITIES, *sorted(set(firing) - set(SEVERITIES))]:
        names = firing.get(severity, Counter())
        listed = ", ".join(f"{name} x{count}" if count > 1 else name for name, count in sorted(names.items()))
        status: Status = "fail" if fail_on_critical and severity == "critical" and names else "info"
        total = sum(names.values())
        results.append(Result("alerts", severity, status, f"{total} firing" + (f": {listed}" if listed else ""),
                              total))
    for name in always_firing:
        state = states.get(name, "inactive")
        results.append(Result("watchdog", name, "ok" if state == "firing" else "fail",
                              "firing, as it always should (dead man's switch)" if state == "firing" else
                              f"{state}, not firing: the always-firing alert proves rule evaluation works; "
                              "if pending, run verify again after its `for`"))
    return results


def run_checks(prometheus: Prometheus, expected: Expected, *, fail_on_critical: bool = False,
               advance: Callable[[str], None] = lambda _: None) -> list[Result]:
    """All checks against the server, in order: targets, rules, panels, alerts. `advance` is told each step
    (a progress display); endpoint failures raise `EndpointError`."""
    advance("scrape targets")
    results = check_targets(expected, *target_state(prometheus, expected))
    advance("rule groups")
    results += check_rules(expected.groups, prometheus.rules())
    now = datetime.now(UTC)
    for panel in expected.panels:
        advance(f"panels of {panel.dashboard}")
        results.append(check_panel(prometheus, panel, now))
    advance("alerts")
    results += check_alerts(prometheus.alerts(), expected.always_firing, fail_on_critical=fail_on_critical)
    return results
