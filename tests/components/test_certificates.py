"""cert-manager chart and the region's CA, validated against the real chart and CRD schemas."""

from __future__ import annotations

from collections.abc import Callable

import pulumi
import pytest

from components.certificates import Certificates, CertificatesArgs, chart_values
from components.contracts import ClusterRef
from components.versions import chart
from meridian.synth.plan import Plan
from meridian.synth.render import helm_release, manifest
from tests.schemas import chart_values_errors, custom_resource_errors


def cluster_ref() -> ClusterRef:
    """A ClusterRef with a real Kubernetes provider (call inside a program)."""
    import pulumi_kubernetes as k8s

    value = pulumi.Output.from_input
    return ClusterRef(name=value("meridian-us-east-1"), cluster_name="meridian-us-east-1", region="us-east-1",
                      kubernetes_version="1.35", zones=("us-east-1a", "us-east-1b", "us-east-1c"),
                      endpoint=value("https://example"), certificate_authority=value("Y2E="),
                      oidc_provider_arn=value("arn:aws:iam::123456789012:oidc-provider/oidc.example/id/X"),
                      oidc_issuer=value("oidc.example/id/X"), node_role_arn=value("arn:aws:iam::1:role/n"),
                      cluster_security_group_id=value("sg-1"), provider=k8s.Provider("k8s"))


@pytest.fixture
def plan(run: Callable[..., Plan]) -> Plan:
    return run(lambda: Certificates("certs", CertificatesArgs(cluster=cluster_ref(), vpc_cidr="10.10.0.0/16",
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
