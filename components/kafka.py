"""Kafka through Strimzi in KRaft mode (`meridian:kafka:Kafka`).

The pinned strimzi-kafka-operator chart runs in `strimzi` and watches `kafka`, where a `Kafka` resource and two
KafkaNodePools (3 or 5 controllers, >= 3 brokers, both spread evenly over the zones on the data nodes, rack = zone)
run with one mTLS listener, simple authorization, Cruise Control, the entity operator and Kafka Exporter. Topics
and users are KafkaTopic/KafkaUser resources from config.

Network: both namespaces default-deny. Strimzi also generates NetworkPolicies for its pods (on by default): control
plane 9090 and replication 9091 from the cluster's pods and the operator, the Kafka agent 8443 from the operator,
each listener from its `networkPolicyPeers`, and metrics 9404 from anywhere (policies add up, so 9404 stays open
in-cluster while Strimzi generates them). Our own policies repeat the flows crossing namespaces (the operator's
9090/9091/8443, clients' 9093, Prometheus' 9404) so the namespace works even if generation is turned off.

Between regions (`fleet` set, every ordered region): a `peers` listener (9094, TLS from the fleet CA, SCRAM) admitted
from the fleet CIDR, MirrorMaker2 pods allowed out to it and scraped on 9404, the operator allowed to their REST API
(8083); the `mirror-heartbeats` Connect cluster (components/kafka_heartbeats.py), admitted likewise; and for every
earlier peer, both MirrorMaker2 links and their heartbeat connectors (components/kafka_mirror.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import pulumi
import pulumi_kubernetes as k8s

from components import kafka_heartbeats_spec as hspec
from components import kafka_metrics as metrics
from components import kafka_mirror_spec as mspec
from components import kafka_spec as spec
from components.config.kafka import KafkaConfig, topic_resource_name
from components.contracts import ClusterRef, MonitoringContract, ScrapeTarget
from components.fleet_plan import KafkaFleet
from components.helm import helm_release
from components.kafka_heartbeats import KafkaHeartbeats, KafkaHeartbeatsArgs
from components.kafka_mirror import KafkaMirrorPair, KafkaMirrorPairArgs, peers_endpoint
from components.namespaces import MONITORING_NAMESPACE, Egress, Flow, namespace, network_policies, prometheus_scrape
from components.peers import PeerStack
from components.versions import check_chart_version

CHART: Final = "strimzi-kafka-operator"


@dataclass(frozen=True, kw_only=True)
class KafkaArgs:
    """Inputs of the Kafka component."""

    config: KafkaConfig
    """The stack's validated `meridian:kafka` section."""
    cluster: ClusterRef
    vpc_cidr: str
    """The API server's ENIs live here (egress 443 from both namespaces); EKS pod IPs too (operator egress)."""
    tags: Mapping[str, str]
    """Base tags; reserved for AWS resources (none yet: Kafka needs no bucket, MirrorMaker2 replicates)."""
    protect_stateful: bool = True
    """Protect the Kafka and KafkaNodePool resources, the topics and the operator release from deletion."""
    peer_cidrs: tuple[str, ...] = ()
    """Peer regions' VPC CIDRs allowed to and from the TLS listener; default none."""
    fleet: KafkaFleet | None = None
    """The region's place among the Kafka regions: the peers listener and its policies; None (development): none."""
    peers: tuple[PeerStack, ...] = ()
    """The earlier stacks running Kafka, in order (`fleet.earlier_regions`): this stack declares both MirrorMaker2
    links with each; default none."""
    after: Sequence[pulumi.Resource] = ()
    """What the peers listener's certificate waits for (cert-manager, the fleet CA's ClusterIssuer); default none."""


def _placement(cluster: ClusterRef) -> spec.Placement:
    return spec.Placement(zones=cluster.zones, node_labels=cluster.data_node_labels,
                          taints=cluster.data_node_taints, storage_class=cluster.data_storage_class)


def kafka_contract(config: KafkaConfig, *, region: str, cluster_name: str) -> MonitoringContract:
    """Scrape targets (PodMonitors: Strimzi creates none), exporter flavour, thresholds and SLOs."""
    def pod_monitor(job: str, ns: str, selector: dict[str, str], port: str = spec.METRICS_PORT_NAME) -> ScrapeTarget:
        return ScrapeTarget(kind="PodMonitor", job=job, namespace=ns, selector=selector, port=port)

    return MonitoringContract(
        kind="kafka", region=region, cluster=cluster_name, namespace=spec.NAMESPACE,
        scrape=(pod_monitor("kafka", spec.NAMESPACE, dict(spec.KAFKA_POD_LABELS)),
                pod_monitor("kafka-exporter", spec.NAMESPACE, dict(spec.EXPORTER_POD_LABELS)),
                pod_monitor("strimzi-cluster-operator", spec.OPERATOR_NAMESPACE, dict(spec.OPERATOR_POD_LABELS),
                            port="http")),
        exporter=metrics.EXPORTER, thresholds=metrics.thresholds(config.monitoring),
        slos=metrics.slos(config.monitoring), replicas=config.brokers + config.controllers,
        labels={"kafka_cluster": spec.CLUSTER})


class Kafka(pulumi.ComponentResource):
    """Strimzi operator, a KRaft Kafka cluster spread over three zones, its topics and users. Exposes `contract`."""

    contract: MonitoringContract
    _k8s: k8s.Provider
    bootstrap_servers: str
    """Clients' bootstrap address (mTLS; trust the `<cluster>-cluster-ca-cert` Secret)."""
    mirrors: list[KafkaMirrorPair]
    """One per earlier peer: both MirrorMaker2 links with it."""
    heartbeats: KafkaHeartbeats | None
    """The region's heartbeat Connect cluster; None without `fleet` or with no other Kafka region."""

    def __init__(self, name: str, args: KafkaArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("meridian:kafka:Kafka", name, None, opts)
        config, cluster = args.config, args.cluster
        provider, protect = cluster.provider, args.protect_stateful
        self._k8s = provider
        version = check_chart_version("meridian:kafka.chart_version", CHART, config.chart_version)
        fleet = args.fleet
        if tuple(peer.region for peer in args.peers) != (fleet.earlier_regions if fleet else ()):
            raise ValueError(f"Kafka peers {[peer.region for peer in args.peers]} differ from the fleet's earlier "
                             f"Kafka regions {list(fleet.earlier_regions) if fleet else []}")

        operator_ns = namespace(f"{name}-operator-namespace", spec.OPERATOR_NAMESPACE, provider=provider, parent=self)
        kafka_ns = namespace(f"{name}-namespace", spec.NAMESPACE, provider=provider, parent=self,
                             protect=args.protect_stateful)
        operator_policies = network_policies(
            f"{name}-operator", operator_ns.metadata.name, provider=provider, parent=self,
            flows=[prometheus_scrape((spec.OPERATOR_METRICS_PORT,), spec.OPERATOR_POD_LABELS)],
            # The API server, and the Kafka pods' internal ports (EKS pods take VPC addresses); MirrorMaker2's REST.
            egress_cidrs={args.vpc_cidr: (443, spec.KAFKA_AGENT_PORT, spec.CONTROL_PLANE_PORT, spec.REPLICATION_PORT,
                                          *((mspec.CONNECT_REST_PORT,) if fleet else ()))})
        kafka_policies = network_policies(
            f"{name}-service", kafka_ns.metadata.name, provider=provider, parent=self,
            flows=self._flows(config.client_namespaces, args.peer_cidrs) + self._fleet_flows(fleet),
            # API server: the brokers' init container reads its node's zone label, the entity operator watches CRs.
            egress_cidrs={args.vpc_cidr: (443,), **{cidr: (spec.TLS_PORT,) for cidr in args.peer_cidrs}},
            pod_egress=[Egress(name="mirror-maker-peers", from_pod_labels=mspec.MIRROR_POD_LABELS,
                               to_cidrs={fleet.fleet_cidr: (fleet.peers_port,)})] if fleet else [])
        release = helm_release(f"{name}-operator", chart_name=CHART, namespace=operator_ns.metadata.name,
                               values=spec.chart_values(), version=version, provider=provider, parent=self,
                               protect=protect, depends_on=[kafka_ns, *operator_policies])

        metrics_map = k8s.core.v1.ConfigMap(
            f"{name}-metrics", metadata={"name": spec.METRICS_CONFIGMAP, "namespace": kafka_ns.metadata.name,
                                         "labels": dict(spec.CLUSTER_LABEL)},
            data={metrics.CONFIG_KEY: metrics.metrics_config_yaml()},
            opts=pulumi.ResourceOptions(parent=self, provider=provider))
        endpoint = peers_endpoint(name, fleet, kafka_ns.metadata.name, pulumi.ResourceOptions(
            parent=self, provider=provider, depends_on=[kafka_ns, *args.after])) if fleet else []
        placement = _placement(cluster)
        ready = [release, *kafka_policies]
        pools = [
            self._custom(f"{name}-controllers", "KafkaNodePool", "controller", kafka_ns, spec.node_pool_spec(
                "controller", replicas=config.controllers, disk_gib=config.controller_disk_gib,
                heap_gib=config.controller_heap_gib, cpu_millicores=500, placement=placement),
                protect=protect, depends_on=ready,
                annotations={"strimzi.io/next-node-ids": spec.NODE_ID_RANGES["controller"]}),
            self._custom(f"{name}-brokers", "KafkaNodePool", "broker", kafka_ns, spec.node_pool_spec(
                "broker", replicas=config.brokers, disk_gib=config.broker_disk_gib, heap_gib=config.broker_heap_gib,
                cpu_millicores=config.broker_cpu_millicores, placement=placement),
                protect=protect, depends_on=ready,
                annotations={"strimzi.io/next-node-ids": spec.NODE_ID_RANGES["broker"]}),
        ]
        kafka = self._custom(f"{name}-cluster", "Kafka", spec.CLUSTER, kafka_ns, spec.kafka_spec(
            config, client_namespaces=config.client_namespaces, peer_cidrs=args.peer_cidrs,
            extra_listeners=[mspec.peers_listener(fleet)] if fleet else ()),
            protect=protect, depends_on=[*ready, metrics_map, *endpoint, *pools], cluster_label=False)
        for topic in config.topics:
            resource = topic_resource_name(topic.name)
            self._custom(f"{name}-topic-{resource}", "KafkaTopic", resource, kafka_ns, spec.topic_spec(topic),
                         protect=protect, depends_on=[kafka])
        for user in config.users:
            self._custom(f"{name}-user-{user.name}", "KafkaUser", user.name, kafka_ns, spec.user_spec(user),
                         protect=False, depends_on=[kafka])

        # Heartbeats (and their monitoring, the platform's kafka-mirrormaker2 contract) only once another region
        # runs Kafka: a lone region has nothing to mirror, and an idle Connect cluster would go unmonitored.
        self.heartbeats = None if fleet is None or not fleet.mirrored else KafkaHeartbeats(
            f"{name}-heartbeats", KafkaHeartbeatsArgs(provider=provider, kafka_version=config.kafka_version,
                                                      replicas=2, after=[kafka, *endpoint]),
            opts=pulumi.ResourceOptions(parent=self))
        self.mirrors = [] if fleet is None else [KafkaMirrorPair(f"{name}-mirror-{peer.region}", KafkaMirrorPairArgs(
            fleet=fleet, region=cluster.region, provider=provider, peer=peer, kafka_version=config.kafka_version,
            after=[kafka, *endpoint, *([self.heartbeats.connect] if self.heartbeats else [])]),
            opts=pulumi.ResourceOptions(parent=self)) for peer in args.peers]
        self.bootstrap_servers = f"{spec.CLUSTER}-kafka-bootstrap.{spec.NAMESPACE}.svc:{spec.TLS_PORT}"
        self.contract = kafka_contract(config, region=cluster.region, cluster_name=cluster.cluster_name)
        self.register_outputs({"bootstrapServers": self.bootstrap_servers, "namespace": kafka_ns.metadata.name})

    @staticmethod
    def _flows(client_namespaces: Sequence[str], peer_cidrs: Sequence[str]) -> list[Flow]:
        flows = [
            prometheus_scrape((spec.METRICS_PORT,), spec.CLUSTER_LABEL),
            Flow(name="strimzi-operator", from_namespaces=(spec.OPERATOR_NAMESPACE,),
                 from_pod_labels=spec.OPERATOR_POD_LABELS, to_pod_labels=spec.CLUSTER_LABEL,
                 ports=(spec.CONTROL_PLANE_PORT, spec.REPLICATION_PORT, spec.KAFKA_AGENT_PORT)),
        ]
        if client_namespaces or peer_cidrs:
            flows.append(Flow(name="kafka-clients", ports=(spec.TLS_PORT,), from_namespaces=tuple(client_namespaces),
                              from_cidrs=tuple(peer_cidrs), to_pod_labels=spec.KAFKA_POD_LABELS))
        return flows

    @staticmethod
    def _fleet_flows(fleet: KafkaFleet | None) -> list[Flow]:
        """The peers listener from the fleet's CIDR; Prometheus and the operator (REST API) to MirrorMaker2 and
        heartbeat Connect pods."""
        if fleet is None:
            return []
        connect = [Flow(name=f"mirror-heartbeats-{role}", ports=(port,), from_namespaces=(namespace,),
                        from_pod_labels=pods, to_pod_labels=hspec.CONNECT_POD_LABELS)
                   for role, port, namespace, pods in (
                       ("scrape", spec.METRICS_PORT, MONITORING_NAMESPACE, {}),
                       ("operator", mspec.CONNECT_REST_PORT, spec.OPERATOR_NAMESPACE, spec.OPERATOR_POD_LABELS))]
        return [Flow(name="kafka-peers", ports=(fleet.peers_port,), from_cidrs=(fleet.fleet_cidr,),
                     to_pod_labels=mspec.BROKER_POD_LABELS),
                Flow(name="mirror-maker-scrape", ports=(spec.METRICS_PORT,), from_namespaces=(MONITORING_NAMESPACE,),
                     to_pod_labels=mspec.MIRROR_POD_LABELS),
                Flow(name="mirror-maker-operator", ports=(mspec.CONNECT_REST_PORT,),
                     from_namespaces=(spec.OPERATOR_NAMESPACE,), from_pod_labels=spec.OPERATOR_POD_LABELS,
                     to_pod_labels=mspec.MIRROR_POD_LABELS), *connect]

    def _custom(self, resource_name: str, kind: str, object_name: str, ns: k8s.core.v1.Namespace,
                object_spec: Mapping[str, Any], *, protect: bool, depends_on: Sequence[pulumi.Resource],
                cluster_label: bool = True,
                annotations: Mapping[str, str] | None = None) -> k8s.apiextensions.CustomResource:
        metadata: dict[str, Any] = {"name": object_name, "namespace": ns.metadata.name}
        if cluster_label:
            metadata["labels"] = dict(spec.CLUSTER_LABEL)
        if annotations:
            metadata["annotations"] = dict(annotations)
        return k8s.apiextensions.CustomResource(
            resource_name, api_version=spec.API_VERSION, kind=kind, metadata=metadata, spec=dict(object_spec),
            opts=pulumi.ResourceOptions(parent=self, provider=self._k8s, protect=protect,
                                        depends_on=list(depends_on)))
