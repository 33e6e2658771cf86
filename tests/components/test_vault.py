"""Vault: chart values against the chart's schema, the TLS Certificate against its CRD, unseal, snapshots, policies."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import kubernetes_validate
import pytest

from components.config import parse_stack_config
from components.config.vault import SLO_NAMES, THRESHOLD_NAMES, VaultConfig, cron_problem
from components.errors import ConfigError
from components.vault import Vault, VaultArgs
from components.vault_snapshots import AWS_CLI_IMAGE, VAULT_IMAGE
from components.vault_values import CHART_PLACEHOLDERS, SERVER_LABELS, chart_values, raft_config
from components.versions import chart
from meridian.synth.mocks import RecordedResource
from meridian.synth.plan import Plan
from meridian.synth.render import helm_release, manifest
from tests.conftest import NODE_GROUPS, make_certificates_ref, make_cluster_ref, raw_config
from tests.schemas import chart_default_values, chart_values_errors, custom_resource_errors, unknown_value_keys

VPC = "10.10.0.0/16"
RELEASE = "kubernetes:helm.sh/v3:Release"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def _program(config: VaultConfig, protect: bool = True) -> Callable[[], None]:
    def program() -> None:
        Vault("vault", VaultArgs(config=config, cluster=make_cluster_ref(), certificates=make_certificates_ref(),
                                 vpc_cidr=VPC, tags={"owner": "platform-sre"}, protect_stateful=protect))
    return program


@pytest.fixture(scope="module")
def plan() -> Plan:
    from meridian.synth.runner import run_program
    config = VaultConfig(client_namespaces=("payments", "kafka"), monitoring={"thresholds": {"raft_peers_min": 2}})
    return Plan("us-east-1", tuple(run_program(_program(config), stack="us-east-1", region="us-east-1")))


def _values(plan: Plan) -> tuple[RecordedResource, dict[str, Any]]:
    (release,) = plan.of_type(RELEASE)
    return release, helm_release(release)["values"]


def _policy(plan: Plan, key: str) -> tuple[RecordedResource, dict[str, Any]]:
    resource = plan.named(key)
    return resource, manifest(resource)["spec"]


def _sample_values(replicas: int = 3) -> dict[str, Any]:
    return chart_values(replicas=replicas, zones=3, region="us-east-1", node_labels={"meridian.io/workload": "data"},
                        taints=[{"key": "meridian.io/data", "value": "true", "effect": "NoSchedule"}],
                        storage_class="gp3-retain", cpu_millicores=500, memory_gib=1.0, data_disk_gib=10,
                        audit_disk_gib=10, role_arn="arn:aws:iam::123456789012:role/vault",
                        config_hcl=raft_config(replicas=replicas, region="us-east-1", kms_key_id="k-1"))


def test_chart_values_match_the_charts_schema_and_keys() -> None:
    for replicas in (3, 5):
        values = _sample_values(replicas)
        assert chart_values_errors("vault", values) == []
        assert unknown_value_keys(values, chart_default_values("vault")) == []
    broken = _sample_values()
    broken["server"]["ha"]["replicas"] = "three"
    assert chart_values_errors("vault", broken), "the schema must reject a non-integer replica count"
    assert unknown_value_keys({"server": {"haa": {}}}, chart_default_values("vault")) == ["server.haa"]


def test_renewed_listener_certificates_are_reloaded_without_a_restart(plan: Plan) -> None:
    release, values = _values(plan)
    server = values["server"]
    assert server["shareProcessNamespace"] is True, f"{release.urn}: the reloader must see Vault's process"
    (reloader,) = server["extraContainers"]
    assert reloader["image"] == server["image"]["repository"] + ":" + server["image"]["tag"], release.urn
    script = reloader["command"][-1]
    assert "/vault/userconfig/vault-tls/tls.crt" in script and "pkill -HUP -x vault" in script, release.urn
    assert {"name": "vault-tls", "mountPath": "/vault/userconfig/vault-tls", "readOnly": True} in \
        reloader["volumeMounts"], release.urn
    assert reloader["securityContext"]["readOnlyRootFilesystem"] is True, release.urn
    assert "runAsUser" not in reloader.get("securityContext", {}), "same user as Vault, so it may signal it"


def test_release_is_pinned_protected_and_valid(plan: Plan) -> None:
    release, values = _values(plan)
    rendered = helm_release(release)
    assert (rendered["chart"], rendered["version"]) == ("vault", chart("vault").version), release.urn
    assert rendered["name"] == "vault" and rendered["namespace"] == "vault", release.urn
    assert release.protect, f"{release.urn} must be protected when protect_stateful"
    assert chart_values_errors("vault", values) == [], release.urn
    assert values["global"]["tlsDisable"] is False, release.urn
    assert values["injector"]["enabled"] is False, release.urn
    ha = values["server"]["ha"]
    assert ha["enabled"] and ha["raft"]["enabled"] and ha["replicas"] == 3, release.urn
    assert ha["disruptionBudget"] == {"enabled": True, "maxUnavailable": 1}, release.urn
    for storage in ("dataStorage", "auditStorage"):
        assert values["server"][storage]["enabled"] is True, f"{release.urn}: {storage}"
        assert values["server"][storage]["storageClass"] == "gp3-retain", f"{release.urn}: {storage}"
    assert values["serverTelemetry"]["serviceMonitor"]["enabled"] is False, release.urn


def test_raft_config_joins_every_replica_over_tls_and_unseals_with_the_key(plan: Plan) -> None:
    release, values = _values(plan)
    hcl = values["server"]["ha"]["raft"]["config"]
    assert re.search(r'kms_key_id = "[0-9a-f]{8}-[0-9a-f-]+"', hcl), f"{release.urn}: the unseal key's id"
    assert 'seal "awskms"' in hcl and 'region     = "us-east-1"' in hcl, release.urn
    assert 'storage "raft"' in hcl and hcl.count("retry_join {") == 3, release.urn
    for pod in ("vault-0", "vault-1", "vault-2"):
        assert f'leader_api_addr         = "https://{pod}.vault-internal:8200"' in hcl, f"{release.urn}: {pod}"
    for setting in ("tls_cert_file", "tls_key_file", "tls_client_ca_file", "leader_ca_cert_file"):
        assert f"{setting}" in hcl and "/vault/userconfig/vault-tls/" in hcl, f"{release.urn}: {setting}"
    assert "tls_disable        = false" in hcl
    assert "unauthenticated_metrics_access = true" in hcl
    assert 'prometheus_retention_time = "30s"' in hcl and "disable_hostname          = true" in hcl
    assert "{{" not in hcl, "the chart renders the config through tpl: no template braces"
    for word in CHART_PLACEHOLDERS:
        assert word not in hcl, f"the chart's start script would sed-replace {word} in the config"


def test_raft_config_scales_with_replicas() -> None:
    hcl = raft_config(replicas=5, region="eu-west-1", kms_key_id="abcd-1234")
    assert 'kms_key_id = "abcd-1234"' in hcl and hcl.count("retry_join {") == 5


def test_pods_spread_over_zones_one_per_node_on_data_nodes(plan: Plan) -> None:
    release, values = _values(plan)
    server = values["server"]
    (spread,) = server["topologySpreadConstraints"]
    assert spread == {"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "minDomains": 3,
                      "whenUnsatisfiable": "DoNotSchedule", "labelSelector": {"matchLabels": SERVER_LABELS}}, \
        release.urn
    (anti,) = server["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert anti["topologyKey"] == "kubernetes.io/hostname", release.urn
    cluster_labels = {"meridian.io/workload": "data", "meridian.io/node-group": "data"}
    assert server["nodeSelector"] == cluster_labels, release.urn
    assert server["tolerations"] == [{"key": "meridian.io/data", "operator": "Equal", "value": "true",
                                      "effect": "NoSchedule"}], release.urn


def test_certificate_is_valid_and_names_every_pod(plan: Plan) -> None:
    resource = plan.named("vault-tls")
    obj = manifest(resource)
    assert custom_resource_errors(obj) == [], resource.urn
    spec = obj["spec"]
    assert spec["issuerRef"] == {"name": "meridian-us-east-1-ca", "kind": "ClusterIssuer",
                                 "group": "cert-manager.io"}, resource.urn
    for name in ("vault", "vault.vault.svc", "vault-active.vault.svc", "vault-internal", "vault-0.vault-internal",
                 "vault-1.vault-internal", "vault-2.vault-internal", "vault-2.vault-internal.vault.svc"):
        assert name in spec["dnsNames"], f"{resource.urn} lacks {name}"
    _, values = _values(plan)
    mounted = {v["name"]: v for v in values["server"]["volumes"]}
    assert mounted[spec["secretName"]]["secret"]["secretName"] == spec["secretName"] == "vault-tls"
    assert {"name": "vault-tls", "mountPath": "/vault/userconfig/vault-tls", "readOnly": True} in \
        values["server"]["volumeMounts"]


def test_unseal_key_and_server_role_are_least_privilege(plan: Plan) -> None:
    key = plan.named("vault-unseal-key")
    assert key.inputs["enableKeyRotation"] is True and key.protect, key.urn
    alias = plan.named("vault-unseal-key-alias")
    assert alias.inputs["name"] == "alias/meridian/us-east-1/vault-unseal", alias.urn
    role = plan.named("vault-server-irsa")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"]
    assert "system:serviceaccount:vault:vault" in trust.values(), role.urn
    policy = json.loads(plan.named("vault-server-irsa-policy").inputs["policy"])
    (statement,) = policy["Statement"]
    assert sorted(statement["Action"]) == ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt"], role.urn
    assert statement["Resource"].startswith("arn:aws:kms:us-east-1:") and statement["Resource"] != "*", role.urn
    _, values = _values(plan)
    annotations = values["server"]["serviceAccount"]["annotations"]
    assert annotations["eks.amazonaws.com/role-arn"].endswith("role/vault-server-irsa"), role.urn


def test_snapshot_job_ships_to_its_bucket_with_its_own_role(plan: Plan) -> None:
    bucket = plan.named("vault-snapshots-bucket")
    assert bucket.protect and bucket.inputs["bucketPrefix"] == "meridian-vault-snapshots-", bucket.urn
    lifecycle = plan.named("vault-snapshots-lifecycle").inputs["rules"][0]
    assert lifecycle["noncurrentVersionExpiration"]["noncurrentDays"] == 30
    role = plan.named("vault-snapshot-irsa")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"]
    assert "system:serviceaccount:vault:vault-raft-snapshot" in trust.values(), role.urn
    job_resource = plan.named("vault-raft-snapshot")
    job = manifest(job_resource)
    upload_env = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["env"]
    bucket_name = {e["name"]: e["value"] for e in upload_env}["BUCKET"]
    assert bucket_name.startswith("meridian-vault-snapshots-"), job_resource.urn
    statements = json.loads(plan.named("vault-snapshot-irsa-policy").inputs["policy"])["Statement"]
    arn = f"arn:aws:s3:::{bucket_name}"
    resources = {s["Sid"]: s["Resource"] for s in statements}
    assert resources["ReadWriteBackups"] == f"{arn}/raft/*" and resources["ListBucket"] == arn, role.urn
    assert resources["UseBackupKey"].startswith("arn:aws:kms:"), role.urn
    kubernetes_validate.validate(job, "1.35.0", strict=True)
    assert job["spec"]["schedule"] == "0 * * * *" and job["spec"]["concurrencyPolicy"] == "Forbid"
    pod = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "vault-raft-snapshot" and pod["automountServiceAccountToken"] is False
    (snapshot,), (upload,) = pod["initContainers"], pod["containers"]
    assert (snapshot["image"], upload["image"]) == (VAULT_IMAGE, AWS_CLI_IMAGE) == \
        ("hashicorp/vault:2.0.4", "public.ecr.aws/aws-cli/aws-cli:2.33.19"), job_resource.urn
    script = snapshot["command"][-1]
    assert "auth/kubernetes/login role=raft-snapshot" in script, job_resource.urn
    assert "vault operator raft snapshot save" in script, job_resource.urn
    env = {e["name"]: e["value"] for e in snapshot["env"]}
    assert env["VAULT_ADDR"] == "https://vault-active.vault.svc:8200" and "VAULT_TOKEN" not in env
    assert pod["securityContext"]["runAsNonRoot"] is True
    for container in (snapshot, upload):
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] and security["capabilities"] == {"drop": ["ALL"]}
        assert container["resources"]["limits"]["memory"], f"{job_resource.urn}: {container['name']}"
    account = manifest(plan.named("vault-snapshot-sa"))
    assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].endswith("role/vault-snapshot-irsa")


def test_namespace_is_default_deny_with_only_the_needed_flows(plan: Plan) -> None:
    for resource in plan.of_type(POLICY) + plan.of_type("kubernetes:core/v1:Namespace"):
        kubernetes_validate.validate(manifest(resource), "1.35.0", strict=True)
    deny, spec = _policy(plan, "vault-netpol-default-deny")
    assert spec == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}, deny.urn
    clients, spec = _policy(plan, "vault-netpol-allow-clients")
    assert [p["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for p in spec["ingress"][0]["from"]] \
        == ["payments", "kafka"], clients.urn
    assert spec["ingress"][0]["ports"] == [{"port": 8200, "protocol": "TCP"}], clients.urn
    raft, spec = _policy(plan, "vault-netpol-allow-raft-cluster")
    assert spec["podSelector"] == {"matchLabels": SERVER_LABELS}, raft.urn
    assert spec["ingress"][0] == {"from": [{"podSelector": {"matchLabels": SERVER_LABELS}}],
                                  "ports": [{"port": 8200, "protocol": "TCP"}, {"port": 8201, "protocol": "TCP"}]}, \
        raft.urn
    snapshot, spec = _policy(plan, "vault-netpol-allow-snapshot-job")
    assert spec["ingress"][0]["ports"] == [{"port": 8200, "protocol": "TCP"}], snapshot.urn
    names = {manifest(r)["metadata"]["name"] for r in plan.of_type(POLICY)}
    assert "allow-same-namespace" not in names, "only listed flows may reach the Vault pods (8201 is raft-only)"
    assert "allow-same-namespace-egress" in names
    scrape, spec = _policy(plan, "vault-netpol-allow-prometheus-scrape")
    assert spec["ingress"][0]["from"][0]["namespaceSelector"]["matchLabels"] == \
        {"kubernetes.io/metadata.name": "monitoring"}, scrape.urn
    egress, spec = _policy(plan, "vault-netpol-allow-egress")
    assert spec["egress"] == [{"to": [{"ipBlock": {"cidr": VPC}}], "ports": [{"port": 443, "protocol": "TCP"}]}], \
        egress.urn
    s3, spec = _policy(plan, "vault-netpol-allow-snapshot-s3-egress")
    assert spec["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "vault-raft-snapshot",
                                                   "app.kubernetes.io/part-of": "meridian"}}, s3.urn
    assert spec["egress"][0]["to"] == [{"ipBlock": {"cidr": "0.0.0.0/0"}}], s3.urn
    everyone = [r.urn for r in plan.of_type(POLICY) if any(
        peer.get("ipBlock", {}).get("cidr") == "0.0.0.0/0" for rule in manifest(r)["spec"].get("egress", [])
        for peer in rule["to"]) and manifest(r)["spec"]["podSelector"] == {}]
    assert everyone == [], f"0.0.0.0/0 egress must be pod-selected: {everyone}"
    namespace = manifest(plan.named("vault-namespace"))
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_contract_scrapes_vault_telemetry_and_merges_thresholds(run: Callable[..., Plan]) -> None:
    holder: list[Vault] = []

    def program() -> None:
        holder.append(Vault("vault", VaultArgs(
            config=VaultConfig(replicas=5, monitoring={"thresholds": {"request_latency_p99_seconds": 0.25}}),
            cluster=make_cluster_ref(), certificates=make_certificates_ref(), vpc_cidr=VPC, tags={},
            protect_stateful=False)))

    plan = run(program)
    contract = holder[0].contract
    assert (contract.kind, contract.namespace, contract.replicas, contract.exporter) == \
        ("vault", "vault", 5, "vault-telemetry")
    (target,) = contract.scrape
    assert (target.path, target.scheme, target.port, target.params) == \
        ("/v1/sys/metrics", "https", "https", {"format": ("prometheus",)})
    assert target.selector["vault-internal"] == "true" and not target.created_by_operator
    assert contract.thresholds == {"request_latency_p99_seconds": 0.25, "raft_peers_min": 5.0,
                                   "autopilot_failure_tolerance_min": 2.0, "lease_count_max": 256_000.0,
                                   "leadership_changes_per_hour_max": 2.0}
    assert set(contract.thresholds) == set(THRESHOLD_NAMES)
    assert [slo.name for slo in contract.slos] == list(SLO_NAMES) and contract.slos[0].objective == 0.999
    unprotected = [r.urn for r in plan if r.protect]
    assert unprotected == [], f"protect_stateful=False must protect nothing: {unprotected}"


def _error(vault: dict[str, Any], **overrides: Any) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config("us-east-1", raw_config(**{"meridian:vault": vault}, **overrides))
    return caught.value


@pytest.mark.parametrize(("vault", "key", "problem"), [
    ({"replicas": 2}, "vault.replicas", "odd raft cluster"),
    ({"replicas": 4}, "vault.replicas", "odd raft cluster"),
    ({"replicas": 1}, "vault.replicas", "odd raft cluster"),
    ({"replicas": 7}, "vault.replicas", "more than 5"),
    ({"replicas": 6}, "vault.replicas", "more than 5"),
    ({"chart_version": "0.29.0"}, "vault.chart_version", "not a reviewed version"),
    ({"snapshot_schedule": "every hour"}, "vault.snapshot_schedule", "not a valid cron"),
    ({"snapshot_schedule": "61 * * * *"}, "vault.snapshot_schedule", "minute"),
    ({"snapshot_schedule": "0 * * *"}, "vault.snapshot_schedule", "4 fields"),
    ({"snapshot_schedule": "TZ=UTC 0 * * * *"}, "vault.snapshot_schedule", "time zone"),
    ({"snapshot_schedule": "0 3 * * 7"}, "vault.snapshot_schedule", "day of week"),  # robfig/cron: dow 0-6
    ({"snapshot_retention_days": 0}, "vault.snapshot_retention_days", "1-365"),
    ({"snapshot_retention_days": 400}, "vault.snapshot_retention_days", "1-365"),
    ({"client_namespaces": ["Payments"]}, "vault.client_namespaces", "not a Kubernetes namespace"),
    ({"memory_gib": 64}, "vault.memory_gib", "does not fit"),
    ({"monitoring": {"thresholds": {"latency": 1}}}, "vault.monitoring", "unknown thresholds"),
    ({"monitoring": {"slos": [{"name": "read_availability", "objective": 0.999}]}}, "vault.monitoring",
     "records no SLI for: ['read_availability']"),
])
def test_bad_vault_config_fails_before_anything_is_declared(vault: dict[str, Any], key: str, problem: str) -> None:
    error = _error(vault)
    assert error.key == f"[stack us-east-1] meridian:{key}", error
    assert problem in error.problem and error.fix, error


def _cluster(data: dict[str, Any] | None) -> dict[str, Any]:
    groups = {"system": NODE_GROUPS["system"], **({"data": {**NODE_GROUPS["data"], **data}} if data else {})}
    return {"kubernetes_version": "1.35", "node_groups": groups}


def test_vault_needs_three_zones_and_room_on_the_data_nodes() -> None:
    error = _error({}, **{"meridian:network": {"cidr": "10.10.0.0/16", "az_count": 2, "nat_gateways": "per_az"}})
    assert error.key.endswith("meridian:vault.replicas") and "az_count" in error.fix
    error = _error({"replicas": 5}, **{"meridian:cluster": _cluster({"min_size": 1, "desired_size": 1,
                                                                     "max_size": 1})})
    assert error.key.endswith("meridian:vault.replicas") and "needs 2 data node(s) per zone" in error.problem
    error = _error({}, **{"meridian:cluster": _cluster(None)})
    assert error.key.endswith("meridian:vault.replicas") and "per_az: true" in error.fix
    assert parse_stack_config("us-east-1", raw_config(**{"meridian:vault": {}})).vault == VaultConfig()


@pytest.mark.parametrize("schedule", ["0 * * * *", "*/15 * * * *", "5 1-23/2 * * MON-FRI", "0 3 1,15 * ?",
                                      "@daily", "30 2 * JAN,JUL SUN"])
def test_valid_cron_schedules_are_accepted(schedule: str) -> None:
    assert cron_problem(schedule) is None
