"""RegionalPlatform: wires one region's components together (`meridian:platform:RegionalPlatform`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

from components.cassandra import Cassandra, CassandraArgs
from components.cassandra_spec import INTERNODE_PORTS
from components.certificates import Certificates, CertificatesArgs
from components.cluster import EksCluster, EksClusterArgs
from components.config import StackConfig
from components.connectivity import Connectivity, ConnectivityArgs, CrossRegionFlow, PeerRegion
from components.contracts import CertificatesRef, ClusterRef, MonitoringContract, NetworkRef
from components.fleet_ca import FleetCa, FleetCaArgs
from components.fleet_dns import FleetDns, FleetDnsArgs
from components.fleet_plan import KAFKA_PEERS_PORT, PROMETHEUS_PORT, FleetPlan, region_domain
from components.kafka import Kafka, KafkaArgs
from components.kafka_mirror_metrics import mirror_contract
from components.logging import Logging, LoggingArgs
from components.monitoring import Monitoring, MonitoringArgs
from components.monitoring_contracts import kubernetes_contract, monitoring_contract, planned_nodes
from components.network import Network, NetworkArgs
from components.peers import PeerStack, peer_stack
from components.tags import base_tags
from components.vault import Vault, VaultArgs
from components.versions import chart
from observability.config import ObservabilityConfig

Service = Certificates | FleetDns | Cassandra | Kafka | Vault | Logging
"""A component that runs a workload and declares its MonitoringContract."""


@dataclass(frozen=True, kw_only=True)
class RegionalPlatformArgs:
    """Inputs of the regional platform."""

    config: StackConfig
    """The stack's validated config; the platform hands each component only what it needs."""
    peers: tuple[PeerRegion, ...] = ()
    """The earlier stacks `config.peers` names, described from their own config (see `peer_regions`)."""
    project: str = "meridian"
    """The Pulumi project, for the peers' StackReference names."""
    fleet: FleetPlan | None = None
    """The stack's place in the fleet (components/fleet_plan.py); None outside the peering order (development)."""


def peer_regions(config: StackConfig, fleet: Mapping[str, StackConfig]) -> tuple[PeerRegion, ...]:
    """The stacks `config` peers with, as the connectivity needs them (from their validated config)."""
    return tuple(PeerRegion(stack=peer, region=fleet[peer].region, cidr=fleet[peer].network.cidr,
                            zones=fleet[peer].network.az_count) for peer in config.peers)


def cross_region_flows(config: StackConfig, fleet: FleetPlan | None) -> tuple[CrossRegionFlow, ...]:
    """TCP flows the deployed services need between regions (admitted from the peers' CIDRs only): Cassandra
    internode, Kafka's cross-region listener (MirrorMaker2), and remote writes into the primary's fleet Prometheus."""
    flows: list[CrossRegionFlow] = []
    if config.cassandra is not None:
        flows.append(CrossRegionFlow(name="cassandra-internode", ports=INTERNODE_PORTS))
    if config.kafka is not None:
        flows.append(CrossRegionFlow(name="kafka-peers", ports=(KAFKA_PEERS_PORT,)))
    if fleet is not None:
        flows.append(CrossRegionFlow(name="fleet-remote-write", ports=(PROMETHEUS_PORT,),
                                     into_stack=fleet.primary_stack))
    return tuple(flows)


class RegionalPlatform(pulumi.ComponentResource):
    """The whole platform of one region: network, the EKS cluster on it, its services, and their monitoring."""

    network: NetworkRef
    cluster: ClusterRef
    certificates: CertificatesRef
    contracts: list[MonitoringContract]
    """Every workload's monitoring contract (the cluster's and the monitoring stack's included)."""
    observability: ObservabilityConfig
    """The observability config the generated rules and dashboards were rendered with."""
    monitoring: Monitoring
    connectivity: Connectivity | None
    """The Transit Gateway and its peerings; None for a stack without `meridian:order` (development)."""

    def __init__(self, name: str, args: RegionalPlatformArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("meridian:platform:RegionalPlatform", name, None, opts)
        config = args.config
        tags = base_tags(config)
        child = pulumi.ResourceOptions(parent=self)
        self.network = Network(f"{name}-network", NetworkArgs(
            region=config.region,
            cidr=config.network.cidr,
            zones=config.zones,
            nat_gateways=config.network.nat_gateways,
            flow_log_retention_days=config.network.flow_log_retention_days,
            interface_endpoints=config.network.interface_endpoints,
            cluster_name=config.cluster_name,
            tags=tags,
            protect_stateful=config.protect_stateful,
        ), child).ref
        self.cluster = EksCluster(f"{name}-eks", EksClusterArgs(
            cluster_name=config.cluster_name,
            region=config.region,
            kubernetes_version=config.cluster.kubernetes_version,
            network=self.network,
            public_access_cidrs=config.cluster.public_access_cidrs,
            admin_role_arns=config.cluster.admin_role_arns,
            log_retention_days=config.cluster.log_retention_days,
            node_groups=config.cluster.node_groups,
            tags=tags,
            protect_stateful=config.protect_stateful,
        ), child).ref
        plan = self._fleet = args.fleet
        peer_stacks = {peer.stack: peer_stack(f"{name}-peer", stack=peer.stack, region=peer.region,
                                              reference_prefix=f"{config.stack_reference_org}/{args.project}",
                                              parent=self) for peer in args.peers}
        self.connectivity = None if config.order is None else Connectivity(f"{name}-connectivity", ConnectivityArgs(
            region=config.region, cidr=config.network.cidr, vpc_id=self.network.vpc_id,
            attachment_subnet_ids=self.network.subnet_ids("private"),
            route_table_ids=[*self.network.route_table_ids["private"], *self.network.route_table_ids["data"]],
            cluster_security_group_id=self.cluster.cluster_security_group_id, peers=args.peers,
            peer_outputs={stack: peer.outputs for stack, peer in peer_stacks.items()},
            flows=cross_region_flows(config, plan), stack=config.stack, order=config.order, tags=tags), child)
        certificates = Certificates(f"{name}-certificates", CertificatesArgs(
            cluster=self.cluster, vpc_cidr=config.network.cidr, chart_version=chart("cert-manager").version), child)
        self.certificates = certificates.ref
        services: list[Service] = [certificates]
        cluster, cidr, protect = self.cluster, config.network.cidr, config.protect_stateful
        after = list(certificates.ready)
        self.fleet_dns: FleetDns | None = None
        primary: PeerStack | None = None
        if plan is not None:
            primary = None if plan.is_primary else peer_stacks[plan.primary_stack]
            fleet_ca = FleetCa(f"{name}-fleet-ca", FleetCaArgs(provider=cluster.provider, primary=primary,
                                                               after=certificates.ready), child)
            self.fleet_dns = FleetDns(f"{name}-fleet-dns", FleetDnsArgs(
                zone_name=plan.fleet.dns_zone, region_domain=region_domain(plan.fleet, config.region),
                vpc_id=self.network.vpc_id, vpc_cidr=cidr, cluster=cluster, primary=primary, tags=tags,
                protect_stateful=protect), child)
            services.append(self.fleet_dns)
            after = [*after, fleet_ca.issuer, *self.fleet_dns.ready]
        if config.cassandra is not None:
            services.append(Cassandra(f"{name}-cassandra", CassandraArgs(
                config=config.cassandra, cluster=cluster, vpc_cidr=cidr, tags=tags, protect_stateful=protect,
                certificates=certificates.ref, after=after, fleet=plan.cassandra if plan else None,
                primary=primary), child))
        if config.kafka is not None:
            kafka_fleet = plan.kafka if plan else None
            kafka_peers = self._kafka_peers(peer_stacks, kafka_fleet.earlier_regions if kafka_fleet else ())
            services.append(Kafka(f"{name}-kafka", KafkaArgs(
                config=config.kafka, cluster=cluster, vpc_cidr=cidr, tags=tags, protect_stateful=protect,
                fleet=kafka_fleet, peers=kafka_peers, after=after), child))
        if config.vault is not None:
            services.append(Vault(f"{name}-vault", VaultArgs(
                config=config.vault, cluster=cluster, vpc_cidr=cidr, tags=tags, protect_stateful=protect,
                certificates=certificates.ref, after=certificates.ready), child))
        if config.logging is not None:
            services.append(Logging(f"{name}-logging", LoggingArgs(
                config=config.logging, cluster=cluster, vpc_cidr=cidr, tags=tags, protect_stateful=protect), child))
        self.contracts = [service.contract for service in services]
        if plan is not None and plan.kafka is not None and plan.kafka.mirrored:
            self.contracts.append(mirror_contract(region=config.region, cluster_name=config.cluster_name))
        self.vault_inventory = next((s.inventory for s in services if isinstance(s, Vault)), None)  # None: no Vault
        self._monitor(name, config, services, child)
        self.register_outputs({"vpcId": self.network.vpc_id, "clusterName": self.cluster.name})

    def _fleet_receiver_replicas(self) -> int:
        """Replicas of the fleet Prometheus this region runs (the primary only), for its monitoring contract."""
        view = self._fleet.view if self._fleet else None
        return view.receiver_replicas if view and view.is_primary else 0

    @staticmethod
    def _kafka_peers(peer_stacks: Mapping[str, PeerStack], regions: tuple[str, ...]) -> tuple[PeerStack, ...]:
        """The earlier stacks running Kafka, in `regions` order (one stack per region)."""
        by_region = {peer.region: peer for peer in peer_stacks.values()}
        return tuple(by_region[region] for region in regions)

    def _monitor(self, name: str, config: StackConfig, services: list[Service], opts: pulumi.ResourceOptions) -> None:
        """Monitoring last: every service's contract plus the cluster's and the monitoring stack's own."""
        monitoring = config.monitoring
        self.observability = monitoring.observability_config()
        self.contracts.append(kubernetes_contract(region=config.region, cluster=config.cluster_name,
                                                  nodes=planned_nodes(config.cluster.node_groups, len(config.zones))))
        self.contracts.append(monitoring_contract(region=config.region, cluster=config.cluster_name,
                                                  prometheus_replicas=monitoring.prometheus.replicas,
                                                  alertmanager_replicas=monitoring.alertmanager.replicas,
                                                  fleet_prometheus_replicas=self._fleet_receiver_replicas()))
        owners: dict[str, pulumi.Resource] = {target.namespace: service for service in services
                                              for target in service.contract.scrape}
        keys = {key: pulumi.Output.secret(value.get_secret_value()) for key, value in config.secrets.items()}
        self.monitoring = Monitoring(f"{name}-monitoring", MonitoringArgs(
            config=monitoring, cluster=self.cluster, contracts=self.contracts, observability=self.observability,
            vpc_cidr=config.network.cidr, tags=base_tags(config), namespace_owners=owners,
            receiver_keys=keys, protect_stateful=config.protect_stateful,
            fleet=self._fleet.view if self._fleet else None), opts)
