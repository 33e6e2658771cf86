"""Service namespaces and their NetworkPolicies: default deny, then only the flows a service needs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, cast

import pulumi
import pulumi_kubernetes as k8s

from components.contracts import KUBERNETES_API_SERVICE_IP

NAME_LABEL: Final = "kubernetes.io/metadata.name"
"""Label the API server sets on every namespace: selects a namespace by name in policies."""
MONITORING_NAMESPACE: Final = "monitoring"
DNS_PORTS: Final = ((53, "UDP"), (53, "TCP"))
IMAGE_TAG_NOT_DIGEST: Final = {
    "checkov.io/skip1": "CKV_K8S_43=Images are pinned to exact release tags; digests need a registry lookup that "
                        "this offline build cannot make, and are resolved when the image is mirrored."}
"""Checkov suppression, with its reason, for workloads whose images are pinned by tag."""
NON_ROOT_UID: Final = 10001
"""High UID (above host users) that the project's own Jobs run as."""


@dataclass(frozen=True, kw_only=True)
class Flow:
    """One allowed ingress flow: from pods in some namespaces (and optionally with labels) to some ports."""

    name: str
    ports: Sequence[int]
    from_namespaces: Sequence[str] = ()
    """Namespaces allowed in (by name); empty with no `from_cidrs` means only this namespace."""
    from_pod_labels: Mapping[str, str] = field(default_factory=dict)
    from_cidrs: Sequence[str] = ()
    to_pod_labels: Mapping[str, str] = field(default_factory=dict)
    """Pods the flow reaches; empty: every pod of the namespace."""


@dataclass(frozen=True, kw_only=True)
class Egress:
    """One allowed egress flow, from some pods of the namespace only (the namespace-wide ones are
    `network_policies`' `egress_cidrs`)."""

    name: str
    """The policy is named `allow-<name>`."""
    from_pod_labels: Mapping[str, str]
    to_cidrs: Mapping[str, Sequence[int]] = field(default_factory=dict)
    """CIDR to the TCP ports allowed there."""
    to_all_namespaces: bool = False
    """Also any pod in any namespace, on any port (Prometheus scraping)."""


def namespace(resource_name: str, name: str, *, provider: k8s.Provider, parent: pulumi.Resource,
              labels: Mapping[str, str] | None = None, protect: bool = False) -> k8s.core.v1.Namespace:
    """A namespace with Pod Security `restricted` warnings and audit on (enforced per service where possible).

    Protect the namespaces of data services: deleting one deletes its custom resources and volume claims.
    """
    return k8s.core.v1.Namespace(
        resource_name,
        metadata={"name": name, "labels": {
            "app.kubernetes.io/part-of": "meridian",
            "pod-security.kubernetes.io/audit": "restricted",
            "pod-security.kubernetes.io/warn": "restricted",
            **(labels or {}),
        }},
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, protect=protect),
    )


def _ports(ports: Sequence[int], protocol: str = "TCP") -> list[dict[str, Any]]:
    return [{"port": port, "protocol": protocol} for port in ports]


def _peer(flow: Flow) -> list[dict[str, Any]]:
    peers: list[dict[str, Any]] = [{"ipBlock": {"cidr": cidr}} for cidr in flow.from_cidrs]
    pod_selector = {"matchLabels": dict(flow.from_pod_labels)} if flow.from_pod_labels else {}
    for ns in flow.from_namespaces:
        peer: dict[str, Any] = {"namespaceSelector": {"matchLabels": {NAME_LABEL: ns}}}
        if pod_selector:
            peer["podSelector"] = pod_selector
        peers.append(peer)
    if not peers:
        peers.append({"podSelector": pod_selector})
    return peers


def _cidr_rules(to_cidrs: Mapping[str, Sequence[int]]) -> list[dict[str, Any]]:
    return [{"to": [{"ipBlock": {"cidr": cidr}}], "ports": _ports(ports)} for cidr, ports in sorted(to_cidrs.items())]


def _policy(prefix: str, namespace_name: pulumi.Input[str], suffix: str, spec: dict[str, Any],
            opts: pulumi.ResourceOptions) -> k8s.networking.v1.NetworkPolicy:
    metadata: k8s.meta.v1.ObjectMetaArgsDict = {
        "name": suffix, "namespace": namespace_name, "labels": {"app.kubernetes.io/part-of": "meridian"}}
    return k8s.networking.v1.NetworkPolicy(f"{prefix}-netpol-{suffix}", metadata=metadata,
                                           spec=cast(k8s.networking.v1.NetworkPolicySpecArgsDict, spec), opts=opts)


def egress_policy(prefix: str, namespace_name: pulumi.Input[str], egress: Egress,
                  opts: pulumi.ResourceOptions) -> k8s.networking.v1.NetworkPolicy:
    """The NetworkPolicy `allow-<egress.name>`: its pods may reach what `egress` names."""
    rules: list[dict[str, Any]] = [{"to": [{"namespaceSelector": {}}]}] if egress.to_all_namespaces else []
    return _policy(prefix, namespace_name, f"allow-{egress.name}", {
        "podSelector": {"matchLabels": dict(egress.from_pod_labels)}, "policyTypes": ["Egress"],
        "egress": [*rules, *_cidr_rules(egress.to_cidrs)]}, opts)


def network_policies(prefix: str, namespace_name: pulumi.Input[str], *, flows: Sequence[Flow],
                     egress_cidrs: Mapping[str, Sequence[int]], provider: k8s.Provider,
                     parent: pulumi.Resource, depends_on: Sequence[pulumi.Resource] = (),
                     same_namespace_ingress: bool = True,
                     pod_egress: Sequence[Egress] = ()) -> list[k8s.networking.v1.NetworkPolicy]:
    """Default deny (ingress and egress), DNS and in-namespace traffic, then `flows` in and `egress_cidrs` out,
    then `pod_egress` out of the pods each names.

    `egress_cidrs` maps a CIDR (the VPC for the API server and endpoints, 0.0.0.0/0 for S3) to its ports.
    With `same_namespace_ingress` off, pods may still call each other, but only `flows` admit them.
    """
    opts = pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=list(depends_on))

    def policy(suffix: str, spec: dict[str, Any]) -> k8s.networking.v1.NetworkPolicy:
        return _policy(prefix, namespace_name, suffix, spec, opts)

    policies = [
        policy("default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
        # Pods call the API server at `kubernetes.default`'s ClusterIP; the VPC CNI's policy agent judges egress
        # before kube-proxy translates it to the control plane's ENIs, so the ClusterIP itself must be allowed.
        policy("allow-api-server", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{
            "to": [{"ipBlock": {"cidr": f"{KUBERNETES_API_SERVICE_IP}/32"}}], "ports": _ports((443,))}]}),
        policy("allow-dns", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{
            "to": [{"namespaceSelector": {"matchLabels": {NAME_LABEL: "kube-system"}},
                    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
            "ports": [{"port": port, "protocol": protocol} for port, protocol in DNS_PORTS]}]}),
        policy("allow-same-namespace", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"],
                                        "ingress": [{"from": [{"podSelector": {}}]}],
                                        "egress": [{"to": [{"podSelector": {}}]}]}) if same_namespace_ingress else
        policy("allow-same-namespace-egress", {"podSelector": {}, "policyTypes": ["Egress"],
                                               "egress": [{"to": [{"podSelector": {}}]}]}),
    ]
    if egress_cidrs:
        policies.append(policy("allow-egress", {"podSelector": {}, "policyTypes": ["Egress"],
                                                "egress": _cidr_rules(egress_cidrs)}))
    for flow in flows:
        policies.append(policy(f"allow-{flow.name}", {
            "podSelector": {"matchLabels": dict(flow.to_pod_labels)} if flow.to_pod_labels else {},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": _peer(flow), "ports": _ports(flow.ports)}],
        }))
    policies += [egress_policy(prefix, namespace_name, egress, opts) for egress in pod_egress]
    return policies


def prometheus_scrape(ports: Sequence[int], to_pod_labels: Mapping[str, str] | None = None) -> Flow:
    """Prometheus (in the monitoring namespace) scraping metrics ports."""
    return Flow(name="prometheus-scrape", ports=ports, from_namespaces=(MONITORING_NAMESPACE,),
                to_pod_labels=to_pod_labels or {})
