"""A real Prometheus (the installed 2.42 binary) over backfilled data, with the generated rule files loaded.

`live_prometheus(...)` backfills the contracts' catalog series into a fresh TSDB with promtool, writes a config
that only loads the rule files (no scrape jobs), starts `prometheus` on 127.0.0.1 at a free port, waits for
`/-/ready`, and stops it on exit (SIGTERM, then kill). Every wait is bounded; failures carry the server's log tail.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import requests
import yaml
from prometheus_api_client import PrometheusConnect

from components.contracts import MonitoringContract
from observability.backfill import sample_times, write_file

PROMETHEUS: Final = "prometheus"
PROMTOOL: Final = "promtool"
NEVER: Final = "0001-01-01T00:00:00Z"
"""`lastEvaluation` of a rule group not evaluated yet."""


class LiveError(RuntimeError):
    """The live Prometheus (or promtool) failed or did not get ready in time."""


@dataclass(frozen=True)
class Live:
    """A running server: its URL, a query client, and where its files are."""

    url: str
    client: PrometheusConnect
    folder: Path
    log: Path

    def api(self, path: str, timeout: float = 10.0) -> Any:
        """`data` of a GET on the HTTP API (`rules`, `alerts`, ...)."""
        response = requests.get(f"{self.url}/api/v1/{path}", timeout=timeout)
        response.raise_for_status()
        return response.json()["data"]

    def groups(self) -> list[dict[str, Any]]:
        """The rule groups as `/api/v1/rules` reports them."""
        found: list[dict[str, Any]] = self.api("rules")["groups"]
        return found


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def run_tool(*args: str, timeout: float = 300.0) -> str:
    """promtool with a bounded run time; its output, or LiveError with it."""
    try:
        result = subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as error:
        raise LiveError(f"promtool {args[:3]} timed out after {timeout} s") from error
    if result.returncode != 0:
        raise LiveError(f"promtool {' '.join(args[:3])} failed: {result.stdout[-2000:]}{result.stderr[-2000:]}")
    return result.stdout


def write_rule_files(files: Mapping[str, dict[str, Any]], folder: Path) -> list[Path]:
    """The rule files (name to content, as `alerts.render.rule_files` returns them) written as YAML."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, content in files.items():
        paths.append(folder / name)
        paths[-1].write_text(yaml.safe_dump(content, sort_keys=False))
    return paths


def write_config(folder: Path, rule_paths: Sequence[Path], interval: str = "30s") -> Path:
    """A prometheus.yml that loads the rule files and scrapes nothing."""
    path = folder / "prometheus.yml"
    path.write_text(yaml.safe_dump({"global": {"scrape_interval": interval, "evaluation_interval": interval},
                                    "rule_files": [str(p) for p in rule_paths], "scrape_configs": []}))
    return path


def create_blocks(openmetrics: Path, data_dir: Path, timeout: float = 600.0) -> None:
    """TSDB blocks from an OpenMetrics file, written into `data_dir`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    run_tool("tsdb", "create-blocks-from", "openmetrics", "--quiet", str(openmetrics), str(data_dir),
             timeout=timeout)


def backfill_rules(url: str, rule_paths: Sequence[Path], start: int, end: int, out_dir: Path,
                   timeout: float = 600.0) -> None:
    """Recording-rule history over [start, end] evaluated by the server at `url`, as blocks in `out_dir`."""
    run_tool("tsdb", "create-blocks-from", "rules", "--quiet", f"--url={url}", f"--start={start}", f"--end={end}",
             f"--output-dir={out_dir}", *map(str, rule_paths), timeout=timeout)


@contextlib.contextmanager
def running(data_dir: Path, config: Path, *, ready_timeout: float = 120.0,
            extra_flags: Sequence[str] = ()) -> Iterator[Live]:
    """Prometheus over `data_dir` with `config`, ready; stopped (and reaped) on exit. A free port taken by someone
    else between the check and the bind is retried on another."""
    for attempt in range(3):
        port = free_port()
        url, log = f"http://127.0.0.1:{port}", data_dir.parent / f"prometheus-{port}.log"
        with log.open("w") as log_file:
            process = subprocess.Popen(
                [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={data_dir}",
                 f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=3650d",
                 "--log.level=warn", *extra_flags], stdout=log_file, stderr=subprocess.STDOUT)
        try:
            _wait_ready(url, process, log, ready_timeout)
        except LiveError:
            _stop(process)
            if attempt < 2 and "address already in use" in log_tail(log):
                continue
            raise
        try:
            yield Live(url=url, client=PrometheusConnect(url=url, disable_ssl=True, timeout=60), folder=data_dir,
                       log=log)
        finally:
            _stop(process)
        return


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LiveError(f"prometheus exited with {process.returncode}: {log_tail(log)}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{url}/-/ready", timeout=2).status_code == 200:
                return
        time.sleep(0.25)
    raise LiveError(f"prometheus not ready after {timeout} s: {log_tail(log)}")


def log_tail(log: Path, size: int = 3000) -> str:
    """The end of a server log, for error messages."""
    return log.read_text(errors="replace")[-size:] if log.exists() else "(no log)"


def wait_evaluated(live: Live, rounds: int = 1, timeout: float = 180.0) -> list[dict[str, Any]]:
    """Wait until every rule group has been evaluated `rounds` more times (by `lastEvaluation`); the groups."""
    seen: dict[str, tuple[str, int]] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        groups = live.groups()
        for group in groups:
            key, stamp = f"{group['file']}/{group['name']}", group["lastEvaluation"]
            previous, count = seen.get(key, (NEVER, -1))
            seen[key] = (stamp, count + (stamp != previous))
        if groups and all(count >= rounds for _, count in seen.values()):
            return groups
        time.sleep(1.0)
    late = sorted(key for key, (_, count) in seen.items() if count < rounds)
    raise LiveError(f"rule groups not evaluated {rounds}x within {timeout} s: {late[:10]}")


def wait_firing(live: Live, alertnames: set[str], timeout: float = 180.0) -> list[dict[str, Any]]:
    """Wait until every alert named in `alertnames` fires (past its `for`); the server's alerts then."""
    deadline = time.monotonic() + timeout
    while True:
        alerts: list[dict[str, Any]] = live.api("alerts")["alerts"]
        firing = {alert["labels"]["alertname"] for alert in alerts if alert["state"] == "firing"}
        if alertnames <= firing:
            return alerts
        if time.monotonic() > deadline:
            raise LiveError(f"alerts {sorted(alertnames - firing)} not firing within {timeout} s")
        time.sleep(1.0)


@contextlib.contextmanager
def live_prometheus(contracts: Sequence[MonitoringContract], rule_files: Mapping[str, dict[str, Any]],
                    folder: Path, *, span_seconds: int = 2 * 3600, end: float | None = None) -> Iterator[Live]:
    """A ready Prometheus over `span_seconds` of the contracts' series ending at `end` (default now) with the
    rule files loaded."""
    folder.mkdir(parents=True, exist_ok=True)
    data_dir = folder / "data"
    source = folder / "backfill.om"
    write_file(contracts, source, sample_times(end, span_seconds))
    create_blocks(source, data_dir)
    source.unlink()
    config = write_config(folder, write_rule_files(rule_files, folder / "rules"))
    with running(data_dir, config) as live:
        yield live
