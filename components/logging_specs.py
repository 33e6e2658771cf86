"""The ECK custom resources of the logging stack, as pure functions of the config: Elasticsearch, Kibana, Filebeat.

Field names follow the ECK v3.5.0 CRDs (../shared/schemas/crds/{elasticsearch,kibana,beat}.k8s.elastic.co); zone
awareness is ECK's own `nodeSets[].zoneAwareness` (GA in ECK 3.4; pkg/apis/elasticsearch/v1/elasticsearch_types.go
at v3.5.0): the operator copies the node's zone label onto the pod, sets `node.attr.zone` from it and
`cluster.routing.allocation.awareness.attributes: k8s_node_name,zone` (pkg/controller/elasticsearch/settings/
merged_config.go), and spreads each nodeSet with maxSkew 1, DoNotSchedule (nodespec/podspec.go).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import pulumi

from components.config.logging import LoggingConfig, container_memory_gib
from components.contracts import ZONE_LABEL, ClusterRef, tolerations

NAMESPACE: Final = "logging"
OPERATOR_NAMESPACE: Final = "elastic-system"
ES_NAME: Final = "elasticsearch"
KIBANA_NAME: Final = "kibana"
BEAT_NAME: Final = "filebeat"
ES_SERVICE_ACCOUNT: Final = "elasticsearch"
BEAT_SERVICE_ACCOUNT: Final = "filebeat"
ILM_POLICY: Final = "meridian-logs"
DATA_VOLUME: Final = "elasticsearch-data"
"""ECK requires this claim name for the data volume (pvcNotMountedStatefulErrMsg in ECK's validations.go)."""
HTTP_PORT: Final = 9200
TRANSPORT_PORT: Final = 9300
KIBANA_PORT: Final = 5601
# Pod labels ECK sets (pkg/controller/{elasticsearch/label,kibana/label,beat/common}/label*.go at v3.5.0).
ES_CLUSTER_LABEL: Final = "elasticsearch.k8s.elastic.co/cluster-name"
ES_STATEFULSET_LABEL: Final = "elasticsearch.k8s.elastic.co/statefulset-name"
ES_POD_LABELS: Final = {ES_CLUSTER_LABEL: ES_NAME}
KIBANA_POD_LABELS: Final = {"kibana.k8s.elastic.co/name": KIBANA_NAME}
BEAT_POD_LABELS: Final = {"beat.k8s.elastic.co/name": BEAT_NAME}
# ECK-generated secrets and service (pkg/apis/elasticsearch/v1/name.go): `<es>-es-elastic-user`, `<es>-es-http`.
ELASTIC_USER_SECRET: Final = f"{ES_NAME}-es-elastic-user"
HTTP_CA_SECRET: Final = f"{ES_NAME}-es-http-certs-public"
ES_URL: Final = f"https://{ES_NAME}-es-http.{NAMESPACE}.svc:{HTTP_PORT}"
# The S3 repository reads the IRSA token only from its config directory (Elasticsearch docs, "S3 repository",
# IAM roles for Kubernetes service accounts); the token is projected straight there instead of symlinked.
S3_TOKEN_DIR: Final = "/usr/share/elasticsearch/config/repository-s3"
S3_TOKEN_FILE: Final = "aws-web-identity-token-file"


@dataclass(frozen=True, kw_only=True)
class Placement:
    """Where the stateful pods go: the zones, the data nodes' labels and taints, and the retained storage class."""

    region: str
    zones: tuple[str, ...]
    node_labels: Mapping[str, str]
    taints: tuple[dict[str, str], ...]
    storage_class: str

    @classmethod
    def of(cls, cluster: ClusterRef) -> Placement:
        """The placement a cluster's data node groups give."""
        return cls(region=cluster.region, zones=cluster.zones, node_labels=dict(cluster.data_node_labels),
                   taints=cluster.data_node_taints, storage_class=cluster.data_storage_class)

    def tolerations(self) -> list[dict[str, str]]:
        """Tolerations of the data nodes' taints."""
        return tolerations(self.taints)


def _zone_spread(labels: Mapping[str, str]) -> list[dict[str, Any]]:
    return [{"maxSkew": 1, "topologyKey": ZONE_LABEL, "whenUnsatisfiable": "DoNotSchedule",
             "labelSelector": {"matchLabels": dict(labels)}}]


def _node_set(name: str, count: int, roles: list[str], heap_gib: int, cpu: float, disk_gib: int,
              placement: Placement, role_arn: pulumi.Input[str]) -> dict[str, Any]:
    memory = f"{container_memory_gib(heap_gib)}Gi"
    statefulset = f"{ES_NAME}-es-{name}"
    env: list[dict[str, Any]] = [
        {"name": "ES_JAVA_OPTS", "value": f"-Xms{heap_gib}g -Xmx{heap_gib}g"},
        {"name": "AWS_ROLE_ARN", "value": role_arn},
        {"name": "AWS_WEB_IDENTITY_TOKEN_FILE", "value": f"{S3_TOKEN_DIR}/{S3_TOKEN_FILE}"},
        {"name": "AWS_REGION", "value": placement.region},
        {"name": "AWS_STS_REGIONAL_ENDPOINTS", "value": "regional"},
    ]
    return {
        "name": name,
        "count": count,
        "config": {"node.roles": roles},
        "zoneAwareness": {"topologyKey": ZONE_LABEL, "zones": list(placement.zones)},
        "resources": {"requests": {"cpu": f"{cpu:g}", "memory": memory}, "limits": {"memory": memory}},
        "podTemplate": {
            "metadata": {"labels": {"app.kubernetes.io/part-of": "meridian", "meridian.io/es-node-set": name}},
            "spec": {
                "serviceAccountName": ES_SERVICE_ACCOUNT,
                "nodeSelector": dict(placement.node_labels),
                "tolerations": placement.tolerations(),
                # Same as zoneAwareness' default, written out so the rendered CR shows the rule it relies on.
                "topologySpreadConstraints": _zone_spread({ES_CLUSTER_LABEL: ES_NAME,
                                                           ES_STATEFULSET_LABEL: statefulset}),
                # vm.max_map_count for mmapfs (ECK docs, "Virtual memory"); the data nodes' AMI keeps the default.
                "initContainers": [{"name": "sysctl", "command": ["sh", "-c", "sysctl -w vm.max_map_count=262144"],
                                    "securityContext": {"privileged": True, "runAsUser": 0}}],
                "containers": [{"name": "elasticsearch", "env": env, "volumeMounts": [
                    {"name": "aws-iam-token", "mountPath": S3_TOKEN_DIR, "readOnly": True}]}],
                "volumes": [{"name": "aws-iam-token", "projected": {"sources": [{"serviceAccountToken": {
                    "audience": "sts.amazonaws.com", "expirationSeconds": 86400, "path": S3_TOKEN_FILE}}]}}],
            },
        },
        "volumeClaimTemplates": [{
            "metadata": {"name": DATA_VOLUME},
            "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": placement.storage_class,
                     "resources": {"requests": {"storage": f"{disk_gib}Gi"}}},
        }],
    }


def elasticsearch_spec(config: LoggingConfig, placement: Placement, role_arn: pulumi.Input[str]) -> dict[str, Any]:
    """Dedicated masters (one per zone) and zone-aware data/ingest nodes on the data node groups.

    `podDisruptionBudget` is left unset: ECK's default budget (Basic license) lets no pod go unless the cluster
    is green, so a drain never takes a second copy of a shard. PVCs survive the CR's deletion.
    """
    return {
        "version": config.elasticsearch_version,
        "volumeClaimDeletePolicy": "DeleteOnScaledownOnly",
        "nodeSets": [
            _node_set("master", config.master_nodes, ["master"], config.master_heap_gib, config.master_cpu,
                      config.master_disk_gib, placement, role_arn),
            _node_set("data", config.data_nodes, ["data", "ingest"], config.data_heap_gib, config.data_cpu,
                      config.data_disk_gib, placement, role_arn),
        ],
    }


def kibana_spec(config: LoggingConfig) -> dict[str, Any]:
    """Kibana on the system nodes, its replicas spread across zones, connected to the cluster by ECK."""
    return {
        "version": config.elasticsearch_version,
        "count": config.kibana_replicas,
        "elasticsearchRef": {"name": ES_NAME},
        "podTemplate": {"spec": {
            "topologySpreadConstraints": _zone_spread(KIBANA_POD_LABELS),
            "containers": [{"name": "kibana", "resources": {"requests": {"cpu": "500m", "memory": "1Gi"},
                                                            "limits": {"memory": "1Gi"}}}],
        }},
    }


def beat_spec(config: LoggingConfig, placement: Placement) -> dict[str, Any]:
    """Filebeat as a DaemonSet on every node (data nodes included), shipping every container's log.

    Autodiscover's kubernetes provider adds pod, namespace and node metadata to each event (the recipe
    config/recipes/beats/filebeat_autodiscover.yaml at ECK v3.5.0). Filebeat loads its index template with the
    configured shards and replicas and names the ILM policy the setup job owns (`setup.ilm.*`, Beats reference
    "Configure index lifecycle management"); `overwrite: false` leaves that policy to the job.
    """
    log_dirs = ("/var/log/containers", "/var/log/pods")
    return {
        "type": "filebeat",
        "version": config.elasticsearch_version,
        "elasticsearchRef": {"name": ES_NAME},
        "config": {
            "filebeat": {"autodiscover": {"providers": [{
                "type": "kubernetes", "node": "${NODE_NAME}",
                "hints": {"enabled": True, "default_config": {
                    "type": "filestream",
                    "id": "kubernetes-container-logs-${data.kubernetes.pod.name}-${data.kubernetes.container.id}",
                    "paths": ["/var/log/containers/*${data.kubernetes.container.id}.log"],
                    "parsers": [{"container": {}}],
                    "prospector": {"scanner": {"fingerprint.enabled": True, "symlinks": True}},
                    "file_identity.fingerprint": {},
                }},
            }]}},
            "processors": [{"add_cloud_metadata": {}}, {"add_host_metadata": {}}],
            "setup": {
                "ilm": {"enabled": True, "policy_name": ILM_POLICY, "check_exists": True, "overwrite": False},
                "template": {"settings": {"index": {"number_of_shards": config.index_shards,
                                                    "number_of_replicas": config.index_replicas}}},
            },
        },
        "daemonSet": {"podTemplate": {"spec": {
            "serviceAccountName": BEAT_SERVICE_ACCOUNT,
            "automountServiceAccountToken": True,
            "terminationGracePeriodSeconds": 30,
            "tolerations": placement.tolerations(),
            "containers": [{
                "name": "filebeat",
                # Root reads the node's log files; the pod stays off the host network so policies apply.
                "securityContext": {"runAsUser": 0},
                "env": [{"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
                "resources": {"requests": {"cpu": "100m", "memory": "200Mi"}, "limits": {"memory": "400Mi"}},
                "volumeMounts": [{"name": path.rsplit("/", 1)[1], "mountPath": path, "readOnly": True}
                                 for path in log_dirs],
            }],
            "volumes": [{"name": path.rsplit("/", 1)[1], "hostPath": {"path": path}} for path in log_dirs],
        }}},
    }
