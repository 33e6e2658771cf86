"""`meridian verify` against a real Prometheus (the installed 2.42) on 127.0.0.1, loaded with the `dev` stack's
synth output: its rule files, and 30 minutes of catalog-shaped data backfilled from its contracts.

The server's copies of the rule files evaluate every 2 s and the always-firing watchdog has no `for`, so the
steady state (watchdog firing, `cluster:alerts_firing:count` recorded) arrives in seconds; verify compares group
and rule names, not intervals. Scenarios share one server and leave it as they found it: healthy (exit 0); a target
really down (a scrape job added by config reload, pointing at a closed port); rule groups missing and extra (a
build copy with one group more and one group less than the server loaded); broken panel queries (a build copy with
one invalid and one empty panel); a job with no targets.

The down target comes and goes through file-based discovery: a target dropped from a running scrape pool gets
staleness markers, so its `up` vanishes at once (a job removed by a config reload would linger for the 5-minute
lookback).
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner, Result

from meridian.synth.stack import synth_stack
from meridian.verify.command import verify_command
from meridian.verify.expected import load_expected
from meridian.verify.probe import TOKEN_ENV
from observability.backfill import sample_times, write_file
from observability.catalog import metric_names
from observability.contracts_io import load_contracts
from tests.observability.live_prometheus import NEVER, Live, LiveError, create_blocks, free_port, running

PROJECT = Path(__file__).resolve().parents[2]
STACK = "dev"
SPAN_SECONDS = 1800
INTERVAL = "2s"
"""Evaluation interval of the server's copies of the rule files."""
DOWN_JOB = "vault"
"""An expected job (3 backfilled targets in dev) that the server also scrapes, from a file the tests fill."""
app = typer.Typer()
app.command()(verify_command)


@dataclass
class Server:
    """The live server, the stack's synth output it was loaded from, and its config."""

    live: Live
    build: Path
    targets: Path
    """The file_sd file of the extra scrape job (`DOWN_JOB`): `[]` but while a test puts a target in it."""
    tmp: Path

    def discover(self, groups: list[dict[str, Any]]) -> None:
        """Replace the extra job's target groups (atomically, so discovery never reads half a file)."""
        self.targets.with_suffix(".tmp").write_text(json.dumps(groups))
        self.targets.with_suffix(".tmp").replace(self.targets)


def _server_rules(build: Path, folder: Path) -> list[Path]:
    """The build's rule files as the server loads them: groups at `INTERVAL`, always-firing alerts without `for`."""
    folder.mkdir()
    paths = []
    for path in sorted((build / STACK / "alerts").glob("*.yaml")):
        if path.name == "alertmanager.yaml":
            continue
        content = yaml.safe_load(path.read_text())
        for group in content["groups"]:
            group["interval"] = INTERVAL
            for rule in group["rules"]:
                if "alert" in rule and not metric_names(rule["expr"]):
                    rule.pop("for", None)
        paths.append(folder / path.name)
        paths[-1].write_text(yaml.safe_dump(content, sort_keys=False))
    return paths


def _wait_for(live: Live, expr: str, present: bool = True, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while bool(live.client.custom_query(expr)) != present:
        if time.monotonic() > deadline:
            raise LiveError(f"{expr} {'never' if present else 'still'} returns data after {timeout} s")
        time.sleep(0.5)


def _wait_evaluated(live: Live, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while any(group["lastEvaluation"] == NEVER for group in live.groups()):
        if time.monotonic() > deadline:
            raise LiveError(f"rule groups not evaluated within {timeout} s")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("verify")
    synth_stack(PROJECT, STACK, tmp / "build")
    contracts = load_contracts((tmp / "build" / STACK / "contracts.json").read_text())
    write_file(contracts, tmp / "backfill.om", sample_times(None, SPAN_SECONDS))
    create_blocks(tmp / "backfill.om", tmp / "data")
    (tmp / "backfill.om").unlink()
    (tmp / "targets.json").write_text("[]")
    config = {"global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": INTERVAL},
              "rule_files": [str(p) for p in _server_rules(tmp / "build", tmp / "rules")],
              "scrape_configs": [{"job_name": DOWN_JOB, "file_sd_configs": [{"files": [str(tmp / "targets.json")]}]}]}
    (tmp / "prometheus.yml").write_text(yaml.safe_dump(config))
    with running(tmp / "data", tmp / "prometheus.yml") as live:
        _wait_for(live, "cluster:alerts_firing:count")  # the watchdog fired and was recorded
        _wait_evaluated(live)
        yield Server(live=live, build=tmp / "build", targets=tmp / "targets.json", tmp=tmp)


def verify(server: Server, *args: str, build: Path | None = None) -> Result:
    return CliRunner().invoke(app, ["--prometheus", server.live.url, "--stack", STACK,
                                    "--build", str(build or server.build), "--timeout", "5", *args],
                              env={TOKEN_ENV: None})


def failures(result: Result) -> dict[tuple[str, str], str]:
    """(check, subject) to detail of every failing row of a `--json` run."""
    report = json.loads(result.stdout)
    return {(row["check"], row["subject"]): row["detail"] for row in report["results"]
            if row["status"] in ("fail", "pending")}


def build_copy(server: Server, name: str) -> Path:
    """A copy of the stack's synth output (the parts verify reads) to break."""
    folder = server.tmp / name / STACK
    for part in ("alerts", "dashboards"):
        shutil.copytree(server.build / STACK / part, folder / part)
    shutil.copy(server.build / STACK / "contracts.json", folder / "contracts.json")
    return folder.parent


def test_healthy_stack_passes(server: Server) -> None:
    expected = load_expected(server.build, STACK)
    result = verify(server, "--json")
    assert result.exit_code == 0, f"{result.stderr}\n{failures(result) if result.stdout else ''}"
    report = json.loads(result.stdout)
    assert report["passed"] and report["region"] == expected.region and report["cluster"] == expected.cluster
    assert report["counts"]["targets"] == {"ok": len(expected.jobs)}
    assert report["counts"]["rules"] == {"ok": len(expected.groups)}
    assert report["counts"]["panels"] == {"ok": len(expected.panels)} and len(expected.panels) > 100
    assert report["counts"]["watchdog"] == {"ok": 1}
    assert report["alerts_firing"]["info"] >= 1, report["alerts_firing"]
    table = verify(server)
    assert table.exit_code == 0 and "PASSED" in table.stdout, table.stdout
    assert f"{len(expected.panels)} panels" in table.stdout


def test_target_down_is_named(server: Server) -> None:
    expected = load_expected(server.build, STACK)
    port = free_port()  # nobody listens there: the scrape fails, `up` is 0
    server.discover([{"targets": [f"127.0.0.1:{port}"], "labels": {"region": expected.region,
                                                                   "cluster": expected.cluster}}])
    try:
        _wait_for(server.live, f'up{{instance="127.0.0.1:{port}"}} == 0')
        result = verify(server, "--json")
        table = verify(server)
    finally:
        server.discover([])
        _wait_for(server.live, f'up{{instance="127.0.0.1:{port}"}}', present=False)
    assert result.exit_code == 1, result.output
    failed = failures(result)
    assert list(failed) == [("targets", DOWN_JOB)], failed
    assert failed[("targets", DOWN_JOB)] == f"1 of 4 targets down: 127.0.0.1:{port}"
    assert table.exit_code == 1 and f"127.0.0.1:{port}" in table.stdout and "FAILED" in table.stdout


def test_missing_and_extra_rule_groups_are_named(server: Server) -> None:
    build = build_copy(server, "groups")
    alerts = build / STACK / "alerts"
    vault = yaml.safe_load((alerts / "vault.yaml").read_text())
    gone = vault["groups"].pop()["name"]  # loaded by the server, not declared by this build: extra
    (alerts / "vault.yaml").write_text(yaml.safe_dump(vault))
    kafka = yaml.safe_load((alerts / "kafka.yaml").read_text())
    kafka["groups"].append({**kafka["groups"][0], "name": "kafka.next-generation"})  # declared, not loaded: missing
    (alerts / "kafka.yaml").write_text(yaml.safe_dump(kafka))
    result = verify(server, "--json", build=build)
    assert result.exit_code == 1, result.output
    failed = failures(result)
    assert set(failed) == {("rules", gone), ("rules", "kafka.next-generation")}, failed
    assert failed[("rules", "kafka.next-generation")].startswith("missing: not loaded (declared in kafka.yaml)")
    assert failed[("rules", gone)].startswith("extra: loaded from ") and "vault.yaml" in failed[("rules", gone)]


def test_broken_and_empty_panel_queries_are_named(server: Server) -> None:
    build = build_copy(server, "panels")
    path = build / STACK / "dashboards" / "kafka.json"
    model = json.loads(path.read_text())
    panels = [panel for panel in model["panels"] if panel.get("targets")]
    panels[0]["targets"][0]["expr"] = 'sum(rate(kafka_server_brokertopicmetrics_bytesin_total{region=~"$region"}[5m]'
    panels[1]["targets"][0]["expr"] = 'kafka_server_no_such_metric{region=~"$region", cluster=~"$cluster"}'
    path.write_text(json.dumps(model))
    result = verify(server, "--json", build=build)
    assert result.exit_code == 1, result.output
    failed = failures(result)
    broken, empty = (("panels", f"{model['title']} / {panels[i]['title']}") for i in (0, 1))
    assert set(failed) == {broken, empty}, failed
    assert failed[broken].startswith("query fails (kafka.json): bad_data: ") and "unclosed" in failed[broken]
    assert failed[empty].startswith("returns no data in the last 5m (kafka.json): ")
    assert 'cluster=~"meridian-dev"' in failed[empty], "Grafana variables filled in for the stack"
    table = verify(server, build=build)
    assert table.exit_code == 1 and panels[0]["title"] in table.stdout and "query fails" in table.stdout


def test_job_without_targets_is_named(server: Server) -> None:
    build = build_copy(server, "jobs")
    path = build / STACK / "contracts.json"
    contracts = json.loads(path.read_text())
    contracts[0]["scrape"].append({**contracts[0]["scrape"][0], "job": "ghost-exporter"})
    path.write_text(json.dumps(contracts))
    result = verify(server, "--json", build=build)
    assert result.exit_code == 1, result.output
    failed = failures(result)
    assert list(failed) == [("targets", "ghost-exporter")], failed
    assert failed[("targets", "ghost-exporter")].startswith('no targets: nothing scraped as job="ghost-exporter"')
