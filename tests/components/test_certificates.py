"""cert-manager chart and the region's CA, validated against the real chart and CRD schemas."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from components.certificates import Certificates, CertificatesArgs, chart_values
from components.versions import chart
from meridian.synth.plan import Plan
from meridian.synth.render import helm_release, manifest
from tests.conftest import make_cluster_ref
from tests.schemas import chart_values_errors, custom_resource_errors


@pytest.fixture
def plan(run: Callable[..., Plan]) -> Plan:
    return run(lambda: Certificates("certs", CertificatesArgs(cluster=make_cluster_ref(), vpc_cidr="10.10.0.0/16",
                                                               chart_version=chart("cert-manager").version)))


def test_chart_values_match_the_charts_schema() -> None:
    assert chart_values_errors("cert-manager", chart_values(2)) == []
    assert chart_values_errors("cert-manager", {**chart_values(2), "replicaCont": 2}), "schema must catch typos"


def test_release_is_pinned_and_installs_crds(plan: Plan) -> None:
    (release,) = plan.of_type("kubernetes:helm.sh/v3:Release")
    rendered = helm_release(release)
    assert rendered["version"] == chart("cert-manager").version == "v1.21.1", release.urn
    assert rendered["namespace"] == "cert-manager"
    assert rendered["values"]["crds"] == {"enabled": True, "keep": True}
    assert chart_values_errors("cert-manager", rendered["values"]) == []


def test_ca_chain_is_valid_against_the_crds(plan: Plan) -> None:
    objects = [manifest(r) for r in plan.of_type("kubernetes:apiextensions.k8s.io:CustomResource")]
    objects += [manifest(r) for r in plan if r.type.startswith("kubernetes:cert-manager.io/")]
    kinds = sorted((obj["kind"], obj["metadata"]["name"]) for obj in objects)
    assert kinds == [("Certificate", "meridian-ca"), ("ClusterIssuer", "meridian-selfsigned"),
                     ("ClusterIssuer", "meridian-us-east-1-ca")]
    for obj in objects:
        assert custom_resource_errors(obj) == [], obj["metadata"]["name"]
    ca = next(obj for obj in objects if obj["kind"] == "Certificate")
    assert ca["spec"]["isCA"] is True and ca["spec"]["issuerRef"]["name"] == "meridian-selfsigned"


def test_namespace_is_default_deny(plan: Plan) -> None:
    policies = {manifest(r)["metadata"]["name"]: manifest(r) for r in
                plan.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")}
    assert policies["default-deny"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    webhook = policies["allow-webhook-from-api-server"]["spec"]["ingress"][0]
    assert webhook["from"] == [{"ipBlock": {"cidr": "10.10.0.0/16"}}]


def test_every_namespace_may_reach_the_api_server_by_its_cluster_ip(plan: Plan) -> None:
    policies = {manifest(r)["metadata"]["name"]: manifest(r) for r in
                plan.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")}
    rule = policies["allow-api-server"]["spec"]["egress"][0]
    assert rule["to"] == [{"ipBlock": {"cidr": "172.20.0.1/32"}}]
    assert rule["ports"] == [{"port": 443, "protocol": "TCP"}]
