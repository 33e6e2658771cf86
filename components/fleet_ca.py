"""The fleet's shared root CA (`meridian:fleet-ca:FleetCa`): one trust root for cross-region TLS.

Cassandra internode TLS with client authentication, and Kafka's cross-region listener, need both ends to chain to
one CA. The primary stack's cert-manager creates the root (self-signed, ECDSA P-256, 10 years) in `cert-manager`;
each later stack copies that Secret from the primary's cluster (through the primary's Kubernetes provider, read
only) into its own, so every region's ClusterIssuer `meridian-fleet-ca` signs with the same root. The copy is a
Pulumi secret end to end and the primary never changes when a region is added.

Trade-off, stated: the root key lives in every region's cluster (encrypted at rest by the EKS secrets KMS key).
AWS Private CA with cert-manager's aws-privateca-issuer would keep the key in a managed HSM instead; that is the
upgrade path when its cost is justified. cert-manager renews the root a year before expiry with a new key; after
that, `pulumi up` the later stacks again so their copies follow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import pulumi
import pulumi_kubernetes as k8s

from components.certificates import NAMESPACE as CERT_MANAGER_NAMESPACE
from components.fleet_plan import FLEET_CA_ISSUER
from components.peers import PeerStack

ROOT_SECRET: Final = "meridian-fleet-ca"
SELF_SIGNED_ISSUER: Final = "meridian-selfsigned"
"""The bootstrap ClusterIssuer components/certificates.py creates in every region."""


@dataclass(frozen=True, kw_only=True)
class FleetCaArgs:
    """Inputs of the fleet CA."""

    provider: k8s.Provider
    primary: PeerStack | None
    """None: this stack is the primary and creates the root."""
    after: Sequence[pulumi.Resource]
    """cert-manager and its bootstrap issuer."""


class FleetCa(pulumi.ComponentResource):
    """The root (primary) or its copy (later stacks), and the ClusterIssuer `meridian-fleet-ca`."""

    issuer: pulumi.Resource

    def __init__(self, name: str, args: FleetCaArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("meridian:fleet-ca:FleetCa", name, None, opts)
        local = pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=list(args.after))
        root: pulumi.Resource
        if args.primary is None:
            root = k8s.apiextensions.CustomResource(
                f"{name}-root", api_version="cert-manager.io/v1", kind="Certificate",
                metadata={"name": ROOT_SECRET, "namespace": CERT_MANAGER_NAMESPACE},
                spec={"isCA": True, "commonName": "Meridian fleet root CA", "secretName": ROOT_SECRET,
                      "duration": "87600h", "renewBefore": "8760h",
                      "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
                      "issuerRef": {"name": SELF_SIGNED_ISSUER, "kind": "ClusterIssuer", "group": "cert-manager.io"}},
                opts=local)
        else:
            root = args.primary.copy_secret(f"{name}-root-copy", namespace=CERT_MANAGER_NAMESPACE, name=ROOT_SECRET,
                                            secret_type="kubernetes.io/tls", labels={}, opts=local)
        self.issuer = k8s.apiextensions.CustomResource(
            f"{name}-issuer", api_version="cert-manager.io/v1", kind="ClusterIssuer",
            metadata={"name": FLEET_CA_ISSUER}, spec={"ca": {"secretName": ROOT_SECRET}},
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[root]))
        self.register_outputs({"issuer": FLEET_CA_ISSUER})
