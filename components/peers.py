"""The earlier stacks a stack links to: their outputs (one StackReference each) and a Kubernetes provider for
their EKS cluster, so a later stack can declare the peer's side of a cross-region link (as the connectivity
declares the peer's side of a peering) without the earlier stack changing."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import pulumi
import pulumi_kubernetes as k8s

from components import cluster_policies

PROVIDER_NAME: Final = re.compile(r"-peer-([a-z0-9-]+?)-k8s::")
"""Finds the peer stack in the URN of a peer's provider (`peer_stack` names it `<prefix>-peer-<stack>-k8s`)."""


@dataclass(frozen=True, kw_only=True)
class PeerStack:
    """An earlier stack: its name and region, its outputs, and a provider for its cluster."""

    stack: str
    region: str
    outputs: pulumi.StackReference
    provider: k8s.Provider
    """Deploys into the peer's cluster (the same account's admin role; `aws eks get-token` for the peer)."""

    def copy_secret(self, resource_name: str, *, namespace: str, name: str, secret_type: str,
                    labels: Mapping[str, str], opts: pulumi.ResourceOptions) -> k8s.core.v1.Secret:
        """This stack's copy of the peer's Secret `namespace/name` (read through the peer's provider): the same
        `data`, kept a Pulumi secret, labelled `meridian.io/copied-from: <peer stack>`."""
        source = k8s.core.v1.Secret.get(f"{resource_name}-source", f"{namespace}/{name}",
                                        opts=pulumi.ResourceOptions(parent=opts.parent, provider=self.provider))
        return k8s.core.v1.Secret(
            resource_name, metadata={"name": name, "namespace": namespace,
                                     "labels": {**labels, "meridian.io/copied-from": self.stack}},
            type=secret_type, data=source.data,
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["data"])))


def peer_stack(name: str, *, stack: str, region: str, reference_prefix: str, parent: pulumi.Resource) -> PeerStack:
    """The StackReference of `<reference_prefix>/<stack>` and a provider built from its cluster outputs."""
    outputs = pulumi.StackReference(f"{name}-{stack}-outputs", stack_name=f"{reference_prefix}/{stack}",
                                    opts=pulumi.ResourceOptions(parent=parent))
    kubeconfig = pulumi.Output.all(outputs.require_output("clusterName"), outputs.require_output("clusterEndpoint"),
                                   outputs.require_output("clusterCertificateAuthority")).apply(
        lambda values: cluster_policies.kubeconfig(str(values[0]), str(values[1]), str(values[2]), region))
    provider = k8s.Provider(f"{name}-{stack}-k8s", kubeconfig=kubeconfig, enable_server_side_apply=True,
                            opts=pulumi.ResourceOptions(parent=parent))
    return PeerStack(stack=stack, region=region, outputs=outputs, provider=provider)
