"""Which resources hold state: a replace or delete of one of these loses data or identity.

One definition for the policy pack (stateful resources must be protected), `meridian preview-summary` and
`meridian diff` (the danger list at the top of a pull request's comment).
"""

from __future__ import annotations

from typing import Final

STATEFUL_TYPES: Final = frozenset({
    # AWS: keys (data encrypted under them is lost with them), buckets (backups, snapshots, logs), the cluster
    # (its etcd holds every Kubernetes object), the VPC and its subnets (everything lives in them: replacing a
    # subnet, say for a new CIDR, replaces the node groups and the data pods' volumes' zone placement with it).
    "aws:kms/key:Key",
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketV2:BucketV2",
    "aws:eks/cluster:Cluster",
    "aws:ec2/vpc:Vpc",
    "aws:ec2/subnet:Subnet",
    "aws:ebs/volume:Volume",
    "aws:rds/instance:Instance",
    "aws:dynamodb/table:Table",
    # Kubernetes: the data services' custom resources, whose deletion deletes their pods and (with the operator's
    # reclaim rules) their volumes.
    "kubernetes:k8ssandra.io/v1alpha1:K8ssandraCluster",
    "kubernetes:kafka.strimzi.io/v1:Kafka",
    "kubernetes:kafka.strimzi.io/v1beta2:Kafka",
    "kubernetes:kafka.strimzi.io/v1:KafkaNodePool",
    "kubernetes:kafka.strimzi.io/v1beta2:KafkaNodePool",
    "kubernetes:kafka.strimzi.io/v1:KafkaTopic",
    "kubernetes:kafka.strimzi.io/v1beta2:KafkaTopic",
    "kubernetes:elasticsearch.k8s.elastic.co/v1:Elasticsearch",
    "kubernetes:core/v1:PersistentVolumeClaim",
    "kubernetes:core/v1:PersistentVolume",
})
"""Resource types that are stateful whatever their inputs."""

STATEFUL_HELM_CHARTS: Final = frozenset({"vault"})
"""Helm charts whose release owns data directly (Vault's raft volumes live in the chart's StatefulSet)."""


def is_stateful(resource_type: str, inputs: dict[str, object] | None = None, *, protect: bool = False) -> bool:
    """True when replacing or deleting this resource would lose data: a stateful type, a data chart's Helm
    release, or anything the program itself protects (it protects only what holds state: namespaces of data
    services, retained StorageClasses, data Helm releases)."""
    if protect or resource_type in STATEFUL_TYPES:
        return True
    if resource_type == "kubernetes:helm.sh/v3:Release" and inputs is not None:
        return str(inputs.get("chart", "")) in STATEFUL_HELM_CHARTS
    return False
