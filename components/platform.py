"""RegionalPlatform: wires one region's components together (`meridian:platform:RegionalPlatform`)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.cassandra import Cassandra, CassandraArgs
from components.certificates import Certificates, CertificatesArgs
from components.cluster import EksCluster, EksClusterArgs
from components.config import StackConfig
from components.contracts import CertificatesRef, ClusterRef, MonitoringContract, NetworkRef
from components.kafka import Kafka, KafkaArgs
from components.logging import Logging, LoggingArgs
from components.network import Network, NetworkArgs
from components.tags import base_tags
from components.vault import Vault, VaultArgs
from components.versions import chart


@dataclass(frozen=True, kw_only=True)
class RegionalPlatformArgs:
    """Inputs of the regional platform."""

    config: StackConfig
    """The stack's validated config; the platform hands each component only what it needs."""


class RegionalPlatform(pulumi.ComponentResource):
    """The whole platform of one region: network, then the EKS cluster on it."""

    network: NetworkRef
    cluster: ClusterRef
    certificates: CertificatesRef
    contracts: list[MonitoringContract]
    """Every workload's monitoring contract, for the monitoring component."""

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
        certificates = Certificates(f"{name}-certificates", CertificatesArgs(
            cluster=self.cluster, vpc_cidr=config.network.cidr, chart_version=chart("cert-manager").version), child)
        self.certificates = certificates.ref
        self.contracts = [certificates.contract]
        cluster, cidr, protect = self.cluster, config.network.cidr, config.protect_stateful
        if config.cassandra is not None:
            self.contracts.append(Cassandra(f"{name}-cassandra", CassandraArgs(
                config=config.cassandra, cluster=cluster, vpc_cidr=cidr, tags=tags, protect_stateful=protect,
                certificates=certificates.ref, after=certificates.ready), child).contract)
        if config.kafka is not None:
            self.contracts.append(Kafka(f"{name}-kafka", KafkaArgs(
                config=config.kafka, cluster=cluster, vpc_cidr=cidr, tags=tags, protect_stateful=protect),
                child).contract)
        if config.vault is not None:
            self.contracts.append(Vault(f"{name}-vault", VaultArgs(
                config=config.vault, cluster=cluster, vpc_cidr=cidr, tags=tags, protect_stateful=protect,
                certificates=certificates.ref, after=certificates.ready), child).contract)
        if config.logging is not None:
            self.contracts.append(Logging(f"{name}-logging", LoggingArgs(
                config=config.logging, cluster=cluster, vpc_cidr=cidr, tags=tags, protect_stateful=protect),
                child).contract)
        self.register_outputs({"vpcId": self.network.vpc_id, "clusterName": self.cluster.name})
