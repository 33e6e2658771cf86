"""Cassandra (k8ssandra-operator): rendered objects against the real CRDs and chart, placement, security, backups."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from components.cassandra import EXPORTER, Cassandra, CassandraArgs
from components.cassandra_spec import chart_values
from components.config import parse_stack_config
from components.config.cassandra import CassandraConfig
from components.errors import ConfigError
from components.versions import chart
from meridian.synth.mocks import SECRET_MASK
from meridian.synth.plan import Plan
from meridian.synth.render import helm_release, manifest
from tests.conftest import NODE_GROUPS, make_certificates_ref, make_cluster_ref, raw_config
from tests.schemas import SHARED, chart_default_values, custom_resource_errors, unknown_value_keys

VPC = "10.10.0.0/16"
SERVICE_KINDS = ("K8ssandraCluster", "MedusaBackupSchedule", "Certificate")


def _program(config: CassandraConfig | None = None, protect: bool = True, peers: tuple[str, ...] = (),
             made: list[Cassandra] | None = None) -> Callable[[], None]:
    def program() -> None:
        component = Cassandra("cassandra", CassandraArgs(
            config=config or CassandraConfig(), cluster=make_cluster_ref(), certificates=make_certificates_ref(),
            vpc_cidr=VPC, tags={"owner": "platform-sre"}, protect_stateful=protect, peer_cidrs=peers))
        if made is not None:
            made.append(component)
    return program


@pytest.fixture
def plan(run: Callable[..., Plan]) -> Plan:
    return run(_program())


def _objects(plan: Plan, kind: str) -> list[dict[str, Any]]:
    return [manifest(r) for r in plan if r.inputs.get("kind") == kind and "apiVersion" in r.inputs]


def _one(plan: Plan, kind: str) -> dict[str, Any]:
    (obj,) = _objects(plan, kind)
    return obj


def _policies(plan: Plan, namespace: str) -> dict[str, dict[str, Any]]:
    return {obj["metadata"]["name"]: obj["spec"] for obj in _objects(plan, "NetworkPolicy")
            if obj["metadata"]["namespace"] == namespace}


def test_chart_values_use_only_upstream_keys() -> None:
    values = chart_values("1.32.5")
    defaults = chart_default_values("k8ssandra-operator")
    unknown = unknown_value_keys(values, defaults)
    # Only the documented-but-commented `global.watchNamespaces` is absent from the defaults.
    assert unknown == ["global.watchNamespaces"]
    assert "# watchNamespaces: []" in (SHARED / "helm" / "k8ssandra-operator" / "values.yaml").read_text()
    assert unknown_value_keys({**values, "replicaCont": 2}, defaults) == ["global.watchNamespaces", "replicaCont"]


def test_release_is_pinned_protected_and_cluster_scoped(plan: Plan) -> None:
    (resource,) = plan.of_type("kubernetes:helm.sh/v3:Release")
    release = helm_release(resource)
    assert release["version"] == chart("k8ssandra-operator").version == "1.32.5", resource.urn
    assert release["namespace"] == "k8ssandra-operator", resource.urn
    assert release["values"]["image"]["tag"] == "v1.32.5", resource.urn
    assert release["values"]["global"]["watchNamespaces"] == ["k8ssandra-operator", "cassandra"]
    assert resource.protect, f"{resource.urn} must be protected"


def test_every_custom_resource_matches_its_crd(plan: Plan) -> None:
    objects = [obj for kind in SERVICE_KINDS for obj in _objects(plan, kind)]
    assert sorted(obj["kind"] for obj in objects) == ["Certificate", "Certificate", "K8ssandraCluster",
                                                      "MedusaBackupSchedule"]
    for obj in objects:
        assert custom_resource_errors(obj) == [], f"{obj['kind']} {obj['metadata']['name']}"
    broken = json.loads(json.dumps(_one(plan, "K8ssandraCluster")))
    broken["spec"]["cassandra"]["datacenters"][0].pop("size")
    assert custom_resource_errors(broken), "the CRD must require a datacenter size"


def test_one_rack_per_zone_on_the_data_nodes(plan: Plan) -> None:
    cassandra = _one(plan, "K8ssandraCluster")["spec"]["cassandra"]
    (datacenter,) = cassandra["datacenters"]
    assert datacenter["metadata"]["name"] == "us-east-1" and datacenter["size"] == 3
    assert cassandra["clusterName"] == "meridian"
    zones = [rack["nodeAffinityLabels"]["topology.kubernetes.io/zone"] for rack in datacenter["racks"]]
    assert zones == ["us-east-1a", "us-east-1b", "us-east-1c"]
    for rack in datacenter["racks"]:
        assert rack["nodeAffinityLabels"]["meridian.io/workload"] == "data", rack
    assert cassandra["tolerations"] == [{"key": "meridian.io/data", "operator": "Equal", "value": "true",
                                         "effect": "NoSchedule"}]
    assert cassandra["softPodAntiAffinity"] is False
    claim = cassandra["storageConfig"]["cassandraDataVolumeClaimSpec"]
    assert claim["storageClassName"] == "gp3-retain" and claim["resources"]["requests"]["storage"] == "500Gi"
    assert cassandra["config"]["jvmOptions"] == {"heap_initial_size": "8Gi", "heap_max_size": "8Gi"}
    assert cassandra["resources"]["limits"]["memory"] == "24Gi"
    yaml = cassandra["config"]["cassandraYaml"]
    assert yaml["default_keyspace_rf"] == yaml["minimum_replication_factor_fail_threshold"] == 3


def test_sized_datacenter_and_config_driven_resources(run: Callable[..., Plan]) -> None:
    config = CassandraConfig(nodes_per_zone=2, heap_gib=12, memory_gib=32, cpu_cores=1.5, disk_gib=1000)
    cassandra = _one(run(_program(config)), "K8ssandraCluster")["spec"]["cassandra"]
    assert cassandra["datacenters"][0]["size"] == 6
    assert cassandra["resources"]["requests"] == {"cpu": "1500m", "memory": "32Gi"}
    assert cassandra["config"]["jvmOptions"]["heap_max_size"] == "12Gi"
    assert cassandra["storageConfig"]["cassandraDataVolumeClaimSpec"]["resources"]["requests"]["storage"] == "1000Gi"


def test_auth_and_tls_on_with_no_password_in_the_plan(plan: Plan) -> None:
    spec = _one(plan, "K8ssandraCluster")["spec"]
    cassandra = spec["cassandra"]
    assert spec["auth"] is True and "superuserSecretRef" not in cassandra, "the operator generates the superuser"
    yaml = cassandra["config"]["cassandraYaml"]
    assert yaml["server_encryption_options"]["internode_encryption"] == "all"
    assert yaml["server_encryption_options"]["require_client_auth"] is True
    assert yaml["client_encryption_options"] == {"enabled": True, "optional": False, "require_client_auth": False}
    assert not any("password" in key for options in yaml.values() if isinstance(options, dict) for key in options)
    assert cassandra["serverEncryptionStores"]["keystoreSecretRef"] == {"name": "cassandra-internode-tls",
                                                                        "key": "keystore.jks"}
    assert cassandra["clientEncryptionStores"]["keystorePasswordSecretRef"] == {
        "name": "cassandra-keystore-password", "key": "password"}
    certificates = {obj["spec"]["secretName"]: obj["spec"] for obj in _objects(plan, "Certificate")}
    assert set(certificates) == {"cassandra-internode-tls", "cassandra-client-tls"}
    for secret, certificate in certificates.items():
        assert certificate["issuerRef"] == {"name": "meridian-us-east-1-ca", "kind": "ClusterIssuer",
                                            "group": "cert-manager.io"}, secret
        assert certificate["keystores"]["jks"] == {"create": True, "passwordSecretRef": {
            "name": "cassandra-keystore-password", "key": "password"}}, secret
    (password,) = [r for r in plan.of_type("kubernetes:core/v1:Secret")]
    assert password.inputs["stringData"] == SECRET_MASK, f"{password.urn} must hold only a Pulumi secret"


def test_medusa_backs_up_daily_to_its_bucket_through_irsa(plan: Plan) -> None:
    spec = _one(plan, "K8ssandraCluster")["spec"]
    storage = spec["medusa"]["storageProperties"]
    assert {key: storage[key] for key in ("storageProvider", "region", "secure", "credentialsType",
                                          "maxBackupAge")} == {"storageProvider": "s3", "region": "us-east-1",
                                                               "secure": True, "credentialsType": "role-based",
                                                               "maxBackupAge": 14}
    (policy,) = plan.of_type("aws:iam/rolePolicy:RolePolicy")
    assert storage["bucketName"].startswith("meridian-cassandra-medusa-"), storage
    assert f"arn:aws:s3:::{storage['bucketName']}" in policy.inputs["policy"], "Medusa writes the role's bucket"
    assert "storageSecretRef" not in storage, "role-based: no static credentials"
    assert spec["cassandra"]["serviceAccount"] == "cassandra"
    (account,) = _objects(plan, "ServiceAccount")
    (role,) = plan.of_type("aws:iam/role:Role")
    assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].endswith(f"role/{role.name}")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"]
    assert trust["oidc.eks.us-east-1.amazonaws.com/id/X:sub"] == "system:serviceaccount:cassandra:cassandra"
    schedule = _one(plan, "MedusaBackupSchedule")["spec"]
    assert schedule["cronSchedule"] == "0 2 * * *"
    assert schedule["backupSpec"]["cassandraDatacenter"] == "us-east-1"
    assert spec["reaper"]["autoScheduling"]["enabled"] is True


def test_medusa_role_may_touch_only_its_bucket_and_key(plan: Plan) -> None:
    (policy,) = plan.of_type("aws:iam/rolePolicy:RolePolicy")
    bucket = _one(plan, "K8ssandraCluster")["spec"]["medusa"]["storageProperties"]["bucketName"]
    document = json.loads(policy.inputs["policy"])
    resources = {resource for statement in document["Statement"] for resource in
                 ([statement["Resource"]] if isinstance(statement["Resource"], str) else statement["Resource"])}
    keys = {resource for resource in resources if resource.startswith("arn:aws:kms:us-east-1:")}
    assert len(keys) == 1 and ":key/" in next(iter(keys)), policy.urn
    assert resources == {f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*", *keys}, policy.urn
    actions = {action for statement in document["Statement"] for action in statement["Action"]}
    assert not any(action in ("s3:*", "kms:*", "*") for action in actions), policy.urn


@pytest.mark.parametrize("protect", [True, False])
def test_stateful_resources_follow_protect_stateful(run: Callable[..., Plan], protect: bool) -> None:
    plan = run(_program(protect=protect))
    stateful = [*plan.of_type("kubernetes:helm.sh/v3:Release"), *plan.of_type("aws:s3/bucket:Bucket"),
                *plan.of_type("aws:kms/key:Key"),
                *[r for r in plan if r.inputs.get("kind") == "K8ssandraCluster"]]
    assert len(stateful) == 4
    for resource in stateful:
        assert resource.protect is protect, f"{resource.urn} protect={resource.protect}"


def test_network_policies_default_deny_and_only_needed_flows(plan: Plan) -> None:
    data, operator = _policies(plan, "cassandra"), _policies(plan, "k8ssandra-operator")
    for policies in (data, operator):
        assert policies["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    cql = data["allow-cql-clients"]["ingress"][0]
    assert cql["ports"] == [{"port": 9042, "protocol": "TCP"}]
    assert cql["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "default"}}}]
    assert data["allow-cql-clients"]["podSelector"]["matchLabels"]["cassandra.datastax.com/cluster"] == "meridian"
    ops = data["allow-operator"]["ingress"][0]
    assert {p["port"] for p in ops["ports"]} == {8080, 50051}
    assert ops["from"] == [{"namespaceSelector": {"matchLabels": {
        "kubernetes.io/metadata.name": "k8ssandra-operator"}}}]
    assert data["allow-prometheus-scrape"]["ingress"][0]["ports"] == [{"port": 9000, "protocol": "TCP"}]
    egress = {rule["to"][0]["ipBlock"]["cidr"]: [p["port"] for p in rule["ports"]]
              for rule in data["allow-egress"]["egress"]}
    assert egress == {"0.0.0.0/0": [443], VPC: [443]}
    assert "allow-internode-peers" not in data
    webhook = operator["allow-webhooks-from-api-server"]["ingress"][0]
    assert webhook == {"from": [{"ipBlock": {"cidr": VPC}}], "ports": [{"port": 9443, "protocol": "TCP"}]}
    out = {rule["to"][0]["ipBlock"]["cidr"]: [p["port"] for p in rule["ports"]]
           for rule in operator["allow-egress"]["egress"]}
    # The chart's pre-upgrade CRD upgrader Job downloads the chart from helm.k8ssandra.io.
    assert out == {VPC: [443, 8080, 50051], "0.0.0.0/0": [443]}


def test_peer_regions_reach_the_internode_ports(run: Callable[..., Plan]) -> None:
    data = _policies(run(_program(peers=("10.20.0.0/16",))), "cassandra")
    peers = data["allow-internode-peers"]["ingress"][0]
    assert peers["from"] == [{"ipBlock": {"cidr": "10.20.0.0/16"}}]
    assert [p["port"] for p in peers["ports"]] == [7000, 7001]
    egress = {rule["to"][0]["ipBlock"]["cidr"]: [p["port"] for p in rule["ports"]]
              for rule in data["allow-egress"]["egress"]}
    assert egress["10.20.0.0/16"] == [7000, 7001]


@pytest.mark.parametrize(("monitoring", "pending", "slos"), [
    ({}, 100, [("read_availability", 0.999), ("write_availability", 0.999)]),
    ({"thresholds": {"pending_compactions": 50}, "slos": [{"name": "read_availability", "objective": 0.9995}]},
     50, [("read_availability", 0.9995)]),
])
def test_contract_asks_for_a_relabelling_service_monitor_and_merges_config(
        run: Callable[..., Plan], monitoring: dict[str, Any], pending: float,
        slos: list[tuple[str, float]]) -> None:
    made: list[Cassandra] = []
    run(_program(CassandraConfig.model_validate({"monitoring": monitoring}), made=made))
    contract = made[0].contract
    assert (contract.kind, contract.region, contract.cluster, contract.namespace) == (
        "cassandra", "us-east-1", "meridian-us-east-1", "cassandra")
    assert contract.exporter == EXPORTER and contract.replicas == 3
    (target,) = contract.scrape
    assert (target.kind, target.job, target.namespace, target.port, target.created_by_operator) == (
        "ServiceMonitor", "cassandra", "cassandra", "metrics", False)
    assert target.exporter_cluster_label == "cassandra_cluster"
    assert target.selector == {"app.kubernetes.io/managed-by": "cass-operator",
                               "cassandra.datastax.com/prom-metrics": "true",
                               "cassandra.datastax.com/cluster": "meridian",
                               "cassandra.datastax.com/datacenter": "us-east-1"}
    assert contract.thresholds == {"heap_used_ratio": 0.85, "disk_used_ratio": 0.8, "pending_compactions": pending,
                                   "dropped_messages_per_second": 1}
    assert [(slo.name, slo.objective) for slo in contract.slos] == slos


def test_an_empty_section_gives_production_defaults() -> None:
    section: dict[str, Any] = {"meridian:cassandra": {}}
    config = parse_stack_config("us-east-1", raw_config(**section))
    assert config.cassandra == CassandraConfig()
    assert config.cassandra is not None and config.cassandra.datacenter_size(3) == 3


def _data_group(**changes: Any) -> dict[str, Any]:
    return {"meridian:cluster": {"kubernetes_version": "1.35", "node_groups": {
        **NODE_GROUPS, "data": {**NODE_GROUPS["data"], **changes}}}}


@pytest.mark.parametrize(("section", "extra", "key", "problem"), [
    ({"replication_factor": 3, "size": 3, "chart_version": "9.9.9"}, {}, "cassandra.chart_version",
     "not a reviewed version"),
    ({"replication_factor": 4, "nodes_per_zone": 1}, {}, "cassandra.replication_factor", "exceeds the datacenter"),
    ({"replication_factor": 3}, {"meridian:network": {"cidr": "10.10.0.0/16", "az_count": 2,
                                                      "nat_gateways": "per_az"}},
     "cassandra.nodes_per_zone", "fewer than 3 nodes"),
    ({"nodes_per_zone": 2, "replication_factor": 3},
     {"meridian:network": {"cidr": "10.10.0.0/16", "az_count": 2, "nat_gateways": "per_az"}},
     "cassandra.replication_factor", "exceeds the 2 racks"),
    ({"heap_gib": 12, "memory_gib": 16}, _data_group(instance_types=["r7i.large"]), "cassandra.heap_gib",
     "half of the data nodes' 16 GiB"),
    ({"heap_gib": 8, "memory_gib": 60}, {}, "cassandra.memory_gib", "does not fit on a data node"),
    ({"heap_gib": 20, "memory_gib": 24}, {}, "cassandra.heap_gib", "off-heap"),
    ({"size": 4}, {}, "cassandra.size", "split evenly"),
    ({"nodes_per_zone": 5}, {}, "cassandra.nodes_per_zone", "at most 4 nodes"),
    ({"size": 6, "nodes_per_zone": 2}, {}, "cassandra", "both `size` and `nodes_per_zone`"),
    ({"server_version": "4.0.3"}, {}, "cassandra.server_version", "not a supported Cassandra version"),
    ({"client_namespaces": ["Payments"]}, {}, "cassandra.client_namespaces", "not a Kubernetes namespace name"),
    ({"backup_schedule": "daily"}, {}, "cassandra.backup_schedule", "cron"),
    ({"monitoring": {"thresholds": {"heap_used_ratoi": 0.9}}}, {}, "cassandra.monitoring", "unknown thresholds"),
    ({"monitoring": {"slos": [{"name": "read_latency", "objective": 0.99}]}}, {}, "cassandra.monitoring",
     "records no SLI for: ['read_latency']"),
    ({"heap_size": 8}, {}, "cassandra.heap_size", "not a known key"),
])
def test_bad_config_fails_before_anything_is_declared(section: dict[str, Any], extra: dict[str, Any], key: str,
                                                      problem: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_stack_config("us-east-1", raw_config(**{"meridian:cassandra": section, **extra}))
    assert error.value.key == f"[stack us-east-1] meridian:{key}", str(error.value)
    assert problem in error.value.problem, str(error.value)
    assert error.value.fix
