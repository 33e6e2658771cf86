"""MirrorMaker2 heartbeats (`meridian:kafka:KafkaHeartbeats`): each Kafka region's `mirror-heartbeats` Connect cluster.

The region's own stack declares the Connect cluster (it depends on nothing later): its mTLS KafkaUser, the Role
and RoleBinding that let its service account read the two Secrets its connectors reference, and the KafkaConnect.
The connectors are per link and declared, with the MirrorMaker2 links, by the later stack of each pair
(components/kafka_mirror.py calls `heartbeat_connector` with the target cluster's provider). Builders and the
heartbeat semantics: components/kafka_heartbeats_spec.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s

from components import kafka_heartbeats_spec as hspec
from components import kafka_mirror_metrics as mirror_metrics
from components import kafka_spec as spec
from components.kafka_mirror_spec import Link

_PART_OF = {"app.kubernetes.io/part-of": "meridian"}


@dataclass(frozen=True, kw_only=True)
class KafkaHeartbeatsArgs:
    """The region's Connect cluster for heartbeat connectors."""

    provider: k8s.Provider
    kafka_version: str
    """Kafka version of the Connect pods (the cluster's)."""
    replicas: int = 2
    """Connect workers; the one task moves to the other worker if one fails."""
    after: Sequence[pulumi.Resource] = ()
    """What the user and the Connect cluster wait for (the Kafka cluster, the metrics ConfigMap)."""


class KafkaHeartbeats(pulumi.ComponentResource):
    """The `mirror-heartbeats` KafkaConnect, its user and its Secret access. Exposes `connect`."""

    connect: k8s.apiextensions.CustomResource

    def __init__(self, name: str, args: KafkaHeartbeatsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("meridian:kafka:KafkaHeartbeats", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=list(args.after))
        user = _custom(f"{name}-user", "KafkaUser", hspec.CONNECT, hspec.user_spec(), child,
                       labels=dict(spec.CLUSTER_LABEL))
        metadata: k8s.meta.v1.ObjectMetaArgsDict = {
            "name": hspec.SECRET_READER, "namespace": spec.NAMESPACE, "labels": _PART_OF}
        role = k8s.rbac.v1.Role(
            f"{name}-secret-reader", metadata=metadata,
            rules=cast(list[k8s.rbac.v1.PolicyRuleArgsDict], hspec.secret_reader_rules()),
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider))
        binding = k8s.rbac.v1.RoleBinding(
            f"{name}-secret-reader-binding", metadata=metadata,
            role_ref={"api_group": "rbac.authorization.k8s.io", "kind": "Role", "name": hspec.SECRET_READER},
            subjects=[{"kind": "ServiceAccount", "name": hspec.SERVICE_ACCOUNT, "namespace": spec.NAMESPACE}],
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[role]))
        self.connect = _custom(
            f"{name}-connect", "KafkaConnect", hspec.CONNECT, hspec.connect_spec(
                kafka_version=args.kafka_version, replicas=args.replicas,
                metrics_configmap=mirror_metrics.METRICS_CONFIGMAP, metrics_key=mirror_metrics.CONFIG_KEY),
            pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[user, binding])),
            labels=dict(_PART_OF), annotations={"strimzi.io/use-connector-resources": "true"})
        self.register_outputs({"connect": hspec.CONNECT})


def heartbeat_connector(resource_name: str, link: Link,
                        opts: pulumi.ResourceOptions) -> k8s.apiextensions.CustomResource:
    """The link's heartbeat connector in its target cluster (`opts` carries that cluster's provider)."""
    return _custom(resource_name, "KafkaConnector", hspec.connector_name(link), hspec.connector_spec(link), opts,
                   labels={"strimzi.io/cluster": hspec.CONNECT})


def _custom(resource_name: str, kind: str, name: str, object_spec: dict[str, Any], opts: pulumi.ResourceOptions,
            *, labels: dict[str, str], annotations: dict[str, str] | None = None) -> k8s.apiextensions.CustomResource:
    metadata: dict[str, Any] = {"name": name, "namespace": spec.NAMESPACE, "labels": labels}
    if annotations:
        metadata["annotations"] = annotations
    return k8s.apiextensions.CustomResource(resource_name, api_version=spec.API_VERSION, kind=kind,
                                            metadata=metadata, spec=object_spec, opts=opts)
