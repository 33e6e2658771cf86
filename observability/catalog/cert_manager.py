"""cert-manager controller metrics (port 9402, `tcp-prometheus-servicemonitor`).

Source: cert-manager/cert-manager@v1.21.1 `pkg/metrics/metrics.go` (names, labels) and
https://cert-manager.io/docs/devops-tips/prometheus-metrics/. The certificate's own `namespace` label is stored as
`exported_namespace` (the target's `namespace` label wins; the monitor does not honour labels).
"""

from __future__ import annotations

from typing import Final

from observability.catalog import MetricFamily

EXPORTER: Final = "cert-manager"
_SOURCE: Final = "cert-manager/cert-manager@v1.21.1:pkg/metrics/metrics.go"
_CERT: Final = {"name": "vault-tls", "exported_namespace": "vault", "issuer_name": "meridian-ca",
                "issuer_kind": "ClusterIssuer", "issuer_group": "cert-manager.io"}

FAMILIES: Final = (
    MetricFamily(name="certmanager_certificate_expiration_timestamp_seconds", type="gauge", job="cert-manager",
                 help="The date after which the certificate expires (Unix seconds).", source=_SOURCE,
                 labels=(_CERT,), value=2.0e9, per_target=False),
    MetricFamily(name="certmanager_certificate_renewal_timestamp_seconds", type="gauge", job="cert-manager",
                 help="The date after which the certificate will be renewed (Unix seconds).", source=_SOURCE,
                 labels=(_CERT,), value=1.99e9, per_target=False),
    MetricFamily(name="certmanager_certificate_ready_status", type="gauge", job="cert-manager",
                 help="The ready status of the certificate (1 for the current condition).", source=_SOURCE,
                 labels=({**_CERT, "condition": "True"},), value=1.0, per_target=False),
    MetricFamily(name="certmanager_controller_sync_call_count", type="counter", job="cert-manager",
                 help="The number of sync() calls made by a controller (a counter without `_total`).",
                 source=_SOURCE, labels=({"controller": "certificates-issuing"},), value=0.2),
)
