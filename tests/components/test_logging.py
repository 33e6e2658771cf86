"""ELK on ECK: rendered CRs against the real CRDs, placement, protection, policies, IRSA, setup, config errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from components.config import parse_stack_config
from components.config.logging import LoggingConfig
from components.errors import ConfigError
from components.logging import Logging, LoggingArgs
from components.logging_setup import exporter_values, files_hash, operator_values, setup_files
from components.versions import chart
from meridian.synth.mocks import RecordedResource
from meridian.synth.plan import Plan
from meridian.synth.render import helm_release, manifest
from tests.conftest import make_cluster_ref, raw_config
from tests.schemas import chart_default_values, custom_resource_errors, unknown_value_keys

ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]
ES_TYPE = "kubernetes:elasticsearch.k8s.elastic.co/v1:Elasticsearch"


def logging_config(**section: Any) -> LoggingConfig:
    config = parse_stack_config("us-east-1", raw_config(**{"meridian:logging": section})).logging
    assert config is not None
    return config


def build(run: Callable[..., Plan], protect: bool = True, **section: Any) -> Plan:
    config = logging_config(**section)
    return run(lambda: Logging("logging", LoggingArgs(config=config, cluster=make_cluster_ref(),
                                                      vpc_cidr="10.10.0.0/16", tags={"owner": "platform-sre"},
                                                      protect_stateful=protect)))


@pytest.fixture
def plan(run: Callable[..., Plan]) -> Plan:
    return build(run, client_namespaces=["orders"], kibana_namespaces=["ingress-nginx"])


def of_kind(plan: Plan, kind: str) -> list[tuple[RecordedResource, dict[str, Any]]]:
    return [(r, manifest(r)) for r in plan if r.custom and r.inputs.get("kind") == kind]


def one(plan: Plan, kind: str) -> tuple[RecordedResource, dict[str, Any]]:
    (found,) = of_kind(plan, kind)
    return found


def snapshot_bucket(plan: Plan) -> str:
    """The bucket the setup job registers (the mocks name it from `bucketPrefix`)."""
    repository = json.loads(manifest(plan.named("logging-setup-config"))["data"]["repository.json"])
    bucket: str = repository["settings"]["bucket"]
    assert bucket.startswith("meridian-elasticsearch-snapshots-"), bucket
    return bucket


def node_set(es: dict[str, Any], name: str) -> dict[str, Any]:
    return next(ns for ns in es["spec"]["nodeSets"] if ns["name"] == name)


def test_every_custom_resource_matches_its_crd(plan: Plan) -> None:
    kinds = []
    for resource in plan:
        if resource.type.startswith("kubernetes:") and ".k8s.elastic.co/" in resource.type:
            obj = manifest(resource)
            kinds.append(obj["kind"])
            assert custom_resource_errors(obj) == [], resource.urn
    assert sorted(kinds) == ["Beat", "Elasticsearch", "Kibana"]
    es = one(plan, "Elasticsearch")[1]
    broken = json.loads(json.dumps(es))
    broken["spec"]["nodeSets"][0]["count"] = "three"
    assert custom_resource_errors(broken), "the CRD schema must reject a non-integer count"


def test_masters_one_per_zone_and_zone_aware_data_nodes(plan: Plan) -> None:
    resource, es = one(plan, "Elasticsearch")
    masters, data = node_set(es, "master"), node_set(es, "data")
    assert (masters["count"], masters["config"]["node.roles"]) == (3, ["master"]), resource.urn
    assert (data["count"], data["config"]["node.roles"]) == (3, ["data", "ingest"]), resource.urn
    for ns in (masters, data):
        assert ns["zoneAwareness"] == {"topologyKey": "topology.kubernetes.io/zone", "zones": ZONES}, resource.urn
        spec = ns["podTemplate"]["spec"]
        (spread,) = spec["topologySpreadConstraints"]
        assert spread["whenUnsatisfiable"] == "DoNotSchedule" and spread["maxSkew"] == 1, resource.urn
        assert spread["labelSelector"]["matchLabels"]["elasticsearch.k8s.elastic.co/statefulset-name"] == \
            f"elasticsearch-es-{ns['name']}"
        assert spec["nodeSelector"] == {"meridian.io/workload": "data", "meridian.io/node-group": "data"}
        assert {"key": "meridian.io/data", "operator": "Equal", "value": "true", "effect": "NoSchedule"} in \
            spec["tolerations"], resource.urn
        (claim,) = ns["volumeClaimTemplates"]
        assert claim["metadata"]["name"] == "elasticsearch-data"
        assert claim["spec"]["storageClassName"] == "gp3-retain", resource.urn
    assert node_set(es, "data")["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] == "500Gi"
    assert es["spec"]["version"] == "9.4.3"


def test_heap_and_memory_come_from_config(run: Callable[..., Plan]) -> None:
    es = one(build(run, data_heap_gib=12, master_heap_gib=3, data_disk_gib=900), "Elasticsearch")[1]
    data, masters = node_set(es, "data"), node_set(es, "master")
    assert data["resources"]["limits"]["memory"] == data["resources"]["requests"]["memory"] == "24Gi"
    assert masters["resources"]["limits"]["memory"] == "6Gi"
    env = {e["name"]: e["value"] for e in data["podTemplate"]["spec"]["containers"][0]["env"]}
    assert env["ES_JAVA_OPTS"] == "-Xms12g -Xmx12g"
    assert data["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] == "900Gi"


def test_kibana_and_filebeat(plan: Plan) -> None:
    _, kibana = one(plan, "Kibana")
    assert kibana["spec"]["count"] == 2 and kibana["spec"]["elasticsearchRef"] == {"name": "elasticsearch"}
    assert kibana["spec"]["podTemplate"]["spec"]["topologySpreadConstraints"][0]["topologyKey"] == \
        "topology.kubernetes.io/zone"
    resource, beat = one(plan, "Beat")
    spec = beat["spec"]
    assert spec["type"] == "filebeat" and "daemonSet" in spec, resource.urn
    assert spec["config"]["filebeat"]["autodiscover"]["providers"][0]["type"] == "kubernetes"
    pod = spec["daemonSet"]["podTemplate"]["spec"]
    assert {"path": "/var/log/containers"} in [v["hostPath"] for v in pod["volumes"]], resource.urn
    assert any(t["key"] == "meridian.io/data" for t in pod["tolerations"]), "Filebeat must run on data nodes too"
    assert pod["serviceAccountName"] == "filebeat"
    assert spec["config"]["setup"]["template"]["settings"]["index"]["number_of_replicas"] == 1
    _, role = one(plan, "ClusterRole")
    core = next(rule for rule in role["rules"] if rule["apiGroups"] == [""])
    assert sorted(core["resources"]) == ["namespaces", "nodes", "pods"]
    assert sorted(core["verbs"]) == ["get", "list", "watch"]
    _, binding = one(plan, "ClusterRoleBinding")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "filebeat", "namespace": "logging"}]


def test_operator_release_is_pinned_installs_crds_and_is_protected(plan: Plan) -> None:
    releases = {helm_release(r)["chart"]: (r, helm_release(r)) for r in plan.of_type("kubernetes:helm.sh/v3:Release")}
    resource, operator = releases["eck-operator"]
    assert operator["version"] == chart("eck-operator").version == "3.5.0", resource.urn
    assert operator["namespace"] == "elastic-system"
    assert operator["values"]["installCRDs"] is True
    assert operator["values"]["managedNamespaces"] == ["logging"]
    assert resource.protect, resource.urn
    assert unknown_value_keys(operator_values(), chart_default_values("eck-operator")) == []
    assert unknown_value_keys({**operator_values(), "instalCRDs": True}, chart_default_values("eck-operator"))


def test_exporter_release_reads_the_eck_secrets(plan: Plan) -> None:
    (resource, exporter) = next((r, helm_release(r)) for r in plan.of_type("kubernetes:helm.sh/v3:Release")
                                if helm_release(r)["chart"] == "prometheus-elasticsearch-exporter")
    assert exporter["version"] == chart("prometheus-elasticsearch-exporter").version == "7.4.0", resource.urn
    values = exporter["values"]
    assert values["es"]["uri"] == "https://elasticsearch-es-http.logging.svc:9200"
    assert values["es"]["ssl"]["enabled"] and not values["es"]["sslSkipVerify"]
    assert values["secretMounts"][0]["secretName"] == "elasticsearch-es-http-certs-public"
    assert values["extraEnvSecrets"]["ES_PASSWORD"] == {"secret": "elasticsearch-es-elastic-user", "key": "elastic"}
    assert values["serviceMonitor"]["enabled"] is False


@pytest.mark.parametrize("protect", [True, False])
def test_stateful_resources_follow_protect_stateful(run: Callable[..., Plan], protect: bool) -> None:
    plan = build(run, protect=protect)
    guarded = [plan.named("logging-elasticsearch"), plan.named("logging-eck-operator"),
               plan.named("logging-snapshots-bucket"), plan.named("logging-snapshots-key"),
               plan.named("logging-namespace")]
    for resource in guarded:
        assert resource.protect is protect, resource.urn
    assert not plan.named("logging-exporter").protect


def test_network_policies(plan: Plan) -> None:
    policies = {(manifest(r)["metadata"]["namespace"], manifest(r)["metadata"]["name"]): manifest(r)["spec"]
                for r in plan.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")}
    for ns in ("logging", "elastic-system"):
        assert policies[(ns, "default-deny")] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    es = {"elasticsearch.k8s.elastic.co/cluster-name": "elasticsearch"}

    def rule(name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        spec = policies[("logging", name)]
        return spec["podSelector"], spec["ingress"]

    selector, ingress = rule("allow-es-transport")
    assert selector == {"matchLabels": es} and ingress[0]["ports"] == [{"port": 9300, "protocol": "TCP"}]
    selector, ingress = rule("allow-es-http-from-eck-operator")
    assert ingress[0]["from"] == [{"namespaceSelector": {"matchLabels": {
        "kubernetes.io/metadata.name": "elastic-system"}}}] and selector == {"matchLabels": es}
    _, ingress = rule("allow-es-http-from-clients")
    assert ingress[0]["from"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] == "orders"
    selector, ingress = rule("allow-kibana-from-clients")
    assert ingress[0]["ports"] == [{"port": 5601, "protocol": "TCP"}]
    assert selector == {"matchLabels": {"kibana.k8s.elastic.co/name": "kibana"}}
    for source in ("kibana", "filebeat", "exporter", "setup"):
        assert rule(f"allow-es-http-from-{source}")[1][0]["ports"] == [{"port": 9200, "protocol": "TCP"}]
    _, ingress = rule("allow-prometheus-scrape")
    assert ingress[0]["ports"] == [{"port": 9108, "protocol": "TCP"}]
    egress = {e["to"][0]["ipBlock"]["cidr"]: e["ports"] for e in policies[("logging", "allow-egress")]["egress"]}
    assert egress == {"0.0.0.0/0": [{"port": 443, "protocol": "TCP"}],
                      "10.10.0.0/16": [{"port": 443, "protocol": "TCP"}]}
    webhook = policies[("elastic-system", "allow-webhook-from-api-server")]["ingress"][0]
    assert webhook["from"] == [{"ipBlock": {"cidr": "10.10.0.0/16"}}]


def test_snapshots_through_irsa_scoped_to_the_bucket(plan: Plan) -> None:
    role = plan.named("logging-snapshots-irsa")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    condition = trust["Statement"][0]["Condition"]["StringEquals"]
    assert condition["oidc.eks.us-east-1.amazonaws.com/id/X:sub"] == "system:serviceaccount:logging:elasticsearch", \
        role.urn
    policy = json.loads(plan.named("logging-snapshots-irsa-policy").inputs["policy"])
    bucket = snapshot_bucket(plan)
    objects = next(s for s in policy["Statement"] if s["Sid"] == "ReadWriteBackups")
    assert objects["Resource"] == f"arn:aws:s3:::{bucket}/elasticsearch/*"
    assert plan.named("logging-snapshots-bucket").inputs["bucketPrefix"] == "meridian-elasticsearch-snapshots-"
    account = manifest(plan.named("logging-es-service-account"))
    assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].endswith(":role/logging-snapshots-irsa")
    es = one(plan, "Elasticsearch")[1]
    for ns in es["spec"]["nodeSets"]:
        pod = ns["podTemplate"]["spec"]
        assert pod["serviceAccountName"] == "elasticsearch"
        assert pod["containers"][0]["volumeMounts"][0]["mountPath"] == "/usr/share/elasticsearch/config/repository-s3"


def test_setup_job_registers_repository_and_policies(plan: Plan) -> None:
    data = manifest(plan.named("logging-setup-config"))["data"]
    bucket = snapshot_bucket(plan)
    assert json.loads(data["repository.json"]) == {"type": "s3", "settings": {"bucket": bucket,
                                                                              "base_path": "elasticsearch"}}
    ilm = json.loads(data["ilm-policy.json"])["policy"]["phases"]
    assert ilm["delete"]["min_age"] == "30d" and ilm["hot"]["actions"]["rollover"]["max_age"] == "1d"
    assert json.loads(data["slm-policy.json"])["repository"] == "s3-snapshots"
    assert "_ilm/policy/meridian-logs" in data["setup.sh"]
    job = manifest(plan.named("logging-setup"))
    pod = job["spec"]["template"]["spec"]
    assert "env" not in pod["containers"][0], "the password is read from a mounted file, never an env var"
    assert {"name": "elastic-user", "secret": {"secretName": "elasticsearch-es-elastic-user",
                                               "defaultMode": 0o400}} in pod["volumes"]
    assert "$(cat /elastic-user/elastic)" in data["setup.sh"]
    assert pod["securityContext"]["runAsUser"] >= 10000
    assert {"name": "ca", "secret": {"secretName": "elasticsearch-es-http-certs-public"}} in pod["volumes"]
    assert job["spec"]["template"]["metadata"]["annotations"]["meridian.io/setup-hash"] == files_hash(data)
    longer = setup_files(logging_config(retention_days=90), bucket)
    assert json.loads(longer["ilm-policy.json"])["policy"]["phases"]["delete"]["min_age"] == "90d"
    assert files_hash(longer) != files_hash(data), "a changed policy must re-run the job"


def test_monitoring_contract(run: Callable[..., Plan]) -> None:
    config = logging_config(monitoring={"thresholds": {"heap_used_ratio": 0.8}})
    components: list[Logging] = []

    def program() -> None:
        components.append(Logging("logging", LoggingArgs(config=config, cluster=make_cluster_ref(),
                                                         vpc_cidr="10.10.0.0/16", tags={})))

    run(program)
    contract = components[0].contract
    assert (contract.kind, contract.exporter, contract.namespace) == ("elasticsearch", "elasticsearch_exporter",
                                                                      "logging")
    assert contract.cluster == "meridian-us-east-1" and contract.replicas == 6
    assert contract.thresholds == {"heap_used_ratio": 0.8, "disk_watermark_high_ratio": 0.9,
                                   "unassigned_shards": 0.0}
    assert [(slo.name, slo.objective) for slo in contract.slos] == [("search_availability", 0.999)]
    (target,) = contract.scrape
    assert (target.kind, target.port, target.created_by_operator) == ("ServiceMonitor", "http", False)
    assert target.selector == {"app.kubernetes.io/name": "prometheus-elasticsearch-exporter",
                               "app.kubernetes.io/instance": "prometheus-elasticsearch-exporter"}
    assert exporter_values()["service"]["metricsPort"]["name"] == target.port


def test_defaults_parse_from_an_empty_section() -> None:
    config = logging_config()
    assert (config.master_nodes, config.data_nodes, config.index_replicas, config.retention_days) == (3, 3, 1, 30)


@pytest.mark.parametrize(("section", "key"), [
    ({"master_nodes": 2}, "logging.master_nodes"),
    ({"master_nodes": 4}, "logging.master_nodes"),
    ({"master_nodes": 1}, "logging.master_nodes"),
    ({"data_nodes": 2}, "logging.data_nodes"),
    ({"index_replicas": 0}, "logging.index_replicas"),
    ({"index_replicas": 3}, "logging.index_replicas"),
    ({"data_heap_gib": 31}, "logging.data_heap_gib"),
    ({"master_heap_gib": 30}, "logging.master_heap_gib"),
    ({"chart_version": "9.9.9"}, "logging.chart_version"),
    ({"exporter_chart_version": "1.0.0"}, "logging.exporter_chart_version"),
    ({"elasticsearch_version": "7.17.0"}, "logging.elasticsearch_version"),
    ({"monitoring": {"thresholds": {"heap_ratio": 0.9}}}, "logging.monitoring"),
    ({"client_namespaces": ["Bad_NS"]}, "logging.client_namespaces"),
])
def test_bad_config_fails_before_any_resource(section: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_stack_config("us-east-1", raw_config(**{"meridian:logging": section}))
    assert error.value.key == f"[stack us-east-1] meridian:{key}", str(error.value)


def test_slos_the_template_records_no_sli_for_fail() -> None:
    slos = [{"name": "search_availability", "objective": 0.995}, {"name": "search_latency", "objective": 0.99}]
    sections: dict[str, Any] = {"meridian:logging": {"monitoring": {"slos": slos}}}
    with pytest.raises(ConfigError) as error:
        parse_stack_config("us-east-1", raw_config(**sections))
    assert error.value.key == "[stack us-east-1] meridian:logging.monitoring"
    assert "records no SLI for: ['search_latency']" in error.value.problem
    assert "search_availability" in error.value.fix


def test_data_nodes_fewer_than_zones_fail() -> None:
    network = {"cidr": "10.10.0.0/16", "az_count": 4, "nat_gateways": "per_az"}
    with pytest.raises(ConfigError) as error:
        parse_stack_config("us-east-1", raw_config(**{"meridian:network": network,
                                                      "meridian:logging": {"data_nodes": 3}}))
    assert error.value.key == "[stack us-east-1] meridian:logging.data_nodes"
    assert "4 zones" in error.value.problem
