"""Kafka zone loss: with any one availability zone gone, does KRaft keep quorum and every topic its data and writes?

Reads the rendered Strimzi objects of a Plan (Kafka, KafkaNodePool, KafkaTopic; kafka.strimzi.io/v1):

* zones: the values of the pools' required node affinity on `topology.kubernetes.io/zone`;
* placement: a hard zone topologySpreadConstraint (DoNotSchedule, maxSkew s, minDomains = zones) bounds the pods a
  pool can have in one zone to floor((replicas + s * (zones - 1)) / zones); without one, all may share a zone;
* controllers: after losing the worst zone a strict majority of the controller quorum must remain;
* brokers: at least 3, rack-aware by zone (`spec.kafka.rack.topologyKey`), so a partition's replicas sit in distinct
  zones and a zone holds ceil(RF / zones) of them at most;
* every replicated log (cluster defaults, `__consumer_offsets`, `__transaction_state`, each KafkaTopic): RF >= 3,
  RF - (replicas in one zone) >= min.insync.replicas (acks=all writes go on) and min.insync.replicas > replicas in
  one zone (an acknowledged write always has a copy outside the lost zone); unclean leader election off;
* PodDisruptionBudget maxUnavailable <= 1, so no drain takes a second broker while a zone is down.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

from components.contracts import ZONE_LABEL
from meridian.checks.verdict import Verdict
from meridian.synth.plan import Plan
from meridian.synth.render import manifest

SERVICE: Final = "kafka"
CHECK: Final = "zone-loss"
MIN_REPLICAS: Final = 3
# Kafka's own defaults when spec.kafka.config leaves a key out (Apache Kafka 4.x broker configs).
KAFKA_DEFAULTS: Final[dict[str, Any]] = {
    "default.replication.factor": 1, "min.insync.replicas": 1, "offsets.topic.replication.factor": 3,
    "transaction.state.log.replication.factor": 3, "transaction.state.log.min.isr": 2,
    "unclean.leader.election.enable": False,
}


@dataclass(frozen=True)
class _Pool:
    name: str
    roles: tuple[str, ...]
    replicas: int
    zones: tuple[str, ...]
    worst_zone: int
    """Most pods of this pool one zone can hold, given its spread constraint."""


def _zones(pod: dict[str, Any]) -> tuple[str, ...]:
    required = (((pod.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    zones: list[str] = []
    for term in required.get("nodeSelectorTerms") or []:
        for expression in term.get("matchExpressions") or []:
            if expression.get("key") == ZONE_LABEL and expression.get("operator") == "In":
                zones.extend(value for value in expression.get("values") or [] if value not in zones)
    return tuple(zones)


def _worst_zone(pod: dict[str, Any], pool: str, replicas: int, zones: int) -> int:
    for constraint in pod.get("topologySpreadConstraints") or []:
        labels = (constraint.get("labelSelector") or {}).get("matchLabels") or {}
        if (constraint.get("topologyKey") == ZONE_LABEL and constraint.get("whenUnsatisfiable") == "DoNotSchedule"
                and labels.get("strimzi.io/pool-name") in (None, pool)
                and int(constraint.get("minDomains") or 1) >= zones > 0):
            skew = int(constraint.get("maxSkew", 1))
            return min(replicas, (replicas + skew * (zones - 1)) // zones)
    return replicas


def _pool(obj: dict[str, Any], kafka_pod: dict[str, Any]) -> _Pool:
    name, pool_spec = obj["metadata"]["name"], obj.get("spec") or {}
    pod = {**kafka_pod, **(((pool_spec.get("template") or {}).get("pod")) or {})}
    replicas, zones = int(pool_spec.get("replicas", 0)), _zones(pod)
    return _Pool(name=name, roles=tuple(pool_spec.get("roles") or ()), replicas=replicas, zones=zones,
                 worst_zone=_worst_zone(pod, name, replicas, len(zones)))


def _layout(pools: list[_Pool]) -> str:
    """Pods per zone, e.g. `us-east-1a 1, us-east-1b 1, us-east-1c 1`, or how many one zone may hold."""
    counts: dict[str, int] = {}
    for pool in pools:
        if not pool.zones or pool.worst_zone > math.ceil(pool.replicas / len(pool.zones)):
            return f"pool {pool.name} not spread evenly: up to {pool.worst_zone} of {pool.replicas} in one zone"
        for index, zone in enumerate(pool.zones):
            even = pool.replicas // len(pool.zones) + (1 if index < pool.replicas % len(pool.zones) else 0)
            counts[zone] = counts.get(zone, 0) + even
    return ", ".join(f"{zone} {count}" for zone, count in counts.items()) or "none"


class _Judge:
    """Collects problems and counted facts about one Kafka cluster."""

    def __init__(self, kafka: dict[str, Any], pools: list[_Pool]) -> None:
        spec = kafka.get("spec") or {}
        self.kafka_spec: dict[str, Any] = spec.get("kafka") or {}
        self.config = {**KAFKA_DEFAULTS, **(self.kafka_spec.get("config") or {})}
        self.pools = pools
        self.problems: list[str] = []
        self.counted: list[str] = []
        brokers = [pool for pool in pools if "broker" in pool.roles]
        self.brokers = sum(pool.replicas for pool in brokers)
        self.brokers_per_zone = sum(pool.worst_zone for pool in brokers)
        self.rack_aware = (self.kafka_spec.get("rack") or {}).get("topologyKey") == ZONE_LABEL
        zones = len({zone for pool in brokers for zone in pool.zones})
        # Zones that surely hold a broker: no zone takes more than brokers_per_zone of them.
        spread = math.ceil(self.brokers / self.brokers_per_zone) if self.brokers_per_zone else 0
        self.racks = max(1, min(zones, spread)) if self.rack_aware else 1

    def quorum(self) -> None:
        controllers = [pool for pool in self.pools if "controller" in pool.roles]
        total = sum(pool.replicas for pool in controllers)
        lost = sum(pool.worst_zone for pool in controllers)
        zones = {zone for pool in controllers for zone in pool.zones}
        fact = (f"{total} controller(s) in pool(s) {', '.join(p.name for p in controllers) or 'none'} over "
                f"{len(zones)} zone(s) ({_layout(controllers)}); losing a zone takes up to {lost}, leaving "
                f"{total - lost} of {total} (majority {total // 2 + 1})")
        if total and total - lost > total / 2:
            self.counted.append(fact)
        else:
            self.problems.append(f"{fact}: no majority left, the KRaft quorum stops")

    def brokers_spread(self) -> None:
        brokers = [pool for pool in self.pools if "broker" in pool.roles]
        fact = (f"{self.brokers} broker(s) ({_layout(brokers)}), rack-aware by zone: {self.rack_aware}, so a "
                f"partition's replicas spread over {self.racks} zone(s); losing a zone leaves "
                f"{self.brokers - self.brokers_per_zone} broker(s)")
        ok = self.brokers >= MIN_REPLICAS and self.racks >= MIN_REPLICAS
        (self.counted if ok else self.problems).append(fact if ok else
                                                       f"{fact}: needs >= {MIN_REPLICAS} brokers in distinct zones")

    def log(self, label: str, replicas: int, min_isr: int, unclean: Any = False) -> None:
        lost = math.ceil(replicas / self.racks)
        problems = []
        if replicas < MIN_REPLICAS:
            problems.append(f"replicas {replicas} < {MIN_REPLICAS}")
        if replicas > self.brokers:
            problems.append(f"replicas {replicas} > {self.brokers} brokers")
        if replicas - lost < min_isr:
            problems.append(f"one zone lost leaves {replicas - lost} replica(s) < min.insync.replicas {min_isr}: "
                            "acks=all writes stop")
        if min_isr <= lost:
            problems.append(f"min.insync.replicas {min_isr} <= {lost} replica(s) one zone can hold: an acknowledged "
                            "write may exist only in the lost zone")
        if str(unclean).lower() == "true":
            problems.append("unclean.leader.election.enable is true: an out-of-sync replica may become leader")
        if problems:
            self.problems.append(f"{label}: {'; '.join(problems)}")
        else:
            self.counted.append(f"{label}: RF {replicas}, min ISR {min_isr}, at most {lost} replica(s) per zone")

    def disruption_budget(self) -> None:
        budget = ((self.kafka_spec.get("template") or {}).get("podDisruptionBudget") or {}).get("maxUnavailable", 1)
        fact = f"PodDisruptionBudget maxUnavailable {budget}"
        (self.counted if int(budget) <= 1 else self.problems).append(
            fact if int(budget) <= 1 else f"{fact}: a drain during a zone outage could take one more broker")


def _judge(kafka: dict[str, Any], pools: list[dict[str, Any]], topics: list[dict[str, Any]]) -> _Judge:
    kafka_pod = (((kafka.get("spec") or {}).get("kafka") or {}).get("template") or {}).get("pod") or {}
    judge = _Judge(kafka, [_pool(pool, kafka_pod) for pool in pools])
    config = judge.config
    judge.quorum()
    judge.brokers_spread()
    default_rf, default_isr = int(config["default.replication.factor"]), int(config["min.insync.replicas"])
    judge.log("cluster defaults", default_rf, default_isr, config["unclean.leader.election.enable"])
    judge.log("__consumer_offsets", int(config["offsets.topic.replication.factor"]), default_isr)
    judge.log("__transaction_state", int(config["transaction.state.log.replication.factor"]),
              int(config["transaction.state.log.min.isr"]))
    for topic in topics:
        topic_spec = topic.get("spec") or {}
        topic_config = topic_spec.get("config") or {}
        name = topic_spec.get("topicName") or topic["metadata"]["name"]
        judge.log(f"topic {name}", int(topic_spec.get("replicas", default_rf)),
                  int(topic_config.get("min.insync.replicas", default_isr)),
                  topic_config.get("unclean.leader.election.enable", False))
    judge.disruption_budget()
    return judge


def _objects(plan: Plan, kind: str) -> list[dict[str, Any]]:
    return [manifest(resource) for resource in plan if resource.inputs.get("kind") == kind
            and str(resource.inputs.get("apiVersion", "")).startswith("kafka.strimzi.io/")]


def _belongs(obj: dict[str, Any], namespace: str, cluster: str) -> bool:
    metadata = obj.get("metadata") or {}
    return (metadata.get("namespace") == namespace
            and (metadata.get("labels") or {}).get("strimzi.io/cluster") == cluster)


def zone_loss(plan: Plan) -> list[Verdict]:
    """One verdict per Kafka cluster in the plan (none when Kafka is absent); failing ones list problems first."""
    verdicts = []
    for kafka in _objects(plan, "Kafka"):
        namespace, cluster = kafka["metadata"].get("namespace"), kafka["metadata"]["name"]
        pools = [obj for obj in _objects(plan, "KafkaNodePool") if _belongs(obj, namespace, cluster)]
        topics = [obj for obj in _objects(plan, "KafkaTopic") if _belongs(obj, namespace, cluster)]
        judge = _judge(kafka, pools, topics)
        where = f"Kafka {namespace}/{cluster}"
        verdicts.append(Verdict(SERVICE, CHECK, not judge.problems, (where, *judge.problems, *judge.counted)))
    return verdicts
