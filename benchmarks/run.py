"""`make bench`: synth time and peak memory for 1, 3, 10 and 30 generated regions, and the suite's time.

Each fleet size runs in its own process (so its peak RSS is its own): it writes N stack files into a temporary
project, runs one untimed synth to do every (lazy) import, then synthesizes every stack in that one process.
"""

from __future__ import annotations

import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import typer
import yaml

from components.regions import ZONES_BY_REGION

ROOT = Path(__file__).resolve().parents[1]
SIZES = (1, 3, 10, 30)
REGIONS = tuple(sorted(region for region, zones in ZONES_BY_REGION.items() if len(zones) >= 3))
"""Regions with the three zones the data services need."""
app = typer.Typer(add_completion=False)


def make_project(folder: Path, regions: int) -> list[str]:
    """A copy of the project with `regions` production-sized stacks, each in its own /16."""
    shutil.copy(ROOT / "Pulumi.yaml", folder / "Pulumi.yaml")
    shutil.copy(ROOT / "__main__.py", folder / "__main__.py")
    template = yaml.safe_load((ROOT / "stacks" / "Pulumi.us-east-1.yaml").read_text())["config"]
    (folder / "stacks").mkdir()
    names = []
    for index in range(regions):
        name = f"bench-{index:03d}"
        config = json.loads(json.dumps(template))
        config["aws:region"] = REGIONS[index % len(REGIONS)]
        config["meridian:network"]["cidr"] = f"10.{index + 1}.0.0/16"
        config.pop("meridian:peers", None)
        (folder / "stacks" / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump({"config": config}))
        names.append(name)
    return names


def measure_fleet(regions: int) -> dict[str, Any]:
    """Synthesize a generated fleet in this process; times exclude imports."""
    from meridian.synth.stack import synth_plan

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        names = make_project(folder, regions)
        # pulumi_aws loads each resource module lazily on first use: one untimed run does all the imports.
        began = time.perf_counter()
        synth_plan(folder, names[0])
        cold = time.perf_counter() - began
        durations, resources = [], 0
        start = time.perf_counter()
        for name in names:
            began = time.perf_counter()
            plan, _ = synth_plan(folder, name)
            durations.append(time.perf_counter() - began)
            resources += len(plan)
        total = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"regions": regions, "total_s": total, "cold_s": cold, "first_s": durations[0],
            "median_s": statistics.median(durations), "max_s": max(durations), "resources": resources,
            "peak_rss_mib": peak_mib}


@app.command()
def main(out: Path = Path("docs/benchmarks.md"), child: int = 0, suite: bool = True) -> None:
    """Run every fleet size in a child process and write the report (or, with --child N, measure one)."""
    if child:
        print(json.dumps(measure_fleet(child)))
        return
    rows = []
    for size in SIZES:
        result = subprocess.run([sys.executable, "-m", "benchmarks.run", "--child", str(size)], cwd=ROOT,
                                capture_output=True, text=True, check=True)
        rows.append(json.loads(result.stdout.strip().splitlines()[-1]))
        print(rows[-1])
    suite_s = None
    if suite:
        began = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "2"], cwd=ROOT, check=True,
                       capture_output=True)
        suite_s = time.perf_counter() - began
    # The fleet-dashboard benchmark needs its own real Prometheus and minutes; its child prints a markdown section.
    fleet = subprocess.run([sys.executable, "-m", "benchmarks.fleet_queries"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(rows, suite_s) + "\n" + fleet)
    print(f"wrote {out}")


def render(rows: list[dict[str, Any]], suite_s: float | None) -> str:
    """The markdown report, with the growth ratio that shows whether cost is linear in regions."""
    base = rows[0]
    lines = ["# Benchmarks", "", "`make bench` on this machine (2 cores). Each fleet size runs in a fresh process, "
             "all its stacks in that one process; times exclude imports (one untimed warm-up synth loads pulumi_aws's "
             "lazily imported modules; its time is the cold column).", "",
             "| regions | resources | total (s) | median stack (s) | slowest stack (s) | per-region vs 1 region |"
             " cold first run, with imports (s) | peak RSS (MiB) |", "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        ratio = (row["total_s"] / row["regions"]) / base["total_s"]
        lines.append(f"| {row['regions']} | {row['resources']} | {row['total_s']:.2f} | {row['median_s']:.3f} | "
                     f"{row['max_s']:.3f} | {ratio:.2f}x | {row['cold_s']:.2f} | {row['peak_rss_mib']:.0f} |")
    lines += ["", "Targets: one region <= 2 s after imports; 30 regions <= 60 s and <= 1 GiB; per-region cost flat "
              "(ratio near 1x or below means linear growth)."]
    if suite_s is not None:
        lines += ["", f"Full test suite (`pytest -n 2`): {suite_s:.1f} s (target: under 120 s)."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    app()
