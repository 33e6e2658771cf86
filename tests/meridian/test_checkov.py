"""Checkov (its Kubernetes framework) over every plain Kubernetes object the synth renders, for every stack."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from components.fleet import stack_names
from meridian.synth.stack import synth_stack
from tests.conftest import ROOT

CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"


def _reports(output: str) -> list[dict[str, Any]]:
    data = json.loads(output)
    return data if isinstance(data, list) else [data]


@pytest.fixture(scope="module")
def checkov_reports(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    assert CHECKOV.exists(), "checkov is missing: `make tools` installs it into .venv-checkov"
    build = tmp_path_factory.mktemp("build")
    for stack in stack_names(ROOT):
        synth_stack(ROOT, stack, build)
    result = subprocess.run([str(CHECKOV), "--skip-download", "--framework", "kubernetes", "-d", str(build),
                             "--quiet", "--compact", "-o", "json"], capture_output=True, text=True, timeout=600,
                            env={**os.environ, "BC_SKIP_MAPPING": "TRUE"}, check=False)
    assert result.returncode in (0, 1), result.stderr[-2000:]
    return _reports(result.stdout)


def _failures(reports: list[dict[str, Any]]) -> list[str]:
    failures = []
    for report in reports:
        for check in (report.get("results") or {}).get("failed_checks", []):
            failures.append(f"{check['check_id']} {check['check_name']}: {check['resource']} "
                            f"({Path(check['file_path']).name})")
    return failures


def test_no_failed_checkov_check(checkov_reports: list[dict[str, Any]]) -> None:
    failures = _failures(checkov_reports)
    assert not failures, "checkov failures (fix, or suppress with a checkov.io/skip annotation and a reason):\n" + \
        "\n".join(failures)


def test_every_suppression_gives_a_reason(checkov_reports: list[dict[str, Any]]) -> None:
    for report in checkov_reports:
        for check in (report.get("results") or {}).get("skipped_checks", []):
            reason = (check.get("check_result") or {}).get("suppress_comment", "")
            assert reason and reason != "No comment provided", f"{check['check_id']} on {check['resource']}"
