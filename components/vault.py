"""Vault (`meridian:vault:Vault`): HashiCorp's chart in HA mode on integrated raft storage.

3 or 5 voters spread over the zones (DoNotSchedule, one per node) on the data nodes, TLS everywhere with a
cert-manager certificate from the region's CA, auto-unseal with a dedicated KMS key through IRSA, audit and
data volumes on the retained gp3 class, Prometheus telemetry, raft snapshots to S3 (components/vault_snapshots.py,
which also documents the restore path), and a default-deny namespace.

Bootstrap, once after the first install (the pods stay sealed and unready until then; Helm does not wait for them):
`meridian vault bootstrap` (meridian/vault/) makes the running Vault match `Vault.inventory`
(components/vault_access.py, written by the synth to build/<stack>/vault.json): init with recovery shares (awskms: the
recovery keys and root token go to a 0600 file only), the file audit device on the audit volume, the KV v2 mount,
Kubernetes auth for this cluster, and a least-privilege policy and role per client: the `raft-snapshot` one
(components/vault_snapshots.py) and those of `meridian:vault.clients`. The other pods join through `retry_join`
and unseal with the KMS key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.config.vault import VaultConfig
from components.contracts import CertificatesRef, ClusterRef, MonitoringContract, ScrapeTarget, SloSpec
from components.helm import helm_release
from components.irsa import irsa_role
from components.namespaces import Flow, namespace, network_policies, prometheus_scrape
from components.policy_documents import account_root_statement, policy_document
from components.tags import resource_tags
from components.vault_access import AuditDevice, PathRule, Recovery, VaultClient, VaultInventory
from components.vault_snapshots import LABELS as SNAPSHOT_LABELS
from components.vault_snapshots import SERVICE_ACCOUNT as SNAPSHOT_SERVICE_ACCOUNT
from components.vault_snapshots import TOKEN_AUDIENCE as SNAPSHOT_AUDIENCE
from components.vault_snapshots import VAULT_ROLE as SNAPSHOT_ROLE
from components.vault_snapshots import raft_snapshots
from components.vault_values import (
    API_PORT,
    AUDIT_DIR,
    CLUSTER_PORT,
    INTERNAL_SERVICE_LABELS,
    NAMESPACE,
    RELEASE,
    SERVER_LABELS,
    SERVICE_ACCOUNT,
    TLS_SECRET,
    certificate_spec,
    chart_values,
    raft_config,
)
from components.versions import check_chart_version

UNSEAL_ACTIONS: Final = ("kms:Encrypt", "kms:Decrypt", "kms:DescribeKey")
"""What the awskms seal calls (developer.hashicorp.com/vault/docs/configuration/seal/awskms#authentication)."""
EXPORTER: Final = "vault-telemetry"
"""Vault's built-in Prometheus telemetry at /v1/sys/metrics?format=prometheus (no separate exporter)."""
DEFAULT_SLOS: Final = (SloSpec(name="request_availability", objective=0.999,
                               description="Vault API requests answered without a server error"),)


def default_thresholds(replicas: int) -> dict[str, float]:
    """Alert thresholds, with the Vault metrics they apply to.

    - request_latency_p99_seconds: `vault_core_handle_request{quantile="0.99"}` (summary, milliseconds);
      developer.hashicorp.com/vault/docs/internals/telemetry/metrics/all (vault.core.handle_request).
    - raft_peers_min: `sum(vault_autopilot_node_healthy)` (gauge per node_id, from the leader);
      hashicorp/vault physical/raft/raft_autopilot.go `NotifyState`.
    - autopilot_failure_tolerance_min: `vault_autopilot_failure_tolerance` (voters the cluster can lose), same source.
    - lease_count_max: `vault_expire_num_leases` (gauge, active node); 256000 is Vault's own warning threshold
      (hashicorp/vault vault/expiration.go `maxLeaseThreshold`).
    - leadership_changes_per_hour_max: changes of `vault_core_active` (gauge per node) per hour, halved (a change
      of leader flips two nodes); vault/core_metrics.go `metricsLoop`.
    """
    majority = replicas // 2 + 1
    return {"request_latency_p99_seconds": 0.5, "raft_peers_min": float(replicas),
            "autopilot_failure_tolerance_min": float(replicas - majority), "lease_count_max": 256_000.0,
            "leadership_changes_per_hour_max": 2.0}


def flows(config: VaultConfig) -> list[Flow]:
    """Ingress beyond default deny and same-namespace: clients to 8200, raft peers to 8201, Prometheus to 8200."""
    allowed = [Flow(name="raft-cluster", ports=(API_PORT, CLUSTER_PORT), from_pod_labels=SERVER_LABELS,
                    to_pod_labels=SERVER_LABELS),
               Flow(name="snapshot-job", ports=(API_PORT,), from_pod_labels=SNAPSHOT_LABELS,
                    to_pod_labels=SERVER_LABELS),
               prometheus_scrape((API_PORT,), SERVER_LABELS)]
    if config.client_namespaces:
        allowed.insert(0, Flow(name="clients", ports=(API_PORT,), from_namespaces=config.client_namespaces,
                               to_pod_labels=SERVER_LABELS))
    return allowed


AUDIT_LOG: Final = f"{AUDIT_DIR}/audit.log"
"""The file audit device's log, on the audit volume the chart mounts (vault_values `auditStorage`)."""
SNAPSHOT_TOKEN_TTL_SECONDS: Final = 600
"""The snapshot job's Vault token lives 10 minutes: one `raft snapshot save` against the active node."""


def raft_snapshot_client() -> VaultClient:
    """The snapshot CronJob's access: `read` on `sys/storage/raft/snapshot` only.

    GET sys/storage/raft/snapshot is a read operation (hashicorp/vault vault/logical_system_raft.go
    `storage/raft/snapshot` ReadOperation; website/content/api-docs/system/storage/raft.mdx) and is not among the
    system backend's sudo paths (vault/logical_system.go PathsSpecial.Root), so `read` alone suffices.
    """
    return VaultClient(service=SNAPSHOT_ROLE, namespace=NAMESPACE, service_account=SNAPSHOT_SERVICE_ACCOUNT,
                       extra_rules=(PathRule(path="sys/storage/raft/snapshot", capabilities=("read",)),),
                       token_ttl_seconds=SNAPSHOT_TOKEN_TTL_SECONDS, audience=SNAPSHOT_AUDIENCE)


def access_inventory(config: VaultConfig, *, region: str, cluster_name: str) -> VaultInventory:
    """What the region's Vault must hold: the snapshot job's client, then `meridian:vault.clients` by name."""
    clients = [raft_snapshot_client()]
    clients += [VaultClient(service=name, namespace=client.namespace, service_account=client.service_account,
                            read_paths=client.read, list_folders=client.list_folders)
                for name, client in sorted(config.clients.items())]
    return VaultInventory(region=region, cluster_name=cluster_name, audit=AuditDevice(path="file", file_path=AUDIT_LOG),
                          recovery=Recovery(shares=config.recovery_shares, threshold=config.recovery_threshold,
                                            pgp_keys=config.recovery_pgp_keys),
                          clients=tuple(clients))


def unseal_policy(key_arn: str) -> str:
    """IRSA policy of the server: the seal's three calls, on the unseal key only."""
    return policy_document({"Sid": "AutoUnseal", "Effect": "Allow", "Action": list(UNSEAL_ACTIONS),
                            "Resource": key_arn})


@dataclass(frozen=True, kw_only=True)
class VaultArgs:
    """Inputs of the Vault component."""

    config: VaultConfig
    """`meridian:vault`, validated: replicas, client namespaces, sizes, snapshot schedule and retention."""
    cluster: ClusterRef
    """The EKS cluster: provider, OIDC for IRSA, zones, data node labels, taints and storage class."""
    certificates: CertificatesRef
    """The region's CA ClusterIssuer, which signs Vault's listener certificate."""
    vpc_cidr: str
    """Egress to the API server (service registration, TokenReview) and the KMS/STS interface endpoints, :443."""
    tags: Mapping[str, str]
    """Base tags for the AWS resources (KMS key, IRSA roles, snapshot bucket)."""
    protect_stateful: bool
    """Protect the unseal key, the snapshot bucket and its key, and the Helm release from deletion."""
    after: Sequence[pulumi.Resource] = ()
    """Resources the listener Certificate waits for (cert-manager, which serves its CRD)."""


class Vault(pulumi.ComponentResource):
    """Vault on EKS. Exposes `contract` (how to scrape and alert on it), `snapshot_bucket_name` and `inventory`."""

    contract: MonitoringContract
    snapshot_bucket_name: pulumi.Output[str]
    inventory: VaultInventory
    """What `meridian vault bootstrap` makes the running Vault hold (no resources: Vault's own API does it)."""

    def __init__(self, name: str, args: VaultArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("meridian:vault:Vault", name, None, opts)
        config, cluster = args.config, args.cluster
        provider, region = cluster.provider, cluster.region
        version = check_chart_version("meridian:vault.chart_version", "vault", config.chart_version)
        ns = namespace(f"{name}-namespace", NAMESPACE, provider=provider, parent=self,
                       labels={"pod-security.kubernetes.io/enforce": "restricted"}, protect=args.protect_stateful)
        policies = network_policies(name, ns.metadata.name, flows=flows(config), egress_cidrs={args.vpc_cidr: (443,)},
                                    same_namespace_ingress=False,
                                    provider=provider, parent=self, depends_on=[ns])
        key = self._unseal_key(name, args)
        role = irsa_role(f"{name}-server-irsa", oidc_provider_arn=cluster.oidc_provider_arn,
                         oidc_issuer=cluster.oidc_issuer, namespace=NAMESPACE, service_account=SERVICE_ACCOUNT,
                         policy=key.arn.apply(unseal_policy), tags=args.tags, component="vault", parent=self)
        certificate = k8s.apiextensions.CustomResource(
            f"{name}-tls", api_version="cert-manager.io/v1", kind="Certificate",
            metadata={"name": TLS_SECRET, "namespace": NAMESPACE},
            spec=certificate_spec(config.replicas, args.certificates.cluster_issuer),
            opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[ns, *args.after]))
        values = chart_values(
            replicas=config.replicas, zones=len(cluster.zones), region=region, node_labels=cluster.data_node_labels,
            taints=cluster.data_node_taints, storage_class=cluster.data_storage_class,
            cpu_millicores=config.cpu_millicores, memory_gib=config.memory_gib, data_disk_gib=config.data_disk_gib,
            audit_disk_gib=config.audit_disk_gib, role_arn=role.arn,
            config_hcl=key.key_id.apply(lambda key_id: raft_config(replicas=config.replicas, region=region,
                                                                   kms_key_id=key_id)))
        release = helm_release(f"{name}-vault", chart_name="vault", namespace=ns.metadata.name, values=values,
                               version=version, release_name=RELEASE, provider=provider, parent=self,
                               protect=args.protect_stateful, depends_on=[*policies, certificate, role])
        bucket = raft_snapshots(name, cluster=cluster, namespace_name=ns.metadata.name,
                                schedule=config.snapshot_schedule, retention_days=config.snapshot_retention_days,
                                tags=args.tags, protect=args.protect_stateful, parent=self, depends_on=[release])
        self.snapshot_bucket_name = bucket.bucket_name
        self.inventory = access_inventory(config, region=region, cluster_name=cluster.cluster_name)
        self.contract = MonitoringContract(
            kind="vault", region=region, cluster=cluster.cluster_name, namespace=NAMESPACE,
            # Every pod serves its own metrics (listener unauthenticated_metrics_access; hashicorp/vault
            # http/sys_metrics.go handleMetricsUnauthenticated), so scrape all pods through vault-internal.
            scrape=(ScrapeTarget(kind="ServiceMonitor", job="vault", namespace=NAMESPACE,
                                 selector=dict(INTERNAL_SERVICE_LABELS), port="https", path="/v1/sys/metrics",
                                 scheme="https",
                                 params={"format": ("prometheus",)}, tls_ca_secret=(TLS_SECRET, "ca.crt"),
                                 tls_server_name=f"vault-internal.{NAMESPACE}.svc",
                                 exporter_cluster_label="vault_cluster"),),
            exporter=EXPORTER,
            thresholds={**default_thresholds(config.replicas), **config.monitoring.thresholds},
            slos=tuple(SloSpec(name=slo.name, objective=slo.objective, description=slo.description)
                       for slo in config.monitoring.slos) or DEFAULT_SLOS,
            replicas=config.replicas)
        self.register_outputs({"namespace": NAMESPACE, "unsealKeyArn": key.arn,
                               "snapshotBucketName": bucket.bucket_name})

    def _unseal_key(self, name: str, args: VaultArgs) -> aws.kms.Key:
        """The awskms seal's key: rotating, account-administered, protected with the stateful resources."""
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self)).partition
        key = aws.kms.Key(
            f"{name}-unseal-key", description=f"Vault auto-unseal ({args.cluster.cluster_name})",
            enable_key_rotation=True, deletion_window_in_days=30,
            policy=pulumi.Output.all(partition, identity.account_id).apply(
                lambda v: policy_document(account_root_statement(v[0], v[1]))),
            tags=resource_tags(args.tags, f"{name}-unseal-key", "vault", {"meridian:purpose": "vault-unseal"}),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect_stateful))
        aws.kms.Alias(f"{name}-unseal-key-alias", name=f"alias/meridian/{args.cluster.region}/vault-unseal",
                      target_key_id=key.key_id, opts=pulumi.ResourceOptions(parent=self))
        return key
