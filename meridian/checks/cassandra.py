"""Cassandra's failure-domain check: with any one zone lost, do LOCAL_QUORUM reads and writes still succeed and
does every row keep a replica?

NetworkTopologyStrategy places a datacenter's replicas on distinct racks while RF <= racks, so each rack holds at
most ceil(RF / racks) replicas of a token range. Losing one zone (one rack) then leaves RF - ceil(RF / racks)
replicas, which must reach LOCAL_QUORUM (RF // 2 + 1). With RF 3 over 3 racks every rack holds a full copy of the
data and 2 of 3 replicas answer. The RF counted is the one the cluster enforces on new keyspaces
(`minimum_replication_factor_fail_threshold`, else `default_keyspace_rf`, in the CR's cassandra.yaml).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from components.contracts import ZONE_LABEL
from meridian.checks.verdict import Verdict
from meridian.synth.plan import Plan
from meridian.synth.render import manifest

SERVICE: Final = "cassandra"
CHECK: Final = "zone-loss"
MIN_RACKS: Final = 3
MIN_RF: Final = 3


def _clusters(plan: Plan) -> list[dict[str, Any]]:
    return [manifest(resource) for resource in plan
            if resource.inputs.get("kind") == "K8ssandraCluster"
            and str(resource.inputs.get("apiVersion", "")).startswith("k8ssandra.io/")]


def _replication_factor(cassandra: Mapping[str, Any], datacenter: Mapping[str, Any]) -> int | None:
    """The RF new keyspaces get and may not go below: the DC's cassandra.yaml overrides the cluster's."""
    for scope in (datacenter, cassandra):
        yaml = ((scope.get("config") or {}).get("cassandraYaml")) or {}
        for key in ("minimum_replication_factor_fail_threshold", "default_keyspace_rf"):
            value = yaml.get(key)
            if isinstance(value, int) and value > 0:
                return value
    return None


def rack_sizes(size: int, racks: int) -> list[int]:
    """Nodes per rack as cass-operator spreads them: evenly, the first racks taking the remainder."""
    if racks <= 0:
        return []
    return [size // racks + (1 if index < size % racks else 0) for index in range(racks)]


def _datacenter_verdict(cluster: str, cassandra: Mapping[str, Any], datacenter: Mapping[str, Any]) -> Verdict:
    name = (datacenter.get("metadata") or {}).get("name", "?")
    size = int(datacenter.get("size") or 0)
    racks = list(datacenter.get("racks") or cassandra.get("racks") or [])
    zones = [(rack.get("nodeAffinityLabels") or {}).get(ZONE_LABEL) or rack.get("zone") for rack in racks]
    distinct = sorted({zone for zone in zones if zone})
    nodes = rack_sizes(size, len(racks))
    rf = _replication_factor(cassandra, datacenter)
    per_rack = ", ".join(f"{rack.get('name')}={count}" for rack, count in zip(racks, nodes, strict=True))
    counted = (f"{cluster} datacenter {name}: {size} nodes in {len(racks)} racks over {len(distinct)} zones "
               f"({per_rack or 'no racks'}), RF {rf if rf is not None else 'unset'}")
    problems = []
    if len(racks) < MIN_RACKS:
        problems.append(f"only {len(racks)} racks: need one per zone in at least {MIN_RACKS} zones")
    unpinned = [str(rack.get("name")) for rack, zone in zip(racks, zones, strict=True) if not zone]
    if unpinned:
        problems.append(f"racks {unpinned} are not pinned to a zone ({ZONE_LABEL} in nodeAffinityLabels)")
    if len(distinct) < len([zone for zone in zones if zone]):
        problems.append(f"racks share zones ({zones}): losing one zone loses several racks")
    empty = [str(rack.get("name")) for rack, count in zip(racks, nodes, strict=True) if count == 0]
    if empty:
        problems.append(f"racks {empty} have no node ({size} nodes for {len(racks)} racks)")
    if rf is None:
        problems.append("no replication factor is enforced (default_keyspace_rf / minimum_replication_factor_"
                        "fail_threshold in cassandraYaml)")
    elif rf < MIN_RF:
        problems.append(f"RF {rf} < {MIN_RF}: one lost zone leaves no quorum")
    if rf is not None and rf > size:
        problems.append(f"RF {rf} exceeds the {size} nodes")
    if rf is not None and racks and not problems:
        lost = -(-rf // len(distinct))  # replicas one zone can hold
        quorum = rf // 2 + 1
        if rf - lost < quorum:
            problems.append(f"one zone holds {lost} of {rf} replicas: {rf - lost} left < LOCAL_QUORUM {quorum}")
        else:
            copies = ", and every other zone keeps a full copy" if rf >= len(distinct) else ""
            counted += (f"; one lost zone takes at most {lost} replica(s), {rf - lost} of {rf} remain >= "
                        f"LOCAL_QUORUM {quorum}{copies}")
    return Verdict(SERVICE, CHECK, not problems, (counted, *problems))


def zone_loss(plan: Plan) -> list[Verdict]:
    """One verdict per K8ssandraCluster datacenter in the plan; empty when Cassandra is not deployed."""
    verdicts = []
    for obj in _clusters(plan):
        metadata = obj.get("metadata") or {}
        cluster = f"K8ssandraCluster {metadata.get('namespace')}/{metadata.get('name')}"
        cassandra = (obj.get("spec") or {}).get("cassandra") or {}
        datacenters = cassandra.get("datacenters") or []
        if not datacenters:
            verdicts.append(Verdict(SERVICE, CHECK, False, (f"{cluster} declares no datacenter",)))
        verdicts.extend(_datacenter_verdict(cluster, cassandra, datacenter) for datacenter in datacenters)
    return verdicts
