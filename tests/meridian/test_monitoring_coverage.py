"""Nothing provisioned goes unmonitored: over every stack's synth output, each workload-running component has a
contract, a scrape monitor per scrape job, a dashboard, an alert group and a target-down alert."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

import pytest
import yaml

from alerts.names import alert_prefix
from components.fleet import stack_names
from meridian.synth.render import peer_cluster
from meridian.synth.stack import SynthResult, synth_stack
from observability.contracts_io import load_contracts
from tests.conftest import ROOT

COMPONENT_KINDS: Final = {
    "meridian:certificates:Certificates": "cert-manager",
    "meridian:cassandra:Cassandra": "cassandra",
    "meridian:kafka:Kafka": "kafka",
    "meridian:vault:Vault": "vault",
    "meridian:logging:Logging": "elasticsearch",
    "meridian:cluster:EksCluster": "kubernetes",
    "meridian:monitoring:Monitoring": "monitoring",
    "meridian:fleet-dns:FleetDns": "external-dns",
}
CROSS_REGION_KINDS: Final = {"KafkaMirrorMaker2": "kafka-mirrormaker2"}
"""Workloads a later stack may declare into an earlier region's cluster too (components/peers.py); every region
that runs them must carry their contract itself, so the earlier region monitors what a later one put there."""
"""Which contract kind covers each component that runs workloads."""
WORKLOAD_TYPES: Final = ("kubernetes:helm.sh/v3:Release", "kubernetes:apps/v1:Deployment",
                         "kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:DaemonSet",
                         "kubernetes:batch/v1:CronJob", "aws:eks/cluster:Cluster")
WORKLOAD_KINDS: Final = ("K8ssandraCluster", "Kafka", "KafkaNodePool", "Elasticsearch", "Kibana", "Beat")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, SynthResult]]:
    build = tmp_path_factory.mktemp("build")
    return {stack: (build / stack, synth_stack(ROOT, stack, build)) for stack in stack_names(ROOT)}


def _manifests(folder: Path) -> list[dict[str, Any]]:
    return [yaml.safe_load(path.read_text()) for path in sorted((folder / "k8s").glob("*.yaml"))]


def _top_component(result: SynthResult, urn: str) -> str | None:
    """Type of the platform component a resource belongs to (the ancestor directly under RegionalPlatform)."""
    by_urn = {r.urn: r for r in result.plan}
    resource = by_urn[urn]
    while resource.parent and resource.parent in by_urn:
        parent = by_urn[resource.parent]
        if parent.type == "meridian:platform:RegionalPlatform":
            return resource.type
        resource = parent
    return None


def _stack_kinds(built: dict[str, tuple[Path, SynthResult]], stack: str) -> set[str]:
    return {contract.kind for contract in load_contracts((built[stack][0] / "contracts.json").read_text())}


@pytest.mark.parametrize("stack", stack_names(ROOT))
def test_every_workload_belongs_to_a_component_with_a_contract(
        stack: str, built: dict[str, tuple[Path, SynthResult]]) -> None:
    folder, result = built[stack]
    kinds = {contract.kind for contract in load_contracts((folder / "contracts.json").read_text())}
    for resource in result.plan:
        is_workload = resource.type in WORKLOAD_TYPES or (
            resource.type == "kubernetes:apiextensions.k8s.io:CustomResource"
            and resource.inputs.get("kind") in WORKLOAD_KINDS)
        needed = CROSS_REGION_KINDS.get(str(resource.inputs.get("kind")))
        if needed is not None:
            assert needed in kinds, f"{resource.urn}: no {needed} contract"
            peer = peer_cluster(resource)
            assert peer is None or needed in _stack_kinds(built, peer), f"{resource.urn}: {peer} monitors no {needed}"
        if not is_workload:
            continue
        component = _top_component(result, resource.urn)
        assert component in COMPONENT_KINDS, f"{resource.urn} runs outside a monitored component ({component})"
        assert COMPONENT_KINDS[component] in kinds, f"{resource.urn}: {component} declared no MonitoringContract"


@pytest.mark.parametrize("stack", stack_names(ROOT))
def test_every_contract_has_monitors_a_dashboard_rules_and_a_target_down_alert(
        stack: str, built: dict[str, tuple[Path, SynthResult]]) -> None:
    folder, _ = built[stack]
    contracts = load_contracts((folder / "contracts.json").read_text())
    monitors = [obj for obj in _manifests(folder) if obj["kind"] in ("ServiceMonitor", "PodMonitor")]
    for contract in contracts:
        for target in contract.scrape:
            if target.created_by_operator:
                continue
            matching = [m for m in monitors if m["kind"] == target.kind
                        and m["metadata"]["namespace"] == target.namespace
                        and m["spec"]["selector"].get("matchLabels") == target.selector]
            assert len(matching) == 1, f"{stack}: {contract.kind} job {target.job} has {len(matching)} monitors"
            endpoints = matching[0]["spec"].get("endpoints") or matching[0]["spec"].get("podMetricsEndpoints")
            jobs = {relabel.get("replacement") for endpoint in endpoints
                    for relabel in endpoint.get("relabelings", []) if relabel.get("targetLabel") == "job"}
            assert jobs == {target.job}, f"{stack}: monitor of {contract.kind} sets job {jobs}"
        dashboard = folder / "dashboards" / f"{contract.kind}.json"
        assert dashboard.exists(), f"{stack}: {contract.kind} has no dashboard"
        assert json.loads(dashboard.read_text())["panels"], f"{stack}: {contract.kind} dashboard is empty"
        rules = yaml.safe_load((folder / "alerts" / f"{contract.kind}.yaml").read_text())
        alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"] if "alert" in rule}
        assert f"{alert_prefix(contract.kind)}TargetDown" in alerts, f"{stack}: {contract.kind} has no target-down"
        assert len(alerts) > 2, f"{stack}: {contract.kind} has only the generic alerts"
    assert (folder / "dashboards" / "region-overview.json").exists()
    # Only the primary region (the first of the order) holds the fleet's data, so only it publishes the overview;
    # dev, outside the order, shows its own region in it.
    assert (folder / "dashboards" / "fleet-overview.json").exists() == (stack in ("us-east-1", "dev")), stack
