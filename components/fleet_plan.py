"""What one stack must know about the rest of the fleet, computed from the validated configs (pure).

Every name here is derived from config alone, never from another stack's outputs, so an earlier stack's plan never
depends on a later one: adding a region changes no existing stack's plan.

Cross-region endpoints are published in the fleet's private hosted zone under `<region>.<dns_zone>` by each
region's ExternalDNS, from headless Services (one A record per ready pod, and `<pod hostname>.<name>` per pod):
- `cassandra-seeds.<region>.<zone>`: the datacenter's seed pods (later datacenters' `additionalSeeds`);
- `kafka.<region>.<zone>`: the brokers (MirrorMaker2's bootstrap), each broker `<pod>.kafka.<region>.<zone>`,
  the name its cross-region listener advertises;
- `prometheus.<region>.<zone>`: the primary region's fleet Prometheus pods (`prometheus-fleet-<i>.prometheus...`),
  the remote-write receivers of the fleet view.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from components.config import StackConfig
from components.config.fleet import FleetConfig

FLEET_CA_ISSUER: Final = "meridian-fleet-ca"
"""ClusterIssuer of the fleet's shared root CA in every region (cross-region TLS: Cassandra internode, Kafka's
peers listener); the first region creates the root, later regions copy it (components/fleet_ca.py)."""
KAFKA_PEERS_PORT: Final = 9094
"""Kafka's cross-region listener (TLS, SCRAM-SHA-512), advertised under the fleet zone; MirrorMaker2 uses it."""
PROMETHEUS_PORT: Final = 9090
FLEET_PROMETHEUS: Final = "fleet"
"""The primary region's receiving Prometheus (a second `Prometheus` object, pods `prometheus-fleet-<i>`)."""


def region_domain(fleet: FleetConfig, region: str) -> str:
    """The subdomain a region's ExternalDNS owns in the fleet zone."""
    return f"{region}.{fleet.dns_zone}"


def cassandra_seeds_host(fleet: FleetConfig, region: str) -> str:
    """The record of a region's Cassandra seed pods."""
    return f"cassandra-seeds.{region_domain(fleet, region)}"


def kafka_host(fleet: FleetConfig, region: str) -> str:
    """The record of a region's Kafka brokers (bootstrap); each broker is `<pod>.<this>`."""
    return f"kafka.{region_domain(fleet, region)}"


def prometheus_host(fleet: FleetConfig, region: str) -> str:
    """The record of the fleet Prometheus pods in the primary region; each pod is `<pod>.<this>`."""
    return f"prometheus.{region_domain(fleet, region)}"


@dataclass(frozen=True, kw_only=True)
class KeyspacePlan:
    """A global keyspace and the replicas this stack declares for it: its own datacenter's and the earlier ones'."""

    name: str
    replication: tuple[tuple[str, int], ...]
    """(datacenter, replicas) in fleet order; datacenters with 0 replicas are left out."""


@dataclass(frozen=True, kw_only=True)
class CassandraFleet:
    """What the region's datacenter needs to join the fleet's one Cassandra cluster."""

    seeds_host: str
    """This datacenter's own seed record (ExternalDNS publishes it)."""
    earlier_datacenters: tuple[str, ...]
    """Datacenters (regions) of earlier stacks: `externalDatacenters`, so the operator keeps their replicas."""
    additional_seeds: tuple[str, ...]
    """Earlier datacenters' seed records: the new datacenter's nodes contact them to join."""
    keyspaces: tuple[KeyspacePlan, ...]
    rebuild_from: str | None
    """The earliest datacenter, streamed from when this datacenter joins an existing cluster; None for the first."""
    fleet_cidr: str
    internode_issuer: str = FLEET_CA_ISSUER


@dataclass(frozen=True, kw_only=True)
class KafkaFleet:
    """What the region's Kafka needs for MirrorMaker2 between regions."""

    broker_domain: str
    """Brokers advertise `<pod>.<broker_domain>` on the peers listener; also the bootstrap record."""
    global_topics: tuple[str, ...]
    earlier_regions: tuple[str, ...]
    """Earlier regions with Kafka: this stack declares both mirrors of each pair (see components/kafka_mirror.py)."""
    mirrored: bool
    """Another region of the environment runs Kafka, so MirrorMaker2 runs here (declared by whichever of the pair
    comes later) and is monitored here."""
    fleet_cidr: str
    issuer: str = FLEET_CA_ISSUER
    peers_port: int = KAFKA_PEERS_PORT


@dataclass(frozen=True, kw_only=True)
class FleetView:
    """The fleet query path: every region's Prometheus remote-writes its `cluster:`/`slo:` series to the fleet
    Prometheus in the primary region (the lowest order of the environment), which the fleet dashboards query."""

    primary_region: str
    is_primary: bool
    """The primary runs the fleet Prometheus (receiver) and publishes it as `receiver_host`."""
    receiver_host: str
    receiver_replicas: int
    """Replicas of the fleet Prometheus: the primary's `monitoring.prometheus.replicas`."""
    remote_write_urls: tuple[str, ...]
    """One URL per fleet Prometheus replica (each keeps a full copy), the primary's own included."""
    fleet_cidr: str


@dataclass(frozen=True, kw_only=True)
class FleetPlan:
    """The stack's place in the fleet; None parts are not deployed (no order, or the service is off)."""

    fleet: FleetConfig
    primary_stack: str
    is_primary: bool
    earlier_stacks: tuple[str, ...]
    cassandra: CassandraFleet | None
    kafka: KafkaFleet | None
    view: FleetView


def _environment_stacks(config: StackConfig, configs: Mapping[str, StackConfig]) -> list[str]:
    """Stacks of the same environment with an order, in order."""
    return sorted((name for name, other in configs.items()
                   if other.order is not None and other.environment == config.environment),
                  key=lambda name: configs[name].order or 0)


def _keyspaces(fleet: FleetConfig, members: list[StackConfig]) -> tuple[KeyspacePlan, ...]:
    plans = []
    for keyspace in fleet.keyspaces:
        replication = []
        for member in members:
            if member.cassandra is None:
                continue
            replicas = keyspace.replication.get(member.region, member.cassandra.replication_factor)
            if replicas:
                replication.append((member.region, replicas))
        plans.append(KeyspacePlan(name=keyspace.name, replication=tuple(replication)))
    return tuple(plans)


def fleet_plan(config: StackConfig, configs: Mapping[str, StackConfig], fleet: FleetConfig) -> FleetPlan | None:
    """The stack's fleet plan from every stack's config; None for a stack outside the peering order (development)."""
    if config.order is None:
        return None
    ordered = _environment_stacks(config, {**configs, config.stack: config})
    own = ordered.index(config.stack)
    earlier = [configs[name] for name in ordered[:own]]
    members = [*earlier, config]
    primary = configs[ordered[0]] if ordered[0] != config.stack else config
    cassandra = None
    if config.cassandra is not None:
        earlier_dcs = tuple(other.region for other in earlier if other.cassandra is not None)
        cassandra = CassandraFleet(
            seeds_host=cassandra_seeds_host(fleet, config.region), earlier_datacenters=earlier_dcs,
            additional_seeds=tuple(cassandra_seeds_host(fleet, region) for region in earlier_dcs),
            keyspaces=_keyspaces(fleet, members), rebuild_from=earlier_dcs[0] if earlier_dcs else None,
            fleet_cidr=fleet.cidr)
    kafka = None
    if config.kafka is not None:
        kafka = KafkaFleet(broker_domain=kafka_host(fleet, config.region), global_topics=fleet.global_topics,
                           earlier_regions=tuple(other.region for other in earlier if other.kafka is not None),
                           mirrored=any(configs[name].kafka is not None for name in ordered if name != config.stack),
                           fleet_cidr=fleet.cidr)
    is_primary = primary.stack == config.stack
    receiver_host, replicas = prometheus_host(fleet, primary.region), primary.monitoring.prometheus.replicas
    urls = tuple(f"http://prometheus-{FLEET_PROMETHEUS}-{index}.{receiver_host}:{PROMETHEUS_PORT}/api/v1/write"
                 for index in range(replicas))
    view = FleetView(primary_region=primary.region, is_primary=is_primary, receiver_host=receiver_host,
                     receiver_replicas=replicas, remote_write_urls=urls, fleet_cidr=fleet.cidr)
    return FleetPlan(fleet=fleet, primary_stack=primary.stack, is_primary=is_primary,
                     earlier_stacks=tuple(ordered[:own]), cassandra=cassandra, kafka=kafka, view=view)
