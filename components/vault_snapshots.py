"""Raft snapshots of Vault, shipped on a schedule to a versioned, KMS-encrypted S3 bucket.

A CronJob (batch/v1) in the vault namespace runs one pod with two containers sharing an emptyDir:

1. `snapshot` (init container, `hashicorp/vault:<chart appVersion>`): logs in with the Kubernetes auth method
   (role `raft-snapshot`, which the bootstrap creates), using a projected service-account token whose audience
   is `vault`, and runs `vault operator raft snapshot save` against the active node (`vault-active`) over TLS,
   verifying the server with the CA from the `vault-tls` secret. The token lives in a shell variable only.
   The Vault CLI has no `kubernetes` login handler (`vault login -method=kubernetes` fails; see
   hashicorp/vault command/commands.go `loginHandlers`), so the login is `vault write auth/kubernetes/login`.
2. `upload` (main container, `public.ecr.aws/aws-cli/aws-cli`): copies the file to S3 with the job's own IRSA
   role, which may only read and write `raft/*` in this bucket and use its key (BackupBucket.access_policy).

Init-then-main keeps the order without polling: the upload starts only once the snapshot exited 0, and a
failed snapshot fails the job. Two images, because the Vault image has no AWS CLI and the AWS CLI image no Vault.

Every run writes the same key, `raft/vault-raft.snap`; the bucket's versioning keeps the older runs as
noncurrent versions for `snapshot_retention_days` (BackupBucket `noncurrent_days`), then expires them.

RESTORE.md
==========
The bootstrap (after `vault operator init`) creates what the job logs in with::

    vault policy write raft-snapshot - <<'EOF'
    path "sys/storage/raft/snapshot" { capabilities = ["read"] }
    EOF
    vault write auth/kubernetes/role/raft-snapshot audience=vault ttl=10m policies=raft-snapshot \
        bound_service_account_names=vault-raft-snapshot bound_service_account_namespaces=vault

Restore (same or a fresh cluster, unsealed by the same KMS key or after `vault operator init`):

1. Pick the object version: `aws s3api list-object-versions --bucket <bucket> --prefix raft/vault-raft.snap`.
2. Fetch it: `aws s3api get-object --bucket <bucket> --key raft/vault-raft.snap --version-id <id> vault.snap`.
3. Copy it to the active pod: `kubectl -n vault cp vault.snap vault-0:/tmp/vault.snap` (the active pod is the one
   labelled `vault-active=true`).
4. With a token allowed `update` on `sys/storage/raft/snapshot-force`, on the active pod:
   `vault operator raft snapshot restore -force /tmp/vault.snap` (`-force`: the snapshot's cluster was
   initialised with other keys, as after a rebuild).
5. Check: `vault operator raft list-peers` lists every pod, `vault status` shows `Sealed false` on each (the
   awskms seal unseals them; a snapshot from another seal key needs the recovery keys it was taken with).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, cast

import pulumi
import pulumi_kubernetes as k8s

from components.backup_bucket import BackupBucket, BackupBucketArgs
from components.contracts import ClusterRef
from components.irsa import irsa_role
from components.namespaces import IMAGE_TAG_NOT_DIGEST, NON_ROOT_UID, Egress, egress_policy
from components.vault_values import API_PORT, NAMESPACE, RELEASE, TLS_SECRET, VAULT_VERSION

SERVICE_ACCOUNT: Final = "vault-raft-snapshot"
VAULT_ROLE: Final = "raft-snapshot"
"""Kubernetes auth role the bootstrap creates (see RESTORE.md above)."""
TOKEN_AUDIENCE: Final = "vault"
PREFIX: Final = "raft/"
SNAPSHOT_KEY: Final = f"{PREFIX}vault-raft.snap"
VAULT_IMAGE: Final = f"hashicorp/vault:{VAULT_VERSION}"
AWS_CLI_IMAGE: Final = "public.ecr.aws/aws-cli/aws-cli:2.33.19"
"""Official AWS CLI v2 image (ECR Public mirror of amazon/aws-cli, no Docker Hub pull limits), pinned by tag."""
LABELS: Final = {"app.kubernetes.io/name": "vault-raft-snapshot", "app.kubernetes.io/part-of": "meridian"}
"""Pod labels of the snapshot job: the S3 egress policy selects them."""
WORK_DIR: Final = "/snapshots"
TOKEN_DIR: Final = "/var/run/secrets/vault"
CA_DIR: Final = "/vault/tls"

SNAPSHOT_SCRIPT: Final = f"""\
VAULT_TOKEN="$(vault write -field=token auth/kubernetes/login role={VAULT_ROLE} jwt=@{TOKEN_DIR}/token)"
export VAULT_TOKEN
vault operator raft snapshot save {WORK_DIR}/vault-raft.snap
"""
UPLOAD_SCRIPT: Final = f"""\
aws s3 cp {WORK_DIR}/vault-raft.snap "s3://${{BUCKET}}/{SNAPSHOT_KEY}" --only-show-errors
"""


def _container_security() -> dict[str, Any]:
    return {"runAsNonRoot": True, "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]}}


def _resources(cpu: str, memory: str) -> dict[str, Any]:
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"cpu": cpu, "memory": memory}}


def cronjob_spec(*, schedule: str, bucket: pulumi.Input[str], region: str) -> dict[str, Any]:
    """CronJob spec: snapshot (init) then upload, non-root, read-only root filesystem, no Kubernetes API token."""
    work = {"name": "work", "mountPath": WORK_DIR}
    tmp = {"name": "tmp", "mountPath": "/tmp"}
    snapshot = {
        "name": "snapshot", "image": VAULT_IMAGE, "imagePullPolicy": "Always",
        "command": ["/bin/sh", "-ec", SNAPSHOT_SCRIPT],
        "env": [{"name": "VAULT_ADDR", "value": f"https://{RELEASE}-active.{NAMESPACE}.svc:{API_PORT}"},
                {"name": "VAULT_CACERT", "value": f"{CA_DIR}/ca.crt"}, {"name": "HOME", "value": "/tmp"}],
        "volumeMounts": [work, tmp, {"name": "vault-token", "mountPath": TOKEN_DIR, "readOnly": True},
                         {"name": "vault-ca", "mountPath": CA_DIR, "readOnly": True}],
        "securityContext": _container_security(), "resources": _resources("200m", "256Mi"),
    }
    upload = {
        "name": "upload", "image": AWS_CLI_IMAGE, "imagePullPolicy": "Always",
        "command": ["/bin/sh", "-ec", UPLOAD_SCRIPT],
        "env": [{"name": "BUCKET", "value": bucket}, {"name": "AWS_REGION", "value": region},
                {"name": "HOME", "value": "/tmp"}],
        "volumeMounts": [{**work, "readOnly": True}, tmp],
        "securityContext": _container_security(), "resources": _resources("200m", "256Mi"),
    }
    pod = {
        "serviceAccountName": SERVICE_ACCOUNT,
        "automountServiceAccountToken": False,  # only the audience-bound token below, for Vault
        "restartPolicy": "Never",
        "securityContext": {"runAsNonRoot": True, "runAsUser": NON_ROOT_UID, "runAsGroup": NON_ROOT_UID,
                            "fsGroup": NON_ROOT_UID,
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "initContainers": [snapshot],
        "containers": [upload],
        "volumes": [
            {"name": "work", "emptyDir": {"sizeLimit": "2Gi"}},
            {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}},
            {"name": "vault-token", "projected": {"sources": [{"serviceAccountToken": {
                "audience": TOKEN_AUDIENCE, "expirationSeconds": 600, "path": "token"}}]}},
            {"name": "vault-ca", "secret": {"secretName": TLS_SECRET, "defaultMode": 0o444,
                                            "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        ],
    }
    return {
        "schedule": schedule,
        "timeZone": "Etc/UTC",
        "concurrencyPolicy": "Forbid",
        "startingDeadlineSeconds": 600,
        "successfulJobsHistoryLimit": 3,
        "failedJobsHistoryLimit": 3,
        "jobTemplate": {"spec": {"backoffLimit": 2, "activeDeadlineSeconds": 1800, "ttlSecondsAfterFinished": 86400,
                                 "template": {"metadata": {"labels": dict(LABELS)}, "spec": pod}}},
    }


def raft_snapshots(name: str, *, cluster: ClusterRef, namespace_name: pulumi.Input[str], schedule: str,
                   retention_days: int, tags: Mapping[str, str], protect: bool, parent: pulumi.Resource,
                   depends_on: list[pulumi.Resource]) -> BackupBucket:
    """The bucket, the job's IRSA role and service account, its S3 egress policy and the CronJob."""
    provider = cluster.provider
    bucket = BackupBucket(f"{name}-snapshots", BackupBucketArgs(
        purpose="vault-snapshots", region=cluster.region, tags=tags, component="vault",
        noncurrent_days=retention_days, protect=protect), pulumi.ResourceOptions(parent=parent))
    role = irsa_role(f"{name}-snapshot-irsa", oidc_provider_arn=cluster.oidc_provider_arn,
                     oidc_issuer=cluster.oidc_issuer, namespace=NAMESPACE, service_account=SERVICE_ACCOUNT,
                     policy=bucket.access_policy(PREFIX), tags=tags, component="vault", parent=parent)
    k8s_opts = pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=depends_on)
    account = k8s.core.v1.ServiceAccount(
        f"{name}-snapshot-sa",
        metadata={"name": SERVICE_ACCOUNT, "namespace": namespace_name, "labels": dict(LABELS),
                  "annotations": {"eks.amazonaws.com/role-arn": role.arn}},
        automount_service_account_token=False, opts=k8s_opts)
    # HTTPS anywhere (S3's public ranges, through the gateway endpoint) for the snapshot job's pods only.
    egress = egress_policy(name, namespace_name, Egress(name="snapshot-s3-egress", from_pod_labels=LABELS,
                                                        to_cidrs={"0.0.0.0/0": (443,)}), k8s_opts)
    k8s.batch.v1.CronJob(
        f"{name}-raft-snapshot",
        metadata={"name": "vault-raft-snapshot", "namespace": namespace_name, "labels": dict(LABELS),
                  "annotations": dict(IMAGE_TAG_NOT_DIGEST)},
        spec=cast(k8s.batch.v1.CronJobSpecArgsDict,
                  cronjob_spec(schedule=schedule, bucket=bucket.bucket_name, region=cluster.region)),
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=[*depends_on, account, egress]))
    return bucket
