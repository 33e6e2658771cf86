"""Keeps each region's `spec.externalDatacenters` up to date with the datacenters that joined after it.

k8ssandra-operator v1.32.5 sets system_auth, system_distributed, system_traces (controllers/k8ssandra/schemas.go
`updateReplicationOfSystemKeyspaces`) and reaper_db (controllers/k8ssandra/reaper.go) to exactly
`ComputeReplicationFromDatacenters(3, spec.externalDatacenters, own datacenters)` (pkg/cassandra/util.go) and
compares for an exact match, so an earlier region's operator, which only knows the datacenters before it, would
drop later datacenters from those keyspaces on every reconcile (for system_auth Cassandra 4.1 refuses while the
datacenter has nodes, so that operator would fail every reconcile). A later stack must not change an earlier one.

So every region runs `cassandra-fleet-datacenters`, a CronJob (every 5 minutes) that reads the datacenters its own
nodes gossip with from the local Management API (`GET /api/v0/metadata/endpoints` -> `{"entity": [{"DC": ...},
...]}`, one entry per endpoint this node knows, dead ones included; management-api v0.1.122
MetadataResources.java, CassandraAPI41x.getEndpointStates; cass-operator reads the same `DC` field,
pkg/httphelper/client.go `EndpointState`) and ADDS the ones other than its own to its own K8ssandraCluster's
`spec.externalDatacenters` (JSON merge patch, optimistic on resourceVersion). It never removes one: a node that just
restarted may not yet know every peer's DC, and dropping a live datacenter from system_auth is exactly the failure
above. Retiring a region is a runbook step (remove it from each remaining region's `externalDatacenters` after
`nodetool removenode`). Note the operator also marks a datacenter `skip-user-creation` once `externalDatacenters`
is non-empty (controllers/k8ssandra/dcconfigs.go); the fleet's users come from the shared Secrets, so nothing is lost.

Its ServiceAccount may get and patch that one K8ssandraCluster (`resourceNames`), nothing else. The K8ssandraCluster
ignores changes to `spec.externalDatacenters` (components/cassandra.py), so Pulumi never fights the sync.
"""

from __future__ import annotations

from typing import Any, Final

import pulumi
import pulumi_kubernetes as k8s

from components.cassandra_spec import MANAGEMENT_API_PORT, NAMESPACE, cluster_labels
from components.config.cassandra import CassandraConfig
from components.namespaces import IMAGE_TAG_NOT_DIGEST, NON_ROOT_UID

CURL_IMAGE: Final = "curlimages/curl:8.11.1"
"""curl and BusyBox sh/awk/sed (Alpine), for the keyspace Job and the sync; run as NON_ROOT_UID."""
SYNC_NAME: Final = "cassandra-fleet-datacenters"
SYNC_KEY: Final = "sync.sh"
SYNC_SCHEDULE: Final = "*/5 * * * *"
FIELD_MANAGER: Final = "meridian-fleet-datacenters"
SYNC_LABELS: Final = {"app.kubernetes.io/name": SYNC_NAME, "app.kubernetes.io/part-of": "meridian"}

SYNC_SCRIPT: Final = r"""#!/bin/sh
# Add every datacenter this node gossips with (other than LOCAL_DC) to the K8ssandraCluster's externalDatacenters;
# never remove one. Env: MGMT_URL LOCAL_DC CLUSTER NAMESPACE KUBE_API FIELD_MANAGER SA_DIR.
set -eu
fail() { echo "fleet-datacenters: $*" >&2; exit 1; }
kube() {
  curl -sS --fail-with-body --max-time 30 --cacert "$SA_DIR/ca.crt" -H "Authorization: Bearer $(cat "$SA_DIR/token")" \
    "$@"
}
url="$KUBE_API/apis/k8ssandra.io/v1alpha1/namespaces/$NAMESPACE/k8ssandraclusters/$CLUSTER"

endpoints=$(curl -sS --fail-with-body --max-time 30 "$MGMT_URL/api/v0/metadata/endpoints") \
  || fail "reading endpoints from $MGMT_URL failed: $endpoints"
seen=$(printf '%s' "$endpoints" | grep -o '"DC" *: *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/' | sort -u)
printf '%s\n' "$seen" | grep -qx "$LOCAL_DC" || fail "the endpoints do not include $LOCAL_DC itself: $endpoints"
for dc in $seen; do
  case "$dc" in *[!a-z0-9-]*) fail "bad datacenter name '$dc'" ;; esac
done

cluster=$(kube "$url") || fail "reading K8ssandraCluster $NAMESPACE/$CLUSTER failed: $cluster"
version=$(printf '%s' "$cluster" | grep -o '"resourceVersion" *: *"[0-9]*"' | head -n 1 | grep -o '[0-9][0-9]*') \
  || true
[ -n "$version" ] || fail "K8ssandraCluster $NAMESPACE/$CLUSTER has no resourceVersion"
current=$(printf '%s' "$cluster" | sed -n 's/.*"externalDatacenters" *: *\[\([^]]*\)\].*/\1/p' | tr -d '" \t' \
  | tr ',' '\n' | sed '/^$/d')
missing=$(printf '%s\n' "$seen" | awk -v local="$LOCAL_DC" -v have="$(printf '%s' "$current" | tr '\n' ',')" '
  BEGIN { n = split(have, list, ","); for (i = 1; i <= n; i++) known[list[i]] = 1 }
  $0 != "" && $0 != local && !($0 in known) { print }')
if [ -z "$missing" ]; then
  echo "externalDatacenters unchanged: $(printf '%s ' $current)"
  exit 0
fi
wanted=$(printf '%s\n%s\n' "$current" "$missing" | sed '/^$/d')
list=$(printf '%s\n' "$wanted" | awk '{ printf "%s\"%s\"", sep, $0; sep = "," }')
patch="{\"metadata\":{\"resourceVersion\":\"$version\"},\"spec\":{\"externalDatacenters\":[$list]}}"
res=$(kube -X PATCH -H 'Content-Type: application/merge-patch+json' --data "$patch" \
  "$url?fieldManager=$FIELD_MANAGER") || fail "patching externalDatacenters failed (retried next run): $res"
echo "externalDatacenters now: $(printf '%s ' $wanted)"
"""


def management_api_url(config: CassandraConfig, region: str) -> str:
    """The Management API of the datacenter's ready pods: cass-operator's `<cluster>-<dc>-service` has port
    `mgmt-api` 8080 (pkg/reconciliation/construct_service.go at v1.30.3). Plain HTTP (see cassandra_keyspaces)."""
    return f"http://{config.cluster_name}-{region}-service.{NAMESPACE}.svc:{MANAGEMENT_API_PORT}"


def management_api_egress(config: CassandraConfig, region: str, pod_labels: dict[str, str],
                          name: str) -> dict[str, Any]:
    """NetworkPolicy `allow-<name>`: the labelled pods may reach this datacenter's Cassandra pods on 8080."""
    return {
        "metadata": {"name": f"allow-{name}", "namespace": NAMESPACE,
                     "labels": {"app.kubernetes.io/part-of": "meridian"}},
        "spec": {"podSelector": {"matchLabels": dict(pod_labels)}, "policyTypes": ["Egress"],
                 "egress": [{"to": [{"podSelector": {"matchLabels": cluster_labels(config, region)}}],
                             "ports": [{"port": MANAGEMENT_API_PORT, "protocol": "TCP"}]}]},
    }


def sync_role(config: CassandraConfig) -> dict[str, Any]:
    """Get and patch this region's K8ssandraCluster only."""
    return {"metadata": {"name": SYNC_NAME, "namespace": NAMESPACE},
            "rules": [{"apiGroups": ["k8ssandra.io"], "resources": ["k8ssandraclusters"],
                       "resourceNames": [config.cluster_name], "verbs": ["get", "patch"]}]}


def sync_cronjob(config: CassandraConfig, region: str) -> dict[str, Any]:
    """The CronJob (restricted pod security; its token only for the API server)."""
    sa_dir = "/var/run/secrets/kubernetes.io/serviceaccount"
    env = {"MGMT_URL": management_api_url(config, region), "LOCAL_DC": region, "CLUSTER": config.cluster_name,
           "NAMESPACE": NAMESPACE, "KUBE_API": "https://kubernetes.default.svc", "FIELD_MANAGER": FIELD_MANAGER,
           "SA_DIR": sa_dir, "HOME": "/tmp"}
    container = {
        "name": "sync", "image": CURL_IMAGE, "imagePullPolicy": "Always", "command": ["sh", f"/scripts/{SYNC_KEY}"],
        "env": [{"name": key, "value": value} for key, value in env.items()],
        "resources": {"requests": {"cpu": "20m", "memory": "16Mi"}, "limits": {"cpu": "100m", "memory": "32Mi"}},
        "securityContext": {"runAsNonRoot": True, "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]}},
        "volumeMounts": [{"name": "script", "mountPath": "/scripts", "readOnly": True},
                         {"name": "tmp", "mountPath": "/tmp"}],
    }
    pod = {
        "serviceAccountName": SYNC_NAME, "automountServiceAccountToken": True, "restartPolicy": "Never",
        "securityContext": {"runAsNonRoot": True, "runAsUser": NON_ROOT_UID, "runAsGroup": NON_ROOT_UID,
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [container],
        "volumes": [{"name": "script", "configMap": {"name": SYNC_NAME}},
                    {"name": "tmp", "emptyDir": {"sizeLimit": "8Mi"}}],
    }
    return {
        "metadata": {"name": SYNC_NAME, "namespace": NAMESPACE, "labels": dict(SYNC_LABELS),
                     "annotations": {**IMAGE_TAG_NOT_DIGEST, "checkov.io/skip2": (
                         "CKV_K8S_38=The job patches its own K8ssandraCluster through the API server; its Role "
                         "allows get/patch on that one object only")}},
        "spec": {"schedule": SYNC_SCHEDULE, "timeZone": "Etc/UTC", "concurrencyPolicy": "Forbid",
                 "startingDeadlineSeconds": 240, "successfulJobsHistoryLimit": 1, "failedJobsHistoryLimit": 3,
                 "jobTemplate": {"spec": {"backoffLimit": 0, "activeDeadlineSeconds": 240,
                                          "ttlSecondsAfterFinished": 3600,
                                          "template": {"metadata": {"labels": dict(SYNC_LABELS)}, "spec": pod}}}},
    }


def declare_datacenter_sync(name: str, config: CassandraConfig, region: str,
                            opts: pulumi.ResourceOptions) -> list[pulumi.Resource]:
    """ServiceAccount, Role and binding, script, egress policy and CronJob of the external-datacenter sync."""
    meta: k8s.meta.v1.ObjectMetaArgsDict = {"name": SYNC_NAME, "namespace": NAMESPACE, "labels": dict(SYNC_LABELS)}
    account = k8s.core.v1.ServiceAccount(f"{name}-fleet-dcs-account", metadata=meta,
                                         automount_service_account_token=False, opts=opts)
    role_spec = sync_role(config)
    role = k8s.rbac.v1.Role(f"{name}-fleet-dcs-role", metadata=role_spec["metadata"], rules=role_spec["rules"],
                            opts=opts)
    binding = k8s.rbac.v1.RoleBinding(
        f"{name}-fleet-dcs-binding", metadata=meta,
        role_ref={"api_group": "rbac.authorization.k8s.io", "kind": "Role", "name": SYNC_NAME},
        subjects=[{"kind": "ServiceAccount", "name": SYNC_NAME, "namespace": NAMESPACE}], opts=opts)
    script = k8s.core.v1.ConfigMap(f"{name}-fleet-dcs-script", metadata=meta, data={SYNC_KEY: SYNC_SCRIPT},
                                   opts=opts)
    policy = management_api_egress(config, region, SYNC_LABELS, SYNC_NAME)
    egress = k8s.networking.v1.NetworkPolicy(f"{name}-fleet-dcs-egress", metadata=policy["metadata"],
                                             spec=policy["spec"], opts=opts)
    cron = sync_cronjob(config, region)
    job = k8s.batch.v1.CronJob(
        f"{name}-fleet-dcs", metadata=cron["metadata"], spec=cron["spec"],
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
            depends_on=[account, role, binding, script, egress])))
    return [account, role, binding, script, egress, job]
