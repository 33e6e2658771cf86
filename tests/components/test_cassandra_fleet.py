"""Cassandra in a fleet: external datacenters and seeds, shared CQL users, the seed record, global keyspaces (the
real merge script run against a fake curl), the external-datacenter sync (its script against the same fake), the
rebuild on join, fleet TLS and network flows; no fleet changes nothing."""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest
from pulumi_kubernetes import _tables

from components.cassandra import Cassandra, CassandraArgs
from components.cassandra_fleet_dcs import SYNC_SCRIPT
from components.cassandra_keyspaces import KEYSPACES_SCRIPT, job_name, keyspace_data
from components.config.cassandra import CassandraConfig
from components.fleet_plan import CassandraFleet, KeyspacePlan
from components.peers import peer_stack
from meridian.synth.mocks import SECRET_MASK, RecordedResource
from meridian.synth.plan import Plan
from meridian.synth.render import manifest
from meridian.synth.runner import run_program
from policy.registry import evaluate
from tests.conftest import make_certificates_ref, make_cluster_ref
from tests.schemas import custom_resource_errors, unknown_crd_fields

VPC = "10.20.0.0/16"
FIRST = CassandraFleet(
    seeds_host="cassandra-seeds.us-east-1.meridian.internal", earlier_datacenters=(), additional_seeds=(),
    keyspaces=(KeyspacePlan(name="orders", replication=(("us-east-1", 3),)),), rebuild_from=None,
    fleet_cidr="10.0.0.0/8")
SECOND = CassandraFleet(
    seeds_host="cassandra-seeds.us-west-2.meridian.internal", earlier_datacenters=("us-east-1",),
    additional_seeds=("cassandra-seeds.us-east-1.meridian.internal",),
    keyspaces=(KeyspacePlan(name="orders", replication=(("us-east-1", 3), ("us-west-2", 3))),
               KeyspacePlan(name="profiles", replication=(("us-east-1", 2), ("us-west-2", 3)))),
    rebuild_from="us-east-1", fleet_cidr="10.0.0.0/8")
FLEET_KINDS = ("Service", "ConfigMap", "Job", "CassandraTask", "CronJob", "Role", "RoleBinding")
USERS = {"superuser": "meridian-superuser", "reaper": "meridian-reaper", "medusa": "meridian-medusa"}


def _program(fleet: CassandraFleet | None, region: str = "us-west-2", *, with_primary: bool = False,
             ) -> Callable[[], None]:
    def program() -> None:
        root = pulumi.ComponentResource("test:index:Root", "root")
        primary = peer_stack("peers", stack="us-east-1", region="us-east-1", reference_prefix="org/meridian",
                             parent=root) if with_primary else None
        Cassandra("cassandra", CassandraArgs(
            config=CassandraConfig(), cluster=make_cluster_ref(region), certificates=make_certificates_ref(region),
            vpc_cidr=VPC, tags={"owner": "platform-sre"}, protect_stateful=True, fleet=fleet, primary=primary))
    return program


@pytest.fixture
def second() -> Plan:
    recorded = run_program(_program(SECOND, with_primary=True), stack="us-west-2", region="us-west-2",
                           fleet={"us-east-1": ("us-east-1", 3)})
    return Plan("us-west-2", tuple(recorded))


def _resources(plan: Plan, kind: str) -> list[RecordedResource]:
    return [r for r in plan if r.inputs.get("kind") == kind and "apiVersion" in r.inputs]


def _one(plan: Plan, kind: str) -> dict[str, Any]:
    (resource,) = _resources(plan, kind)
    return manifest(resource)


def test_cluster_names_earlier_datacenters_and_their_seeds(second: Plan) -> None:
    cluster = _one(second, "K8ssandraCluster")
    assert cluster["spec"]["externalDatacenters"] == ["us-east-1"]
    assert cluster["spec"]["cassandra"]["additionalSeeds"] == ["cassandra-seeds.us-east-1.meridian.internal"]
    assert [dc["metadata"]["name"] for dc in cluster["spec"]["cassandra"]["datacenters"]] == ["us-west-2"]
    assert cluster["spec"]["cassandra"]["clusterName"] == "meridian"


def test_every_fleet_object_matches_its_crd(second: Plan) -> None:
    for kind in ("K8ssandraCluster", "CassandraTask"):
        obj = _one(second, kind)
        assert custom_resource_errors(obj) == [], kind
        assert unknown_crd_fields(obj) == [], kind
    task = _one(second, "CassandraTask")
    misplaced = copy.deepcopy(task)
    misplaced["spec"]["jobs"][0]["args"]["sourceDatacenter"] = misplaced["spec"]["jobs"][0]["args"].pop(
        "source_datacenter")
    assert unknown_crd_fields(misplaced) == [".spec.jobs[0].args.sourceDatacenter"]
    misplaced["spec"]["jobs"][0].pop("command")
    assert custom_resource_errors(misplaced), "the CRD requires a job command"
    cluster = _one(second, "K8ssandraCluster")
    cluster["spec"]["additionalSeeds"] = cluster["spec"]["cassandra"].pop("additionalSeeds")
    assert unknown_crd_fields(cluster) == [".spec.additionalSeeds"], "additionalSeeds belongs under cassandra"


def test_rebuild_streams_from_the_earliest_datacenter_after_the_keyspace_job(second: Plan) -> None:
    (resource,) = _resources(second, "CassandraTask")
    task = manifest(resource)
    assert task["spec"]["datacenter"] == {"name": "us-west-2", "namespace": "cassandra"}
    assert task["spec"]["jobs"] == [{"name": "us-west-2-rebuild", "command": "rebuild",
                                     "args": {"source_datacenter": "us-east-1"}}]
    (job,) = second.of_type("kubernetes:batch/v1:Job")
    assert job.urn in resource.dependencies, f"{resource.urn} must wait for the keyspace Job"
    cluster = next(r for r in second if r.inputs.get("kind") == "K8ssandraCluster")
    assert cluster.urn in job.dependencies, f"{job.urn} must wait for the K8ssandraCluster"
    plans = {r.urn for r in second.of_type("kubernetes:core/v1:ConfigMap") if r.name.startswith("cassandra-keyspaces")}
    assert len(plans) == 2 and plans <= set(job.dependencies), job.urn
    credentials = {r.urn for r in second.of_type("kubernetes:core/v1:Secret") if r.name.endswith("-credentials")}
    assert len(credentials) == 3 and credentials <= set(cluster.dependencies), f"{cluster.urn} needs the users first"


def test_seed_record_service_selects_this_datacenters_seeds(second: Plan) -> None:
    service = _one(second, "Service")
    assert service["metadata"]["namespace"] == "cassandra"
    assert service["metadata"]["annotations"] == {
        "external-dns.alpha.kubernetes.io/hostname": "cassandra-seeds.us-west-2.meridian.internal",
        "external-dns.alpha.kubernetes.io/ttl": "30"}
    spec = service["spec"]
    assert spec["clusterIP"] == "None"
    assert spec["selector"] == {"cassandra.datastax.com/cluster": "meridian",
                                "cassandra.datastax.com/datacenter": "us-west-2",
                                "cassandra.datastax.com/seed-node": "true"}
    assert [(port["name"], port["port"]) for port in spec["ports"]] == [("internode", 7000),
                                                                        ("tls-internode", 7001)]


def test_keyspace_plan_configmap_has_the_shape_the_region_loss_check_reads(second: Plan) -> None:
    plans = {obj["metadata"]["name"]: obj for obj in map(manifest, second.of_type("kubernetes:core/v1:ConfigMap"))}
    plan = plans["meridian-keyspaces"]
    assert plan["metadata"]["namespace"] == "cassandra"
    assert {key: json.loads(value) for key, value in plan["data"].items()} == {
        "orders.json": {"us-east-1": 3, "us-west-2": 3}, "profiles.json": {"us-east-1": 2, "us-west-2": 3}}
    assert plans["meridian-keyspaces-script"]["data"] == {"cassandra_keyspaces.sh": KEYSPACES_SCRIPT}
    assert plans["cassandra-fleet-datacenters"]["data"] == {"sync.sh": SYNC_SCRIPT}


def _policy_clean(resource: RecordedResource) -> None:
    """The policy pack passes the workload, and would catch a privilege escalation in it."""
    assert [v.message for v in evaluate([resource]) if v.urn == resource.urn] == [], "policy pack"
    loose = copy.deepcopy(resource.inputs)
    spec = loose["spec"]["jobTemplate"]["spec"] if loose["kind"] == "CronJob" else loose["spec"]
    spec["template"]["spec"]["containers"][0]["securityContext"]["allowPrivilegeEscalation"] = True
    assert [v.rule for v in evaluate([dataclasses.replace(resource, inputs=loose)]) if v.urn == resource.urn] == [
        "k8s-no-privilege-escalation"], "the policy pack must check this workload"


def test_keyspace_job_uses_the_management_api_pinned_and_restricted(second: Plan) -> None:
    (resource,) = second.of_type("kubernetes:batch/v1:Job")
    job = manifest(resource)
    assert job["metadata"]["name"] == job_name(keyspace_data(SECOND))
    assert job_name(keyspace_data(SECOND)) != job_name(keyspace_data(FIRST)), "a changed plan needs a new Job"
    _policy_clean(resource)
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == "curlimages/curl:8.11.1"
    assert pod["restartPolicy"] == "Never" and job["spec"]["backoffLimit"] >= 1
    assert pod["automountServiceAccountToken"] is False
    env = {item["name"]: item["value"] for item in container["env"]}
    assert env["MGMT_URL"] == "http://meridian-us-west-2-service.cassandra.svc:8080"
    assert "valueFrom" not in json.dumps(container), "no CQL credentials: the Management API needs no login"
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    assert volumes["plan"]["configMap"]["name"] == "meridian-keyspaces"
    assert set(volumes) == {"plan", "script", "tmp"}


def test_job_and_sync_may_reach_the_management_api_of_this_datacenter(second: Plan) -> None:
    policies = {obj["metadata"]["name"]: obj["spec"] for obj in _resources_manifests(second, "NetworkPolicy")}
    for name, app in (("allow-keyspaces-management-api", "cassandra-keyspaces"),
                      ("allow-cassandra-fleet-datacenters", "cassandra-fleet-datacenters")):
        spec = policies[name]
        assert spec["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == app
        assert spec["policyTypes"] == ["Egress"]
        assert spec["egress"] == [{"to": [{"podSelector": {"matchLabels": {
            "cassandra.datastax.com/cluster": "meridian", "cassandra.datastax.com/datacenter": "us-west-2"}}}],
            "ports": [{"port": 8080, "protocol": "TCP"}]}], name
    (job,) = second.of_type("kubernetes:batch/v1:Job")
    egress = next(r for r in second if r.name == "cassandra-keyspaces-egress")
    assert egress.urn in job.dependencies, job.urn


def _resources_manifests(plan: Plan, kind: str) -> list[dict[str, Any]]:
    return [manifest(r) for r in _resources(plan, kind)]


def test_internode_certificate_from_the_fleet_ca_and_flows_from_the_fleet(second: Plan) -> None:
    issuers = {obj["spec"]["secretName"]: obj["spec"]["issuerRef"]["name"]
               for obj in map(manifest, _resources(second, "Certificate"))}
    assert issuers == {"cassandra-internode-tls": "meridian-fleet-ca", "cassandra-client-tls": "meridian-us-west-2-ca"}
    policies = {obj["metadata"]["name"]: obj["spec"] for obj in map(manifest, _resources(second, "NetworkPolicy"))
                if obj["metadata"]["namespace"] == "cassandra"}
    peers = policies["allow-internode-peers"]["ingress"][0]
    assert peers["from"] == [{"ipBlock": {"cidr": "10.0.0.0/8"}}]
    egress = {rule["to"][0]["ipBlock"]["cidr"]: [p["port"] for p in rule["ports"]]
              for rule in policies["allow-egress"]["egress"]}
    assert egress["10.0.0.0/8"] == [7000, 7001]


def test_without_a_fleet_nothing_changes_and_the_first_datacenter_differs_only_in_fleet_parts(
        run: Callable[..., Plan]) -> None:
    alone = run(_program(None, "us-east-1"))
    first = run(_program(FIRST, "us-east-1"))
    assert not [r.urn for r in alone if r.inputs.get("kind") in FLEET_KINDS], "no fleet objects without a fleet"
    spec = _one(alone, "K8ssandraCluster")["spec"]
    assert "externalDatacenters" not in spec and "superuserSecretRef" not in spec["cassandra"]
    assert "cassandraUserSecretRef" not in spec["reaper"] and "cassandraUserSecretRef" not in spec["medusa"]
    assert not [r.name for r in alone.of_type("kubernetes:core/v1:Secret") if r.name.endswith("-credentials")]
    names = {a.urn for a in alone}
    added = sorted(r.name for r in first if r.urn not in names)
    assert added == ["cassandra-fleet-dcs", "cassandra-fleet-dcs-account", "cassandra-fleet-dcs-binding",
                     "cassandra-fleet-dcs-egress", "cassandra-fleet-dcs-role", "cassandra-fleet-dcs-script",
                     "cassandra-fleet-seeds", "cassandra-keyspaces", "cassandra-keyspaces-egress",
                     "cassandra-keyspaces-plan", "cassandra-keyspaces-script", "cassandra-medusa-credentials",
                     "cassandra-netpol-allow-internode-peers", "cassandra-reaper-credentials",
                     "cassandra-superuser-credentials"], "no rebuild in the first"
    before, after = {r.urn: r.inputs for r in alone}, {r.urn: r.inputs for r in first}
    changed = sorted(resource.name for resource in alone if before[resource.urn] != after[resource.urn])
    # The internode certificate's issuer, the egress to the fleet CIDR and the cluster's user Secret references.
    assert changed == ["cassandra-cluster", "cassandra-internode-certificate", "cassandra-netpol-allow-egress"]
    alone_spec, first_spec = _one(alone, "K8ssandraCluster")["spec"], _one(first, "K8ssandraCluster")["spec"]
    first_spec["cassandra"].pop("superuserSecretRef")
    first_spec["reaper"].pop("cassandraUserSecretRef")
    first_spec["medusa"].pop("cassandraUserSecretRef")
    assert first_spec == alone_spec, "only the user Secret references differ"


# --- shared CQL users, the externalDatacenters sync ------------------------------------------------------------

def _credentials(plan: Plan) -> dict[str, RecordedResource]:
    return {r.name.removeprefix("cassandra-").removesuffix("-credentials"): r
            for r in plan.of_type("kubernetes:core/v1:Secret") if r.name.endswith("-credentials")}


def test_cluster_names_the_shared_user_secrets(second: Plan) -> None:
    spec = _one(second, "K8ssandraCluster")["spec"]
    assert spec["cassandra"]["superuserSecretRef"] == {"name": USERS["superuser"]}
    assert spec["reaper"]["cassandraUserSecretRef"] == {"name": USERS["reaper"]}
    assert spec["medusa"]["cassandraUserSecretRef"] == {"name": USERS["medusa"]}


def test_the_primary_generates_the_user_secrets(monkeypatch: pytest.MonkeyPatch, run: Callable[..., Plan]) -> None:
    drawn: list[int] = []

    def token(size: int) -> str:
        drawn.append(size)
        return "x" * size

    monkeypatch.setattr(secrets, "token_urlsafe", token)
    first = run(_program(FIRST, "us-east-1"))
    made = _credentials(first)
    assert set(made) == set(USERS)
    assert drawn == [32] * 4, "one random password per user, plus the keystore's"
    for role, resource in made.items():
        obj = manifest(resource)
        assert obj["metadata"]["name"] == USERS[role] and obj["metadata"]["namespace"] == "cassandra"
        assert obj["type"] == "Opaque" and "data" not in obj
        assert obj["stringData"] == {"masked-by-synth": SECRET_MASK}, f"{resource.urn}: a Pulumi secret"
        assert resource.protect, f"{resource.urn} must be protected: losing it desynchronises the regions"
        assert "meridian.io/copied-from" not in obj["metadata"]["labels"]


def test_a_later_stack_copies_the_user_secrets_from_the_primary(second: Plan) -> None:
    copies = _credentials(second)
    assert set(copies) == set(USERS)
    (peer_provider,) = [r for r in second.of_type("pulumi:providers:kubernetes") if r.name == "peers-us-east-1-k8s"]
    for role, resource in copies.items():
        obj = manifest(resource)
        assert obj["metadata"]["name"] == USERS[role] and obj["metadata"]["labels"]["meridian.io/copied-from"] == \
            "us-east-1"
        assert "stringData" not in obj, f"{resource.urn} must copy, not generate"
        assert obj["data"] == {"masked-by-synth": SECRET_MASK}, f"{resource.urn} must keep the copied data secret"
        assert resource.protect and peer_provider.urn not in resource.provider, "copied into this stack's cluster"


def test_cluster_ignores_external_datacenters_only_in_a_fleet(monkeypatch: pytest.MonkeyPatch,
                                                              run: Callable[..., Plan]) -> None:
    seen: dict[str, list[str]] = {}
    original = k8s.apiextensions.CustomResource

    class Recording(original):  # type: ignore[misc,valid-type]
        def __init__(self, name: str, *args: Any, **kwargs: Any) -> None:
            opts = kwargs.get("opts")
            if kwargs.get("kind") == "K8ssandraCluster" and opts is not None:
                seen[pulumi.get_stack() + str(len(seen))] = list(opts.ignore_changes or [])
            super().__init__(name, *args, **kwargs)

    monkeypatch.setattr(k8s.apiextensions, "CustomResource", Recording)
    run(_program(None, "us-east-1"))
    run(_program(FIRST, "us-east-1"))
    assert list(seen.values()) == [[], ["spec.externalDatacenters"]]


def test_sync_may_only_get_and_patch_its_own_cluster(second: Plan) -> None:
    (role,) = _resources_manifests(second, "Role")
    assert role["metadata"] == {"name": "cassandra-fleet-datacenters", "namespace": "cassandra"}
    assert role["rules"] == [{"apiGroups": ["k8ssandra.io"], "resources": ["k8ssandraclusters"],
                              "resourceNames": ["meridian"], "verbs": ["get", "patch"]}]
    (binding,) = _resources_manifests(second, "RoleBinding")
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                  "name": "cassandra-fleet-datacenters"}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "cassandra-fleet-datacenters",
                                    "namespace": "cassandra"}]
    (account,) = [obj for obj in _resources_manifests(second, "ServiceAccount")
                  if obj["metadata"]["name"] == "cassandra-fleet-datacenters"]
    assert account["automountServiceAccountToken"] is False, "only the CronJob's pods mount the token"


def test_sync_cronjob_runs_every_five_minutes_pinned_and_restricted(second: Plan) -> None:
    (resource,) = second.of_type("kubernetes:batch/v1:CronJob")
    cron = manifest(resource)
    _policy_clean(resource)
    assert cron["spec"]["schedule"] == "*/5 * * * *" and cron["spec"]["concurrencyPolicy"] == "Forbid"
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "cassandra-fleet-datacenters"
    (container,) = pod["containers"]
    assert container["image"] == "curlimages/curl:8.11.1"
    env = {item["name"]: item["value"] for item in container["env"]}
    assert env["LOCAL_DC"] == "us-west-2" and env["CLUSTER"] == "meridian" and env["NAMESPACE"] == "cassandra"
    assert env["MGMT_URL"] == "http://meridian-us-west-2-service.cassandra.svc:8080"


def _core_type(kind: str) -> Any:
    modules = {"Secret": k8s.core.v1, "ServiceAccount": k8s.core.v1, "ConfigMap": k8s.core.v1, "Service": k8s.core.v1,
               "Role": k8s.rbac.v1, "RoleBinding": k8s.rbac.v1, "NetworkPolicy": k8s.networking.v1,
               "Job": k8s.batch.v1, "CronJob": k8s.batch.v1}
    return getattr(modules[kind], f"{kind}ArgsDict")


def _unknown_core_fields(value: Any, typed: Any, path: str = "") -> list[str]:
    """Fields the Kubernetes API type (pulumi-kubernetes' generated TypedDicts, one per API type) does not declare."""
    if isinstance(value, list):
        return [f for index, item in enumerate(value) for f in _unknown_core_fields(item, typed, f"{path}[{index}]")]
    if not isinstance(value, dict) or typed is None:
        return []
    fields = typed.__annotations__
    found: list[str] = []
    for key, item in value.items():
        snake = _tables.CAMEL_TO_SNAKE_CASE_TABLE.get(key, re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower())
        if snake not in fields:
            found.append(f"{path}.{key}")
            continue
        nested = re.search(r"ForwardRef\('([\w.]*ArgsDict)'\)", str(fields[snake]))
        child = eval(nested.group(1), vars(sys.modules[typed.__module__])) if nested else None
        found += _unknown_core_fields(item, child, f"{path}.{key}")
    return found


def test_every_new_core_object_matches_its_kubernetes_type(second: Plan) -> None:
    kinds = ("Secret", "ServiceAccount", "Role", "RoleBinding", "ConfigMap", "NetworkPolicy", "Job", "CronJob")
    objects = [obj for kind in kinds for obj in _resources_manifests(second, kind)
               if obj["metadata"]["namespace"] == "cassandra"]
    assert {obj["kind"] for obj in objects} == set(kinds)
    for obj in objects:
        assert _unknown_core_fields(obj, _core_type(obj["kind"])) == [], obj["metadata"]["name"]
    (cron,) = _resources_manifests(second, "CronJob")
    cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["serviceAcount"] = "x"
    cron["spec"]["shedule"] = "x"
    assert _unknown_core_fields(cron, _core_type("CronJob")) == [
        ".spec.jobTemplate.spec.template.spec.serviceAcount", ".spec.shedule"], "the check must catch typos"


# --- the scripts, run for real against a fake curl -------------------------------------------------------------

FAKE_CURL = """#!/bin/sh
# Records "METHOD /path [body]" per call and the headers; answers from $FAKE_*; fails calls matching $FAKE_FAIL.
method=GET; body=; url=
while [ $# -gt 0 ]; do
  case "$1" in
    -X) method=$2; shift ;;
    --data) body=$2; shift ;;
    -H) printf '%s\\n' "$2" >> "$FAKE_HEADERS"; shift ;;
    --max-time|--cacert) shift ;;
    -*) ;;
    *) url=$1 ;;
  esac
  shift
done
path=/${url#*://*/}
line="$method $path${body:+ $body}"
printf '%s\\n' "$line" >> "$FAKE_LOG"
case "$line" in *"$FAKE_FAIL"*) echo "fake failure body"; echo "curl: (22) error: 500" >&2; exit 22 ;; esac
case "$path" in
  */keyspace/replication*) printf '%s' "$FAKE_REPLICATION" ;;
  */metadata/endpoints) printf '%s' "$FAKE_ENDPOINTS" ;;
  */k8ssandraclusters/*) if [ "$method" = GET ]; then printf '%s' "$FAKE_CLUSTER"; else echo '{}'; fi ;;
  *) echo OK ;;
esac
"""
NTS = '"class":"org.apache.cassandra.locator.NetworkTopologyStrategy"'


def _run(tmp_path: Path, script: str, env: dict[str, str], fail: str = "never-matches",
         ) -> tuple[subprocess.CompletedProcess[str], list[str], list[str]]:
    sh = shutil.which("sh")
    if sh is None:
        pytest.skip("no sh on this machine")
    bin_dir, log, headers = tmp_path / "bin", tmp_path / "calls.log", tmp_path / "headers.log"
    bin_dir.mkdir()
    (bin_dir / "curl").write_text(FAKE_CURL)
    (bin_dir / "curl").chmod(0o755)
    (tmp_path / "script.sh").write_text(script)
    full = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "FAKE_LOG": str(log),
            "FAKE_HEADERS": str(headers), "FAKE_FAIL": fail, **env}
    done = subprocess.run([sh, str(tmp_path / "script.sh")], env=full, capture_output=True, text=True, timeout=30,
                          check=False)
    return done, _lines(log), _lines(headers)


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def _run_keyspaces(tmp_path: Path, plan: dict[str, dict[str, Any]], replication: str,
                   fail: str = "never-matches") -> tuple[subprocess.CompletedProcess[str], list[str]]:
    plan_dir = tmp_path / "plan"
    plan_dir.mkdir()
    for keyspace, replicas in plan.items():
        (plan_dir / f"{keyspace}.json").write_text(json.dumps(replicas))
    done, calls, _ = _run(tmp_path, KEYSPACES_SCRIPT, {
        "FAKE_REPLICATION": replication, "PLAN_DIR": str(plan_dir), "MGMT_URL": "http://cassandra:8080",
        "API_ATTEMPTS": "3", "API_DELAY_SECONDS": "0", "CALL_ATTEMPTS": "2"}, fail)
    return done, calls


def _request(call: str, method_path: str) -> dict[str, Any]:
    assert call.startswith(method_path + " "), call
    body: dict[str, Any] = json.loads(call.removeprefix(method_path + " "))
    # CreateOrAlterKeyspaceRequest / ReplicationSetting (management-api v0.1.122, management-api-server/doc/
    # openapi.json): exactly these fields, all required; replication_factor an integer.
    assert set(body) == {"keyspace_name", "replication_settings"} and isinstance(body["keyspace_name"], str), body
    for setting in body["replication_settings"]:
        assert set(setting) == {"dc_name", "replication_factor"}, body
        assert isinstance(setting["dc_name"], str) and type(setting["replication_factor"]) is int, body
    return body


def _settings(*pairs: tuple[str, int]) -> list[dict[str, Any]]:
    return [{"dc_name": dc, "replication_factor": rf} for dc, rf in pairs]


def test_merge_keeps_later_datacenters_and_sets_the_plans(tmp_path: Path) -> None:
    # An earlier stack (us-east-1 only) re-runs after us-west-2 and eu-west-1 joined.
    done, calls = _run_keyspaces(tmp_path, {"orders": {"us-east-1": 5}},
                                 f'{{{NTS},"eu-west-1":"2","us-east-1":"3","us-west-2":"3"}}')
    assert done.returncode == 0, done.stderr
    assert calls[0] == "GET /api/v0/probes/readiness"
    assert _request(calls[1], "POST /api/v0/ops/keyspace/create") == {
        "keyspace_name": "orders", "replication_settings": _settings(("us-east-1", 5))}
    assert calls[2] == "GET /api/v0/ops/keyspace/replication?keyspaceName=orders"
    assert _request(calls[3], "POST /api/v0/ops/keyspace/alter") == {
        "keyspace_name": "orders",
        "replication_settings": _settings(("us-east-1", 5), ("eu-west-1", 2), ("us-west-2", 3))}
    assert len(calls) == 4, calls


def test_merge_adds_the_new_datacenter_and_skips_an_unchanged_keyspace(tmp_path: Path) -> None:
    done, calls = _run_keyspaces(tmp_path, {"orders": {"us-east-1": 3, "us-west-2": 3},
                                            "profiles": {"us-east-1": 3}}, f'{{{NTS},"us-east-1":"3"}}')
    assert done.returncode == 0, done.stderr
    alters = [_request(c, "POST /api/v0/ops/keyspace/alter") for c in calls if "/alter" in c]
    assert alters == [{"keyspace_name": "orders",
                       "replication_settings": _settings(("us-east-1", 3), ("us-west-2", 3))}], calls
    assert "profiles: replication unchanged" in done.stdout


@pytest.mark.parametrize(("fail", "replication", "message"), [
    ("GET /api/v0/ops/keyspace/replication", f'{{{NTS},"us-east-1":"3"}}', "reading the replication of orders"),
    ("POST /api/v0/ops/keyspace/alter", f'{{{NTS},"us-east-1":"1"}}', "altering keyspace orders failed"),
    ("POST /api/v0/ops/keyspace/create", f'{{{NTS},"us-east-1":"1"}}', "creating keyspace orders failed"),
    ("never-matches", '{"class":"org.apache.cassandra.locator.SimpleStrategy","replication_factor":"3"}',
     "not NetworkTopologyStrategy"),
    ("/probes/readiness", f"{{{NTS}}}", "not ready after 3 attempts: fake failure body"),
])
def test_keyspace_script_fails_loudly(tmp_path: Path, fail: str, replication: str, message: str) -> None:
    done, calls = _run_keyspaces(tmp_path, {"orders": {"us-east-1": 3}}, replication, fail=fail)
    assert done.returncode != 0, done.stdout
    assert message in done.stderr, done.stderr
    assert not [c for c in calls if "/alter" in c and "alter" not in fail], calls
    if fail == "/probes/readiness":
        assert calls == ["GET /api/v0/probes/readiness"] * 3, "bounded retries, then nothing"
    elif fail != "never-matches":
        assert len([c for c in calls if c.startswith(fail)]) == 2, "each call is tried CALL_ATTEMPTS times"


def test_keyspace_script_rejects_a_malformed_plan(tmp_path: Path) -> None:
    done, calls = _run_keyspaces(tmp_path, {"orders": {"us-east-1": "three"}}, f"{{{NTS}}}")
    assert done.returncode != 0 and "bad plan for orders" in done.stderr, done.stderr
    assert not [c for c in calls if "/keyspace/" in c], calls


CLUSTER_URL = "/apis/k8ssandra.io/v1alpha1/namespaces/cassandra/k8ssandraclusters/meridian"


def _endpoints(*dcs: str) -> str:
    return json.dumps({"entity": [{"DC": dc, "IS_ALIVE": "true", "ENDPOINT_IP": f"10.0.0.{i}"}
                                  for i, dc in enumerate(dcs)]}, separators=(",", ":"))


def _cluster(external: list[str] | None) -> str:
    spec: dict[str, Any] = {"cassandra": {"clusterName": "meridian"}}
    if external is not None:
        spec["externalDatacenters"] = external
    return json.dumps({"apiVersion": "k8ssandra.io/v1alpha1", "kind": "K8ssandraCluster", "metadata": {
        "name": "meridian", "resourceVersion": "4711",
        "managedFields": [{"manager": "pulumi", "fieldsV1": {"f:spec": {"f:externalDatacenters": {}}}}]},
        "spec": spec}, separators=(",", ":"))


def _run_sync(tmp_path: Path, local: str, endpoints: str, cluster: str,
              fail: str = "never-matches") -> tuple[subprocess.CompletedProcess[str], list[str], list[str]]:
    sa_dir = tmp_path / "sa"
    sa_dir.mkdir()
    (sa_dir / "token").write_text("sa-token")
    (sa_dir / "ca.crt").write_text("ca")
    return _run(tmp_path, SYNC_SCRIPT, {
        "MGMT_URL": "http://cassandra:8080", "LOCAL_DC": local, "CLUSTER": "meridian", "NAMESPACE": "cassandra",
        "KUBE_API": "https://kubernetes.default.svc", "FIELD_MANAGER": "meridian-fleet-datacenters",
        "SA_DIR": str(sa_dir), "FAKE_ENDPOINTS": endpoints, "FAKE_CLUSTER": cluster}, fail)


def _patch(call: str) -> dict[str, Any]:
    prefix = f"PATCH {CLUSTER_URL}?fieldManager=meridian-fleet-datacenters "
    assert call.startswith(prefix), call
    patch: dict[str, Any] = json.loads(call.removeprefix(prefix))
    return patch


def test_sync_adds_the_later_datacenters_to_the_first_region(tmp_path: Path) -> None:
    done, calls, headers = _run_sync(tmp_path, "us-east-1", _endpoints("us-east-1", "us-west-2", "eu-west-1"),
                                     _cluster(None))
    assert done.returncode == 0, done.stderr
    assert calls[:2] == ["GET /api/v0/metadata/endpoints", f"GET {CLUSTER_URL}"]
    (patch_call,) = calls[2:]
    assert _patch(patch_call) == {"metadata": {"resourceVersion": "4711"},
                                  "spec": {"externalDatacenters": ["eu-west-1", "us-west-2"]}}
    assert "Authorization: Bearer sa-token" in headers
    assert "Content-Type: application/merge-patch+json" in headers


def test_sync_keeps_current_datacenters_and_never_removes_one(tmp_path: Path) -> None:
    # ap-south-1 is no longer gossiped (or not yet known to this node): it stays; eu-west-1 is added after it.
    done, calls, _ = _run_sync(tmp_path, "us-west-2", _endpoints("us-west-2", "us-east-1", "eu-west-1"),
                               _cluster(["us-east-1", "ap-south-1"]))
    assert done.returncode == 0, done.stderr
    assert _patch(calls[-1])["spec"] == {"externalDatacenters": ["us-east-1", "ap-south-1", "eu-west-1"]}


@pytest.mark.parametrize("endpoints", [_endpoints("us-west-2", "us-east-1"), _endpoints("us-west-2")])
def test_sync_leaves_an_up_to_date_or_larger_list_alone(tmp_path: Path, endpoints: str) -> None:
    done, calls, _ = _run_sync(tmp_path, "us-west-2", endpoints, _cluster(["us-east-1", "ap-south-1"]))
    assert done.returncode == 0, done.stderr
    assert not [c for c in calls if c.startswith("PATCH")], calls
    assert "externalDatacenters unchanged" in done.stdout


@pytest.mark.parametrize(("endpoints", "fail", "message"), [
    (_endpoints("us-west-2", "us-east-1"), "GET /api/v0/metadata/endpoints", "reading endpoints"),
    (_endpoints("us-east-1"), "never-matches", "do not include us-west-2"),
    ('{"entity":[]}', "never-matches", "do not include us-west-2"),
    (_endpoints("us-west-2", "Bad_DC"), "never-matches", "bad datacenter name 'Bad_DC'"),
    (_endpoints("us-west-2", "eu-west-1"), f"GET {CLUSTER_URL}", "reading K8ssandraCluster cassandra/meridian"),
    (_endpoints("us-west-2", "eu-west-1"), "PATCH", "patching externalDatacenters failed"),
])
def test_sync_fails_loudly_and_patches_nothing_it_should_not(tmp_path: Path, endpoints: str, fail: str,
                                                             message: str) -> None:
    done, calls, _ = _run_sync(tmp_path, "us-west-2", endpoints, _cluster(["us-east-1"]), fail=fail)
    assert done.returncode != 0, done.stdout
    assert message in done.stderr, done.stderr
    assert not [c for c in calls if c.startswith("PATCH")] or fail == "PATCH", calls


def test_sync_needs_a_resource_version_to_patch(tmp_path: Path) -> None:
    cluster = _cluster(["us-east-1"]).replace('"resourceVersion":"4711",', "")
    done, calls, _ = _run_sync(tmp_path, "us-west-2", _endpoints("us-west-2", "eu-west-1"), cluster)
    assert done.returncode != 0 and "has no resourceVersion" in done.stderr, done.stderr
    assert not [c for c in calls if c.startswith("PATCH")], calls
