"""Zone loss for Elasticsearch (ECK): with any one AZ gone, do the masters keep a majority and every shard a copy?

Read from the rendered `Elasticsearch` custom resources (and the Filebeat `Beat` that writes the log indices):
- masters: master-eligible nodes, odd and >= 3, each nodeSet spread over the zones (ECK `zoneAwareness`, or a
  `topologySpreadConstraints` entry on topology.kubernetes.io/zone with maxSkew 1 and DoNotSchedule); the zone
  holding the most of them may go, the rest must still be a majority of the voting configuration;
- data: data nodes >= 3 and >= the zone count, spread the same way, with shard allocation awareness on the zone
  (`zoneAwareness`, or `node.attr.zone` + `cluster.routing.allocation.awareness.attributes` containing `zone`);
- replicas: the log indices' `number_of_replicas` >= 1, so awareness keeps each shard's copies in two zones.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

from components.contracts import ZONE_LABEL
from meridian.checks.verdict import Verdict
from meridian.synth.mocks import RecordedResource
from meridian.synth.plan import Plan
from meridian.synth.render import manifest

CHECK: Final = "zone-loss"
DEFAULT_ZONES: Final = 3
DATA_ROLES: Final = frozenset({"data", "data_content", "data_hot"})
REPLICAS_PATH: Final = "setup.template.settings.index.number_of_replicas"


def _objects(plan: Plan, group: str, kind: str) -> list[dict[str, Any]]:
    def matches(resource: RecordedResource) -> bool:
        return (resource.custom and resource.type.startswith(f"kubernetes:{group}/")
                and resource.inputs.get("kind") == kind)

    return [manifest(resource) for resource in plan if matches(resource)]


def lookup(config: Mapping[str, Any], path: str) -> Any:
    """A setting in a Beats/Elasticsearch config map, whether its keys are nested, dotted or a mix of both."""
    if path in config:
        return config[path]
    parts = path.split(".")
    for cut in range(1, len(parts)):
        head, rest = ".".join(parts[:cut]), ".".join(parts[cut:])
        child = config.get(head)
        if isinstance(child, Mapping):
            found = lookup(child, rest)
            if found is not None:
                return found
    return None


def _roles(node_set: Mapping[str, Any]) -> set[str]:
    roles = lookup(node_set.get("config") or {}, "node.roles")
    return {"master", *DATA_ROLES} if roles is None else set(roles)


def _spread(node_set: Mapping[str, Any]) -> bool:
    """The nodeSet is spread one-per-zone-at-most-skew-1 with a hard constraint.

    A podTemplate constraint on the zone key wins over zoneAwareness' default one: ECK adds its own only when the
    template has none on that key (PodTemplateBuilder.WithTopologySpreadConstraints at v3.5.0), so a soft or wider
    template constraint leaves the nodeSet unspread even with zoneAwareness.
    """
    spec = (node_set.get("podTemplate") or {}).get("spec") or {}
    zone = [c for c in spec.get("topologySpreadConstraints") or () if c.get("topologyKey") == ZONE_LABEL]
    if zone:
        return any(c.get("maxSkew") == 1 and c.get("whenUnsatisfiable") == "DoNotSchedule" for c in zone)
    return ("zoneAwareness" in node_set
            and (node_set["zoneAwareness"] or {}).get("topologyKey", ZONE_LABEL) == ZONE_LABEL)


def _zone_aware(node_sets: list[Mapping[str, Any]]) -> bool:
    if any("zoneAwareness" in node_set for node_set in node_sets):
        return True  # ECK then sets node.attr.zone and awareness on every nodeSet (settings/merged_config.go)
    data = [node_set for node_set in node_sets if _roles(node_set) & DATA_ROLES]
    return bool(data) and all(
        lookup(node_set.get("config") or {}, "node.attr.zone") is not None
        and "zone" in str(lookup(node_set.get("config") or {}, "cluster.routing.allocation.awareness.attributes"))
        for node_set in data)


def _zones(node_sets: list[Mapping[str, Any]], plan: Plan) -> tuple[int, str]:
    listed = {zone for node_set in node_sets for zone in (node_set.get("zoneAwareness") or {}).get("zones") or ()}
    if listed:
        return len(listed), "zoneAwareness.zones"
    subnets = {r.inputs.get("availabilityZone") for r in plan.of_type("aws:ec2/subnet:Subnet")}
    subnets.discard(None)
    if subnets:
        return len(subnets), "the plan's subnets"
    return DEFAULT_ZONES, "assumed (no zone list in the plan)"


def _replicas(es: Mapping[str, Any], beats: list[dict[str, Any]]) -> tuple[int | None, str]:
    name, namespace = es["metadata"]["name"], es["metadata"].get("namespace")
    for beat in beats:
        ref = beat["spec"].get("elasticsearchRef") or {}
        same_namespace = ref.get("namespace", beat["metadata"].get("namespace")) == namespace
        value = lookup(beat["spec"].get("config") or {}, REPLICAS_PATH)
        if ref.get("name") == name and same_namespace and value is not None:
            return int(value), f"Beat {beat['metadata']['name']} index template"
    return None, "no index template of a shipper writing to it sets number_of_replicas"


def _verdict(es: dict[str, Any], beats: list[dict[str, Any]], plan: Plan) -> Verdict:
    service = f"elasticsearch {es['metadata'].get('namespace')}/{es['metadata']['name']}"
    node_sets: list[Mapping[str, Any]] = list(es["spec"].get("nodeSets") or ())
    zones, zones_from = _zones(node_sets, plan)
    problems: list[str] = []
    masters = [ns for ns in node_sets if "master" in _roles(ns)]
    data = [ns for ns in node_sets if _roles(ns) & DATA_ROLES]
    master_count = sum(int(ns.get("count", 1)) for ns in masters)
    data_count = sum(int(ns.get("count", 1)) for ns in data)

    worst_zone = sum(math.ceil(int(ns.get("count", 1)) / zones) for ns in masters)
    survivors, majority = master_count - worst_zone, master_count // 2 + 1
    reasons = [f"{zones} zones ({zones_from})",
               f"{master_count} masters, at most {worst_zone} per zone: a zone loss leaves {survivors} "
               f"(majority {majority})"]
    if master_count < 3 or master_count % 2 == 0:
        problems.append(f"{master_count} masters: need an odd count >= 3")
    unspread = [str(ns.get("name")) for ns in masters + data if not _spread(ns)]
    if unspread:
        problems.append(f"nodeSets {sorted(set(unspread))} are not spread across zones with DoNotSchedule")
    elif survivors < majority:
        problems.append(f"losing the zone with {worst_zone} masters leaves {survivors} of {master_count}, "
                        f"below the majority {majority}")
    reasons.append(f"{data_count} data nodes")
    if data_count < max(3, zones):
        problems.append(f"{data_count} data nodes: need at least {max(3, zones)} (one per zone)")
    if _zone_aware(node_sets):
        reasons.append("shard allocation awareness on the zone")
    else:
        problems.append("no zone awareness: a shard and its replica may share a zone")
    replicas, replicas_from = _replicas(es, beats)
    reasons.append(f"index replicas {replicas} ({replicas_from})")
    if replicas is None or replicas < 1:
        problems.append(f"index replicas {replicas}: a zone loss would lose the primaries stored there")
    if problems:
        return Verdict(service, CHECK, False, tuple(problems + reasons))
    return Verdict(service, CHECK, True, (*reasons, "every shard keeps a copy in another zone"))


def zone_loss(plan: Plan) -> list[Verdict]:
    """One verdict per Elasticsearch cluster in the plan (none when the service is absent)."""
    beats = _objects(plan, "beat.k8s.elastic.co", "Beat")
    return [_verdict(es, beats, plan) for es in _objects(plan, "elasticsearch.k8s.elastic.co", "Elasticsearch")]
