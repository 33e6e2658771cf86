"""What the logging stack configures inside Elasticsearch, and the charts' values.

ECK 3.x's StackConfigPolicy would declare the snapshot repository, SLM and ILM policies, but it needs an Enterprise
licence; here a Job (re-run whenever its payload changes) PUTs them through the Elasticsearch API with the
ECK-generated `elastic` user, trusting the ECK-generated HTTP CA. Every payload is built with json.dumps.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, Final

from components.config.logging import LoggingConfig
from components.contracts import ZONE_LABEL
from components.logging_specs import (
    ELASTIC_USER_SECRET,
    ES_URL,
    HTTP_CA_SECRET,
    ILM_POLICY,
    NAMESPACE,
)
from components.namespaces import NON_ROOT_UID

SNAPSHOT_REPOSITORY: Final = "s3-snapshots"
SNAPSHOT_POLICY: Final = "nightly-snapshots"
SNAPSHOT_PREFIX: Final = "elasticsearch"
"""`base_path` of the repository in the bucket; the IRSA policy is scoped to it."""
SETUP_NAME: Final = "elasticsearch-setup"
SETUP_POD_LABELS: Final = {"app.kubernetes.io/name": SETUP_NAME}
EXPORTER_RELEASE: Final = "prometheus-elasticsearch-exporter"
EXPORTER_PORT: Final = 9108
EXPORTER_PORT_NAME: Final = "http"
# The chart's selector labels: elasticsearch-exporter.selectorLabels in templates/_helpers.tpl (chart 7.4.0).
EXPORTER_LABELS: Final = {"app.kubernetes.io/name": "prometheus-elasticsearch-exporter",
                          "app.kubernetes.io/instance": EXPORTER_RELEASE}
OPERATOR_RELEASE: Final = "eck-operator"
WEBHOOK_PORT: Final = 9443
"""The operator's validating webhook (eck-operator values `webhook.port`)."""


def repository_body(bucket: str) -> dict[str, Any]:
    """The S3 snapshot repository; credentials come from the pods' IRSA token, encryption from the bucket's key."""
    return {"type": "s3", "settings": {"bucket": bucket, "base_path": SNAPSHOT_PREFIX}}


def ilm_policy_body(config: LoggingConfig) -> dict[str, Any]:
    """Roll log indices over daily (or at 50 GB per primary), delete them `retention_days` after rollover."""
    return {"policy": {
        "_meta": {"managed_by": "meridian"},
        "phases": {
            "hot": {"min_age": "0ms", "actions": {
                "rollover": {"max_age": "1d", "max_primary_shard_size": "50gb"},
                "set_priority": {"priority": 100}}},
            "delete": {"min_age": f"{config.retention_days}d", "actions": {"delete": {}}},
        },
    }}


def slm_policy_body(config: LoggingConfig) -> dict[str, Any]:
    """Snapshot every index and the cluster state on the schedule; keep `snapshot_retention_days` (5..100)."""
    return {
        "schedule": config.snapshot_schedule,
        "name": "<nightly-{now/d}>",
        "repository": SNAPSHOT_REPOSITORY,
        "config": {"indices": ["*"], "include_global_state": True},
        "retention": {"expire_after": f"{config.snapshot_retention_days}d", "min_count": 5, "max_count": 100},
    }


SETUP_SCRIPT: Final = f"""#!/bin/sh
# Registers the snapshot repository, the ILM and SLM policies (PUTs are idempotent).
set -eu
ES="{ES_URL}"
auth() {{ printf 'user = "elastic:%s"\\n' "$(cat /elastic-user/elastic)"; }}
until auth | curl -sS --fail --config - --cacert /certs/ca.crt -o /dev/null \\
    "$ES/_cluster/health?wait_for_status=yellow&timeout=30s"; do
  echo "waiting for Elasticsearch"; sleep 10
done
put() {{
  code=$(auth | curl -sS --config - --cacert /certs/ca.crt -o /tmp/response -w '%{{http_code}}' -X PUT \\
    -H 'Content-Type: application/json' --data-binary "@/setup/$2" "$ES/$1")
  cat /tmp/response; echo
  case "$code" in 2*) ;; *) echo "PUT $1 failed: HTTP $code"; exit 1 ;; esac
}}
put "_snapshot/{SNAPSHOT_REPOSITORY}" repository.json
put "_ilm/policy/{ILM_POLICY}" ilm-policy.json
put "_slm/policy/{SNAPSHOT_POLICY}" slm-policy.json
"""


def setup_files(config: LoggingConfig, bucket: str) -> dict[str, str]:
    """The setup ConfigMap's data: the three JSON bodies and the script."""
    def dump(body: Mapping[str, Any]) -> str:
        return json.dumps(body, indent=2, sort_keys=True) + "\n"

    return {"repository.json": dump(repository_body(bucket)), "ilm-policy.json": dump(ilm_policy_body(config)),
            "slm-policy.json": dump(slm_policy_body(config)), "setup.sh": SETUP_SCRIPT}


def files_hash(files: Mapping[str, str]) -> str:
    """A short digest of the setup files: the Job's pod template carries it, so a change re-runs the Job."""
    return hashlib.sha256(json.dumps(dict(files), sort_keys=True).encode()).hexdigest()[:16]


def setup_job_spec(config: LoggingConfig, config_map: str, digest: Any) -> dict[str, Any]:
    """A run-to-completion pod (the Elasticsearch image has curl), restricted security context."""
    return {
        "backoffLimit": 6,
        "activeDeadlineSeconds": 3600,
        "template": {
            "metadata": {"labels": dict(SETUP_POD_LABELS), "annotations": {"meridian.io/setup-hash": digest}},
            "spec": {
                "restartPolicy": "OnFailure",
                "automountServiceAccountToken": False,
                "securityContext": {"runAsNonRoot": True, "runAsUser": NON_ROOT_UID, "runAsGroup": NON_ROOT_UID,
                                    "seccompProfile": {"type": "RuntimeDefault"}},
                "containers": [{
                    "name": "setup",
                    "image": f"docker.elastic.co/elasticsearch/elasticsearch:{config.elasticsearch_version}",
                    "imagePullPolicy": "Always",
                    "command": ["/bin/sh", "/setup/setup.sh"],
                    "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                        "capabilities": {"drop": ["ALL"]}},
                    "resources": {"requests": {"cpu": "50m", "memory": "64Mi"},
                                  "limits": {"cpu": "200m", "memory": "128Mi"}},
                    "volumeMounts": [{"name": "setup", "mountPath": "/setup", "readOnly": True},
                                     {"name": "elastic-user", "mountPath": "/elastic-user", "readOnly": True},
                                     {"name": "ca", "mountPath": "/certs", "readOnly": True},
                                     {"name": "tmp", "mountPath": "/tmp"}],
                }],
                "volumes": [{"name": "setup", "configMap": {"name": config_map}},
                            {"name": "ca", "secret": {"secretName": HTTP_CA_SECRET}},
                            {"name": "elastic-user", "secret": {"secretName": ELASTIC_USER_SECRET,
                                                                "defaultMode": 0o400}},
                            {"name": "tmp", "emptyDir": {"sizeLimit": "16Mi"}}],
            },
        },
    }


def operator_values(replicas: int = 2) -> dict[str, Any]:
    """eck-operator values (keys from its values.yaml, chart 3.5.0): CRDs through the eck-operator-crds subchart.

    The CRDs carry `helm.sh/resource-policy: keep` (eck-operator-crds/templates/all-crds.yaml), so an uninstall
    leaves the clusters in place. The operator manages only the logging namespace; leader election makes the
    second replica a warm standby.
    """
    selector = {"app.kubernetes.io/name": "elastic-operator", "app.kubernetes.io/instance": OPERATOR_RELEASE}
    return {
        "installCRDs": True,
        "replicaCount": replicas,
        "managedNamespaces": [NAMESPACE],
        "podDisruptionBudget": {"enabled": True, "minAvailable": 1},
        "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
            "weight": 100, "podAffinityTerm": {"topologyKey": ZONE_LABEL,
                                               "labelSelector": {"matchLabels": selector}}}]}},
        "webhook": {"enabled": True, "port": WEBHOOK_PORT},
        # zoneAwareness needs the zone label exposed to pods (ECK validations.go, notAllowedNodesLabelMsg).
        "config": {"exposedNodeLabels": ["topology.kubernetes.io/.*"], "enableLeaderElection": True},
    }


def exporter_values() -> dict[str, Any]:
    """prometheus-elasticsearch-exporter values (chart 7.4.0 values.yaml): HTTPS to the cluster, elastic user.

    `ES_USERNAME`/`ES_PASSWORD` override URI credentials (elasticsearch_exporter README, v1.11.0). The chart's
    ServiceMonitor stays off: the monitoring component builds it from this component's contract.
    """
    return {
        "replicaCount": 1,
        "es": {
            "uri": ES_URL, "all": True, "indices": True, "indices_settings": True, "indices_mappings": False,
            "shards": True, "snapshots": True, "slm": True, "ilm": True, "data_stream": True,
            "cluster_settings": True, "timeout": "30s", "sslSkipVerify": False,
            "ssl": {"enabled": True, "useExistingSecrets": True, "ca": {"path": "/ssl/ca.crt"},
                    "client": {"enabled": False}},
        },
        "secretMounts": [{"name": "es-http-ca", "secretName": HTTP_CA_SECRET, "path": "/ssl"}],
        "env": {"ES_USERNAME": "elastic"},
        "extraEnvSecrets": {"ES_PASSWORD": {"secret": ELASTIC_USER_SECRET, "key": "elastic"}},
        "service": {"httpPort": EXPORTER_PORT, "metricsPort": {"name": EXPORTER_PORT_NAME}},
        "serviceMonitor": {"enabled": False},
        "podMonitor": {"enabled": False},
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
    }

