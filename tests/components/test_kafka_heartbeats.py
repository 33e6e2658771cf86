"""MirrorMaker2 heartbeats: the Connect cluster's user (exact ACLs), its Secret access, the connectors per link on
the right cluster, every object against its CRD, the policies admitting the Connect pods, and nothing in
development."""

from __future__ import annotations

import re
import secrets
from typing import Any

import pulumi
import pytest

from components import kafka_heartbeats_spec as hspec
from components import kafka_mirror_metrics as mm2
from components.config import parse_stack_config
from components.fleet_plan import KafkaFleet
from components.kafka import Kafka, KafkaArgs
from components.kafka_mirror_spec import Link
from components.peers import peer_stack
from meridian.synth.mocks import RecordedResource
from meridian.synth.plan import Plan
from meridian.synth.render import manifest
from meridian.synth.runner import run_program
from tests.conftest import make_cluster_ref, raw_config
from tests.schemas import custom_resource_errors, unknown_crd_fields

EARLIER, LATER = "us-east-1", "us-west-2"
TOPICS = ("user.playback.events",)
SERVICES: dict[str, Any] = {"topics": [{"name": topic, "partitions": 6} for topic in TOPICS]}
_SECRET_REF = re.compile(r"^\$\{secrets:kafka/([a-z0-9-]+):([a-z.]+)\}$")


def _acls(acls: list[dict[str, Any]]) -> dict[tuple[str, str], set[str]]:
    assert all(a["type"] == "allow" and a["resource"]["patternType"] == "literal" for a in acls)
    return {(a["resource"]["type"], a["resource"]["name"]): set(a["operations"]) for a in acls}


# --- pure builders ---------------------------------------------------------------------------------------------

def test_connect_user_may_use_only_its_group_internal_topics_and_heartbeats() -> None:
    rw = {"Read", "Describe", "Write", "Create"}
    assert _acls(hspec.connect_acls()) == {
        ("group", "mirror-heartbeats"): {"Read"},
        ("topic", "mirror-heartbeats.configs"): rw, ("topic", "mirror-heartbeats.offsets"): rw,
        ("topic", "mirror-heartbeats.status"): rw,
        ("topic", "heartbeats"): {"Write", "Create", "Describe"}}
    assert hspec.user_spec()["authentication"] == {"type": "tls"}


def test_connect_spec_uses_its_acl_names_and_mm2_metrics() -> None:
    connect = hspec.connect_spec(kafka_version="4.3.1", replicas=2, metrics_configmap=mm2.METRICS_CONFIGMAP,
                                 metrics_key=mm2.CONFIG_KEY)
    names = {name for kind, name in _acls(hspec.connect_acls())}
    assert {connect["groupId"], connect["configStorageTopic"], connect["offsetStorageTopic"],
            connect["statusStorageTopic"]} <= names
    assert connect["bootstrapServers"] == "meridian-kafka-bootstrap.kafka.svc:9093"
    assert connect["authentication"]["certificateAndKey"]["secretName"] == "mirror-heartbeats"
    assert connect["metricsConfig"]["valueFrom"]["configMapKeyRef"] == {"name": mm2.METRICS_CONFIGMAP,
                                                                        "key": mm2.CONFIG_KEY}
    assert connect["config"]["config.providers.secrets.class"] == "io.strimzi.kafka.KubernetesSecretConfigProvider"
    assert hspec.CONNECT_POD_LABELS == mm2.HEARTBEATS_POD_SELECTOR, "the PodMonitor selects the Connect pods"


def test_connector_emits_source_to_target_and_reads_only_secrets_the_role_grants() -> None:
    spec = hspec.connector_spec(Link(source=EARLIER, target=LATER))
    config = spec["config"]
    assert (spec["class"], spec["tasksMax"]) == ("org.apache.kafka.connect.mirror.MirrorHeartbeatConnector", 1)
    assert (config["source.cluster.alias"], config["target.cluster.alias"]) == (EARLIER, LATER)
    assert config["target.cluster.bootstrap.servers"] == "meridian-kafka-bootstrap.kafka.svc:9093"
    assert config["target.cluster.security.protocol"] == "SSL"
    assert config["key.converter"] == config["value.converter"] == hspec.BYTES_CONVERTER
    references = {_SECRET_REF.match(str(value)).groups() for value in config.values()  # type: ignore[union-attr]
                  if str(value).startswith("${")}
    assert references == {("meridian-cluster-ca-cert", "ca.crt"), ("mirror-heartbeats", "user.crt"),
                          ("mirror-heartbeats", "user.key")}
    (rule,) = hspec.secret_reader_rules()
    assert rule["verbs"] == ["get"] and set(rule["resourceNames"]) == {name for name, _ in references}
    assert hspec.connector_name(Link(source=EARLIER, target=LATER)) == f"heartbeats-{EARLIER}"


# --- the component: one peer, and development -------------------------------------------------------------------

def _program(fleet: KafkaFleet | None) -> Plan:
    config = parse_stack_config(LATER, raw_config(LATER, "10.20.0.0/16", **{"meridian:kafka": SERVICES})).kafka
    assert config is not None

    def program() -> None:
        root = pulumi.ComponentResource("test:index:Root", "root")
        peers = () if fleet is None or not fleet.earlier_regions else (
            peer_stack("peers", stack=EARLIER, region=EARLIER, reference_prefix="org/meridian", parent=root),)
        Kafka("kafka", KafkaArgs(config=config, cluster=make_cluster_ref(LATER), vpc_cidr="10.20.0.0/16", tags={},
                                 fleet=fleet, peers=peers))

    return Plan(LATER, tuple(run_program(program, stack=LATER, region=LATER, fleet={EARLIER: (EARLIER, 3)})))


@pytest.fixture(scope="module")
def plan() -> Plan:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(secrets, "token_urlsafe", lambda _: "pw-sentinel-0123456789abcdef")
        return _program(KafkaFleet(broker_domain=f"kafka.{LATER}.meridian.internal", global_topics=TOPICS,
                                   earlier_regions=(EARLIER,), mirrored=True, fleet_cidr="10.0.0.0/8"))


def _by_kind(plan: Plan, kind: str) -> dict[str, RecordedResource]:
    return {manifest(r)["metadata"]["name"]: r for r in plan if r.type.endswith(f":{kind}")}


def _provider(plan: Plan, name: str) -> str:
    (urn,) = [r.urn for r in plan.of_type("pulumi:providers:kubernetes") if r.name == name]
    return urn


def test_every_heartbeat_object_matches_its_crd(plan: Plan) -> None:
    objects = [*_by_kind(plan, "KafkaConnect").values(), *_by_kind(plan, "KafkaConnector").values(),
               _by_kind(plan, "KafkaUser")["mirror-heartbeats"]]
    assert len(objects) == 4
    for resource in objects:
        obj = manifest(resource)
        assert custom_resource_errors(obj) == [], resource.urn
        assert unknown_crd_fields(obj) == [], resource.urn


def test_connect_runs_here_only_with_connector_resources_and_its_secret_access(plan: Plan) -> None:
    local = _provider(plan, "k8s")
    (connect,) = _by_kind(plan, "KafkaConnect").values()
    obj = manifest(connect)
    assert connect.provider.startswith(local), connect.urn
    assert obj["metadata"]["annotations"] == {"strimzi.io/use-connector-resources": "true"}
    assert (obj["metadata"]["namespace"], obj["spec"]["replicas"]) == ("kafka", 2)
    user = _by_kind(plan, "KafkaUser")["mirror-heartbeats"]
    assert user.provider.startswith(local) and user.urn in connect.dependencies
    assert manifest(user)["metadata"]["labels"] == {"strimzi.io/cluster": "meridian"}
    (role,) = [manifest(r) for r in plan.of_type("kubernetes:rbac.authorization.k8s.io/v1:Role")
               if manifest(r)["metadata"]["name"] == hspec.SECRET_READER]
    assert role["rules"] == hspec.secret_reader_rules()
    (binding,) = [manifest(r) for r in plan.of_type("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")
                  if manifest(r)["metadata"]["name"] == hspec.SECRET_READER]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "mirror-heartbeats-connect",
                                    "namespace": "kafka"}]
    assert binding["roleRef"]["name"] == hspec.SECRET_READER


def test_each_link_gets_its_connector_in_its_target_cluster(plan: Plan) -> None:
    local, peer = _provider(plan, "k8s"), _provider(plan, f"peers-{EARLIER}-k8s")
    (connect,) = _by_kind(plan, "KafkaConnect").values()
    connectors = _by_kind(plan, "KafkaConnector")
    assert set(connectors) == {f"heartbeats-{EARLIER}", f"heartbeats-{LATER}"}
    for name, (source, target, provider) in {f"heartbeats-{EARLIER}": (EARLIER, LATER, local),
                                             f"heartbeats-{LATER}": (LATER, EARLIER, peer)}.items():
        resource = connectors[name]
        obj = manifest(resource)
        assert resource.provider.startswith(provider), resource.urn
        assert obj["metadata"]["labels"] == {"strimzi.io/cluster": "mirror-heartbeats"}, resource.urn
        config = obj["spec"]["config"]
        assert (config["source.cluster.alias"], config["target.cluster.alias"]) == (source, target), resource.urn
    assert connect.urn in connectors[f"heartbeats-{EARLIER}"].dependencies, "the local connector waits for Connect"


def test_policies_admit_prometheus_and_the_operator_to_the_connect_pods(plan: Plan) -> None:
    policies = {manifest(r)["metadata"]["name"]: manifest(r)["spec"]
                for r in plan.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
                if manifest(r)["metadata"]["namespace"] == "kafka"}
    for name, port, peer in (("allow-mirror-heartbeats-scrape", 9404, {"namespaceSelector": {"matchLabels": {
                                 "kubernetes.io/metadata.name": "monitoring"}}}),
                             ("allow-mirror-heartbeats-operator", 8083, {
                                 "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "strimzi"}},
                                 "podSelector": {"matchLabels": {"strimzi.io/kind": "cluster-operator"}}})):
        spec = policies[name]
        assert spec["podSelector"] == {"matchLabels": hspec.CONNECT_POD_LABELS}, name
        assert spec["ingress"] == [{"from": [peer], "ports": [{"port": port, "protocol": "TCP"}]}], name
    assert policies["allow-same-namespace"]["egress"] == [{"to": [{"podSelector": {}}]}], "brokers 9093 in-namespace"


def test_development_has_no_heartbeats() -> None:
    plan = _program(None)
    kinds = {r.type.rsplit(":", 1)[1] for r in plan}
    assert not kinds & {"KafkaConnect", "KafkaConnector", "Role", "RoleBinding"}
    assert "mirror-heartbeats" not in {manifest(r)["metadata"]["name"] for r in plan.of_type(
        "kubernetes:kafka.strimzi.io/v1:KafkaUser")}
    assert not [r.urn for r in plan if r.type == "meridian:kafka:KafkaHeartbeats"]


def test_a_lone_kafka_region_runs_no_heartbeat_connect_cluster() -> None:
    lone = _program(KafkaFleet(broker_domain=f"kafka.{LATER}.meridian.internal", global_topics=TOPICS,
                               earlier_regions=(), mirrored=False, fleet_cidr="10.0.0.0/8"))
    assert not _by_kind(lone, "KafkaConnect") and not _by_kind(lone, "KafkaConnector")
    assert "mirror-heartbeats" not in _by_kind(lone, "KafkaUser")
