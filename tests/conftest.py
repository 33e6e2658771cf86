"""Shared test fixtures: run components or the whole program under the recording Pulumi mocks."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from components.config import StackConfig, parse_stack_config  # noqa: E402
from components.contracts import CertificatesRef, ClusterRef  # noqa: E402
from meridian.synth.plan import Plan  # noqa: E402
from meridian.synth.runner import run_program  # noqa: E402

NODE_GROUPS: dict[str, Any] = {
    "system": {"instance_types": ["m7i.xlarge"], "min_size": 3, "desired_size": 3, "max_size": 6, "disk_gib": 80},
    "data": {"instance_types": ["r7i.2xlarge"], "min_size": 1, "desired_size": 2, "max_size": 4, "disk_gib": 100,
             "per_az": True, "labels": {"meridian.io/workload": "data"},
             "taints": [{"key": "meridian.io/data", "value": "true", "effect": "NO_SCHEDULE"}]},
}


def raw_config(region: str = "us-east-1", cidr: str = "10.10.0.0/16", **overrides: Any) -> dict[str, str]:
    """A valid production stack's raw config, as Pulumi hands it to the program (objects as JSON text)."""
    network = {"cidr": cidr, "az_count": 3, "nat_gateways": "per_az"}
    cluster = {"kubernetes_version": "1.35", "admin_role_arns": ["arn:aws:iam::123456789012:role/platform-admin"],
               "node_groups": NODE_GROUPS}
    values: dict[str, Any] = {"aws:region": region, "meridian:environment": "production",
                              "meridian:owner": "platform-sre", "meridian:cost_centre": "cc-1234",
                              "meridian:network": network, "meridian:cluster": cluster}
    values.update(overrides)
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in values.items()}


def make_cluster_ref(region: str = "us-east-1") -> ClusterRef:
    """A ClusterRef as EksCluster gives it, with a real Kubernetes provider: call inside a program."""
    import pulumi
    import pulumi_kubernetes as k8s

    value = pulumi.Output.from_input
    name = f"meridian-{region}"
    return ClusterRef(
        name=value(name), cluster_name=name, region=region, kubernetes_version="1.35",
        zones=tuple(f"{region}{suffix}" for suffix in "abc"),
        endpoint=value(f"https://{name}.eks.example"), certificate_authority=value("Y2E="),
        oidc_provider_arn=value(f"arn:aws:iam::123456789012:oidc-provider/oidc.eks.{region}.amazonaws.com/id/X"),
        oidc_issuer=value(f"oidc.eks.{region}.amazonaws.com/id/X"),
        node_role_arn=value("arn:aws:iam::123456789012:role/meridian-eks-node-role"),
        cluster_security_group_id=value("sg-0123456789abcdef0"), provider=k8s.Provider("k8s"),
        data_node_labels={"meridian.io/workload": "data", "meridian.io/node-group": "data"},
        data_node_taints=({"key": "meridian.io/data", "value": "true", "effect": "NoSchedule"},),
    )


def make_certificates_ref(region: str = "us-east-1") -> CertificatesRef:
    """The CertificatesRef the Certificates component gives for `region`."""
    return CertificatesRef(cluster_issuer=f"meridian-{region}-ca", ca_secret_namespace="cert-manager",
                           ca_secret_name="meridian-ca")


@pytest.fixture
def stack_config() -> StackConfig:
    """The validated config of a three-zone production stack in us-east-1."""
    return parse_stack_config("us-east-1", raw_config())


@pytest.fixture
def run() -> Callable[..., Plan]:
    """Run a program (a zero-argument callable) under the mocks and return its Plan."""

    def _run(program: Callable[[], None], *, stack: str = "us-east-1", region: str = "us-east-1") -> Plan:
        return Plan(stack, tuple(run_program(program, stack=stack, region=region)))

    return _run
