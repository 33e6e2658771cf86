"""cert-manager and the region's private CA (`meridian:certificates:Certificates`).

A self-signed bootstrap issuer signs one CA certificate (ECDSA P-256, 10 years, renewed 1 year early); the CA
ClusterIssuer built on it signs the certificates of services whose operator does not run its own CA (Vault).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import pulumi
import pulumi_kubernetes as k8s

from components.contracts import ZONE_LABEL, CertificatesRef, ClusterRef, MonitoringContract, ScrapeTarget
from components.helm import helm_release
from components.namespaces import Flow, namespace, network_policies, prometheus_scrape

NAMESPACE: Final = "cert-manager"
CA_SECRET: Final = "meridian-ca"
METRICS_PORT: Final = 9402
WEBHOOK_PORT: Final = 10250
COMPONENTS: Final = ("", "webhook", "cainjector")
"""The chart's three deployments, by values key ("" is the controller at the top level)."""


@dataclass(frozen=True, kw_only=True)
class CertificatesArgs:
    """Inputs of the certificates component."""

    cluster: ClusterRef
    vpc_cidr: str
    """The API server reaches the webhook from the control-plane ENIs in the VPC."""
    chart_version: str
    """cert-manager chart version (from components/versions.py, or a reviewed override)."""
    replicas: int = 2
    """Replicas of each cert-manager deployment, spread across zones."""


def _spread(component: str) -> list[dict[str, Any]]:
    labels = {"app.kubernetes.io/instance": "cert-manager",
              "app.kubernetes.io/component": component or "controller"}
    return [{"maxSkew": 1, "topologyKey": ZONE_LABEL, "whenUnsatisfiable": "ScheduleAnyway",
             "labelSelector": {"matchLabels": labels}}]


def chart_values(replicas: int) -> dict[str, Any]:
    """cert-manager values: CRDs installed and kept, HA controller, webhook and cainjector, metrics on."""
    values: dict[str, Any] = {
        "crds": {"enabled": True, "keep": True},
        "prometheus": {"enabled": True, "servicemonitor": {"enabled": False}},
    }

    def ha(component: str) -> dict[str, Any]:
        return {"replicaCount": replicas, "podDisruptionBudget": {"enabled": True, "minAvailable": 1},
                "topologySpreadConstraints": _spread(component),
                "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}}}

    for component in COMPONENTS:
        if component:
            values[component] = ha(component)
        else:
            values.update(ha(component))
    return values


class Certificates(pulumi.ComponentResource):
    """cert-manager (pinned chart) and the region's CA ClusterIssuer. Exposes `ref` and `contract`."""

    ref: CertificatesRef
    contract: MonitoringContract
    ready: list[pulumi.Resource]
    """What certificate users wait for: cert-manager (its CRDs and webhook) and the CA issuer."""

    def __init__(self, name: str, args: CertificatesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("meridian:certificates:Certificates", name, None, opts)
        provider, region = args.cluster.provider, args.cluster.region
        ns = namespace(f"{name}-namespace", NAMESPACE, provider=provider, parent=self)
        policies = network_policies(
            name, ns.metadata.name, provider=provider, parent=self,
            flows=[Flow(name="webhook-from-api-server", ports=(WEBHOOK_PORT,), from_cidrs=(args.vpc_cidr,)),
                   prometheus_scrape((METRICS_PORT,))],
            egress_cidrs={args.vpc_cidr: (443,)})
        release = helm_release(f"{name}-cert-manager", chart_name="cert-manager", namespace=ns.metadata.name,
                               values=chart_values(args.replicas), version=args.chart_version,
                               provider=provider, parent=self, depends_on=[*policies])
        issuer_name = f"meridian-{region}-ca"
        self._custom(f"{name}-bootstrap-issuer", "ClusterIssuer", {"name": "meridian-selfsigned"},
                     {"selfSigned": {}}, provider, [release])
        ca = self._custom(f"{name}-ca", "Certificate", {"name": CA_SECRET, "namespace": NAMESPACE}, {
            "isCA": True,
            "commonName": f"Meridian {region} CA",
            "secretName": CA_SECRET,
            "duration": "87600h",
            "renewBefore": "8760h",
            "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
            "issuerRef": {"name": "meridian-selfsigned", "kind": "ClusterIssuer", "group": "cert-manager.io"},
        }, provider, [release])
        ca_issuer = self._custom(f"{name}-ca-issuer", "ClusterIssuer", {"name": issuer_name},
                                 {"ca": {"secretName": CA_SECRET}}, provider, [ca])
        self.ready = [release, ca_issuer]
        self.ref = CertificatesRef(cluster_issuer=issuer_name, ca_secret_namespace=NAMESPACE,
                                   ca_secret_name=CA_SECRET)
        self.contract = MonitoringContract(
            kind="cert-manager", region=region, cluster=args.cluster.cluster_name, namespace=NAMESPACE,
            scrape=(ScrapeTarget(kind="ServiceMonitor", job="cert-manager", namespace=NAMESPACE,
                                 port="tcp-prometheus-servicemonitor",
                                 selector={"app.kubernetes.io/name": "cert-manager",
                                           "app.kubernetes.io/component": "controller"}),),
            exporter="cert-manager", replicas=args.replicas,
            # Certificates renew at 2/3 of their lifetime (cert-manager's default); these warn when renewal stalls.
            thresholds={"expiry_warning_days": 21.0, "expiry_critical_days": 7.0})
        self.register_outputs({"clusterIssuer": issuer_name})

    def _custom(self, resource_name: str, kind: str, metadata: Mapping[str, str], spec: Mapping[str, Any],
                provider: k8s.Provider, depends_on: Sequence[pulumi.Resource]) -> k8s.apiextensions.CustomResource:
        return k8s.apiextensions.CustomResource(
            resource_name, api_version="cert-manager.io/v1", kind=kind, metadata=dict(metadata), spec=dict(spec),
            opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=list(depends_on)))
