"""The fleet side of a region's Cassandra datacenter: seed record, global keyspaces, rebuild on join.

- `cassandra-fleet-seeds`: a headless Service over this datacenter's seed pods (cass-operator labels them
  `cassandra.datastax.com/seed-node: "true"`, apis/cassandra/v1beta1/cassandradatacenter_types.go at v1.30.3, the
  version k8ssandra-operator v1.32.5 bundles) that ExternalDNS publishes as `fleet.seeds_host`; later datacenters
  list that name in `additionalSeeds`.
- `meridian-keyspaces`: the replication this stack wants per global keyspace (`<keyspace>.json`, `{dc: replicas}`).
- `cassandra-keyspaces-<hash>`: a Job running `KEYSPACES_SCRIPT` with curl against the Management API of this
  datacenter's ready pods (no CQL login: Cassandra 4.1 checks logins at LOCAL_QUORUM and a joining datacenter has no
  system_auth data before its rebuild): create if absent with the plan, then alter to the plan merged with the
  current replication, so datacenters of later stacks (not in this stack's plan) keep theirs. The hash covers the
  plan and the script, so a changed plan runs a new Job (a Job's pod template is immutable).
  Endpoints (management-api-for-apache-cassandra v0.1.122, the release current when k8ssandra-operator v1.32.5 shipped;
  cass-operator's `k8ssandra/cass-management-api:<version>-ubi` tags follow it; management-api-server/doc/openapi.json,
  resources/KeyspaceOpsResources.java, agent NodeOpsProvider.java): `GET /api/v0/probes/readiness`;
  `POST /api/v0/ops/keyspace/create` and `.../alter` with `{"keyspace_name", "replication_settings": [{"dc_name",
  "replication_factor"}]}` (CREATE KEYSPACE IF NOT EXISTS / ALTER KEYSPACE with NetworkTopologyStrategy, run by the
  node itself at CL ONE); `GET /api/v0/ops/keyspace/replication?keyspaceName=<ks>` -> `{"class": ..., "<dc>": "<rf>"}`
  (404 if absent).
  The Management API on 8080 is plain HTTP without authentication: our spec sets no `managementApiAuth`, and
  cass-operator v1.30.3 then picks the insecure provider (pkg/httphelper/security.go
  `BuildManagementApiSecurityProvider`: manual TLS only when `managementApiAuth.manual` is set). So only the
  NetworkPolicies guard it: the `cassandra` namespace and the operators reach it, nothing else.
- A CassandraTask `rebuild` streaming the data of `fleet.rebuild_from` into this datacenter when it joins an
  existing cluster (k8ssandra-operator only rebuilds datacenters added to one K8ssandraCluster,
  controllers/k8ssandra/datacenters.go `datacenterAddedToExistingCluster`), after the Job added it to the keyspaces;
  the rebuild streams every keyspace replicated here, system_auth included once the operator has altered it.
- The external-datacenter sync (components/cassandra_fleet_dcs.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

import pulumi
import pulumi_kubernetes as k8s

from components.cassandra_fleet_dcs import (
    CURL_IMAGE,
    declare_datacenter_sync,
    management_api_egress,
    management_api_url,
)
from components.cassandra_spec import INTERNODE_PORTS, NAMESPACE, cluster_labels
from components.config.cassandra import CassandraConfig
from components.fleet_plan import CassandraFleet
from components.namespaces import IMAGE_TAG_NOT_DIGEST, NON_ROOT_UID

KEYSPACES_CONFIGMAP: Final = "meridian-keyspaces"
SCRIPT_CONFIGMAP: Final = "meridian-keyspaces-script"
SCRIPT_KEY: Final = "cassandra_keyspaces.sh"
SEEDS_SERVICE: Final = "cassandra-fleet-seeds"
SEED_LABEL: Final = "cassandra.datastax.com/seed-node"
DNS_TTL_SECONDS: Final = 30
API_ATTEMPTS: Final = 120
API_DELAY_SECONDS: Final = 30
"""The Job waits at most 120 x 30 s = 60 min for a ready node (a new datacenter starts one node at a time)."""
CALL_ATTEMPTS: Final = 5
"""Tries of each keyspace call (a request may reach a node whose schema is a moment behind)."""
JOB_DEADLINE_SECONDS: Final = 4200
JOB_LABELS: Final = {"app.kubernetes.io/name": "cassandra-keyspaces", "app.kubernetes.io/part-of": "meridian"}

KEYSPACES_SCRIPT: Final = r"""#!/bin/sh
# Create the global keyspaces and merge their replication through the Management API (no CQL login: a joining
# datacenter has no system_auth data before its rebuild); never drops a datacenter.
# Env: MGMT_URL PLAN_DIR API_ATTEMPTS API_DELAY_SECONDS CALL_ATTEMPTS.
set -eu
fail() { echo "cassandra-keyspaces: $*" >&2; exit 1; }
# api METHOD PATH [JSON]: the response body on stdout; non-zero on no connection or a non-2xx status.
api() {
  if [ $# -gt 2 ]; then
    curl -sS --fail-with-body --max-time 120 -X "$1" -H 'Content-Type: application/json' --data "$3" "$MGMT_URL$2"
  else
    curl -sS --fail-with-body --max-time 120 -X "$1" "$MGMT_URL$2"
  fi
}
# retry CMD...: CALL_ATTEMPTS tries (requests may land on a node whose schema is a moment behind).
retry() {
  n=1
  until "$@"; do
    [ "$n" -lt "$CALL_ATTEMPTS" ] || return 1
    n=$((n + 1))
    sleep "$API_DELAY_SECONDS"
  done
}
# "dc:rf" lines -> {"keyspace_name": "<ks>", "replication_settings": [{"dc_name": "dc", "replication_factor": rf}]}
body() {
  awk -F: -v ks="$1" 'BEGIN { printf "{\"keyspace_name\": \"%s\", \"replication_settings\": [", ks }
    NF == 2 { printf "%s{\"dc_name\": \"%s\", \"replication_factor\": %s}", sep, $1, $2; sep = ", " }
    END { printf "]}" }'
}
lines() { tr -d "{}\"' \t\r" | tr ',' '\n'; }

attempt=1
until last=$(api GET /api/v0/probes/readiness 2>&1); do
  [ "$attempt" -lt "$API_ATTEMPTS" ] || fail "Management API at $MGMT_URL not ready after $attempt attempts: $last"
  attempt=$((attempt + 1))
  sleep "$API_DELAY_SECONDS"
done

found=0
for file in "$PLAN_DIR"/*.json; do
  [ -f "$file" ] || continue
  found=1
  ks=$(basename "$file" .json)
  case "$ks" in '' | *[!a-z0-9_]*) fail "bad keyspace name '$ks'" ;; esac
  plan=$(lines < "$file")
  printf '%s\n' "$plan" | awk -F: 'NF != 2 || $1 !~ /^[a-z0-9-]+$/ || $2 !~ /^[0-9]+$/ { bad = 1 } END { exit bad }' \
    || fail "bad plan for $ks: $(cat "$file")"
  # Management API: CREATE KEYSPACE IF NOT EXISTS ... NetworkTopologyStrategy (NodeOpsProvider.createKeyspace).
  res=$(retry api POST /api/v0/ops/keyspace/create "$(printf '%s\n' "$plan" | body "$ks")") \
    || fail "creating keyspace $ks failed: $res"
  out=$(retry api GET "/api/v0/ops/keyspace/replication?keyspaceName=$ks") \
    || fail "reading the replication of $ks failed: $out"
  current=$(printf '%s\n' "$out" | lines)
  [ -n "$current" ] || fail "keyspace $ks has no replication: $out"
  class=$(printf '%s\n' "$current" | awk -F: '$1 == "class" { print $2 }')
  case "$class" in
    *NetworkTopologyStrategy) ;;
    *) fail "keyspace $ks uses '$class', not NetworkTopologyStrategy" ;;
  esac
  # The plan's datacenters at the plan's replicas, then every other current datacenter at its current replicas.
  merged=$({ printf '%s\n' "$plan"; printf '%s\n' "$current" | awk -F: -v plan="$(printf '%s' "$plan" | tr '\n' ',')" '
    BEGIN { n = split(plan, pairs, ","); for (i = 1; i <= n; i++) { split(pairs[i], kv, ":"); want[kv[1]] = 1 } }
    NF == 2 && $1 != "class" && !($1 in want) { print }'; })
  if [ "$(printf '%s\n' "$merged" | sort)" = "$(printf '%s\n' "$current" | awk -F: '$1 != "class"' | sort)" ]; then
    echo "$ks: replication unchanged"
    continue
  fi
  # ALTER KEYSPACE ... WITH replication = the full merged map (NodeOpsProvider.alterKeyspace).
  res=$(retry api POST /api/v0/ops/keyspace/alter "$(printf '%s\n' "$merged" | body "$ks")") \
    || fail "altering keyspace $ks failed: $res"
  echo "$ks: replication now $(printf '%s ' $merged)(repair where replicas were added)"
done
[ "$found" = 1 ] || fail "no keyspace plan in $PLAN_DIR"
"""


def keyspace_data(fleet: CassandraFleet) -> dict[str, str]:
    """The `meridian-keyspaces` ConfigMap's data: `<keyspace>.json` -> `{"<dc>": replicas, ...}` in fleet order."""
    return {f"{plan.name}.json": json.dumps(dict(plan.replication)) for plan in fleet.keyspaces}


def job_name(data: Mapping[str, str]) -> str:
    """`cassandra-keyspaces-<8 hex>`: a hash of the plan and the script, so either changing runs a new Job."""
    digest = hashlib.sha256(json.dumps({"plan": dict(data), "script": KEYSPACES_SCRIPT}, sort_keys=True).encode())
    return f"cassandra-keyspaces-{digest.hexdigest()[:8]}"


def seeds_service(config: CassandraConfig, region: str, fleet: CassandraFleet) -> dict[str, Any]:
    """Headless Service over the seed pods, published by ExternalDNS as `fleet.seeds_host` (short TTL: seeds move
    when pods restart). Like cass-operator's own seed Service it publishes not-ready pods, so a restarting
    datacenter's seeds stay known (pkg/reconciliation/construct_service.go)."""
    return {
        "metadata": {"name": SEEDS_SERVICE, "namespace": NAMESPACE, "labels": {"app.kubernetes.io/part-of": "meridian"},
                     "annotations": {"external-dns.alpha.kubernetes.io/hostname": fleet.seeds_host,
                                     "external-dns.alpha.kubernetes.io/ttl": str(DNS_TTL_SECONDS)}},
        "spec": {"clusterIP": "None", "publishNotReadyAddresses": True,
                 "selector": {**cluster_labels(config, region), SEED_LABEL: "true"},
                 "ports": [{"name": name, "port": port, "targetPort": port, "protocol": "TCP"}
                           for name, port in zip(("internode", "tls-internode"), INTERNODE_PORTS, strict=True)]},
    }


def keyspace_job(config: CassandraConfig, region: str, name: str) -> dict[str, Any]:
    """The Job applying `meridian-keyspaces` (restricted pod security: non-root, read-only root, no capabilities,
    no Kubernetes API token)."""
    env = {"MGMT_URL": management_api_url(config, region), "PLAN_DIR": "/plan", "HOME": "/tmp",
           "API_ATTEMPTS": str(API_ATTEMPTS), "API_DELAY_SECONDS": str(API_DELAY_SECONDS),
           "CALL_ATTEMPTS": str(CALL_ATTEMPTS)}
    container = {
        "name": "keyspaces", "image": CURL_IMAGE, "imagePullPolicy": "Always",
        "command": ["sh", f"/scripts/{SCRIPT_KEY}"],
        "env": [{"name": key, "value": value} for key, value in env.items()],
        "resources": {"requests": {"cpu": "50m", "memory": "32Mi"}, "limits": {"cpu": "200m", "memory": "64Mi"}},
        "securityContext": {"runAsNonRoot": True, "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]}},
        "volumeMounts": [{"name": "plan", "mountPath": "/plan", "readOnly": True},
                         {"name": "script", "mountPath": "/scripts", "readOnly": True},
                         {"name": "tmp", "mountPath": "/tmp"}],
    }
    return {
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": dict(JOB_LABELS),
                     "annotations": dict(IMAGE_TAG_NOT_DIGEST)},
        "spec": {
            "backoffLimit": 2, "activeDeadlineSeconds": JOB_DEADLINE_SECONDS,
            "template": {"metadata": {"labels": dict(JOB_LABELS)}, "spec": {
                "restartPolicy": "Never", "automountServiceAccountToken": False,
                "securityContext": {"runAsNonRoot": True, "runAsUser": NON_ROOT_UID, "runAsGroup": NON_ROOT_UID,
                                    "seccompProfile": {"type": "RuntimeDefault"}},
                "containers": [container],
                "volumes": [{"name": "plan", "configMap": {"name": KEYSPACES_CONFIGMAP}},
                            {"name": "script", "configMap": {"name": SCRIPT_CONFIGMAP}},
                            {"name": "tmp", "emptyDir": {"sizeLimit": "16Mi"}}],
            }},
        },
    }


def rebuild_task(region: str, source: str) -> dict[str, Any]:
    """A CassandraTask streaming `source`'s data into this datacenter (cass-operator `rebuild`, argument
    `source_datacenter`; the same shape as k8ssandra-operator's own `newRebuildTask`)."""
    return {
        "metadata": {"name": f"{region}-rebuild-from-{source}", "namespace": NAMESPACE},
        "spec": {"datacenter": {"name": region, "namespace": NAMESPACE},
                 "jobs": [{"name": f"{region}-rebuild", "command": "rebuild",
                           "args": {"source_datacenter": source}}]},
    }


def declare_fleet_objects(name: str, config: CassandraConfig, region: str, fleet: CassandraFleet, *,
                          provider: k8s.Provider, parent: pulumi.Resource,
                          after: Sequence[pulumi.Resource]) -> list[pulumi.Resource]:
    """Declare the seed Service, the keyspace plan and Job, the rebuild task and the external-datacenter sync;
    children of `parent`."""
    opts = pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=list(after))
    service = seeds_service(config, region, fleet)
    seeds = k8s.core.v1.Service(f"{name}-fleet-seeds", metadata=service["metadata"], spec=service["spec"],
                                opts=opts)
    data = keyspace_data(fleet)
    plan = k8s.core.v1.ConfigMap(f"{name}-keyspaces-plan", metadata={"name": KEYSPACES_CONFIGMAP,
                                                                      "namespace": NAMESPACE}, data=data, opts=opts)
    script = k8s.core.v1.ConfigMap(f"{name}-keyspaces-script", metadata={"name": SCRIPT_CONFIGMAP,
                                                                          "namespace": NAMESPACE},
                                   data={SCRIPT_KEY: KEYSPACES_SCRIPT}, opts=opts)
    declared: list[pulumi.Resource] = [seeds, plan, script, *declare_datacenter_sync(name, config, region, opts)]
    if not data:
        return declared
    policy = management_api_egress(config, region, JOB_LABELS, "keyspaces-management-api")
    egress = k8s.networking.v1.NetworkPolicy(f"{name}-keyspaces-egress", metadata=policy["metadata"],
                                             spec=policy["spec"], opts=opts)
    job = keyspace_job(config, region, job_name(data))
    keyspaces = k8s.batch.v1.Job(
        f"{name}-keyspaces", metadata=job["metadata"], spec=job["spec"],
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
            depends_on=[plan, script, egress], custom_timeouts=pulumi.CustomTimeouts(create="75m", update="75m"))))
    declared.append(egress)
    declared.append(keyspaces)
    if fleet.rebuild_from is not None:
        task = rebuild_task(region, fleet.rebuild_from)
        declared.append(k8s.apiextensions.CustomResource(
            f"{name}-rebuild", api_version="control.k8ssandra.io/v1alpha1", kind="CassandraTask",
            metadata=task["metadata"], spec=task["spec"],
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[keyspaces]))))
    return declared
