"""The regional EKS cluster on pulumi-aws primitives (`meridian:cluster:EksCluster`).

Creation order follows EKS practice: KMS keys, IAM roles and the control-plane log group, then the cluster,
access entries and the IRSA OIDC provider; the `vpc-cni` and `kube-proxy` add-ons before the node groups,
`coredns` and the EBS CSI driver after them; the StorageClasses once the EBS CSI driver runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import cluster_addons as addons
from components import cluster_policies as policies
from components.cluster_nodes import create_node_groups, kubernetes_taints, node_labels
from components.config import NodeGroupConfig
from components.contracts import KUBERNETES_SERVICE_CIDR, ClusterRef, NetworkRef
from components.irsa import issuer_host
from components.tags import resource_tags

CONTROL_PLANE_LOG_TYPES: Final = ("api", "audit", "authenticator", "controllerManager", "scheduler")
CLUSTER_ADMIN_POLICY: Final = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
NODE_POLICIES: Final = {"worker": "AmazonEKSWorkerNodePolicy", "cni": "AmazonEKS_CNI_Policy",
                        "ecr": "AmazonEC2ContainerRegistryReadOnly", "ssm": "AmazonSSMManagedInstanceCore"}
KEY_DELETION_WINDOW_DAYS: Final = 30


@dataclass(frozen=True, kw_only=True)
class EksClusterArgs:
    """Inputs of the EksCluster component."""

    cluster_name: str
    """EKS cluster name; changing it replaces the cluster."""
    region: str
    kubernetes_version: str
    """EKS minor version, e.g. "1.35"; add-on versions are pinned per minor version."""
    network: NetworkRef
    """Control plane ENIs and nodes go in the private subnets."""
    public_access_cidrs: tuple[str, ...]
    """Empty: private endpoint only. Otherwise the public endpoint is also on, limited to these CIDRs."""
    admin_role_arns: tuple[str, ...]
    """IAM roles granted AmazonEKSClusterAdminPolicy through access entries."""
    log_retention_days: int
    """Days control-plane logs are kept."""
    node_groups: Mapping[str, NodeGroupConfig]
    """Workload classes; `per_az` groups become one managed node group per zone."""
    tags: Mapping[str, str]
    """Base tags merged onto every taggable resource."""
    protect_stateful: bool = True
    """Protect the cluster and its KMS keys from deletion."""


class EksCluster(pulumi.ComponentResource):
    """EKS cluster, node groups, add-ons, IRSA and StorageClasses. Exposes `ref: ClusterRef`."""

    ref: ClusterRef

    def __init__(self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        addons.addon_versions(args.kubernetes_version)  # a version without pins fails before anything is declared
        super().__init__("meridian:cluster:EksCluster", name, None, opts)
        self._name, self._args = name, args
        invoke = pulumi.InvokeOutputOptions(parent=self)
        self._account_id = aws.get_caller_identity_output(opts=invoke).account_id
        self._partition = aws.get_partition_output(opts=invoke).partition

        log_group_name = f"/aws/eks/{args.cluster_name}/cluster"
        secrets_key = self._kms_key(
            "secrets", "Envelope encryption of Kubernetes secrets and the control-plane logs",
            pulumi.Output.all(self._partition, self._account_id).apply(
                lambda v: policies.secrets_key_policy(v[0], v[1], args.region, log_group_name)))
        cluster_role, cluster_attached = self._service_role("cluster-role", "eks.amazonaws.com",
                                                            {"eks": "AmazonEKSClusterPolicy"})
        cluster_kms = aws.iam.RolePolicy(f"{name}-cluster-role-kms", role=cluster_role.id,
                                         policy=secrets_key.arn.apply(policies.cluster_kms_policy),
                                         opts=self._child())
        node_role, node_attached = self._service_role("node-role", "ec2.amazonaws.com", NODE_POLICIES)
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane-logs", name=log_group_name, kms_key_id=secrets_key.arn,
            retention_in_days=args.log_retention_days, tags=self._tags(f"{name}-control-plane-logs"),
            opts=self._child())
        cluster = self._cluster(cluster_role, secrets_key, depends_on=[log_group, cluster_kms, *cluster_attached])
        self._access_entries(cluster)

        issuer = cluster.identities.apply(lambda ids: (ids[0].oidcs or [])[0].issuer or "")
        oidc = aws.iam.OpenIdConnectProvider(f"{name}-oidc", url=issuer, client_id_lists=["sts.amazonaws.com"],
                                             tags=self._tags(f"{name}-oidc"), opts=self._child())
        ebs_csi_role, ebs_csi_managed = addons.ebs_csi_role(
            name, oidc_provider_arn=oidc.arn, oidc_issuer=issuer, partition=self._partition, tags=args.tags,
            parent=self)
        ebs_key = self._kms_key("ebs", "EBS volumes: node root volumes and PersistentVolumes", pulumi.Output.all(
            self._partition, self._account_id, ebs_csi_role.arn).apply(
            lambda v: policies.ebs_key_policy(v[0], v[1], args.region, v[2])))
        ebs_csi_kms = addons.ebs_csi_key_policy(name, ebs_csi_role, ebs_key.arn, parent=self)

        version = args.kubernetes_version
        early = [addons.addon(name, addon, cluster_name=cluster.name, kubernetes_version=version, tags=args.tags,
                              parent=self, depends_on=[]) for addon in addons.BEFORE_NODES]
        node_groups = create_node_groups(
            name, network=args.network, node_groups=args.node_groups, cluster_name=cluster.name,
            node_role_arn=node_role.arn, kubernetes_version=version, ebs_key_arn=ebs_key.arn, tags=args.tags,
            parent=self, depends_on=[*node_attached, *early])
        addons.addon(name, addons.COREDNS, cluster_name=cluster.name, kubernetes_version=version,
                     tags=args.tags, parent=self, depends_on=node_groups)
        ebs_csi = addons.addon(name, addons.EBS_CSI, cluster_name=cluster.name, kubernetes_version=version,
                               tags=args.tags, parent=self, service_account_role_arn=ebs_csi_role.arn,
                               depends_on=[*node_groups, ebs_csi_managed, ebs_csi_kms])

        certificate_authority = cluster.certificate_authority.apply(lambda ca: ca.data or "")
        provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=pulumi.Output.all(cluster.name, cluster.endpoint, certificate_authority).apply(
                lambda v: policies.kubeconfig(v[0], v[1], v[2], args.region)),
            enable_server_side_apply=True,
            opts=self._child())
        addons.storage_classes(name, ebs_key_arn=ebs_key.arn, provider=provider, protect=args.protect_stateful,
                               parent=self, depends_on=[ebs_csi])

        data_group = next((group for group, config in args.node_groups.items() if config.per_az), None)
        self.ref = ClusterRef(
            name=cluster.name, cluster_name=args.cluster_name, region=args.region, kubernetes_version=version,
            zones=args.network.zones,
            endpoint=cluster.endpoint, certificate_authority=certificate_authority,
            oidc_provider_arn=oidc.arn, oidc_issuer=issuer.apply(issuer_host), node_role_arn=node_role.arn,
            cluster_security_group_id=cluster.vpc_config.apply(lambda vpc: vpc.cluster_security_group_id or ""),
            provider=provider,
            data_node_labels=node_labels(data_group, args.node_groups[data_group]) if data_group else {},
            data_node_taints=kubernetes_taints(args.node_groups[data_group]) if data_group else (),
        )
        self.register_outputs({
            "name": self.ref.name, "endpoint": self.ref.endpoint, "oidcProviderArn": self.ref.oidc_provider_arn,
            "oidcIssuer": self.ref.oidc_issuer, "nodeRoleArn": self.ref.node_role_arn,
            "clusterSecurityGroupId": self.ref.cluster_security_group_id,
            "secretsKeyArn": secrets_key.arn, "ebsKeyArn": ebs_key.arn,
        })

    def _child(self, depends_on: Sequence[pulumi.Resource] = (), protect: bool = False) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, depends_on=list(depends_on), protect=protect)

    def _tags(self, resource_name: str) -> dict[str, str]:
        return resource_tags(self._args.tags, resource_name, "cluster")

    def _kms_key(self, role: str, description: str, policy: pulumi.Input[str]) -> aws.kms.Key:
        """A rotating, protected customer-managed key and its alias `alias/<cluster>/<role>`."""
        key_name = f"{self._name}-{role}-key"
        key = aws.kms.Key(key_name, description=f"{self._args.cluster_name}: {description}",
                          enable_key_rotation=True, deletion_window_in_days=KEY_DELETION_WINDOW_DAYS,
                          policy=policy, tags=self._tags(key_name),
                          opts=self._child(protect=self._args.protect_stateful))
        aws.kms.Alias(f"{key_name}-alias", name=f"alias/{self._args.cluster_name}/{role}",
                      target_key_id=key.key_id, opts=self._child())
        return key

    def _service_role(self, role: str, service: str, managed: Mapping[str, str],
                      ) -> tuple[aws.iam.Role, list[aws.iam.RolePolicyAttachment]]:
        """An IAM role an AWS service assumes, and its AWS-managed policy attachments (for dependencies)."""
        role_name = f"{self._name}-{role}"
        iam_role = aws.iam.Role(role_name, assume_role_policy=policies.service_trust_policy(service),
                                tags=self._tags(role_name), opts=self._child())
        attached = [aws.iam.RolePolicyAttachment(
            f"{role_name}-{short}", role=iam_role.name,
            policy_arn=pulumi.Output.concat("arn:", self._partition, ":iam::aws:policy/", policy),
            opts=self._child()) for short, policy in managed.items()]
        return iam_role, attached

    def _cluster(self, role: aws.iam.Role, secrets_key: aws.kms.Key,
                 depends_on: Sequence[pulumi.Resource]) -> aws.eks.Cluster:
        """The control plane: private subnets, private endpoint, encrypted secrets, all logs, API access entries."""
        args = self._args
        public = bool(args.public_access_cidrs)
        vpc_config: aws.eks.ClusterVpcConfigArgsDict = {
            "subnet_ids": args.network.subnet_ids("private"),
            "endpoint_private_access": True,
            "endpoint_public_access": public,
        }
        if public:
            vpc_config["public_access_cidrs"] = list(args.public_access_cidrs)
        return aws.eks.Cluster(
            f"{self._name}-cluster",
            name=args.cluster_name,
            version=args.kubernetes_version,
            role_arn=role.arn,
            vpc_config=vpc_config,
            encryption_config={"resources": ["secrets"], "provider": {"key_arn": secrets_key.arn}},
            enabled_cluster_log_types=list(CONTROL_PLANE_LOG_TYPES),
            access_config={"authentication_mode": "API", "bootstrap_cluster_creator_admin_permissions": False},
            # Fixed, so NetworkPolicies can name the API server's ClusterIP (KUBERNETES_API_SERVICE_IP).
            kubernetes_network_config={"ip_family": "ipv4", "service_ipv4_cidr": KUBERNETES_SERVICE_CIDR},
            # Managed add-ons below install vpc-cni, kube-proxy and coredns; no unmanaged copies first.
            bootstrap_self_managed_addons=False,
            deletion_protection=args.protect_stateful,
            tags=self._tags(f"{self._name}-cluster"),
            opts=self._child(depends_on=depends_on, protect=args.protect_stateful),
        )

    def _access_entries(self, cluster: aws.eks.Cluster) -> None:
        """Per admin role: an access entry and the cluster-wide AmazonEKSClusterAdminPolicy."""
        for arn in self._args.admin_role_arns:
            entry_name = f"{self._name}-admin-{arn.split(':role/', 1)[-1].replace('/', '-')}"
            entry = aws.eks.AccessEntry(entry_name, cluster_name=cluster.name, principal_arn=arn, type="STANDARD",
                                        tags=self._tags(entry_name), opts=self._child())
            aws.eks.AccessPolicyAssociation(
                f"{entry_name}-cluster-admin", cluster_name=entry.cluster_name, principal_arn=entry.principal_arn,
                policy_arn=CLUSTER_ADMIN_POLICY, access_scope={"type": "cluster"}, opts=self._child())
