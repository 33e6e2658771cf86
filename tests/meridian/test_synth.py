"""The offline synth: runs __main__.py per stack under recording mocks and writes build/<stack>/."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pulumi
import pulumi_aws as aws
import pytest
import yaml

from components.fleet import load_fleet, stack_names
from components.tags import REQUIRED_TAG_KEYS
from meridian.synth.artifacts import canonical_rule_file
from meridian.synth.plan import Plan
from meridian.synth.render import write_plan
from meridian.synth.runner import run_program
from meridian.synth.schema import is_taggable
from meridian.synth.stack import SynthResult, synth_stack
from tests.conftest import ROOT
from tests.schemas import (
    SHARED,
    chart_values_errors,
    chart_values_schema,
    custom_resource_errors,
    unknown_crd_fields,
)

STACKS = stack_names(ROOT)


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, SynthResult]]:
    build = tmp_path_factory.mktemp("build")
    return {stack: (build / stack, synth_stack(ROOT, stack, build)) for stack in STACKS}


def _files(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def test_every_stack_in_stacks_is_rendered(synthesized: dict[str, tuple[Path, SynthResult]]) -> None:
    assert {"us-east-1", "us-west-2", "eu-west-1", "dev"} <= set(synthesized)
    for stack, (folder, result) in synthesized.items():
        plan = json.loads((folder / "plan.json").read_text())
        assert plan["stack"] == stack
        assert len(plan["resources"]) == len(result.plan) > 50, f"{stack} declared too little"
        assert [r["urn"] for r in plan["resources"]] == sorted(r["urn"] for r in plan["resources"])
        for entry in plan["resources"]:
            assert {"urn", "type", "name", "parent", "custom", "protect", "dependencies", "inputs"} <= set(entry)


def test_synth_is_deterministic(tmp_path: Path, synthesized: dict[str, tuple[Path, SynthResult]]) -> None:
    folder, _ = synthesized["dev"]
    again = synth_stack(ROOT, "dev", tmp_path)
    assert again.files
    assert _files(tmp_path / "dev") == _files(folder)


def test_regions_get_their_own_zones(synthesized: dict[str, tuple[Path, SynthResult]]) -> None:
    for stack, (_, result) in synthesized.items():
        region = load_fleet(ROOT)[stack].region
        zones = {subnet.inputs["availabilityZone"] for subnet in result.plan.of_type("aws:ec2/subnet:Subnet")}
        assert zones and all(zone.startswith(region) for zone in zones), f"{stack}: {zones}"


def test_stateful_resources_are_protected_in_production_only(
        synthesized: dict[str, tuple[Path, SynthResult]]) -> None:
    for stack, (_, result) in synthesized.items():
        protected = load_fleet(ROOT)[stack].protect_stateful
        for resource in result.plan.of_type("aws:kms/key:Key") + result.plan.of_type("aws:eks/cluster:Cluster"):
            assert resource.protect is protected, f"{resource.urn} protect={resource.protect} in {stack}"


def _is_custom_resource(obj: dict[str, object]) -> bool:
    group = str(obj["apiVersion"]).rpartition("/")[0]
    return bool(group) and (SHARED / "crds" / group).is_dir()


def test_rendered_kubernetes_objects_are_valid(synthesized: dict[str, tuple[Path, SynthResult]]) -> None:
    checked = {"core": 0, "custom": 0}
    for stack, (folder, _) in synthesized.items():
        version = load_fleet(ROOT)[stack].cluster.kubernetes_version
        for path in sorted((folder / "k8s").rglob("*.yaml")):
            obj = yaml.safe_load(path.read_text())
            if _is_custom_resource(obj):
                assert custom_resource_errors(obj) == [], f"{stack}/{path.name}"
                assert unknown_crd_fields(obj) == [], f"{stack}/{path.name}: fields the API server would prune"
                checked["custom"] += 1
                continue
            try:
                kubernetes_validate.validate(obj, f"{version}.0", strict=True)
            except kubernetes_validate.ValidationError as error:
                raise AssertionError(f"{stack}/{path.name}: {error}") from error
            checked["core"] += 1
    assert checked["core"] >= len(synthesized) * 2, "every stack renders at least its two StorageClasses"
    assert checked["custom"] >= len(synthesized) * 3, "every stack renders at least its CA chain"


def test_helm_values_match_the_charts_schemas(synthesized: dict[str, tuple[Path, SynthResult]]) -> None:
    checked = 0
    for stack, (folder, _) in synthesized.items():
        for path in sorted((folder / "helm").glob("*.yaml")):
            release = yaml.safe_load(path.read_text())
            if chart_values_schema(release["chart"]) is not None:
                assert chart_values_errors(release["chart"], release["values"]) == [], f"{stack}/{path.name}"
                checked += 1
    assert checked >= len(synthesized), "cert-manager's values are checked in every stack"


def test_secrets_are_masked_everywhere(tmp_path: Path) -> None:
    def program() -> None:
        secret = aws.secretsmanager.Secret("grafana-admin")
        aws.secretsmanager.SecretVersion("grafana-admin-v1", secret_id=secret.id,
                                         secret_string=pulumi.Output.secret("correct-horse-battery"))

    plan = Plan("masking", tuple(run_program(program, stack="masking", region="us-east-1")))
    write_plan(plan, tmp_path)
    version = plan.named("grafana-admin-v1")
    assert version.inputs["secretString"] == "[secret]"
    assert "correct-horse-battery" not in (tmp_path / "plan.json").read_text()


def test_kubernetes_secrets_are_masked_in_manifests(tmp_path: Path) -> None:
    import pulumi_kubernetes as k8s

    def program() -> None:
        k8s.core.v1.Secret("keystore", metadata={"name": "keystore", "namespace": "cassandra"},
                           string_data={"password": pulumi.Output.secret("hunter2-hunter2")})

    plan = Plan("masking", tuple(run_program(program, stack="masking", region="us-east-1")))
    write_plan(plan, tmp_path)
    written = (tmp_path / "k8s" / "secret-cassandra-keystore.yaml").read_text()
    assert "hunter2" not in written and "hunter2" not in (tmp_path / "plan.json").read_text()
    assert yaml.safe_load(written)["stringData"] == {"masked-by-synth": "[secret]"}


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "meridian.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def test_cli_config_error_prints_only_the_error(tmp_path: Path) -> None:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path)
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks")
    dev = tmp_path / "stacks" / "Pulumi.dev.yaml"
    dev.write_text(dev.read_text().replace("cidr: 10.100.0.0/20", "cidr: 10.20.0.0/20"))
    result = _cli("synth", "--all", "--project-dir", str(tmp_path), "--out", str(tmp_path / "build"), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "config error: [stack us-west-2] meridian:network.cidr: overlaps stack dev's VPC 10.20.0.0/20, got "
        "'10.20.0.0/16'. Fix: give every stack a disjoint block, for example 10.0.0.0/16"]
    assert not (tmp_path / "build").exists()


def test_cli_synth_prints_a_summary(tmp_path: Path) -> None:
    result = _cli("synth", "--stack", "dev", "--out", str(tmp_path), cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "stack dev:" in result.stdout
    assert "Network meridian-network" in result.stdout
    assert "EksCluster meridian-eks" in result.stdout
    assert (tmp_path / "dev" / "plan.json").exists()


def test_every_taggable_aws_resource_carries_the_required_tags(
        synthesized: dict[str, tuple[Path, SynthResult]]) -> None:
    checked = 0
    for _, result in synthesized.values():
        for resource in result.plan:
            if resource.custom and is_taggable(resource.type):
                missing = set(REQUIRED_TAG_KEYS) - set(resource.inputs.get("tags") or {})
                assert not missing, f"{resource.urn} lacks tags {sorted(missing)}"
                checked += 1
    assert checked > 100


def test_the_aws_provider_sets_default_tags_and_region(synthesized: dict[str, tuple[Path, SynthResult]]) -> None:
    for stack, (_, result) in synthesized.items():
        config = load_fleet(ROOT)[stack]
        (provider,) = result.plan.of_type("pulumi:providers:aws")
        assert provider.inputs["region"] == config.region
        tags = json.loads(provider.inputs["defaultTags"])["tags"] if isinstance(
            provider.inputs["defaultTags"], str) else provider.inputs["defaultTags"]["tags"]
        assert tags["meridian:region"] == config.region and tags["owner"] == config.owner, provider.urn


def test_taggability_comes_from_the_sdk() -> None:
    assert is_taggable("aws:ec2/subnet:Subnet")
    assert not is_taggable("aws:ec2/route:Route")
    assert not is_taggable("kubernetes:storage.k8s.io/v1:StorageClass")


def test_every_stack_keeps_quorum_and_data_with_one_zone_lost(
        synthesized: dict[str, tuple[Path, SynthResult]]) -> None:
    for stack, (folder, result) in synthesized.items():
        services = sorted(verdict.service.split()[0] for verdict in result.verdicts)
        assert services == ["cassandra", "elasticsearch", "kafka", "vault"], stack
        assert all(verdict.passed for verdict in result.verdicts), [v.line() for v in result.verdicts]
        written = json.loads((folder / "checks.json").read_text())["zone_loss"]
        assert [v["passed"] for v in written] == [v.passed for v in result.verdicts]


def test_rule_files_come_out_in_one_key_order_whatever_order_the_plan_gives() -> None:
    rule = {"alert": "KafkaX", "expr": "up == 0", "for": "5m", "labels": {"severity": "warning", "component": "kafka"},
            "annotations": {"summary": "s", "description": "d"}}
    shuffled = {"annotations": {"description": "d", "summary": "s"}, "for": "5m",
                "labels": {"component": "kafka", "severity": "warning"}, "expr": "up == 0", "alert": "KafkaX"}
    one = canonical_rule_file({"groups": [{"name": "kafka.alerts", "interval": "30s", "rules": [rule]}]})
    other = canonical_rule_file({"groups": [{"rules": [shuffled], "interval": "30s", "name": "kafka.alerts"}]})
    assert yaml.safe_dump(one, sort_keys=False) == yaml.safe_dump(other, sort_keys=False)
    group = one["groups"][0]
    assert list(group) == ["name", "interval", "rules"]
    assert list(group["rules"][0]) == ["alert", "expr", "for", "labels", "annotations"]
    assert list(group["rules"][0]["labels"]) == ["component", "severity"]
