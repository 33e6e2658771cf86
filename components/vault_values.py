"""Pure builders for Vault: the raft server config (HCL), the vault chart's values and the TLS Certificate spec.

Chart keys follow hashicorp/vault-helm v0.34.1 (`values.yaml`, `templates/_helpers.tpl`, `server-statefulset.yaml`);
the values validate against the chart's own `values.schema.json` (tests/components/test_vault.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import pulumi

from components.contracts import ZONE_LABEL, tolerations

NAMESPACE: Final = "vault"
RELEASE: Final = "vault"
"""Helm release name; the chart's fullname is then `vault`: services vault, vault-active, vault-internal."""
SERVICE_ACCOUNT: Final = "vault"
VAULT_VERSION: Final = "2.0.4"
"""The vault chart 0.34.1's appVersion (../shared/schemas/helm/SOURCES.md); server and snapshot job share it."""
API_PORT: Final = 8200
CLUSTER_PORT: Final = 8201
TLS_SECRET: Final = "vault-tls"
TLS_DIR: Final = f"/vault/userconfig/{TLS_SECRET}"
DATA_DIR: Final = "/vault/data"
AUDIT_DIR: Final = "/vault/audit"
HOST_KEY: Final = "kubernetes.io/hostname"
SERVER_LABELS: Final = {"app.kubernetes.io/name": "vault", "app.kubernetes.io/instance": RELEASE,
                        "component": "server"}
"""Labels the chart puts on server pods (server-statefulset.yaml `selector.matchLabels`)."""
INTERNAL_SERVICE_LABELS: Final = {"app.kubernetes.io/name": "vault", "app.kubernetes.io/instance": RELEASE,
                                  "vault-internal": "true"}
"""Labels of the headless `vault-internal` service (server-headless-service.yaml): every server pod behind it."""
CHART_PLACEHOLDERS: Final = ("HOST_IP", "POD_IP", "HOSTNAME", "API_ADDR", "TRANSIT_ADDR", "RAFT_ADDR")
"""Words the chart's start script replaces in the config with sed (`vault.args` in _helpers.tpl): never use them."""


def pod_names(replicas: int) -> list[str]:
    """StatefulSet pod names, `vault-0` .. `vault-<n-1>`."""
    return [f"{RELEASE}-{index}" for index in range(replicas)]


def _service_names(service: str) -> list[str]:
    return [service, f"{service}.{NAMESPACE}", f"{service}.{NAMESPACE}.svc", f"{service}.{NAMESPACE}.svc.cluster.local"]


def dns_names(replicas: int) -> list[str]:
    """Every name clients, peers and the snapshot job use: the services and each pod behind the headless one."""
    names = ["localhost"]
    for service in (RELEASE, f"{RELEASE}-active", f"{RELEASE}-standby", f"{RELEASE}-internal"):
        names += _service_names(service)
    for pod in pod_names(replicas):
        names += [f"{pod}.{RELEASE}-internal", *_service_names(f"{pod}.{RELEASE}-internal")[1:]]
    return names


def certificate_spec(replicas: int, cluster_issuer: str) -> dict[str, Any]:
    """cert-manager Certificate (cert-manager.io/v1) for the listener, the raft joins and the in-pod CLI.

    The CA issuer also writes `ca.crt` into the secret, which peers and clients use to verify (tls_client_ca_file).
    """
    return {
        "secretName": TLS_SECRET,
        "issuerRef": {"name": cluster_issuer, "kind": "ClusterIssuer", "group": "cert-manager.io"},
        "commonName": f"{RELEASE}.{NAMESPACE}.svc",
        "dnsNames": dns_names(replicas),
        "ipAddresses": ["127.0.0.1"],  # VAULT_ADDR inside the pods is https://127.0.0.1:8200 (chart env)
        "duration": "2160h",
        "renewBefore": "720h",
        "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
        "usages": ["digital signature", "server auth", "client auth"],
        "secretTemplate": {"labels": {"app.kubernetes.io/part-of": "meridian", "app.kubernetes.io/name": "vault"}},
    }


def _retry_join(pod: str) -> list[str]:
    # storage "raft" retry_join over TLS: developer.hashicorp.com/vault/docs/configuration/storage/raft#retry_join
    return [
        "  retry_join {",
        f'    leader_api_addr         = "https://{pod}.{RELEASE}-internal:{API_PORT}"',
        f'    leader_tls_servername   = "{pod}.{RELEASE}-internal"',
        f'    leader_ca_cert_file     = "{TLS_DIR}/ca.crt"',
        f'    leader_client_cert_file = "{TLS_DIR}/tls.crt"',
        f'    leader_client_key_file  = "{TLS_DIR}/tls.key"',
        "  }",
    ]


def raft_config(*, replicas: int, region: str, kms_key_id: str) -> str:
    """The server config (`server.ha.raft.config`): TLS listener, raft with a retry_join per replica, KMS seal."""
    lines = [
        "ui = false",
        "disable_mlock = true",
        "",
        'listener "tcp" {',
        f'  address            = "[::]:{API_PORT}"',
        f'  cluster_address    = "[::]:{CLUSTER_PORT}"',
        "  tls_disable        = false",
        f'  tls_cert_file      = "{TLS_DIR}/tls.crt"',
        f'  tls_key_file       = "{TLS_DIR}/tls.key"',
        f'  tls_client_ca_file = "{TLS_DIR}/ca.crt"',
        '  tls_min_version    = "tls12"',
        "  telemetry {",
        "    unauthenticated_metrics_access = true",  # each pod serves its own /v1/sys/metrics, no token
        "  }",
        "}",
        "",
        'storage "raft" {',
        f'  path = "{DATA_DIR}"',
    ]
    for pod in pod_names(replicas):
        lines += _retry_join(pod)
    lines += [
        "}",
        "",
        'seal "awskms" {',  # developer.hashicorp.com/vault/docs/configuration/seal/awskms
        f'  region     = "{region}"',
        f'  kms_key_id = "{kms_key_id}"',
        "}",
        "",
        'service_registration "kubernetes" {}',  # labels the active pod vault-active=true (vault-active service)
        "",
        "telemetry {",  # developer.hashicorp.com/vault/docs/configuration/telemetry#prometheus
        '  prometheus_retention_time = "30s"',
        "  disable_hostname          = true",
        "}",
    ]
    return "\n".join(lines) + "\n"


def _placement(replicas: int, zones: int, node_labels: Mapping[str, str],
               taints: Sequence[Mapping[str, str]]) -> dict[str, Any]:
    selector = {"matchLabels": dict(SERVER_LABELS)}
    return {
        # One pod per node, and at most ceil(n/zones) per zone: maxSkew 1, DoNotSchedule, counted over all zones.
        "affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": selector, "topologyKey": HOST_KEY}]}},
        "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": ZONE_LABEL, "whenUnsatisfiable": "DoNotSchedule",
                                       "minDomains": zones, "labelSelector": selector}],
        "nodeSelector": dict(node_labels),
        "tolerations": tolerations(taints),
    }


TLS_RELOAD_SCRIPT: Final = f"""cert={TLS_DIR}/tls.crt
last=$(stat -L -c %Y "$cert")
while sleep 60; do
  now=$(stat -L -c %Y "$cert")
  if [ "$now" != "$last" ] && pkill -HUP -x vault; then
    echo "listener certificate renewed: sent SIGHUP to vault"; last=$now
  fi
done
"""


def tls_reloader() -> dict[str, Any]:
    """Sidecar that sends Vault SIGHUP when cert-manager renews the listener certificate (Vault's own image)."""
    return {
        "name": "tls-reloader",
        "image": f"hashicorp/vault:{VAULT_VERSION}",
        "command": ["/bin/sh", "-ec", TLS_RELOAD_SCRIPT],
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]}},
        "resources": {"requests": {"cpu": "5m", "memory": "16Mi"}, "limits": {"cpu": "50m", "memory": "32Mi"}},
        "volumeMounts": [{"name": TLS_SECRET, "mountPath": TLS_DIR, "readOnly": True}],
    }


def chart_values(*, replicas: int, zones: int, region: str, node_labels: Mapping[str, str],
                 taints: Sequence[Mapping[str, str]], storage_class: str, cpu_millicores: int, memory_gib: float,
                 data_disk_gib: int, audit_disk_gib: int, role_arn: pulumi.Input[str],
                 config_hcl: pulumi.Input[str]) -> dict[str, Any]:
    """vault chart values: HA raft over TLS, spread over zones on the data nodes, KMS unseal through IRSA."""
    memory = f"{round(memory_gib * 1024)}Mi"
    volume = {"enabled": True, "storageClass": storage_class, "accessMode": "ReadWriteOnce"}
    return {
        "global": {"enabled": True, "tlsDisable": False, "serverTelemetry": {"prometheusOperator": False}},
        # No agent injector: nothing in Meridian needs sidecar injection; it would add a cluster-wide mutating
        # webhook (API-server ingress, failure policy on every pod create) for no consumer.
        "injector": {"enabled": False},
        "csi": {"enabled": False},
        "ui": {"enabled": False},
        "server": {
            "image": {"repository": "hashicorp/vault", "tag": VAULT_VERSION},
            "logFormat": "json",
            # Roll by hand, standbys first, the active pod last. Also: Helm's --wait (atomic) skips StatefulSets
            # that are not RollingUpdate (helm pkg/kube/ready.go statefulSetReady), so a first install does not
            # time out while the pods stay sealed and unready until `vault operator init`.
            "updateStrategyType": "OnDelete",
            "includeConfigAnnotation": True,  # config checksum on pods shows which still run the old config
            "resources": {"requests": {"cpu": f"{cpu_millicores}m", "memory": memory}, "limits": {"memory": memory}},
            "extraEnvironmentVars": {"VAULT_CACERT": f"{TLS_DIR}/ca.crt"},
            "volumes": [{"name": TLS_SECRET, "secret": {"secretName": TLS_SECRET, "defaultMode": 0o440}},
                        {"name": "tmp", "emptyDir": {"sizeLimit": f"{data_disk_gib}Gi"}}],
            "volumeMounts": [{"name": TLS_SECRET, "mountPath": TLS_DIR, "readOnly": True},
                             {"name": "tmp", "mountPath": "/tmp"}],  # the start script writes its config here
            **_placement(replicas, zones, node_labels, taints),
            # Vault reads its listener certificate once and reloads it only on SIGHUP; cert-manager renews it
            # a month before expiry. The sidecar sees the renewed file and signals Vault (same user, shared PID
            # namespace), so no pod serves an expired certificate and no restart is needed.
            "shareProcessNamespace": True,
            "extraContainers": [tls_reloader()],
            "networkPolicy": {"enabled": False},  # Meridian's own default-deny policies cover the namespace
            "dataStorage": {**volume, "size": f"{data_disk_gib}Gi", "mountPath": DATA_DIR},
            "auditStorage": {**volume, "size": f"{audit_disk_gib}Gi", "mountPath": AUDIT_DIR},
            "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
            "standalone": {"enabled": False},
            "ha": {
                "enabled": True,
                "replicas": replicas,
                # $(VAULT_K8S_POD_NAME) is set before VAULT_API_ADDR in the pod's env, so Kubernetes expands it.
                "apiAddr": f"https://$(VAULT_K8S_POD_NAME).{RELEASE}-internal.{NAMESPACE}.svc:{API_PORT}",
                "raft": {"enabled": True, "setNodeId": True, "config": config_hcl},
                "disruptionBudget": {"enabled": True, "maxUnavailable": 1},
            },
            "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT,
                               "annotations": {"eks.amazonaws.com/role-arn": role_arn}},
            "authDelegator": {"enabled": True},  # TokenReview for the Kubernetes auth method (raft-snapshot role)
            "statefulSet": {"securityContext": {
                "pod": {"runAsNonRoot": True, "runAsUser": 100, "runAsGroup": 1000, "fsGroup": 1000,
                        "seccompProfile": {"type": "RuntimeDefault"}},
                "container": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                              "capabilities": {"drop": ["ALL"]}},
            }},
        },
        # The monitoring component creates the ServiceMonitor from the contract (it owns the CRDs' ordering).
        "serverTelemetry": {"serviceMonitor": {"enabled": False}, "prometheusRules": {"enabled": False}},
    }
