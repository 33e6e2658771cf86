"""Every GitHub workflow in .github/workflows: valid YAML, valid against GitHub's workflow schema (vendored in
check-jsonschema, offline), no zizmor finding of medium severity or more, every action pinned to a commit; and
the preview workflow does what the pull-request tooling needs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from meridian.preview.summary import MARKER
from tests.conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
BIN = Path(sys.executable).parent
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
UNTRUSTED = re.compile(r"\$\{\{")


def load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text())
    assert isinstance(document, dict), path.name
    if True in document:  # YAML 1.1 reads the key `on` as True
        document["on"] = document.pop(True)
    return document


def steps(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(job_id, step) for job_id, job in document["jobs"].items() for step in job.get("steps", [])]


def test_there_are_workflows() -> None:
    assert {"preview.yml", "tests.yml"} <= {path.name for path in WORKFLOWS}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_valid_yaml_and_valid_against_githubs_workflow_schema(path: Path) -> None:
    load(path)
    result = subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing_of_medium_severity_or_more() -> None:
    result = subprocess.run([str(BIN / "zizmor"), "--offline", "--persona", "auditor", "--min-severity", "medium",
                             "--format", "json", *map(str, WORKFLOWS)], capture_output=True, text=True, check=False)
    findings = json.loads(result.stdout or "[]")
    assert findings == [], [(f["ident"], f["desc"], f["locations"][0]["symbolic"]["key"]) for f in findings]
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit_and_no_expression_is_spliced_into_a_script(path: Path) -> None:
    document = load(path)
    top = document.get("permissions")
    assert top == {} or (isinstance(top, dict) and set(top.values()) <= {"read", "none"}), \
        f"{path.name}: workflow-level permissions must be set and read-only; jobs ask for what they write"
    for job_id, step in steps(document):
        if "uses" in step:
            assert PINNED.match(step["uses"]), f"{path.name} {job_id}: {step['uses']} is not pinned to a commit SHA"
            assert re.search(r"# v\d", _line_of(path, step["uses"])), f"{step['uses']}: add the version as a comment"
        assert not UNTRUSTED.search(step.get("run", "")), f"{path.name} {job_id}: pass values to run: through env"


def _line_of(path: Path, text: str) -> str:
    return next(line for line in path.read_text().splitlines() if text in line)


def test_preview_workflow() -> None:
    document = load(ROOT / ".github" / "workflows" / "preview.yml")
    assert set(document["on"]) == {"pull_request"}, "never pull_request_target: it would run fork code with secrets"
    jobs = document["jobs"]
    assert document["concurrency"]["group"] == "preview-${{ github.event.pull_request.number }}"
    assert jobs["preview"]["strategy"]["matrix"] == "${{ fromJSON(needs.stacks.outputs.matrix) }}"
    run = "\n".join(step.get("run", "") for _, step in steps(document))
    assert "pulumi preview --stack \"$STACK\" --diff --json --policy-pack policy" in run
    assert "meridian preview-summary previews/preview-*.json" in run
    assert 'meridian diff --base "origin/$BASE_REF"' in run
    scripts = [step["with"]["script"] for _, step in steps(document) if "github-script" in step.get("uses", "")]
    assert len(scripts) == 2 and all(MARKER in script and "updateComment" in script for script in scripts)
    writers = {job for job, spec in jobs.items() if (spec.get("permissions") or {}).get("pull-requests") == "write"}
    assert writers == {"summary", "offline-diff"}
    oidc = {job for job, spec in jobs.items() if (spec.get("permissions") or {}).get("id-token") == "write"}
    assert oidc == {"preview"}
    assert jobs["preview"]["needs"] == "stacks" and "has-credentials == 'true'" in jobs["stacks"]["if"]
    assert "has-credentials != 'true'" in jobs["offline-diff"]["if"]
    checkout = [step for _, step in steps(document) if step.get("uses", "").startswith("actions/checkout@")]
    assert all(step["with"]["persist-credentials"] is False for step in checkout)


def test_tests_workflow_runs_the_suite_on_every_pull_request() -> None:
    document = load(ROOT / ".github" / "workflows" / "tests.yml")
    assert "pull_request" in document["on"] and document["on"]["push"]["branches"] == ["main"]
    run = "\n".join(step.get("run", "") for _, step in steps(document))
    assert "make test" in run and "make lint" in run
