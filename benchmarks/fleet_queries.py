"""Fleet dashboard queries against a real Prometheus (2.42): recording rules versus the raw metrics behind them.

1. Backfill a fleet: every us-east-1 contract relabelled into N synthetic regions (`r01`...), label sets fanned out
   to production-like series counts (benchmarks/fleet_data.py, observability/backfill.py).
2. Backfill the recording rules the fleet panels read, and the rules those read, level by level
   (`promtool tsdb create-blocks-from rules`), and let a server merge the blocks.
3. Add the raw samples of the minutes since, start Prometheus with the generated rule files, wait for the steady
   state (the dead man's switch firing) and record every group's evaluation time.
4. Time each fleet-dashboard panel as a range query ending now (median and p95 of `runs`) and its raw form (the
   recording rules' own expressions, inlined) with Prometheus' own execution time beside the wall clock.

`python -m benchmarks.fleet_queries [--regions N]` prints the markdown section for docs/benchmarks.md.
"""

from __future__ import annotations

import math
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import requests

from alerts.render import alerts_of
from benchmarks.fleet_data import TSDB_FLAGS, backfill_fleet_rules, backfill_history
from benchmarks.fleet_setup import (
    FANOUT,
    ROOT,
    contract_rules,
    dependency_levels,
    fleet_rule_exprs,
    panels_of,
    usable_contracts,
)
from observability.backfill import fleet_contracts, fleet_regions, sample_times, write_file
from observability.catalog import metric_names
from observability.config import ObservabilityConfig
from tests.observability.live_prometheus import (
    Live,
    LiveError,
    create_blocks,
    running,
    wait_firing,
    write_config,
    write_rule_files,
)

P95_TARGET_MS: Final = 100.0
RATIO_TARGET: Final = 10.0


@dataclass(frozen=True)
class Timing:
    """One query's runs: wall-clock at the client (HTTP and JSON included) and Prometheus' own execution time."""

    wall_ms: tuple[float, ...]
    server_ms: tuple[float, ...]

    @property
    def median(self) -> float:
        """Median wall-clock time (ms)."""
        return statistics.median(self.wall_ms)

    @property
    def p95(self) -> float:
        """95th percentile wall-clock time (ms), nearest rank."""
        ordered = sorted(self.wall_ms)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]

    @property
    def server(self) -> float:
        """Median execution time inside Prometheus (ms)."""
        return statistics.median(self.server_ms)


@dataclass(frozen=True)
class PanelResult:
    """One fleet panel: its recorded query and the raw query it replaces."""

    title: str
    expr: str
    raw_expr: str
    recorded: Timing
    raw: Timing | None
    series: int

    @property
    def ratio(self) -> float | None:
        """How many times longer the raw query runs inside Prometheus (medians)."""
        return None if self.raw is None else self.raw.server / max(self.recorded.server, 1e-3)


@dataclass
class BenchResult:
    """Everything the report shows."""

    regions: int
    kinds: list[str]
    skipped: list[str]
    series: int
    samples: int
    span_s: int
    range_s: int
    step_s: int
    runs: int
    panels: list[PanelResult] = field(default_factory=list)
    groups: dict[str, list[float]] = field(default_factory=dict)
    """Rule group to the evaluation times (ms) observed."""
    phases_s: dict[str, float] = field(default_factory=dict)
    server_rss_mib: float = math.nan
    """The measured server's resident memory after the queries."""
    peak_rss_mib: dict[str, float] = field(default_factory=dict)


def _timed(session: requests.Session, url: str, params: dict[str, str], runs: int,
           budget_s: float = 15.0) -> tuple[Timing, int]:
    """`runs` range queries (at least 2, fewer when they exceed `budget_s`); the timing and the series returned."""
    wall, server, series = [], [], 0
    deadline = time.monotonic() + budget_s
    for index in range(runs):
        began = time.perf_counter()
        response = session.get(f"{url}/api/v1/query_range", params={**params, "stats": "all"}, timeout=120)
        wall.append((time.perf_counter() - began) * 1000)
        if response.status_code != 200:
            raise LiveError(f"query failed ({response.status_code}): {response.text[:500]}: {params['query']}")
        data = response.json()["data"]
        server.append(data["stats"]["timings"]["execTotalTime"] * 1000)
        series = len(data["result"])
        if index >= 1 and time.monotonic() > deadline:
            break
    return Timing(tuple(wall), tuple(server)), series


def _watch_groups(live: Live, rounds: int, timeout: float) -> dict[str, list[float]]:
    """Evaluation times (ms) of each group over `rounds` evaluations after the first."""
    seen: dict[str, str] = {}
    times: dict[str, list[float]] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for group in live.groups():
            key = group["name"]
            if group["lastEvaluation"] != seen.get(key, group["lastEvaluation"]):
                times.setdefault(key, []).append(group["evaluationTime"] * 1000)
            seen[key] = group["lastEvaluation"]
        if seen and all(len(times.get(key, [])) >= rounds for key in seen):
            break
        time.sleep(1.0)
    return times


def _measure_panels(live: Live, panels: list[tuple[str, str, set[str]]], raw_exprs: Mapping[str, str],
                    result: BenchResult, raw_runs: int, log: Callable[[str], None]) -> list[PanelResult]:
    """Each panel's query and its raw form as range queries over the last `result.range_s` seconds."""
    now = int(time.time()) // result.step_s * result.step_s
    window = {"start": str(now - result.range_s), "end": str(now), "step": f"{result.step_s}s"}
    measured = []
    with requests.Session() as session:
        for title, expr, names in panels:
            raw_expr = " or ".join(raw_exprs[name] for name in sorted(names) if name in raw_exprs)
            recorded, found = _timed(session, live.url, {**window, "query": expr}, result.runs)
            raw = _timed(session, live.url, {**window, "query": raw_expr}, raw_runs)[0] if raw_expr else None
            measured.append(PanelResult(title=title, expr=expr, raw_expr=raw_expr, recorded=recorded, raw=raw,
                                        series=found))
            log(f"{title}: {recorded.median:.1f} ms ({recorded.server:.1f} in Prometheus), raw "
                f"{raw.median if raw else math.nan:.1f} ms ({raw.server if raw else math.nan:.1f})")
    return measured


def run(regions: int = 30, span_hours: float = 1.0, range_hours: float = 1.0, step_s: int = 30, runs: int = 20,
        raw_runs: int = 5, fanout: Mapping[str, int] = FANOUT, folder: Path | None = None,
        log: Callable[[str], None] = print) -> BenchResult:
    """Backfill, start, measure; see the module docstring."""
    obs = ObservabilityConfig()
    contracts, skipped = usable_contracts(obs)
    fleet = fleet_contracts(contracts, fleet_regions(regions))
    rules, panels = contract_rules(contracts, obs), panels_of(contracts, obs)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        work, phases = Path(tmp), {}
        data = work / "data"
        began = time.perf_counter()
        history_end = int(time.time()) // step_s * step_s
        series, samples = backfill_history(fleet, sample_times(history_end, span_hours * 3600, step_s), data, work,
                                           fanout=fanout)
        phases["raw backfill"] = time.perf_counter() - began
        log(f"{series} series, {samples} samples backfilled in {phases['raw backfill']:.0f} s")
        began = time.perf_counter()
        levels = dependency_levels(rules, set().union(*(names for _, _, names in panels)))
        backfill_fleet_rules(work, data, rules, levels, history_end - int(span_hours * 3600), history_end)
        phases["rules backfill and compaction"] = time.perf_counter() - began
        began = time.perf_counter()
        recent = list(range(history_end + step_s, int(time.time()) // step_s * step_s + 1, step_s))
        if recent:
            write_file(fleet, work / "recent.om", recent, fanout=fanout)
            create_blocks(work / "recent.om", data)
        phases["recent backfill"] = time.perf_counter() - began
        result = BenchResult(regions=regions, kinds=[c.kind for c in contracts], skipped=skipped, series=series,
                             samples=samples, span_s=int(span_hours * 3600), range_s=int(range_hours * 3600),
                             step_s=step_s, runs=runs, phases_s=phases)
        log("starting Prometheus with the rules")
        config = write_config(work, write_rule_files(rules, work / "rules"), obs.rule_interval)
        with running(data, config, extra_flags=TSDB_FLAGS) as live:
            began = time.perf_counter()
            # The steady state: the dead man's switch fires (past its `for`), then every group evaluates twice more.
            wait_firing(live, {rule["alert"] for content in rules.values() for rule in alerts_of(content)
                               if not metric_names(rule["expr"])})
            result.groups = _watch_groups(live, rounds=2, timeout=150)
            phases["rule evaluation"] = time.perf_counter() - began
            began = time.perf_counter()
            result.panels = _measure_panels(live, panels, fleet_rule_exprs(rules), result, raw_runs, log)
            phases["queries"] = time.perf_counter() - began
            result.server_rss_mib = _metric(live, "process_resident_memory_bytes") / 2**20
    result.peak_rss_mib = {"this process": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                           "largest child (promtool, Prometheus)":
                               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}
    return result


def _metric(live: Live, name: str) -> float:
    """A value of the server's own metrics (its /metrics page)."""
    for line in requests.get(f"{live.url}/metrics", timeout=10).text.splitlines():
        if line.startswith(f"{name} "):
            return float(line.split()[1])
    return math.nan


def render(result: BenchResult) -> str:
    """The markdown section for docs/benchmarks.md."""
    lines = ["## Fleet dashboard queries (real Prometheus 2.42)", "",
             f"`python -m benchmarks.fleet_queries`: {result.regions} synthetic regions, each with every us-east-1 "
             f"contract ({', '.join(result.kinds)}), backfilled from the metric catalog (label sets fanned out: "
             f"{', '.join(f'{k} x{v}' for k, v in FANOUT.items())}) to {result.series:,} series "
             f"({result.samples:,} samples, {result.span_s / 3600:g} h at {result.step_s} s); the recording rules "
             f"fleet panels read backfilled with `promtool tsdb create-blocks-from rules`. Each panel is a range query "
             f"over {result.range_s / 3600:g} h at a {result.step_s} s step ({result.runs} runs; its raw form, the "
             "recording rules' own expressions, fewer). Wall: at the client, HTTP and JSON included; Prometheus: "
             "the query's `execTotalTime`. Ratio: raw over recorded, Prometheus medians.", ""]
    if result.skipped:
        lines += [f"Kinds not measured (template, catalog or dashboard missing): {', '.join(result.skipped)}.", ""]
    lines += ["| fleet panel | series | recorded wall p50 / p95 (ms) | recorded in Prometheus (ms) | "
              "raw wall p50 / p95 (ms) | raw in Prometheus (ms) | raw / recorded |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    for panel in result.panels:
        raw = f"{panel.raw.median:.1f} / {panel.raw.p95:.1f} | {panel.raw.server:.1f}" if panel.raw else "- | -"
        ratio = f"{panel.ratio:.0f}x" if panel.ratio is not None else "-"
        lines.append(f"| {panel.title} | {panel.series} | {panel.recorded.median:.1f} / {panel.recorded.p95:.1f} | "
                     f"{panel.recorded.server:.1f} | {raw} | {ratio} |")
    lines += ["", "| rule group | evaluations | median (ms) | max (ms) |", "|---|---:|---:|---:|"]
    for name, times in sorted(result.groups.items(), key=lambda item: -statistics.median(item[1] or [0])):
        if times:
            lines.append(f"| {name} | {len(times)} | {statistics.median(times):.1f} | {max(times):.1f} |")
    lines += ["", *_verdicts(result)]
    return "\n".join(lines) + "\n"


def _verdicts(result: BenchResult) -> list[str]:
    slow = [panel.title for panel in result.panels if panel.recorded.p95 > P95_TARGET_MS]
    compared = [panel for panel in result.panels if panel.ratio is not None]
    below = [panel.title for panel in compared if (panel.ratio or 0) < RATIO_TARGET]
    empty = [panel.title for panel in result.panels if not panel.series]
    recorded_total = sum(panel.recorded.server for panel in compared)
    raw_total = sum(panel.raw.server for panel in compared if panel.raw)
    lines = [f"- p95 <= {P95_TARGET_MS:.0f} ms: {len(result.panels) - len(slow)} of {len(result.panels)} panels"
             + (f" (over: {', '.join(slow)})." if slow else "."),
             f"- >= {RATIO_TARGET:.0f}x faster than raw: {len(compared) - len(below)} of {len(compared)} panels; the "
             f"whole fleet dashboard {raw_total / max(recorded_total, 1e-3):.1f}x ({recorded_total:.0f} ms against "
             f"{raw_total:.0f} ms in Prometheus). A recording rule pays off with the cardinality behind it: panels "
             "over a few series per region gain little."]
    if empty:
        lines.append(f"- Panels with no data (their recording rules record nothing on this data): {', '.join(empty)}.")
    lines.append("- Phases: " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in result.phases_s.items())
                 + f". Memory: the measured Prometheus {result.server_rss_mib:.0f} MiB resident; peak RSS "
                 + ", ".join(f"{name} {mib:.0f} MiB" for name, mib in result.peak_rss_mib.items()) + ".")
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark with the defaults (or `--regions N`) and print the markdown section."""
    args = list(sys.argv[1:] if argv is None else argv)
    regions = int(args[args.index("--regions") + 1]) if "--regions" in args else 30
    started = time.perf_counter()
    result = run(regions=regions, log=lambda line: print(line, file=sys.stderr, flush=True))
    print(render(result))
    print(f"(total {time.perf_counter() - started:.0f} s; project {ROOT})", file=sys.stderr)


if __name__ == "__main__":
    main()
