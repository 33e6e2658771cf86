"""`meridian synth` runs the policy pack's rules over the recorded resources and stops on a mandatory violation."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from meridian.cli import app
from tests.conftest import ROOT

ROGUE = '''
import pulumi_aws as _aws  # appended by the test: a key without rotation, tags or protection
_aws.kms.Key("rogue-key", description="test", enable_key_rotation=False)
'''


def _project(tmp_path: Path, extra: str = "") -> Path:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path)
    (tmp_path / "__main__.py").write_text((ROOT / "__main__.py").read_text() + extra)
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks")
    return tmp_path


def test_a_mandatory_violation_fails_the_synth_with_a_readable_report(tmp_path: Path) -> None:
    project = _project(tmp_path, ROGUE)
    result = CliRunner().invoke(app, ["synth", "-s", "us-east-1", "--project-dir", str(project),
                                      "--out", str(tmp_path / "build")])
    assert result.exit_code == 1, result.output
    report = result.stderr
    assert "policy violation: stack us-east-1" in report
    for rule in ("kms-key-rotation", "required-tags", "stateful-protected"):
        assert rule in report, rule
    assert "rogue-key" in report
    assert not (tmp_path / "build" / "us-east-1" / "plan.json").exists(), "nothing written for a failed stack"


def test_a_clean_stack_writes_its_advisory_findings(tmp_path: Path) -> None:
    project = _project(tmp_path)
    result = CliRunner().invoke(app, ["synth", "-s", "dev", "--project-dir", str(project),
                                      "--out", str(tmp_path / "build")])
    assert result.exit_code == 0, result.output
    findings = json.loads((tmp_path / "build" / "dev" / "policy.json").read_text())
    assert findings and {f["enforcement"] for f in findings} == {"advisory"}
    assert {f["rule"] for f in findings} == {"stateful-protected"}, "dev protects no state, by config"
    assert "advisory finding(s)" in result.output


def test_policy_args_give_pulumi_the_synths_levels_for_a_stack_that_protects_no_state() -> None:
    from meridian.cli import UNPROTECTED_POLICY_CONFIG
    from policy import UNPROTECTED_STACK_LEVELS

    assert json.loads((ROOT / UNPROTECTED_POLICY_CONFIG).read_text()) == dict(UNPROTECTED_STACK_LEVELS)
    dev = CliRunner().invoke(app, ["policy-args", "--stack", "dev", "--project-dir", str(ROOT)])
    assert dev.exit_code == 0 and dev.stdout.split() == ["--policy-pack-config", str(UNPROTECTED_POLICY_CONFIG)]
    production = CliRunner().invoke(app, ["policy-args", "--stack", "us-east-1", "--project-dir", str(ROOT)])
    assert production.exit_code == 0 and production.stdout == ""
    unknown = CliRunner().invoke(app, ["policy-args", "--stack", "nowhere", "--project-dir", str(ROOT)])
    assert unknown.exit_code == 2 and "no stack 'nowhere'" in unknown.stderr
