"""`meridian diff`: two synth outputs compared per stack, with replace detection and the generated monitoring.

The base is a real synth of us-east-1 at the repository's HEAD, made as `meridian diff --base HEAD` makes it
(`git archive`, then `meridian synth` in a subprocess inside the exported tree); each test edits a copy the way a
pull request would change the program's output.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner

from meridian.diff.command import compare, diff_command
from meridian.diff.generated_diff import expr_change
from meridian.diff.revision import synth_revision, synth_tree
from meridian.preview.danger import dangers, exit_code
from meridian.preview.summary import LIMIT, MARKER, Comment, render
from policy.stateful import is_stateful
from tests.conftest import ROOT

STACK = "us-east-1"
Resources = list[dict[str, Any]]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synth_revision(ROOT, "HEAD", tmp_path_factory.mktemp("base"), [STACK])


@pytest.fixture
def head(base: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(base, tmp_path / "head"))


def edit_plan(build: Path, change: Callable[[Resources], Resources | None]) -> None:
    plan_file = build / STACK / "plan.json"
    plan = json.loads(plan_file.read_text())
    plan["resources"] = change(plan["resources"]) or plan["resources"]
    plan_file.write_text(json.dumps(plan))


def named(resources: Resources, name: str) -> dict[str, Any]:
    return next(r for r in resources if r["name"] == name)


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(diff_command)
    return app


def test_identical_builds_change_nothing(base: Path) -> None:
    [report] = compare(base, base)
    plan = json.loads((base / STACK / "plan.json").read_text())
    assert report.changes == [] and report.generated == [] and report.unchanged == len(plan["resources"]) > 200
    assert report.region == STACK and exit_code([report]) == 0


def test_replace_forcing_changes_of_stateful_resources_are_dangers(base: Path, head: Path) -> None:
    def change(resources: Resources) -> None:
        named(resources, "meridian-cassandra-backups-bucket")["inputs"]["bucketPrefix"] = "meridian-medusa-"
        named(resources, "meridian-eks-cluster")["inputs"]["name"] = "meridian-use1"
        named(resources, "meridian-cassandra-cluster")["inputs"]["metadata"]["name"] = "meridian-dc"
        named(resources, "meridian-vault-raft-snapshot")["inputs"]["spec"]["schedule"] = "5 * * * *"
    edit_plan(head, change)
    [report] = compare(base, head)
    ops = {c.name: c.op for c in report.changes}
    assert ops == {"meridian-cassandra-backups-bucket": "replace", "meridian-eks-cluster": "replace",
                   "meridian-cassandra-cluster": "replace", "meridian-vault-raft-snapshot": "update"}
    assert {d.change.name for d in dangers([report])} == {"meridian-cassandra-backups-bucket",
                                                          "meridian-eks-cluster", "meridian-cassandra-cluster"}
    bucket = next(c for c in report.changes if c.name == "meridian-cassandra-backups-bucket")
    [prop] = bucket.properties
    assert (prop.path, prop.replace, prop.old, prop.new) == ("bucketPrefix", True, '"meridian-cassandra-medusa-"',
                                                            '"meridian-medusa-"')
    assert "bucketPrefix" in bucket.why() and exit_code([report]) == 2


def test_subnet_cidr_forces_a_replace(base: Path, head: Path) -> None:
    edit_plan(head, lambda rs: named(rs, "meridian-network-data-us-east-1a")["inputs"].update(cidrBlock="10.9.0.0/24"))
    [change] = compare(base, head)[0].changes
    assert change.op == "replace" and change.replace_reasons == ("cidrBlock",)
    assert change.dangerous == is_stateful("aws:ec2/subnet:Subnet")


def test_removed_stateful_resource_is_a_delete_unless_aliased(base: Path, head: Path) -> None:
    edit_plan(head, lambda rs: [r for r in rs if r["name"] != "meridian-vault-unseal-key"])
    [delete] = compare(base, head)[0].changes
    assert (delete.op, delete.type, delete.dangerous) == ("delete", "aws:kms/key:Key", True)

    def rename(resources: Resources) -> Resources:
        key = named(resources, "meridian-eks-ebs-key")
        renamed = {**key, "name": "meridian-eks-volumes-key", "aliases": [key["urn"]],
                   "urn": key["urn"].replace("meridian-eks-ebs-key", "meridian-eks-volumes-key")}
        return [r for r in resources if r is not key] + [renamed]
    edit_plan(head, rename)
    changes = {c.name: c for c in compare(base, head)[0].changes}
    assert changes["meridian-eks-ebs-key"].op == "update" and not changes["meridian-eks-ebs-key"].dangerous
    assert changes["meridian-eks-ebs-key"].properties[0].path == "(urn)"


def test_immutable_configmap_data_replaces_unless_the_provider_makes_it_mutable(base: Path, head: Path) -> None:
    def change(resources: Resources) -> None:
        config_map = next(r for r in resources if r["type"] == "kubernetes:core/v1:ConfigMap")
        config_map["inputs"]["data"] = {"changed.json": "{}"}
    edit_plan(head, change)
    [replaced] = compare(base, head)[0].changes
    assert replaced.op == "replace" and not replaced.dangerous
    edit_plan(head, lambda rs: next(r for r in rs if r["type"] == "pulumi:providers:kubernetes")["inputs"].update(
        enableConfigMapMutable="true"))
    assert [c.op for c in compare(base, head)[0].changes if c.type == "kubernetes:core/v1:ConfigMap"] == ["update"]


def test_secret_values_are_masked_in_markdown_and_json(base: Path, head: Path, tmp_path: Path) -> None:
    def change(resources: Resources) -> None:
        values = named(resources, "meridian-monitoring-kube-prometheus-stack")["inputs"]["values"]
        values["grafana"]["adminPassword"] = "plain-hunter2"
        secret = named(resources, "meridian-monitoring-grafana-admin")
        secret["inputs"]["stringData"] = {"admin-password": "pw-in-clear"}
    edit_plan(head, change)
    result = CliRunner().invoke(_app(), [str(base), str(head), "--json-out", str(tmp_path / "d.json")])
    assert result.exit_code == 0, result.output
    text = result.output + (tmp_path / "d.json").read_text()
    assert "adminPassword" in text and "stringData" in text
    assert "hunter2" not in text and "pw-in-clear" not in text and "[secret]" in text


def test_generated_alerts_dashboards_and_routing(base: Path, head: Path) -> None:
    rules = head / STACK / "alerts" / "cert-manager.yaml"
    content = yaml.safe_load(rules.read_text())
    alerts = content["groups"][1]["rules"]
    expiring = next(r for r in alerts if r["alert"] == "CertManagerCertificateExpiringSoon")
    expiring["expr"] = expiring["expr"].replace("1814400.0", "2592000.0")
    expiring["for"] = "2h"
    alerts.remove(next(r for r in alerts if r["alert"] == "CertManagerCertificateExpiryCritical"))
    content["groups"][0]["rules"].append({"record": "cluster:certmanager_certificates:count",
                                          "expr": "count by (region, cluster) (certmanager_certificate_ready_status)"})
    rules.write_text(yaml.safe_dump(content, sort_keys=False))
    board = head / STACK / "dashboards" / "cert-manager.json"
    model = json.loads(board.read_text())
    panel = next(p for p in model["panels"] if p.get("targets"))
    panel["targets"][0]["expr"] += " > 0"
    board.write_text(json.dumps(model))
    (head / STACK / "dashboards" / "vault.json").unlink()
    routing = head / STACK / "alerts" / "alertmanager.yaml"
    routing.write_text(routing.read_text().replace("repeat_interval: 1h", "repeat_interval: 30m"))

    [report] = compare(base, head)
    found = {(g.artifact, g.name, g.change): g.details for g in report.generated}
    assert found[("alert", "CertManagerCertificateExpiringSoon (warning)", "changed")] == (
        "threshold 1814400.0 → 2592000.0", "for 1h → 2h")
    assert ("alert", "CertManagerCertificateExpiryCritical (critical)", "removed") in found
    assert ("recording rule", "cluster:certmanager_certificates:count", "added") in found
    assert ("dashboard", "vault", "removed") in found
    assert any(key[0] == "panel" and key[1] == f"cert-manager: {panel['title']}" for key in found)
    [routing_details] = [d for k, d in found.items() if k[0] == "alertmanager"]
    assert any("repeat_interval" in d and '"1h" → "30m"' in d for d in routing_details)
    text = render(Comment([report]))
    assert "threshold 1814400.0 → 2592000.0" in text and len(text) <= LIMIT and exit_code([report]) == 0


def test_expression_changes_beyond_numbers_show_the_changed_part() -> None:
    assert expr_change("rate(x[5m]) > 0.05", "rate(x[5m]) > 0.1") == "threshold 0.05 → 0.1"
    assert expr_change("sum(rate(errors_total[5m])) > 1", "sum(rate(failures_total[5m])) > 1") == \
        "expr sum(rate(errors_total[5m])) > 1 → sum(rate(failures_total[5m])) > 1"


def test_cli_exit_codes_allow_list_and_json(base: Path, head: Path, tmp_path: Path) -> None:
    edit_plan(head, lambda rs: [r for r in rs if r["name"] != "meridian-vault-snapshots-bucket"])
    runner = CliRunner()
    denied = runner.invoke(_app(), [str(base), str(head), "--out", str(tmp_path / "c.md")])
    assert denied.exit_code == 2
    assert (tmp_path / "c.md").read_text().startswith(MARKER)
    allowed = runner.invoke(_app(), [str(base), str(head), "--json", "--allow-replace",
                                     f"{STACK}:meridian-vault-snapshots-bucket"])
    assert allowed.exit_code == 0, allowed.output
    document = json.loads(allowed.output)
    assert document["exit_code"] == 0 and [d["allowed"] for d in document["dangers"]] == [True]
    assert document["stacks"][0]["changes"][0]["op"] == "delete"
    assert runner.invoke(_app(), [str(base)]).exit_code == 1  # a head is needed


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                   check=True, capture_output=True)


def _fake_repo(root: Path) -> Path:
    """A repository whose `meridian synth` writes one KMS key and which version of the code ran."""
    repo = root / "repo"
    (repo / "meridian").mkdir(parents=True)
    (repo / "stacks").mkdir()
    (repo / "Pulumi.yaml").write_text("name: meridian\n")
    (repo / "stacks" / "Pulumi.dev.yaml").write_text("config: {}\n")
    (repo / "meridian" / "__init__.py").write_text("")
    key = {"urn": "urn:pulumi:dev::meridian::aws:kms/key:Key::k", "type": "aws:kms/key:Key", "name": "k",
           "inputs": {}}
    (repo / "meridian" / "cli.py").write_text(
        "import json, pathlib, sys\nout = pathlib.Path(sys.argv[sys.argv.index('--out') + 1]) / 'dev'\n"
        "out.mkdir(parents=True)\nversion = pathlib.Path('VERSION').read_text().strip()\n"
        f"(out / 'plan.json').write_text(json.dumps({{'stack': 'dev', 'resources': [{key!r}], 'code': __file__, "
        "'version': version}))\n")
    (repo / "VERSION").write_text("committed\n")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "base")
    (repo / "VERSION").write_text("working tree\n")
    return repo


def test_a_revision_runs_its_own_synth_code(tmp_path: Path) -> None:
    repo = _fake_repo(tmp_path)
    plan = json.loads((synth_revision(repo, "HEAD", tmp_path / "out") / "dev" / "plan.json").read_text())
    assert plan["version"] == "committed" and "/meridian-rev-" in plan["code"]  # the exported tree's own module
    assert not plan["code"].startswith((str(repo), str(ROOT)))
    working = json.loads((synth_tree(repo, tmp_path / "wt") / "dev" / "plan.json").read_text())
    assert working["version"] == "working tree" and working["code"] == str(repo / "meridian" / "cli.py")


def test_diff_base_synthesizes_the_revision(tmp_path: Path) -> None:
    repo = _fake_repo(tmp_path)
    head = tmp_path / "head" / "dev"
    head.mkdir(parents=True)
    (head / "plan.json").write_text(json.dumps({"stack": "dev", "resources": []}))
    args = ["--base", "HEAD", "--project-dir", str(repo), "--json"]
    result = CliRunner().invoke(_app(), [*args, "--head-build", str(head.parent)])
    assert result.exit_code == 2, result.output
    [danger] = json.loads(result.output)["dangers"]
    assert (danger["op"], danger["type"]) == ("delete", "aws:kms/key:Key")
    unchanged = CliRunner().invoke(_app(), args)  # head = the working tree, synthesized too
    assert unchanged.exit_code == 0 and json.loads(unchanged.output)["stacks"][0]["unchanged"] == 1
    assert CliRunner().invoke(_app(), [*args[:3], "--base", "no-such-revision"]).exit_code == 1
