"""ELK on ECK (`meridian:logging:Logging`): Elasticsearch, Kibana and Filebeat, snapshots to S3 through IRSA.

The ECK operator (pinned eck-operator chart, CRDs from its eck-operator-crds subchart) runs in `elastic-system`;
the stack runs in `logging`: three dedicated masters (one per zone) and zone-aware data nodes on the data node
groups, Kibana, Filebeat on every node writing straight to Elasticsearch (no Logstash: Filebeat's own parsers and
ingest pipelines cover container logs, one hop less to run and to secure), a setup Job registering the snapshot
repository and the ILM/SLM policies, and elasticsearch_exporter for Prometheus.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, cast

import pulumi
import pulumi_kubernetes as k8s

from components.backup_bucket import BackupBucket, BackupBucketArgs
from components.config.logging import LoggingConfig
from components.contracts import ClusterRef, MonitoringContract, ScrapeTarget, SloSpec
from components.helm import helm_release
from components.irsa import irsa_role
from components.logging_setup import (
    EXPORTER_LABELS,
    EXPORTER_PORT,
    EXPORTER_PORT_NAME,
    EXPORTER_RELEASE,
    OPERATOR_RELEASE,
    SETUP_NAME,
    SETUP_POD_LABELS,
    SNAPSHOT_PREFIX,
    WEBHOOK_PORT,
    exporter_values,
    files_hash,
    operator_values,
    setup_files,
    setup_job_spec,
)
from components.logging_specs import (
    BEAT_NAME,
    BEAT_POD_LABELS,
    BEAT_SERVICE_ACCOUNT,
    ES_NAME,
    ES_POD_LABELS,
    ES_SERVICE_ACCOUNT,
    ES_URL,
    HTTP_PORT,
    KIBANA_NAME,
    KIBANA_POD_LABELS,
    KIBANA_PORT,
    NAMESPACE,
    OPERATOR_NAMESPACE,
    TRANSPORT_PORT,
    Placement,
    beat_spec,
    elasticsearch_spec,
    kibana_spec,
)
from components.namespaces import IMAGE_TAG_NOT_DIGEST, Flow, namespace, network_policies, prometheus_scrape
from components.versions import check_chart_version

COMPONENT: Final = "logging"
# Over elasticsearch_exporter v1.11.0 metrics (metrics.md and collector/*.go at tag v1.11.0):
# heap_used_ratio = elasticsearch_jvm_memory_used_bytes{area="heap"} / elasticsearch_jvm_memory_max_bytes{area="heap"};
# disk_watermark_high_ratio = 1 - elasticsearch_filesystem_data_available_bytes
#   / elasticsearch_filesystem_data_size_bytes;
# unassigned_shards = elasticsearch_cluster_health_unassigned_shards - ..._delayed_unassigned_shards. The exporter has
# no per-request search error counter, so search_availability is time-based: the share of exporter scrapes at which
# Elasticsearch answered (the clustersettings collector's elasticsearch_scrape_success) and was not red
# (alerts/templates/elasticsearch.yaml.j2).
DEFAULT_THRESHOLDS: Final = {
    "heap_used_ratio": 0.85,
    # Elasticsearch's default high disk watermark (cluster.routing.allocation.disk.watermark.high: 90%).
    "disk_watermark_high_ratio": 0.9,
    "unassigned_shards": 0.0,
}
DEFAULT_SLOS: Final = (SloSpec(name="search_availability", objective=0.999,
                               description="Share of time Elasticsearch answers and is not red, so searches over "
                                           "every index can succeed (per exporter scrape, over 30 days)."),)
ANYWHERE: Final = "0.0.0.0/0"


@dataclass(frozen=True, kw_only=True)
class LoggingArgs:
    """Inputs of the logging component."""

    config: LoggingConfig
    """The validated `meridian:logging` section."""
    cluster: ClusterRef
    """Cluster to deploy on: provider, zones, data node labels, taints and storage class, OIDC for IRSA."""
    vpc_cidr: str
    """The API server (webhook calls, Filebeat's watches) and pod IPs live in it."""
    tags: Mapping[str, str]
    """Base tags of the stack, merged onto the bucket, key and IAM role."""
    protect_stateful: bool = True
    """Protect the snapshot bucket and key, the Elasticsearch CR and the operator release from deletion."""


def _flows(config: LoggingConfig) -> list[Flow]:
    """Ingress of the logging namespace besides its default deny (in-namespace flows spelled out for review)."""
    to_es = dict(ES_POD_LABELS)
    flows = [
        Flow(name="es-transport", ports=(TRANSPORT_PORT,), from_pod_labels=to_es, to_pod_labels=to_es),
        Flow(name="es-http-from-kibana", ports=(HTTP_PORT,), from_pod_labels=KIBANA_POD_LABELS, to_pod_labels=to_es),
        Flow(name="es-http-from-filebeat", ports=(HTTP_PORT,), from_pod_labels=BEAT_POD_LABELS, to_pod_labels=to_es),
        Flow(name="es-http-from-exporter", ports=(HTTP_PORT,), from_pod_labels=EXPORTER_LABELS, to_pod_labels=to_es),
        Flow(name="es-http-from-setup", ports=(HTTP_PORT,), from_pod_labels=SETUP_POD_LABELS, to_pod_labels=to_es),
        Flow(name="es-http-from-eck-operator", ports=(HTTP_PORT,), from_namespaces=(OPERATOR_NAMESPACE,),
             to_pod_labels=to_es),
        prometheus_scrape((EXPORTER_PORT,), EXPORTER_LABELS),
    ]
    if config.client_namespaces:
        flows.append(Flow(name="es-http-from-clients", ports=(HTTP_PORT,), from_namespaces=config.client_namespaces,
                          to_pod_labels=to_es))
    if config.kibana_namespaces:
        flows.append(Flow(name="kibana-from-clients", ports=(KIBANA_PORT,), from_namespaces=config.kibana_namespaces,
                          to_pod_labels=KIBANA_POD_LABELS))
    return flows


class Logging(pulumi.ComponentResource):
    """The logging stack of one region. Exposes `contract` and `elasticsearch_url`."""

    contract: MonitoringContract
    elasticsearch_url: str

    def __init__(self, name: str, args: LoggingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("meridian:logging:Logging", name, None, opts)
        config, cluster = args.config, args.cluster
        provider, placement = cluster.provider, Placement.of(cluster)
        self._provider = provider

        operator_ns = namespace(f"{name}-operator-namespace", OPERATOR_NAMESPACE, provider=provider, parent=self)
        operator_policies = network_policies(
            f"{name}-operator", operator_ns.metadata.name, provider=provider, parent=self,
            flows=[Flow(name="webhook-from-api-server", ports=(WEBHOOK_PORT,), from_cidrs=(args.vpc_cidr,))],
            egress_cidrs={args.vpc_cidr: (443, HTTP_PORT)})
        operator = helm_release(
            f"{name}-eck-operator", chart_name="eck-operator", namespace=operator_ns.metadata.name,
            version=check_chart_version("meridian:logging.chart_version", "eck-operator", config.chart_version),
            values=operator_values(), release_name=OPERATOR_RELEASE, provider=provider, parent=self,
            protect=args.protect_stateful, depends_on=operator_policies)

        ns = namespace(f"{name}-namespace", NAMESPACE, provider=provider, parent=self, protect=args.protect_stateful)
        ns_name = ns.metadata.name
        policies = network_policies(name, ns_name, flows=_flows(config), provider=provider, parent=self,
                                    egress_cidrs={args.vpc_cidr: (443,), ANYWHERE: (443,)})
        ready: list[pulumi.Resource] = [operator, *policies]

        bucket = BackupBucket(f"{name}-snapshots", BackupBucketArgs(
            purpose="elasticsearch-snapshots", region=cluster.region, tags=args.tags, component=COMPONENT,
            protect=args.protect_stateful), pulumi.ResourceOptions(parent=self))
        role = irsa_role(f"{name}-snapshots-irsa", oidc_provider_arn=cluster.oidc_provider_arn,
                         oidc_issuer=cluster.oidc_issuer, namespace=NAMESPACE, service_account=ES_SERVICE_ACCOUNT,
                         policy=bucket.access_policy(f"{SNAPSHOT_PREFIX}/"), tags=args.tags, component=COMPONENT,
                         parent=self)
        es_account = k8s.core.v1.ServiceAccount(
            f"{name}-es-service-account", automount_service_account_token=False,
            metadata={"name": ES_SERVICE_ACCOUNT, "namespace": ns_name,
                      "annotations": {"eks.amazonaws.com/role-arn": role.arn}},
            opts=self._opts())

        es = self._custom(f"{name}-elasticsearch", "elasticsearch.k8s.elastic.co/v1", "Elasticsearch", ES_NAME,
                          ns_name, elasticsearch_spec(config, placement, role.arn), [*ready, es_account],
                          protect=args.protect_stateful)
        self._custom(f"{name}-kibana", "kibana.k8s.elastic.co/v1", "Kibana", KIBANA_NAME, ns_name,
                     kibana_spec(config), [*ready, es])
        beat_rbac = self._beat_rbac(name, ns_name)
        self._custom(f"{name}-filebeat", "beat.k8s.elastic.co/v1beta1", "Beat", BEAT_NAME, ns_name,
                     beat_spec(config, placement), [*ready, es, *beat_rbac])

        files = bucket.bucket_name.apply(lambda bucket_name: setup_files(config, bucket_name))
        setup_config = k8s.core.v1.ConfigMap(
            f"{name}-setup-config", metadata={"name": SETUP_NAME, "namespace": ns_name}, data=files,
            opts=self._opts())
        k8s.batch.v1.Job(
            f"{name}-setup", metadata={"name": SETUP_NAME, "namespace": ns_name,
                                       "annotations": dict(IMAGE_TAG_NOT_DIGEST)},
            spec=cast(k8s.batch.v1.JobSpecArgsDict, setup_job_spec(config, SETUP_NAME, files.apply(files_hash))),
            opts=self._opts([es, setup_config, *policies], pulumi.CustomTimeouts(create="60m", update="60m")))

        helm_release(
            f"{name}-exporter", chart_name="prometheus-elasticsearch-exporter", namespace=ns_name,
            version=check_chart_version("meridian:logging.exporter_chart_version",
                                        "prometheus-elasticsearch-exporter", config.exporter_chart_version),
            values=exporter_values(), release_name=EXPORTER_RELEASE, provider=provider, parent=self,
            depends_on=[*policies, es])

        self.elasticsearch_url = ES_URL
        self.contract = MonitoringContract(
            kind="elasticsearch", region=cluster.region, cluster=cluster.cluster_name, namespace=NAMESPACE,
            scrape=(ScrapeTarget(kind="ServiceMonitor", job="elasticsearch-exporter", namespace=NAMESPACE,
                                 selector=dict(EXPORTER_LABELS), port=EXPORTER_PORT_NAME,
                                 exporter_cluster_label="es_cluster"),),
            # prometheus-community/elasticsearch_exporter v1.11.0 (metric names: its metrics.md).
            exporter="elasticsearch_exporter",
            thresholds={**DEFAULT_THRESHOLDS, **config.monitoring.thresholds},
            slos=tuple(SloSpec(name=slo.name, objective=slo.objective, description=slo.description)
                       for slo in config.monitoring.slos) or DEFAULT_SLOS,
            replicas=config.master_nodes + config.data_nodes,
            labels={"es_cluster": ES_NAME})
        self.register_outputs({"elasticsearchUrl": ES_URL, "snapshotBucket": bucket.bucket_name,
                               "snapshotRoleArn": role.arn})

    def _opts(self, depends_on: Sequence[pulumi.Resource] = (), timeouts: pulumi.CustomTimeouts | None = None,
              protect: bool = False) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, provider=self._provider, depends_on=list(depends_on),
                                      custom_timeouts=timeouts, protect=protect)

    def _custom(self, resource_name: str, api_version: str, kind: str, name: str, ns: pulumi.Input[str],
                spec: dict[str, Any], depends_on: Sequence[pulumi.Resource],
                protect: bool = False) -> k8s.apiextensions.CustomResource:
        return k8s.apiextensions.CustomResource(
            resource_name, api_version=api_version, kind=kind,
            metadata={"name": name, "namespace": ns, "labels": {"app.kubernetes.io/part-of": "meridian"}},
            spec=spec, opts=self._opts(depends_on, protect=protect))

    def _beat_rbac(self, name: str, ns: pulumi.Input[str]) -> list[pulumi.Resource]:
        """Filebeat's service account, allowed to read pods, namespaces and nodes for its metadata."""
        account = k8s.core.v1.ServiceAccount(f"{name}-filebeat-service-account",
                                             metadata={"name": BEAT_SERVICE_ACCOUNT, "namespace": ns},
                                             opts=self._opts())
        read = ["get", "list", "watch"]
        role = k8s.rbac.v1.ClusterRole(f"{name}-filebeat-cluster-role", metadata={"name": "meridian-filebeat"}, rules=[
            {"api_groups": [""], "resources": ["namespaces", "pods", "nodes"], "verbs": read},
            {"api_groups": ["apps"], "resources": ["replicasets"], "verbs": read},
            {"api_groups": ["batch"], "resources": ["jobs"], "verbs": read},
        ], opts=self._opts())
        binding = k8s.rbac.v1.ClusterRoleBinding(
            f"{name}-filebeat-cluster-role-binding", metadata={"name": "meridian-filebeat"},
            subjects=[{"kind": "ServiceAccount", "name": BEAT_SERVICE_ACCOUNT, "namespace": NAMESPACE}],
            role_ref={"api_group": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "meridian-filebeat"},
            opts=self._opts([role, account]))
        return [account, role, binding]
