"""MirrorMaker2 between regions (`meridian:kafka:KafkaMirrorPair`), and each region's cross-region endpoint.

For every pair (earlier region E, this later region L) the later stack declares both directions, as the
connectivity declares both sides of a peering, so E's stack never changes when L joins:
- in L's cluster (local provider): `mirror-from-<E>` (E -> L), its mTLS KafkaUser, E's password for it; and the
  SCRAM user `mirror-to-<E>` that E's mirror reads L as, with its password;
- in E's cluster (E's provider, components/peers.py): the mirror image of the above;
- in each target cluster, the link's heartbeat connector `heartbeats-<source>` (components/kafka_heartbeats.py),
  run by the target region's own `mirror-heartbeats` Connect cluster.

Each region's own stack declares, from `fleet` only (never from links): the peers listener's certificate, the
headless Service ExternalDNS publishes the brokers from, and the MirrorMaker2 metrics ConfigMap, which the mirrors
later stacks put into its cluster reference. The password is random, made once (later runs ignore the fresh value,
`ignore_changes`), a Pulumi secret and a Secret in both clusters; if either copy is ever replaced, replace both.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s

from components import kafka_mirror_metrics as mirror_metrics
from components import kafka_mirror_spec as mspec
from components import kafka_spec as spec
from components.fleet_plan import KafkaFleet
from components.kafka_heartbeats import heartbeat_connector
from components.peers import PeerStack


@dataclass(frozen=True, kw_only=True)
class KafkaMirrorPairArgs:
    """One pair of regions: this stack's (later) region and an earlier peer."""

    fleet: KafkaFleet
    region: str
    """This stack's region (the later one)."""
    provider: k8s.Provider
    """This stack's cluster."""
    peer: PeerStack
    """The earlier stack; its provider deploys E's side."""
    kafka_version: str
    """Kafka version of the MirrorMaker2 pods (the same in every region: one Strimzi version)."""
    after: Sequence[pulumi.Resource] = ()
    """Local resources the objects in this cluster wait for (the Kafka cluster, the endpoint, the heartbeats
    Connect cluster)."""


class KafkaMirrorPair(pulumi.ComponentResource):
    """Both links of a pair. Exposes `local_mirror` (peer -> here) and `peer_mirror` (here -> peer)."""

    local_mirror: k8s.apiextensions.CustomResource
    peer_mirror: k8s.apiextensions.CustomResource

    def __init__(self, name: str, args: KafkaMirrorPairArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("meridian:kafka:KafkaMirrorPair", name, None, opts)
        local, peer = args.region, args.peer.region
        here = pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=list(args.after))
        there = pulumi.ResourceOptions(parent=self, provider=args.peer.provider)
        inbound, outbound = mspec.Link(source=peer, target=local), mspec.Link(source=local, target=peer)
        self.local_mirror = self._link(f"{name}-from-{peer}-to-{local}", inbound, args, source=there, target=here)
        self.peer_mirror = self._link(f"{name}-from-{local}-to-{peer}", outbound, args, source=here, target=there)
        self.register_outputs({"localMirror": inbound.name, "peerMirror": outbound.name})

    def _link(self, name: str, link: mspec.Link, args: KafkaMirrorPairArgs, *, source: pulumi.ResourceOptions,
              target: pulumi.ResourceOptions) -> k8s.apiextensions.CustomResource:
        """The source user (and its password) in the source cluster; the target user, the password copy, the
        mirror and the heartbeat connector in the target cluster."""
        password = pulumi.Output.secret(secrets.token_urlsafe(32))
        keep = pulumi.ResourceOptions(ignore_changes=["stringData"])
        source_secret = _password_secret(f"{name}-source-password", link.source_password_secret, password,
                                         pulumi.ResourceOptions.merge(source, keep))
        target_secret = _password_secret(f"{name}-target-password", link.target_password_secret, password,
                                         pulumi.ResourceOptions.merge(target, keep))
        source_user = _custom(f"{name}-source-user", "KafkaUser", link.source_user,
                              mspec.source_user_spec(link, args.fleet.global_topics),
                              pulumi.ResourceOptions.merge(source, pulumi.ResourceOptions(depends_on=[source_secret])),
                              cluster_label=True)
        target_user = _custom(f"{name}-target-user", "KafkaUser", link.name, mspec.target_user_spec(link), target,
                              cluster_label=True)
        mirror = mspec.mirror_spec(
            link, topics=args.fleet.global_topics, kafka_version=args.kafka_version,
            source_bootstrap=f"{mspec.broker_domain(args.fleet, args.region, link.source)}:{args.fleet.peers_port}",
            metrics_configmap=mirror_metrics.METRICS_CONFIGMAP, metrics_key=mirror_metrics.CONFIG_KEY)
        heartbeat_connector(f"{name}-heartbeats", link, target)
        return _custom(f"{name}-mirror", "KafkaMirrorMaker2", link.name, mirror, pulumi.ResourceOptions.merge(
            target, pulumi.ResourceOptions(depends_on=[target_secret, target_user, source_user])))


def _password_secret(resource_name: str, name: str, password: pulumi.Output[str],
                     opts: pulumi.ResourceOptions) -> k8s.core.v1.Secret:
    return k8s.core.v1.Secret(resource_name, metadata={"name": name, "namespace": spec.NAMESPACE,
                                                       "labels": {"app.kubernetes.io/part-of": "meridian"}},
                              type="Opaque", string_data={mspec.PASSWORD_KEY: password}, opts=opts)


def _custom(resource_name: str, kind: str, name: str, object_spec: dict[str, Any], opts: pulumi.ResourceOptions,
            *, cluster_label: bool = False) -> k8s.apiextensions.CustomResource:
    metadata: dict[str, Any] = {"name": name, "namespace": spec.NAMESPACE}
    if cluster_label:
        metadata["labels"] = dict(spec.CLUSTER_LABEL)
    return k8s.apiextensions.CustomResource(resource_name, api_version=spec.API_VERSION, kind=kind,
                                            metadata=metadata, spec=object_spec, opts=opts)


def peers_endpoint(name: str, fleet: KafkaFleet, namespace: pulumi.Input[str],
                   opts: pulumi.ResourceOptions) -> list[pulumi.Resource]:
    """This region's side of every link, declared from `fleet` alone: the listener certificate (fleet CA), the
    headless Service ExternalDNS publishes, and the MirrorMaker2 metrics ConfigMap."""
    labels = {"app.kubernetes.io/part-of": "meridian"}
    certificate = k8s.apiextensions.CustomResource(
        f"{name}-peers-certificate", api_version="cert-manager.io/v1", kind="Certificate",
        metadata={"name": mspec.LISTENER_CERT_SECRET, "namespace": namespace, "labels": labels},
        spec=mspec.listener_certificate_spec(fleet), opts=opts)
    metadata: k8s.meta.v1.ObjectMetaArgsDict = {
        "name": mspec.PEERS_SERVICE, "namespace": namespace, "labels": labels,
        "annotations": {"external-dns.alpha.kubernetes.io/hostname": fleet.broker_domain}}
    service = k8s.core.v1.Service(f"{name}-peers-service", metadata=metadata, opts=opts,
                                  spec=cast(k8s.core.v1.ServiceSpecArgsDict, mspec.peers_service_spec(fleet)))
    metrics = k8s.core.v1.ConfigMap(
        f"{name}-mirror-metrics", metadata={"name": mirror_metrics.METRICS_CONFIGMAP, "namespace": namespace,
                                            "labels": labels},
        data={mirror_metrics.CONFIG_KEY: mirror_metrics.metrics_config_yaml()}, opts=opts)
    return [certificate, service, metrics]
