"""Kafka (Strimzi 1.2.0, KRaft): rendered objects against the real CRDs and chart, placement, policies, config."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from components.config import parse_stack_config
from components.config.kafka import SLO_NAMES, THRESHOLD_NAMES, KafkaConfig
from components.errors import ConfigError
from components.kafka import Kafka, KafkaArgs
from components.kafka_metrics import (
    ACTIVE_CONTROLLERS,
    FAILED_PRODUCE_REQUESTS,
    ISR_SHRINKS,
    OFFLINE_PARTITIONS,
    PRODUCE_REQUESTS,
    UNDER_MIN_ISR,
    UNDER_REPLICATED,
    metrics_config,
)
from components.kafka_spec import chart_values, listener_peers
from components.versions import chart
from meridian.synth.mocks import RecordedResource
from meridian.synth.plan import Plan
from meridian.synth.render import helm_release, manifest
from tests.conftest import NODE_GROUPS, make_cluster_ref, raw_config
from tests.schemas import chart_default_values, custom_resource_errors, unknown_crd_fields, unknown_value_keys

STRIMZI = "kubernetes:kafka.strimzi.io/v1"
VPC = "10.10.0.0/16"
PEER = "10.20.0.0/16"
SERVICES: dict[str, Any] = {
    "client_namespaces": ["playback", "recommendations"],
    "topics": [{"name": "user.playback.events", "partitions": 12, "retention_hours": 168},
               {"name": "recommendations.served", "partitions": 6, "retention_ms": 86_400_000}],
    "users": [{"name": "playback", "produce": ["user.playback.events"]},
              {"name": "recommendations", "consume": ["user.playback.events"], "group": "recommendations",
               "produce": ["recommendations.served"]}],
    "monitoring": {"thresholds": {"consumer_lag_records": 50_000},
                   "slos": [{"name": "produce_availability", "objective": 0.9995}]},
}


def kafka_config(section: dict[str, Any] | None = None, **overrides: Any) -> KafkaConfig:
    config = parse_stack_config("us-east-1", raw_config(**{"meridian:kafka": section or {}}, **overrides)).kafka
    assert config is not None
    return config


def _plan(run: Callable[..., Plan], config: KafkaConfig, *, protect: bool = True) -> Plan:
    return run(lambda: Kafka("kafka", KafkaArgs(config=config, cluster=make_cluster_ref(), vpc_cidr=VPC,
                                                tags={"owner": "platform-sre"}, protect_stateful=protect,
                                                peer_cidrs=(PEER,))))


@pytest.fixture
def plan(run: Callable[..., Plan]) -> Plan:
    return _plan(run, kafka_config(SERVICES))


def strimzi(plan: Plan, kind: str) -> dict[str, tuple[RecordedResource, dict[str, Any]]]:
    return {manifest(r)["metadata"]["name"]: (r, manifest(r)) for r in plan.of_type(f"{STRIMZI}:{kind}")}


def policies(plan: Plan, namespace: str) -> dict[str, dict[str, Any]]:
    objects = [manifest(r) for r in plan.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")]
    return {obj["metadata"]["name"]: obj["spec"] for obj in objects if obj["metadata"]["namespace"] == namespace}


# --- config ---------------------------------------------------------------------------------------------------

def test_an_empty_section_gives_production_defaults() -> None:
    config = kafka_config()
    assert (config.controllers, config.brokers, config.replication_factor, config.min_insync_replicas) == (3, 3, 3, 2)
    (topic,) = config.topics
    assert (topic.name, topic.partitions, topic.retention, topic.replicas, topic.min_insync) == (
        "user.playback.events", 12, 7 * 24 * 3_600_000, 3, 2)


SMALL_DATA_NODES = {**NODE_GROUPS, "data": {**NODE_GROUPS["data"], "instance_types": ["m7i.large"]}}


@pytest.mark.parametrize(("section", "overrides", "key", "problem"), [
    ({"brokers": 2}, {}, "kafka.brokers", "must be >= kafka.replication_factor (3)"),
    ({"topics": [{"name": "t", "partitions": 1, "replicas": 5}]}, {}, "kafka.topics[0].replicas",
     "exceeds kafka.brokers (3)"),
    ({"min_insync_replicas": 3}, {}, "kafka.min_insync_replicas", "below kafka.replication_factor (3)"),
    ({"topics": [{"name": "t", "partitions": 1, "min_insync": 3}]}, {}, "kafka.topics[0].min_insync",
     "below the topic's replicas (3)"),
    ({"controllers": 4}, {}, "kafka.controllers", "must be 3 or 5"),
    ({"controllers": 1}, {}, "kafka.controllers", "must be 3 or 5"),
    ({"broker_heap_gib": 6}, {"meridian:cluster": {"kubernetes_version": "1.35", "node_groups": SMALL_DATA_NODES}},
     "kafka.broker_heap_gib", "more than the 7.2 GiB a data node can allocate (90% of its 8 GiB)"),
    ({"chart_version": "0.49.0"}, {}, "kafka.chart_version", "not a reviewed version"),
    ({"kafka_version": "3.9.0"}, {}, "kafka.kafka_version", "not a Kafka version the Strimzi 1.2.0"),
    ({}, {"meridian:network": {"cidr": "10.10.0.0/16", "az_count": 2}}, "kafka.controllers",
     "cannot keep a KRaft majority"),
    ({"topics": [{"name": "t", "partitions": 1, "retention_hours": 1, "retention_ms": 1}]}, {}, "kafka.topics[0]",
     "both retention_hours and retention_ms"),
    ({"topics": [{"name": "a_b", "partitions": 1}, {"name": "a-b", "partitions": 1}]}, {}, "kafka.topics[1].name",
     "clashes with topic 'a_b'"),
    ({"users": [{"name": "svc", "produce": ["nope"]}]}, {}, "kafka.users[0].produce", "not declared in kafka.topics"),
    ({"users": [{"name": "svc", "consume": ["user.playback.events"]}]}, {}, "kafka.users[0].group", "is required"),
    ({"client_namespaces": ["Bad_NS"]}, {}, "kafka.client_namespaces", "not a Kubernetes namespace name"),
    ({"broker": 3}, {}, "kafka.broker", "is not a known key"),
    ({"monitoring": {"thresholds": {"lag": 5}}}, {}, "kafka.monitoring", "unknown thresholds ['lag']"),
    ({"monitoring": {"slos": [{"name": "latency", "objective": 0.99}]}}, {}, "kafka.monitoring",
     "records no SLI for: ['latency']"),
])
def test_bad_config_fails_before_any_resource(section: dict[str, Any], overrides: dict[str, Any], key: str,
                                              problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config("us-east-1", raw_config(**{"meridian:kafka": section}, **overrides))
    assert caught.value.key == f"[stack us-east-1] meridian:{key}", caught.value
    assert problem in caught.value.problem, caught.value
    assert caught.value.fix


# --- operator release ------------------------------------------------------------------------------------------

def test_chart_values_use_only_keys_the_chart_has() -> None:
    defaults = chart_default_values("strimzi-kafka-operator")
    assert unknown_value_keys(chart_values(), defaults) == []
    assert unknown_value_keys({**chart_values(), "watchNamespace": ["kafka"]}, defaults) == ["watchNamespace"]


def test_release_is_pinned_watches_kafka_and_is_protected(plan: Plan) -> None:
    (release,) = plan.of_type("kubernetes:helm.sh/v3:Release")
    rendered = helm_release(release)
    assert rendered["version"] == chart("strimzi-kafka-operator").version == "1.2.0", release.urn
    assert rendered["namespace"] == "strimzi", release.urn
    assert rendered["values"]["watchNamespaces"] == ["kafka"], release.urn
    assert {"name": "STRIMZI_OPERATOR_NAMESPACE_LABELS", "value": "kubernetes.io/metadata.name=strimzi"} in \
        rendered["values"]["extraEnvs"], release.urn
    assert release.protect, release.urn
    namespace = next(r for r in plan.of_type("kubernetes:core/v1:Namespace") if manifest(r)["metadata"]["name"]
                     == "kafka")
    assert namespace.urn in release.dependencies, "RoleBindings in the watched namespace need it first"


# --- Strimzi resources -----------------------------------------------------------------------------------------

def test_every_strimzi_resource_matches_its_crd(plan: Plan) -> None:
    resources = [r for r in plan if r.type.startswith(f"{STRIMZI}:")]
    kinds = sorted(r.type.rsplit(":", 1)[1] for r in resources)
    assert kinds == ["Kafka", "KafkaNodePool", "KafkaNodePool", "KafkaTopic", "KafkaTopic", "KafkaUser", "KafkaUser"]
    for resource in resources:
        obj = manifest(resource)
        assert custom_resource_errors(obj) == [], resource.urn
        assert unknown_crd_fields(obj) == [], resource.urn
    user = manifest(next(r for r in resources if r.type.endswith(":KafkaUser")))
    user["spec"]["authorization"]["acls"][0]["operation"] = "Write"  # the singular field v1 removed
    assert unknown_crd_fields(user) == [
        ".spec.authorization.acls[0].operation"]
    user["spec"]["authorization"]["acls"][0]["operations"] = ["Publish"]
    assert custom_resource_errors(user), "the CRD's enum must reject unknown ACL operations"


def test_cel_rules_of_the_crds_hold(plan: Plan) -> None:
    """The x-kubernetes-validations (CEL) jsonschema does not evaluate, for the fields we set."""
    resource, kafka = strimzi(plan, "Kafka")["meridian"]
    assert kafka["spec"]["kafka"]["rack"]["topologyKey"], resource.urn
    assert "valueFrom" in kafka["spec"]["kafka"]["metricsConfig"], resource.urn
    for resource, user in strimzi(plan, "KafkaUser").values():
        authentication = user["spec"]["authentication"]
        assert ("renewalDays" in authentication) == ("validityDays" in authentication), resource.urn


def test_kraft_node_pools_on_retained_gp3(plan: Plan) -> None:
    pools = strimzi(plan, "KafkaNodePool")
    assert set(pools) == {"controller", "broker"}
    for name, (resource, obj) in pools.items():
        assert obj["metadata"]["labels"] == {"strimzi.io/cluster": "meridian"}, resource.urn
        assert obj["spec"]["roles"] == [name] and obj["spec"]["replicas"] == 3, resource.urn
        (volume,) = obj["spec"]["storage"]["volumes"]
        assert volume["type"] == "persistent-claim" and volume["class"] == "gp3-retain", resource.urn
        assert volume["deleteClaim"] is False, resource.urn
        assert resource.protect, resource.urn
    broker = pools["broker"][1]["spec"]
    assert broker["storage"]["volumes"][0]["size"] == "500Gi"
    assert broker["jvmOptions"] == {"-Xms": "4g", "-Xmx": "4g"}
    assert broker["resources"]["limits"]["memory"] == "8Gi"


def test_pools_spread_over_the_three_zones_on_data_nodes(plan: Plan) -> None:
    for name, (resource, obj) in strimzi(plan, "KafkaNodePool").items():
        pod = obj["spec"]["template"]["pod"]
        terms = pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
        expressions = {e["key"]: e["values"] for e in terms[0]["matchExpressions"]}
        assert expressions == {"meridian.io/workload": ["data"], "meridian.io/node-group": ["data"],
                               "topology.kubernetes.io/zone": ["us-east-1a", "us-east-1b", "us-east-1c"]}, resource.urn
        assert pod["tolerations"] == [{"key": "meridian.io/data", "operator": "Equal", "value": "true",
                                       "effect": "NoSchedule"}], resource.urn
        zone = next(c for c in pod["topologySpreadConstraints"] if c["topologyKey"] == "topology.kubernetes.io/zone")
        assert (zone["maxSkew"], zone["whenUnsatisfiable"], zone["minDomains"]) == (1, "DoNotSchedule", 3), resource.urn
        assert zone["labelSelector"]["matchLabels"]["strimzi.io/pool-name"] == name, resource.urn


def test_kafka_cluster_is_tls_only_durable_rack_aware_and_observable(plan: Plan) -> None:
    resource, kafka = strimzi(plan, "Kafka")["meridian"]
    spec = kafka["spec"]
    (listener,) = spec["kafka"]["listeners"]
    assert listener["tls"] is True and listener["authentication"] == {"type": "tls"}, resource.urn
    assert spec["kafka"]["authorization"] == {"type": "simple"}, resource.urn
    assert spec["kafka"]["rack"]["topologyKey"] == "topology.kubernetes.io/zone", resource.urn
    config = spec["kafka"]["config"]
    assert {key: config[key] for key in ("default.replication.factor", "min.insync.replicas",
                                         "offsets.topic.replication.factor", "transaction.state.log.replication.factor",
                                         "transaction.state.log.min.isr", "unclean.leader.election.enable",
                                         "auto.create.topics.enable")} == {
        "default.replication.factor": 3, "min.insync.replicas": 2, "offsets.topic.replication.factor": 3,
        "transaction.state.log.replication.factor": 3, "transaction.state.log.min.isr": 2,
        "unclean.leader.election.enable": False, "auto.create.topics.enable": False}, resource.urn
    assert spec["kafka"]["template"]["podDisruptionBudget"] == {"maxUnavailable": 1}, resource.urn
    assert {"cruiseControl", "kafkaExporter", "entityOperator"} <= set(spec), resource.urn
    assert {"topicOperator", "userOperator"} <= set(spec["entityOperator"]), resource.urn
    assert resource.protect, resource.urn
    # metricsConfig points at a ConfigMap this component declares, holding Strimzi's rules.
    ref = spec["kafka"]["metricsConfig"]["valueFrom"]["configMapKeyRef"]
    configmaps = {manifest(r)["metadata"]["name"]: r for r in plan.of_type("kubernetes:core/v1:ConfigMap")}
    assert ref["key"] in manifest(configmaps[ref["name"]])["data"], resource.urn
    assert configmaps[ref["name"]].urn in resource.dependencies, resource.urn


def _jmx_name(mbean: str) -> str | None:
    """The metric name the JMX exporter gives `mbean` (`domain<props><keys>attr: value`): first matching rule wins,
    each pattern wrapped as `^.*(?:pattern).*$` (prometheus/jmx_exporter JmxCollector), `$n` from the groups."""
    config = metrics_config()
    for rule in config["rules"]:
        match = re.match(f"^.*(?:{rule['pattern']}).*$", mbean)
        if match:
            name = match.expand(re.sub(r"\$(\d+)", r"\\g<\1>", rule["name"]))
            return name.lower() if config["lowercaseOutputName"] else name
    return None


@pytest.mark.parametrize(("mbean", "metric"), [
    ("kafka.server<type=ReplicaManager, name=UnderReplicatedPartitions><>Value: 0", UNDER_REPLICATED),
    ("kafka.server<type=ReplicaManager, name=UnderMinIsrPartitionCount><>Value: 0", UNDER_MIN_ISR),
    ("kafka.server<type=ReplicaManager, name=IsrShrinksPerSec><>Count: 4", ISR_SHRINKS),
    ("kafka.controller<type=KafkaController, name=ActiveControllerCount><>Value: 1", ACTIVE_CONTROLLERS),
    ("kafka.controller<type=KafkaController, name=OfflinePartitionsCount><>Value: 0", OFFLINE_PARTITIONS),
    ("kafka.server<type=BrokerTopicMetrics, name=TotalProduceRequestsPerSec><>Count: 9", PRODUCE_REQUESTS),
    ("kafka.server<type=BrokerTopicMetrics, name=FailedProduceRequestsPerSec><>Count: 0", FAILED_PRODUCE_REQUESTS),
])
def test_strimzi_rules_yield_the_metric_names_the_contract_relies_on(mbean: str, metric: str) -> None:
    assert _jmx_name(mbean) == metric


# --- monitoring contract ---------------------------------------------------------------------------------------

def test_contract_scrapes_pods_and_merges_config(run: Callable[..., Plan]) -> None:
    contracts = []
    config = kafka_config(SERVICES)
    run(lambda: contracts.append(Kafka("kafka", KafkaArgs(config=config, cluster=make_cluster_ref(), vpc_cidr=VPC,
                                                           tags={})).contract))
    (contract,) = contracts
    assert (contract.kind, contract.region, contract.cluster, contract.namespace) == (
        "kafka", "us-east-1", "meridian-us-east-1", "kafka")
    assert contract.exporter == "strimzi-jmx-prometheus-exporter"
    assert contract.replicas == 6
    targets = {(t.namespace, t.selector.get("strimzi.io/name") or t.selector["strimzi.io/kind"]): t
               for t in contract.scrape}
    assert set(targets) == {("kafka", "meridian-kafka"), ("kafka", "meridian-kafka-exporter"),
                            ("strimzi", "cluster-operator")}
    assert all(t.kind == "PodMonitor" and not t.created_by_operator for t in contract.scrape)
    assert targets["kafka", "meridian-kafka"].port == "tcp-prometheus"
    assert targets["kafka", "meridian-kafka-exporter"].port == "tcp-prometheus"
    assert contract.thresholds["consumer_lag_records"] == 50_000
    assert contract.thresholds["under_replicated_partitions"] == 0
    assert "isr_shrinks_per_second" in contract.thresholds
    slos = {slo.name: slo.objective for slo in contract.slos}
    assert slos == {"produce_availability": 0.9995, "fetch_availability": 0.999}
    assert set(contract.thresholds) == set(THRESHOLD_NAMES) and set(slos) == set(SLO_NAMES)


# --- network ---------------------------------------------------------------------------------------------------

def test_kafka_namespace_is_default_deny_with_only_needed_flows(plan: Plan) -> None:
    kafka = policies(plan, "kafka")
    assert kafka["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    operator = kafka["allow-strimzi-operator"]["ingress"][0]
    assert sorted(p["port"] for p in operator["ports"]) == [8443, 9090, 9091]
    assert operator["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "strimzi"}},
                                 "podSelector": {"matchLabels": {"strimzi.io/kind": "cluster-operator"}}}]
    scrape = kafka["allow-prometheus-scrape"]["ingress"][0]
    assert [p["port"] for p in scrape["ports"]] == [9404]
    clients = kafka["allow-kafka-clients"]["ingress"][0]
    assert [p["port"] for p in clients["ports"]] == [9093]
    assert {"ipBlock": {"cidr": PEER}} in clients["from"]
    assert {ns["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for ns in clients["from"]
            if "namespaceSelector" in ns} == {"playback", "recommendations"}
    egress = {rule["to"][0]["ipBlock"]["cidr"]: [p["port"] for p in rule["ports"]]
              for rule in kafka["allow-egress"]["egress"]}
    assert egress == {VPC: [443], PEER: [9093]}


def test_operator_namespace_reaches_only_the_api_server_and_kafka_ports(plan: Plan) -> None:
    operator = policies(plan, "strimzi")
    assert operator["default-deny"]["policyTypes"] == ["Ingress", "Egress"]
    (egress,) = operator["allow-egress"]["egress"]
    assert egress["to"] == [{"ipBlock": {"cidr": VPC}}]
    assert sorted(p["port"] for p in egress["ports"]) == [443, 8443, 9090, 9091]
    assert [p["port"] for p in operator["allow-prometheus-scrape"]["ingress"][0]["ports"]] == [8080]


def test_listener_peers_restrict_strimzis_own_policy(plan: Plan) -> None:
    resource, kafka = strimzi(plan, "Kafka")["meridian"]
    peers = kafka["spec"]["kafka"]["listeners"][0]["networkPolicyPeers"]
    names = [p["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for p in peers
             if "namespaceSelector" in p]
    assert names == ["kafka", "playback", "recommendations"], resource.urn
    assert {"ipBlock": {"cidr": PEER}} in peers, resource.urn
    # Strimzi opens a listener with no peers to every pod; with no clients configured it stays in-namespace.
    assert listener_peers((), ()) == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kafka"}}}]


# --- topics and users ------------------------------------------------------------------------------------------

def test_topics_and_users_from_config(plan: Plan) -> None:
    topics = strimzi(plan, "KafkaTopic")
    resource, topic = topics["user.playback.events"]
    assert topic["metadata"]["labels"] == {"strimzi.io/cluster": "meridian"}, resource.urn
    assert topic["spec"] == {"topicName": "user.playback.events", "partitions": 12, "replicas": 3,
                             "config": {"min.insync.replicas": 2, "retention.ms": 604_800_000}}, resource.urn
    assert topics["recommendations.served"][1]["spec"]["config"]["retention.ms"] == 86_400_000
    assert all(r.protect for r, _ in topics.values())
    users = strimzi(plan, "KafkaUser")
    resource, consumer = users["recommendations"]
    assert consumer["spec"]["authentication"] == {"type": "tls"}, resource.urn
    acls = {(a["resource"]["type"], a["resource"]["name"], tuple(a["operations"]))
            for a in consumer["spec"]["authorization"]["acls"]}
    assert acls == {("topic", "user.playback.events", ("Read", "Describe")),
                    ("topic", "recommendations.served", ("Write", "Describe")),
                    ("group", "recommendations", ("Read",))}, resource.urn
    assert not resource.protect, "users hold no data; deleting one revokes its certificate"
    kafka_urn = strimzi(plan, "Kafka")["meridian"][0].urn
    assert all(kafka_urn in r.dependencies for r, _ in [*topics.values(), *users.values()])


def test_nothing_is_protected_when_protect_stateful_is_off(run: Callable[..., Plan]) -> None:
    plan = _plan(run, kafka_config(), protect=False)
    protected = [r.urn for r in plan if r.protect]
    assert protected == []


def test_a_heap_that_fits_small_data_nodes_is_accepted() -> None:
    small = {"meridian:cluster": {"kubernetes_version": "1.35", "node_groups": SMALL_DATA_NODES}}
    assert kafka_config({"broker_heap_gib": 3}, **small).broker_heap_gib == 3
