"""Which input changes force a resource to be replaced, per type: the offline diff's stand-in for the provider.

pulumi-aws is bridged from the Terraform AWS provider, where `ForceNew: true` on an attribute makes Pulumi replace
the resource. Verified in hashicorp/terraform-provider-aws:
- `internal/service/s3/bucket.go`: `bucket`, `bucket_prefix`.
- `internal/service/eks/cluster.go`: `name`, `role_arn`, `bootstrap_self_managed_addons`,
  `access_config.bootstrap_cluster_creator_admin_permissions`, `kubernetes_network_config.ip_family`,
  `kubernetes_network_config.service_ipv4_cidr`, `outpost_config`, `remote_network_config` (`vpc_config.subnet_ids`
  is updatable).
- `internal/service/ec2/vpc_subnet.go`: `cidr_block`, `availability_zone`, `availability_zone_id`, `vpc_id`,
  `ipv4_ipam_pool_id`, `ipv4_netmask_length`, `ipv6_ipam_pool_id`, `ipv6_native`, `ipv6_netmask_length`,
  `outpost_arn`.
- `internal/service/ec2/vpc_.go`: `cidr_block`, `ipv4_ipam_pool_id`, `ipv4_netmask_length`.
- `internal/service/kms/key.go`: `customer_master_key_spec`, `key_usage`, `multi_region`, `custom_key_store_id`,
  `xks_key_id`.
pulumi-kubernetes v4.32.0 `provider/pkg/provider/diff.go` (`forceNew`, `metadataForceNewProperties`): every kind is
replaced when `metadata.name` or `metadata.namespace` changes; per kind the fields below; Secrets (`type`, `data`,
`stringData`) and ConfigMaps (`data`, `binaryData`) are immutable unless the provider sets `enableSecretMutable` /
`enableConfigMapMutable`. `provider/pkg/provider/helm_release.go`: a Helm Release is replaced when `name` or
`namespace` changes. A changed `apiVersion` or `kind` changes the type token, so the URN: a delete and a create.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from meridian.preview.properties import Path, parse_path

AWS_FORCE_NEW: Final[Mapping[str, tuple[str, ...]]] = {
    "aws:s3/bucket:Bucket": ("bucket", "bucketPrefix"),
    "aws:s3/bucketV2:BucketV2": ("bucket", "bucketPrefix"),
    "aws:eks/cluster:Cluster": ("name", "roleArn", "bootstrapSelfManagedAddons",
                                "accessConfig.bootstrapClusterCreatorAdminPermissions",
                                "kubernetesNetworkConfig.ipFamily", "kubernetesNetworkConfig.serviceIpv4Cidr",
                                "outpostConfig", "remoteNetworkConfig"),
    "aws:ec2/subnet:Subnet": ("cidrBlock", "availabilityZone", "availabilityZoneId", "vpcId", "ipv4IpamPoolId",
                              "ipv4NetmaskLength", "ipv6IpamPoolId", "ipv6Native", "ipv6NetmaskLength", "outpostArn"),
    "aws:ec2/vpc:Vpc": ("cidrBlock", "ipv4IpamPoolId", "ipv4NetmaskLength"),
    "aws:kms/key:Key": ("customerMasterKeySpec", "keyUsage", "multiRegion", "customKeyStoreId", "xksKeyId"),
}
"""Type token -> input paths (Pulumi's camelCase names of the ForceNew attributes)."""

_SELECTOR: Final = ("spec.selector",)
KUBERNETES_FORCE_NEW: Final[Mapping[str, tuple[str, ...]]] = {
    "core/v1:PersistentVolumeClaim": ("spec.accessModes", "spec.selector", "spec.storageClassName",
                                      "spec.volumeName"),
    "core/v1:PersistentVolume": ("spec.awsElasticBlockStore", "spec.csi", "spec.hostPath", "spec.local", "spec.nfs"),
    "core/v1:Service": ("spec.clusterIP",),
    "core/v1:ResourceQuota": ("spec.scopes",),
    "storage.k8s.io/v1:StorageClass": ("parameters", "provisioner"),
    "apps/v1:StatefulSet": ("spec.podManagementPolicy", "spec.revisionHistoryLimit", "spec.selector",
                            "spec.serviceName", "spec.volumeClaimTemplates"),
    "apps/v1:Deployment": _SELECTOR,
    "apps/v1:DaemonSet": _SELECTOR,
    "batch/v1:Job": ("spec.completions", "spec.parallelism", "spec.selector", "spec.template"),
    "rbac.authorization.k8s.io/v1:RoleBinding": ("roleRef",),
    "rbac.authorization.k8s.io/v1:ClusterRoleBinding": ("roleRef",),
    "helm.sh/v3:Release": ("name", "namespace"),
}
"""`kubernetes:<group/version:Kind>` (without the prefix) -> paths, on top of `metadata.name`/`metadata.namespace`."""
KUBERNETES_ALWAYS: Final = ("metadata.name", "metadata.namespace", "apiVersion", "kind")
IMMUTABLE_DATA: Final[Mapping[str, tuple[str, tuple[str, ...]]]] = {
    "kubernetes:core/v1:Secret": ("enableSecretMutable", ("type", "data", "stringData")),
    "kubernetes:core/v1:ConfigMap": ("enableConfigMapMutable", ("data", "binaryData")),
}
"""Type -> (provider flag that makes the data mutable, paths replaced otherwise)."""


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def force_new_paths(resource_type: str, provider_inputs: Mapping[str, Any] | None = None,
                    replace_on_changes: Iterable[str] = ()) -> list[Path]:
    """The input paths whose change replaces a resource of this type (plus its `replaceOnChanges` option)."""
    texts = list(AWS_FORCE_NEW.get(resource_type, ()))
    if resource_type.startswith("kubernetes:"):
        token = resource_type.removeprefix("kubernetes:")
        texts += KUBERNETES_FORCE_NEW.get(token, ())
        if token != "helm.sh/v3:Release":
            texts += KUBERNETES_ALWAYS
        if resource_type in IMMUTABLE_DATA:
            flag, paths = IMMUTABLE_DATA[resource_type]
            if not _truthy((provider_inputs or {}).get(flag)):
                texts += paths
    replace_on_changes = list(replace_on_changes)
    texts += [text for text in replace_on_changes if text != "*"]
    return [parse_path(text) for text in texts] + ([()] if "*" in replace_on_changes else [])


def forces_replace(changed: Path, forcing: list[Path]) -> bool:
    """True when the changed path is, or lies under, or contains a replace-forcing path."""
    return any(changed[: len(path)] == path or path[: len(changed)] == changed for path in forcing)
