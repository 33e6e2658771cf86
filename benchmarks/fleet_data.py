"""The benchmark's TSDB: the fleet's raw history (OpenMetrics files of bounded size, each converted by promtool
while the next is written) and the history of the recording rules fleet panels read, compacted into the raw blocks
before anything is measured."""

from __future__ import annotations

import contextlib
import itertools
import json
import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from components.contracts import MonitoringContract
from observability.backfill import write_file
from tests.observability.live_prometheus import (
    PROMTOOL,
    LiveError,
    backfill_rules,
    running,
    write_config,
    write_rule_files,
)

TSDB_FLAGS: Final = ("--storage.tsdb.min-block-duration=2h", "--storage.tsdb.max-block-duration=2h")
"""Servers merge overlapping blocks but never compact 2-hour blocks into longer ones (as with a sidecar), so no
compaction runs while anything is measured."""


def backfill_history(fleet: Sequence[MonitoringContract], times: Sequence[int], data_dir: Path, work: Path, *,
                     fanout: Mapping[str, int], chunk_seconds: int = 900,
                     timeout: float = 900.0) -> tuple[int, int]:
    """Blocks of the fleet's series at `times` in `data_dir`; (series, samples) written. One file per
    `chunk_seconds` (a divisor of the block duration, so a file never spans two block windows and stays small);
    promtool converts one file while Python writes the next."""
    series = samples = 0
    converting: subprocess.Popen[bytes] | None = None
    previous: Path | None = None
    try:
        for chunk_index, chunk in itertools.groupby(times, key=lambda t: t // chunk_seconds):
            source = work / f"history-{chunk_index}.om"
            written = write_file(fleet, source, list(chunk), fanout=fanout)
            series, samples = written[0], samples + written[1]
            _finish(converting, previous, timeout)
            converting, previous = subprocess.Popen(
                [PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", "--quiet", str(source), str(data_dir)],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE), source
        _finish(converting, previous, timeout)
        converting = None
    finally:
        if converting is not None and converting.poll() is None:
            converting.kill()
            converting.wait(timeout=10)
    return series, samples


def _finish(process: subprocess.Popen[bytes] | None, source: Path | None, timeout: float) -> None:
    if process is None or source is None:
        return
    _, error = process.communicate(timeout=timeout)
    if process.returncode != 0:
        raise LiveError(f"promtool failed on {source.name}: {error.decode()[-2000:]}")
    source.unlink()


def backfill_fleet_rules(work: Path, data_dir: Path, rules: Mapping[str, dict[str, Any]],
                         levels: Sequence[set[str]], start: int, end: int, timeout: float = 300.0) -> None:
    """History over [start, end] of the recording rules named in `levels` (those fleet panels read and what they
    read; no panel reads the long SLO windows, whose backfill would cost minutes), level by level, each evaluated by
    a rule-less server over the raw blocks and the levels before. promtool writes a block per rule and window; a
    last server merges them into the raw blocks."""
    for index, names in enumerate(levels):
        only = {}
        for file_name, content in rules.items():
            groups = [{**group, "rules": [rule for rule in group["rules"] if rule.get("record") in names]}
                      for group in content["groups"]]
            if any(group["rules"] for group in groups):
                only[file_name] = {"groups": [group for group in groups if group["rules"]]}
        paths = write_rule_files(only, work / f"backfill-rules-{index}")
        with running(data_dir, write_config(work / f"backfill-rules-{index}", []), extra_flags=TSDB_FLAGS) as live:
            backfill_rules(live.url, paths, start, end, work / f"rule-blocks-{index}")
        for block in (work / f"rule-blocks-{index}").iterdir():
            shutil.move(str(block), data_dir / block.name)
    with running(data_dir, write_config(work, []), extra_flags=TSDB_FLAGS) as live:
        wait_compacted(data_dir, timeout)
        if not live.client.check_prometheus_connection():
            raise LiveError("the compacting server stopped answering")


def blocks(data_dir: Path) -> list[tuple[int, int]]:
    """(minTime, maxTime) of every complete block in a TSDB directory."""
    found = []
    for meta in data_dir.glob("*/meta.json"):
        if meta.parent.name.endswith(".tmp-for-creation") or (meta.parent / "deletion-mark.json").exists():
            continue
        with contextlib.suppress(OSError, ValueError):
            data = json.loads(meta.read_text())
            found.append((int(data["minTime"]), int(data["maxTime"])))
    return sorted(found)


def overlapping(spans: Sequence[tuple[int, int]]) -> int:
    """How many (sorted) blocks start before the previous one ends."""
    return sum(1 for before, after in itertools.pairwise(spans) if after[0] < before[1])


def wait_compacted(data_dir: Path, timeout: float) -> None:
    """Wait until the running server has merged every overlapping block (it plans compactions once a minute)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not overlapping(blocks(data_dir)) and not list(data_dir.glob("*.tmp-for-*")):
            return
        time.sleep(2.0)
    raise LiveError(f"blocks in {data_dir} still overlap after {timeout} s: {blocks(data_dir)}")
