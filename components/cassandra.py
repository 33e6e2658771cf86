"""Cassandra through k8ssandra-operator (`meridian:cassandra:Cassandra`): one datacenter per region.

The pinned k8ssandra-operator chart (bundling cass-operator) runs in `k8ssandra-operator`; the K8ssandraCluster in
`cassandra` has one rack per zone on the data nodes, authentication and TLS (internode and client) on, Medusa
backups to a KMS-encrypted bucket through an IRSA role, Reaper repairs and Prometheus telemetry. cass-operator keeps
one PodDisruptionBudget per datacenter itself (`<dc>-pdb`, minAvailable = size - 1), so none is declared here.
With a `fleet`, the datacenter joins the fleet's one cluster (seeds mode: every region its own operator and
K8ssandraCluster); the fleet objects are in components/cassandra_keyspaces.py and cassandra_fleet_dcs.py, and the CQL
users' Secrets are shared: made by the primary, copied from its cluster by later stacks (`_credentials`).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import pulumi
import pulumi_kubernetes as k8s

from components.backup_bucket import BackupBucket, BackupBucketArgs
from components.cassandra_keyspaces import declare_fleet_objects
from components.cassandra_spec import (
    CLIENT_TLS_SECRET,
    CQL_PORT,
    INTERNODE_PORTS,
    INTERNODE_TLS_SECRET,
    KEYSTORE_PASSWORD_SECRET,
    MANAGEMENT_API_PORT,
    MEDUSA_GRPC_PORT,
    METRICS_PORT,
    NAMESPACE,
    OPERATOR_NAMESPACE,
    SERVICE_ACCOUNT,
    WEBHOOK_PORT,
    Placement,
    backup_schedule_spec,
    certificate_spec,
    chart_values,
    cluster_labels,
    fleet_user_secrets,
    k8ssandra_cluster_spec,
    service_dns_names,
)
from components.config.cassandra import DEFAULT_SLOS, DEFAULT_THRESHOLDS, CassandraConfig
from components.contracts import CertificatesRef, ClusterRef, MonitoringContract, ScrapeTarget, SloSpec
from components.fleet_plan import CassandraFleet
from components.helm import helm_release
from components.irsa import irsa_role
from components.namespaces import Flow, namespace, network_policies, prometheus_scrape
from components.peers import PeerStack
from components.versions import check_chart_version

EXPORTER: Final = "k8ssandra-management-api"
"""Metrics of the Management API agent's endpoint (port `metrics`, 9000), MCAC off. Names follow Cassandra's
metric registry with the `org_apache_cassandra_metrics_` prefix and labels cluster/datacenter/rack/host, e.g.
`org_apache_cassandra_metrics_client_request_latency_bucket{request_type,cl}`,
`org_apache_cassandra_metrics_client_request_{failures,timeouts,unavailables}_total`,
`org_apache_cassandra_metrics_table_pending_compactions`, `org_apache_cassandra_metrics_dropped_message_dropped_total`,
`org_apache_cassandra_metrics_table_live_disk_space_used`, and JVM `jvm_memory_bytes_{used,max}{area="heap"}`.
The full list, with sources, is observability/catalog/cassandra.py. Sources at k8ssandra-operator v1.32.5:
docs/content/en/tasks/monitor/metrics-endpoints/_index.md ("Metrics names"),
docs/content/en/tasks/monitor/prometheus-grafana/grafana-dashboards-new.yaml, pkg/telemetry/prom_cass_servicemonitor.go.
`disk_used_ratio` needs the kubelet's `kubelet_volume_stats_*` (kube-prometheus-stack), not this exporter."""
COMPONENT: Final = "cassandra"


@dataclass(frozen=True, kw_only=True)
class CassandraArgs:
    """Inputs of the Cassandra component."""

    config: CassandraConfig
    """The validated `meridian:cassandra` section."""
    cluster: ClusterRef
    """The region's EKS cluster: provider, zones, data node labels/taints, OIDC for IRSA."""
    certificates: CertificatesRef
    """The region's CA ClusterIssuer, which signs the internode and client certificates."""
    vpc_cidr: str
    """The API server reaches the webhooks from the VPC; operators reach it (443) and the Cassandra pods there."""
    tags: Mapping[str, str]
    """Base tags for the AWS resources (bucket, key, IRSA role)."""
    protect_stateful: bool
    """Protect the bucket, its key, the K8ssandraCluster and the operator release from deletion."""
    peer_cidrs: tuple[str, ...] = ()
    """VPC CIDRs of peer regions whose Cassandra nodes may reach this datacenter's internode ports; none by default.
    Ignored with a `fleet`, which admits the whole fleet CIDR."""
    fleet: CassandraFleet | None = None
    """The datacenter's place in the fleet's one cluster (external datacenters, seeds, global keyspaces, rebuild,
    internode certificate from the fleet CA); None (development) keeps a stand-alone cluster."""
    primary: PeerStack | None = None
    """The fleet's primary stack, whose cluster holds the shared CQL user Secrets this stack copies; None when this
    stack is the primary (it makes them) or has no fleet."""
    after: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """Resources that must exist first (cert-manager, which the operators' webhooks and our certificates need)."""


class Cassandra(pulumi.ComponentResource):
    """k8ssandra-operator and the region's Cassandra datacenter. Exposes `contract` and `bucket`."""

    contract: MonitoringContract
    bucket: BackupBucket

    def __init__(self, name: str, args: CassandraArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("meridian:cassandra:Cassandra", name, None, opts)
        config, cluster = args.config, args.cluster
        version = check_chart_version("meridian:cassandra.chart_version", "k8ssandra-operator", config.chart_version)
        provider, region = cluster.provider, cluster.region
        placement = Placement(region=region, zones=cluster.zones, node_labels=cluster.data_node_labels,
                              node_taints=cluster.data_node_taints, storage_class=cluster.data_storage_class)
        pods = cluster_labels(config, region)

        operator_ns = namespace(f"{name}-operator-namespace", OPERATOR_NAMESPACE, provider=provider, parent=self)
        operator_policies = network_policies(
            f"{name}-operator", operator_ns.metadata.name, provider=provider, parent=self,
            flows=[Flow(name="webhooks-from-api-server", ports=(WEBHOOK_PORT,), from_cidrs=(args.vpc_cidr,))],
            # API server, and the Cassandra pods' Management API / Medusa gRPC and Reaper (pod IPs are VPC IPs);
            # 443 out for the chart's pre-upgrade CRD upgrader Job, which fetches the chart from helm.k8ssandra.io
            # (templates/crd/batch_job.yaml at v1.32.5): without it every chart upgrade fails.
            egress_cidrs={args.vpc_cidr: (443, MANAGEMENT_API_PORT, MEDUSA_GRPC_PORT), "0.0.0.0/0": (443,)})
        data_ns = namespace(f"{name}-namespace", NAMESPACE, provider=provider, parent=self,
                            protect=args.protect_stateful)
        data_policies = network_policies(
            name, data_ns.metadata.name, provider=provider, parent=self,
            flows=self._flows(args, pods), egress_cidrs=self._egress(args))

        release = helm_release(
            f"{name}-operator", chart_name="k8ssandra-operator", namespace=operator_ns.metadata.name,
            values=chart_values(version), version=version, provider=provider, parent=self,
            protect=args.protect_stateful, depends_on=[*operator_policies, *args.after])

        self.bucket = BackupBucket(f"{name}-backups", BackupBucketArgs(
            purpose="cassandra-medusa", region=region, tags=args.tags, component=COMPONENT,
            protect=args.protect_stateful), pulumi.ResourceOptions(parent=self))
        role = irsa_role(f"{name}-medusa-role", oidc_provider_arn=cluster.oidc_provider_arn,
                         oidc_issuer=cluster.oidc_issuer, namespace=NAMESPACE, service_account=SERVICE_ACCOUNT,
                         policy=self.bucket.access_policy(), tags=args.tags, component=COMPONENT, parent=self)
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[data_ns])
        account = k8s.core.v1.ServiceAccount(f"{name}-service-account", metadata={
            "name": SERVICE_ACCOUNT, "namespace": NAMESPACE,
            "annotations": {"eks.amazonaws.com/role-arn": role.arn,
                            "eks.amazonaws.com/sts-regional-endpoints": "true"}}, opts=k8s_opts)
        certificates = self._certificates(name, args, k8s_opts)
        credentials = self._credentials(name, args, k8s_opts) if args.fleet is not None else []

        # In a fleet, cassandra_fleet_dcs' CronJob adds later datacenters to `spec.externalDatacenters`; Pulumi
        # ignores that field after the create. With server-side apply, pulumi-kubernetes then leaves the field out
        # of its apply when another field manager owns it (so the CronJob's value stays, no conflict), else sends
        # the live value (pulumi-kubernetes v4.32.0 provider/pkg/await/await.go `handleSSAIgnoreFields`).
        ignored = ["spec.externalDatacenters"] if args.fleet is not None else []
        cluster_cr = k8s.apiextensions.CustomResource(
            f"{name}-cluster", api_version="k8ssandra.io/v1alpha1", kind="K8ssandraCluster",
            metadata={"name": config.cluster_name, "namespace": NAMESPACE,
                      "labels": {"app.kubernetes.io/part-of": "meridian"}},
            spec=k8ssandra_cluster_spec(config, placement, self.bucket.bucket_name, args.fleet),
            opts=pulumi.ResourceOptions(parent=self, provider=provider, protect=args.protect_stateful,
                                        ignore_changes=ignored,
                                        depends_on=[release, account, *certificates, *credentials, *data_policies]))
        k8s.apiextensions.CustomResource(
            f"{name}-backup-schedule", api_version="medusa.k8ssandra.io/v1alpha1", kind="MedusaBackupSchedule",
            metadata={"name": f"{config.cluster_name}-{region}-daily", "namespace": NAMESPACE},
            spec=backup_schedule_spec(config, region),
            opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[cluster_cr]))
        if args.fleet is not None:
            declare_fleet_objects(name, config, region, args.fleet, provider=provider, parent=self, after=[cluster_cr])

        self.contract = self._contract(args, pods)
        self.register_outputs({"namespace": NAMESPACE, "bucketName": self.bucket.bucket_name,
                               "medusaRoleArn": role.arn})

    @staticmethod
    def _peers(args: CassandraArgs) -> tuple[str, ...]:
        """CIDRs whose Cassandra nodes reach the internode ports: the fleet's aggregate, else the peer VPCs."""
        return (args.fleet.fleet_cidr,) if args.fleet is not None else args.peer_cidrs

    @staticmethod
    def _flows(args: CassandraArgs, pods: Mapping[str, str]) -> list[Flow]:
        """Ingress beyond the namespace itself (which already reaches every port, internode included)."""
        flows = [
            Flow(name="cql-clients", ports=(CQL_PORT,), from_namespaces=args.config.client_namespaces,
                 to_pod_labels=pods),
            Flow(name="operator", ports=(MANAGEMENT_API_PORT, MEDUSA_GRPC_PORT),
                 from_namespaces=(OPERATOR_NAMESPACE,)),
            prometheus_scrape((METRICS_PORT,), to_pod_labels=pods),
        ]
        if peers := Cassandra._peers(args):
            flows.append(Flow(name="internode-peers", ports=INTERNODE_PORTS, from_cidrs=peers, to_pod_labels=pods))
        return flows

    @staticmethod
    def _egress(args: CassandraArgs) -> dict[str, tuple[int, ...]]:
        """API server in the VPC; S3 and STS for Medusa (public endpoints); peer regions' internode ports."""
        egress: dict[str, tuple[int, ...]] = {args.vpc_cidr: (443,), "0.0.0.0/0": (443,)}
        for cidr in Cassandra._peers(args):
            egress[cidr] = INTERNODE_PORTS
        return egress

    def _certificates(self, name: str, args: CassandraArgs,
                      opts: pulumi.ResourceOptions) -> list[pulumi.Resource]:
        """Internode and client certificates from the region's CA, with JKS stores for Cassandra.

        A JKS store must have a password, but it guards nothing the Secret does not: the same Secret holds
        `tls.key` in PEM, and the operator copies the password into the CassandraDatacenter's config. So it is
        random, made once (later runs ignore the fresh value), kept only as a Pulumi secret and a Kubernetes Secret.
        """
        password = k8s.core.v1.Secret(
            f"{name}-keystore-password", metadata={"name": KEYSTORE_PASSWORD_SECRET, "namespace": NAMESPACE},
            type="Opaque", string_data={"password": pulumi.Output.secret(secrets.token_urlsafe(32))},
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(ignore_changes=["stringData"])))
        issuer, region, cluster_name = args.certificates.cluster_issuer, args.cluster.region, args.config.cluster_name
        # In a fleet every datacenter's nodes must trust each other: internode certificates (and so the JKS
        # truststore's ca.crt) come from the fleet's shared root; clients keep the regional CA.
        internode_issuer = args.fleet.internode_issuer if args.fleet is not None else issuer
        service = service_dns_names(args.config, region)
        specs = {
            "internode": certificate_spec(secret_name=INTERNODE_TLS_SECRET, common_name=f"{cluster_name}-{region}",
                                          dns_names=service[-1:], issuer=internode_issuer,
                                          usages=("digital signature", "server auth", "client auth")),
            "client": certificate_spec(secret_name=CLIENT_TLS_SECRET, common_name=service[0], dns_names=service,
                                       issuer=issuer, usages=("digital signature", "server auth", "client auth")),
        }
        cert_opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[password, *args.after]))
        certificates: list[pulumi.Resource] = [password]
        for role, spec in specs.items():
            certificates.append(k8s.apiextensions.CustomResource(
                f"{name}-{role}-certificate", api_version="cert-manager.io/v1", kind="Certificate",
                metadata={"name": spec["secretName"], "namespace": NAMESPACE}, spec=spec, opts=cert_opts))
        return certificates

    def _credentials(self, name: str, args: CassandraArgs, opts: pulumi.ResourceOptions) -> list[pulumi.Resource]:
        """The fleet's shared CQL user Secrets (cassandra_spec.fleet_user_secrets), protected like the data.

        The primary makes each once (random password, later runs ignore the fresh value, a Pulumi secret); a later
        stack reads the primary's Secret through the primary's provider and copies `data`, kept secret.
        """
        made: list[pulumi.Resource] = []
        for role, secret in fleet_user_secrets(args.config).items():
            labels = {"app.kubernetes.io/part-of": "meridian"}
            if args.primary is None:
                login: dict[str, pulumi.Input[str]] = {
                    "username": secret, "password": pulumi.Output.secret(secrets.token_urlsafe(32))}
                made.append(k8s.core.v1.Secret(
                    f"{name}-{role}-credentials", metadata={"name": secret, "namespace": NAMESPACE, "labels": labels},
                    type="Opaque", string_data=login,
                    opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
                        protect=args.protect_stateful, ignore_changes=["stringData"]))))
                continue
            made.append(args.primary.copy_secret(
                f"{name}-{role}-credentials", namespace=NAMESPACE, name=secret, secret_type="Opaque", labels=labels,
                opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=args.protect_stateful))))
        return made

    @staticmethod
    def _contract(args: CassandraArgs, pods: Mapping[str, str]) -> MonitoringContract:
        config, cluster = args.config, args.cluster
        monitoring = config.monitoring
        slos = tuple(SloSpec(name=slo.name, objective=slo.objective, description=slo.description)
                     for slo in monitoring.slos)
        defaults = tuple(SloSpec(name=slo, objective=objective, description=text)
                         for slo, objective, text in DEFAULT_SLOS)
        # The monitoring component creates the ServiceMonitor (port `metrics` of the all-pods Service, every 15 s,
        # as pkg/telemetry/prom_cass_servicemonitor.go would), not the operator: it keeps the exporter's `cluster`
        # label as `cassandra_cluster` and does not depend on the Prometheus CRDs existing before the operator.
        selector: dict[str, str] = {"app.kubernetes.io/managed-by": "cass-operator",
                                    "cassandra.datastax.com/prom-metrics": "true", **pods}
        return MonitoringContract(
            kind=COMPONENT, region=cluster.region, cluster=cluster.cluster_name, namespace=NAMESPACE,
            scrape=(ScrapeTarget(kind="ServiceMonitor", job="cassandra", namespace=NAMESPACE, selector=selector,
                                 port="metrics", interval_seconds=15, exporter_cluster_label="cassandra_cluster"),),
            exporter=EXPORTER, thresholds={**DEFAULT_THRESHOLDS, **monitoring.thresholds}, slos=slos or defaults,
            replicas=config.datacenter_size(len(cluster.zones)),
            labels={"cassandra_cluster": config.cluster_name, "datacenter": cluster.region})
