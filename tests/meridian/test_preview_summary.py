"""`meridian preview-summary` over `pulumi preview --json` output in the real format.

Fixtures (tests/meridian/fixtures/preview/, built from the synth's own resources so URNs, types and inputs are
real): us-east-1 replaces a K8ssandraCluster (three steps: create-replacement, replace, delete-replaced) and a Job,
updates nested paths and a secret; eu-west-1 replaces a KMS key and deletes a bucket; us-west-2 is a new region
(278 creates, written compact); dev has no change.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from meridian.preview.command import preview_summary_command
from meridian.preview.danger import dangers, exit_code
from meridian.preview.model import StackReport
from meridian.preview.preview_json import parse_preview, read_preview
from meridian.preview.properties import SECRET_SIG, SECRET_SIG_KEY, format_path, parse_path, show
from meridian.preview.summary import LIMIT, MARKER, Comment, render
from policy.stateful import is_stateful

FIXTURES = Path(__file__).parent / "fixtures" / "preview"
FILES = sorted(FIXTURES.glob("preview-*.json"))
K8C = "urn:pulumi:us-east-1::meridian::meridian:cassandra:Cassandra$kubernetes:k8ssandra.io/v1alpha1:K8ssandraCluster" \
      "::meridian-cassandra-cluster"
# The JSON field names of pkg/display/json.go (PreviewDigest, PreviewStep, PropertyDiff), pkg/resource/deploy/step.go
# (StepOp) and pkg/resource/plugin/provider.go (DiffKind.String).
DIGEST_FIELDS = {"config", "steps", "diagnostics", "duration", "changeSummary", "maybeCorrupt"}
STEP_FIELDS = {"op", "urn", "provider", "oldState", "newState", "diffReasons", "replaceReasons", "detailedDiff"}
OPS = {"same", "create", "update", "delete", "replace", "create-replacement", "delete-replaced", "read",
       "read-replacement", "refresh", "discard", "discard-replaced", "remove-pending-replace", "import",
       "import-replacement"}
DIFF_KINDS = {"add", "add-replace", "delete", "delete-replace", "update", "update-replace"}
STATE_FIELDS = {"urn", "custom", "delete", "id", "type", "inputs", "outputs", "parent", "protect", "dependencies",
                "provider", "retainOnDelete", "aliases"}


@pytest.fixture(scope="module")
def reports() -> dict[str, StackReport]:
    return {report.stack: report for report in map(read_preview, FILES)}


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(preview_summary_command)
    return app


def _step(stack: str, index: int, op: str = "update", resource_type: str = "aws:ec2/subnet:Subnet",
          paths: int = 3) -> dict[str, Any]:
    urn = f"urn:pulumi:{stack}::meridian::meridian:network:Network${resource_type}::res-{index:05d}"
    diff = {f'tags["meridian:label-{n}"]': {"kind": "update", "inputDiff": False} for n in range(paths)}
    state = {"urn": urn, "type": resource_type, "custom": True, "inputs": {"tags": {}}}
    return {"op": op, "urn": urn, "oldState": state, "newState": state, "diffReasons": ["tags"],
            "detailedDiff": diff}


def test_fixtures_have_the_format_pulumi_writes() -> None:
    assert len(FILES) == 4
    for path in FILES:
        digest = json.loads(path.read_text())
        assert set(digest) <= DIGEST_FIELDS, path.name
        for step in digest["steps"]:
            assert set(step) <= STEP_FIELDS and step["op"] in OPS, step["urn"]
            for state in (step.get("oldState"), step.get("newState")):
                assert state is None or set(state) <= STATE_FIELDS, step["urn"]
            assert {d["kind"] for d in (step["detailedDiff"] or {}).values()} <= DIFF_KINDS, step["urn"]


def test_a_replace_of_several_steps_counts_once(reports: dict[str, StackReport]) -> None:
    steps = [s for s in json.loads((FIXTURES / "preview-us-east-1.json").read_text())["steps"] if s["urn"] == K8C]
    assert [s["op"] for s in steps] == ["create-replacement", "replace", "delete-replaced"]
    east = reports["us-east-1"]
    assert [c.op for c in east.changes if c.urn == K8C] == ["replace"]
    assert east.counts() == {"create": 1, "update": 4, "replace": 2, "delete": 1, "same": 269}
    assert reports["us-west-2"].counts() == {"create": 277}  # components included, the root stack not
    assert reports["dev"].counts() == {"same": 270} and reports["dev"].region == "us-east-2"


def test_danger_list_is_every_stateful_replace_or_delete(reports: dict[str, StackReport]) -> None:
    found = {(d.change.stack, d.change.op, d.change.name) for d in dangers(reports.values())}
    assert found == {("us-east-1", "replace", "meridian-cassandra-cluster"),
                     ("eu-west-1", "replace", "meridian-vault-unseal-key"),
                     ("eu-west-1", "delete", "meridian-vault-snapshots-bucket")}
    job = next(c for c in reports["us-east-1"].changes if c.name == "meridian-logging-setup")
    assert job.op == "replace" and not job.dangerous, "a Job holds no state: replaced, but not a danger"
    key = next(c for c in reports["eu-west-1"].changes if c.op == "replace")
    assert key.replace_reasons == ("customerMasterKeySpec",) and "customerMasterKeySpec" in key.why()
    for change in (c for r in reports.values() for c in r.changes):
        assert change.dangerous == (change.op in ("replace", "delete") and is_stateful(change.type, {},
                                                                                      protect=change.protect))


def test_nested_paths_with_old_and_new_values(reports: dict[str, StackReport]) -> None:
    by_name = {c.name: c for c in reports["us-east-1"].changes}
    cron = {p.path: p for p in by_name["meridian-vault-raft-snapshot"].properties}
    image = cron["spec.jobTemplate.spec.template.spec.containers[0].image"]
    assert (image.old, image.new) == ('"public.ecr.aws/aws-cli/aws-cli:2.33.19"',
                                      '"public.ecr.aws/aws-cli/aws-cli:2.34.2"')
    tags = {p.path: p for p in by_name["meridian-eks-ebs-key"].properties}
    assert (tags['tags["cost-centre"]'].old, tags['tags["cost-centre"]'].new) == ('"cc-streaming-platform"',
                                                                                  '"cc-platform-core"')
    assert tags['tags["meridian:data-class"]'].kind == "add" and tags['tags["meridian:data-class"]'].old is None
    assert by_name["meridian-logging-setup"].properties[0].replace


def test_path_text_round_trips_like_pulumis_property_path() -> None:
    for text in ('tags["meridian:region"]', "spec.template.spec.containers[0].image", 'data["a.b"][2].c', "x"):
        assert format_path(parse_path(text)) == text
    assert parse_path('a["say \\"hi\\""][3]') == ("a", 'say "hi"', 3)


def test_secrets_are_never_printed() -> None:
    urn = "urn:pulumi:us-east-1::meridian::meridian:monitoring:Monitoring$kubernetes:helm.sh/v3:Release::grafana"
    old = {"urn": urn, "type": "kubernetes:helm.sh/v3:Release", "inputs": {"values": {
        "adminPassword": "plain-old-hunter2", "token": {SECRET_SIG_KEY: SECRET_SIG, "plaintext": "\"sig-plaintext\""},
        "apiKey": "[secret]", "replicas": 1}}}
    new = {**old, "inputs": {"values": {"adminPassword": "plain-new-hunter3", "token": {SECRET_SIG_KEY: SECRET_SIG,
           "plaintext": "\"sig-plaintext-2\""}, "apiKey": "[secret]", "replicas": 2}}}
    digest = {"steps": [{"op": "update", "urn": urn, "oldState": old, "newState": new, "diffReasons": ["values"],
                         "detailedDiff": {f"values.{k}": {"kind": "update", "inputDiff": True}
                                          for k in ("adminPassword", "token", "apiKey", "replicas")}}]}
    text = render(Comment([parse_preview(digest)]))
    assert not re.search(r"hunter|sig-plaintext", text)
    assert "`values.adminPassword`: `[secret]` → `[secret]`" in text and "`1` → `2`" in text


def test_exit_codes_and_allow_list(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "comment.md"
    result = runner.invoke(_app(), [*map(str, FILES), "--out", str(out), "--artifacts-url", "https://ci/run/7"])
    assert result.exit_code == 2, result.output
    text = out.read_text()
    assert text.startswith(MARKER) and "https://ci/run/7" in text and "K8ssandraCluster" in text
    allow = ["--allow-replace", K8C, "--allow-replace", "eu-west-1:meridian-vault-unseal-key"]
    assert runner.invoke(_app(), [*map(str, FILES), "--out", str(out), *allow]).exit_code == 2
    allow += ["--allow-replace", "meridian-vault-snapshots-bucket"]
    assert runner.invoke(_app(), [*map(str, FILES), "--out", str(out), *allow]).exit_code == 0
    assert "every one is explicitly allowed" in out.read_text()
    quiet = [str(FIXTURES / "preview-dev.json"), str(FIXTURES / "preview-us-west-2.json")]
    assert runner.invoke(_app(), [*quiet, "--out", str(out)]).exit_code == 0
    assert "No stateful resource would be replaced or deleted" in out.read_text()


def test_an_unreadable_or_failed_preview_is_loud_and_exits_1(tmp_path: Path) -> None:
    (tmp_path / "preview-us-east-2.json").write_text('{"steps": [')  # the job died mid-output
    failed = {"diagnostics": [{"message": "error: preview failed: policy violations", "severity": "error"}]}
    (tmp_path / "preview-eu-west-2.json").write_text(json.dumps(failed))
    files = [str(tmp_path / "preview-us-east-2.json"), str(tmp_path / "preview-eu-west-2.json"),
             str(FIXTURES / "preview-dev.json")]
    result = CliRunner().invoke(_app(), [*files, "--out", str(tmp_path / "c.md")])
    assert result.exit_code == 1
    text = (tmp_path / "c.md").read_text()
    assert "No complete result for 2 stack(s)" in text and "policy violations" in text and "us-east-2" in text


def test_thousands_of_steps_stay_under_the_limit_and_keep_the_danger_list() -> None:
    stacks = [f"r-{n}" for n in range(4)]
    digests = [{"steps": [_step(s, i, paths=8) for i in range(3000)]} for s in stacks]
    digests[0]["steps"] += [_step("r-0", 90001, "replace", "aws:kms/key:Key"),
                            _step("r-0", 90002, "delete", "aws:s3/bucket:Bucket")]
    small = StackReport("r-small", changes=parse_preview({"steps": [_step("r-small", 1, paths=2)]}).changes)
    comment = Comment([*(parse_preview(d) for d in digests), small], artifacts_url="https://ci/run/9")
    assert len(render(comment, limit=10**9)) > 1_000_000
    text = render(comment)
    assert len(text) <= LIMIT and text.startswith(MARKER)
    assert "res-90001" in text and "res-90002" in text and "**2 stateful resource(s)" in text
    assert "| `r-1` | 3000 | 0 | 0 |" in text and "https://ci/run/9" in text and "collapsed" in text
    assert 'tags["meridian:label-1"]' in text, "the small stack keeps its detail: the big ones collapse first"


def test_hundreds_of_dangers_are_cut_but_counted() -> None:
    digest = {"steps": [_step("us-east-1", i, "delete", "aws:s3/bucket:Bucket") for i in range(2500)]}
    text = render(Comment([parse_preview(digest)], artifacts_url="https://ci/run/3"))
    assert len(text) <= LIMIT and "**2500 stateful resource(s)" in text and "more; every one is in" in text


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sizes=st.lists(st.integers(0, 1500), min_size=1, max_size=5), paths=st.integers(0, 12),
       risky=st.lists(st.sampled_from(["aws:kms/key:Key", "aws:eks/cluster:Cluster", "aws:ec2/subnet:Subnet"]),
                      max_size=30), limit=st.sampled_from([LIMIT, 20_000]))
def test_any_preview_fits_and_lists_every_danger(sizes: list[int], paths: int, risky: list[str], limit: int) -> None:
    reports = [parse_preview({"steps": [_step(f"s{n}", i, paths=paths) for i in range(size)]})
               for n, size in enumerate(sizes)]
    reports[0].changes += parse_preview({"steps": [_step("s0", 50_000 + i, "replace", t)
                                                   for i, t in enumerate(risky)]}).changes
    text = render(Comment(reports), limit=limit)
    assert len(text) <= limit and text.startswith(MARKER)
    for danger in dangers(reports):
        assert f"`{danger.change.name}`" in text
    assert exit_code(reports) == (2 if any(is_stateful(t) for t in risky) else 0)


def test_masking_is_by_key_word_and_never_hides_a_flag() -> None:
    assert show("hunter2", ("values", "grafana", "adminPassword")) == "[secret]"
    assert show({"user": "u"}, ("spec", "credentials")) == "[secret]"
    assert show("c2VjcmV0", ("data", "tls.key"), "kubernetes:core/v1:Secret") == "[secret]"
    assert show(False, ("spec", "automountServiceAccountToken")) == "false"
    assert show("vault-tls", ("spec", "secretName")) == '"vault-tls"'
    assert show("04da6b54-80e4-46f7-96ec-b56ff0331ba9", ("arn",)) == "(known after apply)"
