"""Region loss, over the synth output of every stack: with any one region gone, does every global keyspace and
every global topic still have a full copy in another region?

Reads what the stacks declare, not config:
* Cassandra: each region's K8ssandraCluster datacenters (name = region, `size`), and each stack's ConfigMap
  `meridian-keyspaces` (`<keyspace>.json`: replicas per datacenter). The keyspace Jobs merge and never drop a
  datacenter, so the effective replication is every stack's map merged in fleet order, a later stack's RF winning.
  A datacenter with RF >= 1 holds a full copy (NetworkTopologyStrategy places RF replicas of every token range in
  it); a keyspace survives the loss of any one region when at least two existing datacenters hold copies.
* Kafka: each region's KafkaTopics, and every KafkaMirrorMaker2 (`spec.target.alias` the region it writes to,
  `spec.mirrors[].source.alias` the region it reads, `topicsPattern`). A topic mirrored anywhere is global; the
  data a region produces to it survives that region's loss when another region mirrors it from there.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from meridian.checks.verdict import Verdict
from meridian.synth.plan import Plan
from meridian.synth.render import manifest

CHECK: Final = "region-loss"
KEYSPACES_CONFIGMAP: Final = "meridian-keyspaces"


def _objects(plan: Plan, kind: str) -> Iterable[dict[str, Any]]:
    for resource in plan:
        if resource.type.startswith("kubernetes:") and resource.inputs.get("kind") == kind:
            yield manifest(resource)


@dataclass
class _Fleet:
    datacenters: dict[str, int] = field(default_factory=dict)
    """Datacenter (region) to its node count."""
    keyspaces: dict[str, dict[str, int]] = field(default_factory=dict)
    topics: dict[str, set[str]] = field(default_factory=dict)
    """Region to the topic names its Kafka declares."""
    mirrors: list[tuple[str, str, str]] = field(default_factory=list)
    """(source region, target region, topicsPattern)."""


def _read(plans: Mapping[str, Plan]) -> _Fleet:
    fleet = _Fleet()
    for plan in plans.values():  # in fleet order: a later stack's keyspace map wins per datacenter
        for cluster in _objects(plan, "K8ssandraCluster"):
            for dc in (cluster.get("spec") or {}).get("cassandra", {}).get("datacenters") or []:
                fleet.datacenters[dc["metadata"]["name"]] = int(dc.get("size") or 0)
        for config_map in _objects(plan, "ConfigMap"):
            if (config_map.get("metadata") or {}).get("name") != KEYSPACES_CONFIGMAP:
                continue
            for key, text in (config_map.get("data") or {}).items():
                merged = fleet.keyspaces.setdefault(key.removesuffix(".json"), {})
                merged.update({dc: int(rf) for dc, rf in json.loads(text).items()})
        for mirror in _objects(plan, "KafkaMirrorMaker2"):
            spec = mirror.get("spec") or {}
            target = (spec.get("target") or {}).get("alias", "")
            for entry in spec.get("mirrors") or []:
                fleet.mirrors.append(((entry.get("source") or {}).get("alias", ""), target,
                                      entry.get("topicsPattern", "")))
    for stack, plan in plans.items():
        topics = {(topic.get("spec") or {}).get("topicName") or topic["metadata"]["name"]
                  for topic in _objects(plan, "KafkaTopic")}
        if topics:
            region = next(iter(_regions_of(plan)), stack)
            fleet.topics.setdefault(region, set()).update(topics)
    return fleet


def _regions_of(plan: Plan) -> set[str]:
    """The region a stack's plan declares (the AWS provider's `region` input)."""
    return {str(resource.inputs["region"]) for resource in plan
            if resource.type == "pulumi:providers:aws" and resource.inputs.get("region")}


def _keyspace_verdict(name: str, replication: Mapping[str, int], datacenters: Mapping[str, int]) -> Verdict:
    missing = sorted(dc for dc, rf in replication.items() if rf > 0 and dc not in datacenters)
    too_many = sorted(f"{dc} (RF {rf} > {datacenters[dc]} nodes)" for dc, rf in replication.items()
                      if dc in datacenters and rf > datacenters[dc])
    copies = sorted(dc for dc, rf in replication.items() if rf > 0 and dc in datacenters)
    reasons = []
    if missing:
        reasons.append(f"replicas declared in {', '.join(missing)}, where no datacenter exists")
    if too_many:
        reasons.append(f"more replicas than nodes in {', '.join(too_many)}")
    if len(copies) < 2:
        reasons.append(f"full copies only in {', '.join(copies) or 'no datacenter'}: losing it loses the keyspace")
    passed = not reasons
    if passed:
        listed = ", ".join(f"{dc} (RF {replication[dc]})" for dc in copies)
        reasons.append(f"full copies in {listed}; any one region lost leaves {len(copies) - 1}")
    return Verdict(service=f"cassandra keyspace {name}", check=CHECK, passed=passed, reasons=tuple(reasons))


def _topic_verdict(topic: str, fleet: _Fleet) -> Verdict:
    holders = sorted(region for region, topics in fleet.topics.items() if topic in topics)
    if not holders:
        return Verdict(service=f"kafka topic {topic}", check=CHECK, passed=False,
                       reasons=("no region declares it (KafkaTopic)",))
    unmirrored: list[str] = []
    reasons: list[str] = []
    for region in holders:
        targets = sorted({target for source, target, pattern in fleet.mirrors
                          if source == region and target != region and pattern and re.fullmatch(pattern, topic)})
        if targets:
            reasons.append(f"{region}'s data mirrored to {', '.join(targets)}")
        else:
            unmirrored.append(region)
    if unmirrored:
        return Verdict(service=f"kafka topic {topic}", check=CHECK, passed=False,
                       reasons=(f"no other region mirrors it from {', '.join(unmirrored)}: losing that region "
                                "loses the data produced there",))
    return Verdict(service=f"kafka topic {topic}", check=CHECK, passed=True, reasons=tuple(reasons))


def region_loss_verdicts(plans: Mapping[str, Plan], *, keyspaces: Sequence[str],
                         topics: Sequence[str]) -> list[Verdict]:
    """One verdict per global keyspace and topic (`stacks/fleet.yaml` names them), over the plans of every stack
    (in fleet order); one declared but found in no plan fails."""
    fleet = _read(plans)
    verdicts = [_keyspace_verdict(name, fleet.keyspaces.get(name, {}), fleet.datacenters)
                for name in sorted({*keyspaces, *fleet.keyspaces})]
    verdicts.extend(_topic_verdict(topic, fleet) for topic in sorted(topics))
    return verdicts
