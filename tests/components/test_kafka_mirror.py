"""MirrorMaker2 between regions: ACLs, topic pattern, objects against the real CRDs, both links (and their heartbeat
connectors) per pair with the right provider, the peers listener and its policies, and the password kept secret."""

from __future__ import annotations

import itertools
import json
import re
import secrets
from typing import Any

import pulumi
import pytest

from components.config import parse_stack_config
from components.fleet_plan import KafkaFleet
from components.kafka import Kafka, KafkaArgs
from components.kafka_mirror_metrics import CONFIG_KEY, METRICS_CONFIGMAP
from components.kafka_mirror_spec import (
    Link,
    broker_domain,
    source_acls,
    source_user_spec,
    target_acls,
    topics_pattern,
)
from components.peers import peer_stack
from meridian.synth.mocks import RecordedResource
from meridian.synth.plan import Plan
from meridian.synth.render import manifest
from meridian.synth.runner import run_program
from tests.conftest import make_cluster_ref, raw_config
from tests.schemas import custom_resource_errors, unknown_crd_fields

EARLIER, LATER = "us-east-1", "us-west-2"
TOPICS = ("user.playback.events", "recommendations.served")
FLEET = KafkaFleet(broker_domain=f"kafka.{LATER}.meridian.internal", global_topics=TOPICS,
                   earlier_regions=(EARLIER,), mirrored=True, fleet_cidr="10.0.0.0/8")
SERVICES: dict[str, Any] = {"topics": [{"name": topic, "partitions": 6} for topic in TOPICS]}
PASSWORDS = ("pw-sentinel-one-0123456789abcdef", "pw-sentinel-two-0123456789abcdef")
WRITES = {"Write", "Create", "Alter", "AlterConfigs", "Delete", "All"}


# --- pure builders ---------------------------------------------------------------------------------------------

def test_topics_pattern_matches_exactly_the_global_topics() -> None:
    pattern = re.compile(topics_pattern(TOPICS))  # MM2 matches whole names (Pattern.matcher().matches())
    assert all(pattern.fullmatch(topic) for topic in TOPICS)
    for other in ("user.playback.events2", "userXplayback.events", "user-playback-events", f"{EARLIER}.{TOPICS[0]}",
                  "recommendations.served.dlq", "heartbeats", "user.playback"):
        assert not pattern.fullmatch(other), other
    assert "," not in topics_pattern(TOPICS), "Strimzi splits topicsPattern on commas"
    with pytest.raises(ValueError, match="not a Kafka topic name"):
        topics_pattern(["a,b"])


def test_source_user_reads_only_the_global_topics_and_heartbeats() -> None:
    acls = {(a["resource"]["type"], a["resource"].get("name"), a["resource"].get("patternType")): set(a["operations"])
            for a in source_acls(TOPICS)}
    expected: dict[tuple[str, str | None, str | None], set[str]] = {
        ("topic", topic, "literal"): {"Read", "Describe", "DescribeConfigs"} for topic in (*TOPICS, "heartbeats")}
    expected |= {("cluster", None, None): {"Describe"}, ("group", "*", "literal"): {"Describe"}}
    assert acls == expected
    assert not any(WRITES & operations for operations in acls.values()), "the source cluster is only read"


def test_target_user_writes_only_its_own_and_the_source_prefixed_topics() -> None:
    link = Link(source=EARLIER, target=LATER)
    acls = {(a["resource"]["type"], a["resource"].get("name"), a["resource"].get("patternType")): set(a["operations"])
            for a in target_acls(link)}
    writable = {key for key, operations in acls.items() if key[0] == "topic" and WRITES & operations}
    assert writable == {("topic", f"mirror-from-{EARLIER}.", "prefix"), ("topic", f"{EARLIER}.", "prefix"),
                        ("topic", f"mm2-offset-syncs.{EARLIER}.internal", "literal")}
    assert {"Create", "Write", "AlterConfigs"} <= acls["topic", f"{EARLIER}.", "prefix"]
    assert acls["group", f"mirror-from-{EARLIER}", "literal"] >= {"Read"}, "the Connect group"
    assert acls["group", "*", "literal"] == {"Read", "Describe"}, "sync.group.offsets commits translated offsets"
    spec = source_user_spec(link, TOPICS)["authentication"]
    assert spec == {"type": "scram-sha-512", "password": {"valueFrom": {"secretKeyRef": {
        "name": f"mirror-to-{LATER}-password", "key": "password"}}}}


def test_peer_broker_domain_follows_the_fleet_zone() -> None:
    assert broker_domain(FLEET, LATER, EARLIER) == f"kafka.{EARLIER}.meridian.internal"
    with pytest.raises(ValueError):
        broker_domain(FLEET, "eu-west-1", EARLIER)


# --- the component with one peer -------------------------------------------------------------------------------

@pytest.fixture
def plan(monkeypatch: pytest.MonkeyPatch) -> Plan:
    passwords = iter(PASSWORDS)
    monkeypatch.setattr(secrets, "token_urlsafe", lambda _: next(passwords))
    config = parse_stack_config(LATER, raw_config(LATER, "10.20.0.0/16", **{"meridian:kafka": SERVICES})).kafka
    assert config is not None

    def program() -> None:
        root = pulumi.ComponentResource("test:index:Root", "root")
        peer = peer_stack("peers", stack=EARLIER, region=EARLIER, reference_prefix="org/meridian", parent=root)
        Kafka("kafka", KafkaArgs(config=config, cluster=make_cluster_ref(LATER), vpc_cidr="10.20.0.0/16", tags={},
                                 fleet=FLEET, peers=(peer,)))

    recorded = run_program(program, stack=LATER, region=LATER, fleet={EARLIER: (EARLIER, 3)})
    assert next(passwords, None) is None, "one password per link, shared by its two Secrets"
    return Plan(LATER, tuple(recorded))


def _providers(plan: Plan) -> tuple[str, str]:
    (local,) = [r.urn for r in plan.of_type("pulumi:providers:kubernetes") if r.name == "k8s"]
    (peer,) = [r.urn for r in plan.of_type("pulumi:providers:kubernetes") if r.name == f"peers-{EARLIER}-k8s"]
    return local, peer


def _objects(plan: Plan, kind: str) -> dict[str, RecordedResource]:
    return {r.name: r for r in plan if r.type.endswith(f":{kind}")}


def test_every_new_object_matches_its_crd(plan: Plan) -> None:
    kinds = ("KafkaMirrorMaker2", "KafkaUser", "Kafka", "Certificate", "KafkaConnect", "KafkaConnector")
    resources = [r for r in plan if r.type.startswith("kubernetes:") and r.type.rsplit(":", 1)[1] in kinds]
    mirror_objects = [r for r in resources if manifest(r)["metadata"]["name"].startswith(("mirror-", "heartbeats-"))]
    assert sorted(r.type.rsplit(":", 1)[1] for r in mirror_objects) == [
        "KafkaConnect", "KafkaConnector", "KafkaConnector", "KafkaMirrorMaker2", "KafkaMirrorMaker2", "KafkaUser",
        "KafkaUser", "KafkaUser", "KafkaUser", "KafkaUser"]
    assert {"Kafka", "Certificate"} <= {r.type.rsplit(":", 1)[1] for r in resources}
    for resource in resources:
        obj = manifest(resource)
        assert custom_resource_errors(obj) == [], resource.urn
        assert unknown_crd_fields(obj) == [], resource.urn


def test_both_links_are_declared_each_in_its_target_cluster(plan: Plan) -> None:
    local, peer = _providers(plan)
    mirrors = {manifest(r)["metadata"]["name"]: r for r in _objects(plan, "KafkaMirrorMaker2").values()}
    assert set(mirrors) == {f"mirror-from-{EARLIER}", f"mirror-from-{LATER}"}
    for name, (source, target, provider) in {f"mirror-from-{EARLIER}": (EARLIER, LATER, local),
                                             f"mirror-from-{LATER}": (LATER, EARLIER, peer)}.items():
        resource = mirrors[name]
        assert resource.provider.startswith(provider), resource.urn
        assert EARLIER in resource.name and LATER in resource.name, "URNs name both regions"
        spec = manifest(resource)["spec"]
        (mirror,) = spec["mirrors"]
        assert (spec["target"]["alias"], mirror["source"]["alias"]) == (target, source), resource.urn
        assert mirror["source"]["bootstrapServers"] == f"kafka.{source}.meridian.internal:9094", resource.urn
        assert mirror["source"]["authentication"]["username"] == f"mirror-to-{target}", resource.urn
        assert mirror["source"]["tls"]["trustedCertificates"] == [{"secretName": "kafka-peers-tls",
                                                                    "certificate": "ca.crt"}], resource.urn
        assert spec["target"]["authentication"]["certificateAndKey"]["secretName"] == name, resource.urn
        assert mirror["checkpointConnector"]["config"]["sync.group.offsets.enabled"] == "true", resource.urn
        assert (mirror["sourceConnector"]["config"]["offset-syncs.topic.location"]
                == mirror["checkpointConnector"]["config"]["offset-syncs.topic.location"] == "target"), resource.urn
        assert spec["replicas"] == 2 and spec["metricsConfig"]["valueFrom"]["configMapKeyRef"] == {
            "name": METRICS_CONFIGMAP, "key": CONFIG_KEY}, resource.urn
    users = {(manifest(r)["metadata"]["name"], r.provider.rsplit("::", 1)[0])
             for r in _objects(plan, "KafkaUser").values()}
    assert users == {(f"mirror-to-{LATER}", peer), (f"mirror-from-{LATER}", peer), ("mirror-heartbeats", local),
                     (f"mirror-from-{EARLIER}", local), (f"mirror-to-{EARLIER}", local)}


def test_each_password_secret_pairs_a_source_user_with_its_mirror(plan: Plan) -> None:
    local, peer = _providers(plan)
    secrets = {(manifest(r)["metadata"]["name"], r.provider.rsplit("::", 1)[0]): r
               for r in plan.of_type("kubernetes:core/v1:Secret")}
    assert set(secrets) == {(f"mirror-to-{LATER}-password", peer), (f"mirror-from-{EARLIER}-source-password", local),
                            (f"mirror-to-{EARLIER}-password", local), (f"mirror-from-{LATER}-source-password", peer)}
    for resource in secrets.values():
        assert manifest(resource)["stringData"] == {"masked-by-synth": "[secret]"}, resource.urn


def test_the_password_never_appears_in_a_plain_value(plan: Plan) -> None:
    text = json.dumps([r.as_json() for r in plan])
    assert not any(password in text for password in PASSWORDS)


def test_peers_listener_certificate_service_and_policies(plan: Plan) -> None:
    (kafka,) = [manifest(r) for r in plan.of_type("kubernetes:kafka.strimzi.io/v1:Kafka")]
    listeners = {listener["name"]: listener for listener in kafka["spec"]["kafka"]["listeners"]}
    peers = listeners["peers"]
    assert (peers["port"], peers["tls"], peers["authentication"]) == (9094, True, {"type": "scram-sha-512"})
    assert peers["networkPolicyPeers"] == [{"ipBlock": {"cidr": "10.0.0.0/8"}}]
    assert peers["configuration"]["advertisedHostTemplate"] == f"{{nodePodName}}.kafka.{LATER}.meridian.internal"
    (certificate,) = [manifest(r) for r in plan.of_type("kubernetes:cert-manager.io/v1:Certificate")]
    assert certificate["spec"]["dnsNames"] == [f"kafka.{LATER}.meridian.internal", f"*.kafka.{LATER}.meridian.internal"]
    assert certificate["spec"]["issuerRef"]["name"] == "meridian-fleet-ca"
    assert certificate["spec"]["secretName"] == peers["configuration"]["brokerCertChainAndKey"]["secretName"]
    (service,) = [manifest(r) for r in plan.of_type("kubernetes:core/v1:Service")]
    assert service["spec"]["clusterIP"] == "None" and service["spec"]["ports"][0]["port"] == 9094
    assert service["metadata"]["annotations"] == {
        "external-dns.alpha.kubernetes.io/hostname": f"kafka.{LATER}.meridian.internal"}
    configmaps = {manifest(r)["metadata"]["name"] for r in plan.of_type("kubernetes:core/v1:ConfigMap")}
    assert METRICS_CONFIGMAP in configmaps
    policies = {manifest(r)["metadata"]["name"]: manifest(r)["spec"]
                for r in plan.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
                if manifest(r)["metadata"]["namespace"] == "kafka"}
    ingress = policies["allow-kafka-peers"]["ingress"][0]
    assert ingress == {"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}], "ports": [{"port": 9094, "protocol": "TCP"}]}
    egress = policies["allow-mirror-maker-peers"]
    assert egress["podSelector"] == {"matchLabels": {"strimzi.io/kind": "KafkaMirrorMaker2"}}
    assert egress["egress"] == [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}],
                                 "ports": [{"port": 9094, "protocol": "TCP"}]}]
    assert [p["port"] for p in policies["allow-mirror-maker-scrape"]["ingress"][0]["ports"]] == [9404]
    assert [p["port"] for p in policies["allow-mirror-maker-operator"]["ingress"][0]["ports"]] == [8083]
    operator = [obj["spec"] for obj in map(manifest, plan.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy"))
                if (obj["metadata"]["namespace"], obj["metadata"]["name"]) == ("strimzi", "allow-egress")]
    assert 8083 in [p["port"] for p in operator[0]["egress"][0]["ports"]], "the operator configures MM2 over REST"


def test_nothing_in_the_peers_cluster_outside_the_two_links(plan: Plan) -> None:
    _, peer = _providers(plan)
    there = sorted((r.type.rsplit(":", 1)[1], manifest(r)["metadata"]["name"]) for r in plan
                   if r.provider.startswith(peer))
    assert there == [("KafkaConnector", f"heartbeats-{LATER}"),
                     ("KafkaMirrorMaker2", f"mirror-from-{LATER}"), ("KafkaUser", f"mirror-from-{LATER}"),
                     ("KafkaUser", f"mirror-to-{LATER}"), ("Secret", f"mirror-from-{LATER}-source-password"),
                     ("Secret", f"mirror-to-{LATER}-password")]
    assert not [r.urn for r in plan if r.provider.startswith(peer) and r.protect]
    names = [r.name for r in plan]
    assert len(names) == len(set(names)) and all(n for n in itertools.chain(names))
