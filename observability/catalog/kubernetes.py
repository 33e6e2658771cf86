"""The cluster's own metrics: kube-state-metrics, node-exporter, kubelet and cAdvisor, the API server.

Versions: kube-prometheus-stack 88.5.3 bundles kube-state-metrics chart 8.4.0 (v2.20.0) and
prometheus-node-exporter chart 4.56.1 (v1.12.1); kubelet, cAdvisor and the API server are EKS 1.35's.
How they are stored (prometheus-community/helm-charts@kube-prometheus-stack-88.5.3, values.yaml and
templates/exporters/*/servicemonitor.yaml):
- kube-state-metrics' monitor honours labels, so an object's own `namespace` and `pod` labels are stored as such
  (they win over the target's; families of cluster-scoped objects keep the target's `namespace="monitoring"`).
- The kubelet monitor (`/metrics` and `/metrics/cadvisor`, job `kubelet`) honours labels too: volume stats keep
  the claim's `namespace`, cAdvisor series the container's `namespace`/`pod`. Its relabelings add `metrics_path`,
  and the operator adds `node` for endpoints that point at Nodes (prometheus-operator@v0.93.0
  pkg/prometheus/promcfg.go). cAdvisor's `container_cpu_cfs_throttled_seconds_total` and the `container_spec_*`
  families are dropped by the chart's `cAdvisorMetricRelabelings`; series of non-pod cgroups too.
- The API server's monitor drops most `apiserver_request_duration_seconds` buckets; the stored bounds are below.
Only label sets a healthy cluster has at value 1 are listed for status families (a `condition`'s `status="true"`
row when the node is fine, `phase="Running"`), since a family has one typical value. PVC names follow the
operators: cass-operator `server-data-<sts pod>`, Strimzi node pools `data-<volume id>-<cluster>-<pool>-<id>`,
the Vault chart `data-vault-<n>`/`audit-vault-<n>`, ECK `elasticsearch-data-<es>-es-<nodeset>-<n>`.
"""

from __future__ import annotations

from typing import Final

from observability.catalog import MetricFamily

EXPORTER: Final = "kubernetes"
_KSM_DOCS: Final = "kubernetes/kube-state-metrics@v2.20.0:docs/metrics/"
_NODE_EXPORTER: Final = "prometheus/node_exporter@v1.12.1:collector/"
_CADVISOR: Final = "google/cadvisor@v0.53.0:metrics/prometheus.go (labels from the kubelet: container, namespace, pod)"
_VOLUME_STATS: Final = ("kubernetes/kubernetes:pkg/kubelet/metrics/collectors/volume_stats.go; "
                        "https://kubernetes.io/docs/reference/instrumentation/metrics/")
_APISERVER: Final = ("kubernetes/kubernetes:staging/src/k8s.io/apiserver/pkg/endpoints/metrics/metrics.go; "
                     "https://kubernetes.io/docs/reference/instrumentation/metrics/")

SYSTEM_NODES: Final = ("ip-10-10-0-21.ec2.internal", "ip-10-10-16-34.ec2.internal", "ip-10-10-32-47.ec2.internal")
DATA_NODES: Final = ("ip-10-10-48-11.ec2.internal", "ip-10-10-48-75.ec2.internal", "ip-10-10-64-12.ec2.internal",
                     "ip-10-10-64-90.ec2.internal", "ip-10-10-80-13.ec2.internal", "ip-10-10-80-66.ec2.internal")
NODES: Final = SYSTEM_NODES + DATA_NODES
"""us-east-1's nine nodes: three system, two data nodes per zone."""

_CASSANDRA_PODS: Final = tuple(f"meridian-us-east-1-us-east-1{zone}-sts-0" for zone in "abc")
_BROKERS: Final = ("meridian-broker-100", "meridian-broker-101", "meridian-broker-102")
_CONTROLLERS: Final = ("meridian-controller-0", "meridian-controller-1", "meridian-controller-2")
_ES_PODS: Final = ("elasticsearch-es-master-0", "elasticsearch-es-data-0", "elasticsearch-es-data-1",
                   "elasticsearch-es-data-2")
_VAULT_PODS: Final = ("vault-0", "vault-1", "vault-2")
CONTAINERS: Final = (
    *(("cassandra", pod, "cassandra", DATA_NODES[2 * i]) for i, pod in enumerate(_CASSANDRA_PODS)),
    *(("kafka", pod, "kafka", DATA_NODES[2 * i + 1]) for i, pod in enumerate(_BROKERS)),
    *(("kafka", pod, "kafka", DATA_NODES[2 * i]) for i, pod in enumerate(_CONTROLLERS)),
    *(("vault", pod, "vault", DATA_NODES[2 * i + 1]) for i, pod in enumerate(_VAULT_PODS)),
    *(("logging", pod, "elasticsearch", DATA_NODES[i]) for i, pod in enumerate(_ES_PODS)),
    ("monitoring", "prometheus-kube-prometheus-stack-prometheus-0", "prometheus", SYSTEM_NODES[0]),
    ("monitoring", "alertmanager-kube-prometheus-stack-alertmanager-0", "alertmanager", SYSTEM_NODES[1]),
    ("kube-system", "coredns-5b9dfbf96-7xk2p", "coredns", SYSTEM_NODES[2]),
)
"""(namespace, pod, container, node) of representative running containers."""
PVCS: Final = (
    *(("cassandra", f"server-data-{pod}", DATA_NODES[2 * i]) for i, pod in enumerate(_CASSANDRA_PODS)),
    *(("kafka", f"data-0-{pod}", DATA_NODES[2 * i + 1]) for i, pod in enumerate(_BROKERS)),
    ("kafka", f"data-0-{_CONTROLLERS[0]}", DATA_NODES[0]),
    *(("vault", f"{volume}-{pod}", DATA_NODES[2 * i + 1]) for i, pod in enumerate(_VAULT_PODS)
      for volume in ("data", "audit")),
    *(("logging", f"elasticsearch-data-{pod}", DATA_NODES[i]) for i, pod in enumerate(_ES_PODS)),
)
"""(namespace, persistentvolumeclaim, node) of the data services' volumes."""
_PODS: Final = tuple(dict.fromkeys((ns, pod) for ns, pod, _, _ in CONTAINERS))
_CADVISOR_LABELS: Final = tuple({"namespace": ns, "pod": pod, "container": container, "node": node,
                                 "metrics_path": "/metrics/cadvisor"} for ns, pod, container, node in CONTAINERS)
_VOLUMES: Final = tuple({"namespace": ns, "persistentvolumeclaim": pvc, "node": node, "metrics_path": "/metrics"}
                        for ns, pvc, node in PVCS)
_STATEFULSETS: Final = tuple({"namespace": ns, "statefulset": name} for ns, name in (
    ("vault", "vault"), ("logging", "elasticsearch-es-data"), ("logging", "elasticsearch-es-master"),
    ("monitoring", "alertmanager-kube-prometheus-stack-alertmanager")))
"""StatefulSets of three replicas (Strimzi runs StrimziPodSets, not StatefulSets)."""
_DEPLOYMENTS: Final = tuple({"namespace": ns, "deployment": name} for ns, name in (
    ("kube-system", "coredns"), ("kube-system", "ebs-csi-controller"), ("monitoring", "kube-prometheus-stack-grafana")))
"""Deployments of two replicas."""
_DAEMONSETS: Final = tuple({"namespace": ns, "daemonset": name} for ns, name in (
    ("kube-system", "aws-node"), ("kube-system", "kube-proxy"), ("kube-system", "ebs-csi-node"),
    ("monitoring", "kube-prometheus-stack-prometheus-node-exporter")))
"""DaemonSets on every node."""
_ROOT_FS: Final = ({"device": "/dev/nvme0n1p1", "fstype": "xfs", "mountpoint": "/"},)
_CPUS: Final = tuple({"cpu": str(cpu), "mode": mode} for cpu in range(4) for mode in ("idle", "user"))
_REQUESTS: Final = (
    {"verb": "GET", "group": "coordination.k8s.io", "version": "v1", "resource": "leases", "scope": "resource",
     "component": "apiserver"},
    *({"verb": verb, "version": "v1", "resource": resource, "scope": scope, "component": "apiserver"}
      for verb, resource, scope in (("LIST", "pods", "cluster"), ("WATCH", "pods", "cluster"),
                                    ("PATCH", "nodes", "resource"))))
"""Request label sets (empty labels, e.g. the core API's `group`, are not stored)."""
_APISERVER_BUCKETS: Final = (0.005, 0.025, 0.05, 0.1, 1.0, 5.0, 10.0, 30.0, 60.0)
"""apiserver_request_duration_seconds bounds left after the chart's metricRelabelings drop."""


def _ksm(name: str, doc: str, help_text: str, labels: tuple[dict[str, str], ...], value: float,
         kind: str = "gauge") -> MetricFamily:
    return MetricFamily(name=name, type="counter" if kind == "counter" else "gauge", help=help_text,
                        source=f"{_KSM_DOCS}{doc}", job="kube-state-metrics", labels=labels, value=value,
                        per_target=False)


def _node(name: str, collector: str, help_text: str, value: float, labels: tuple[dict[str, str], ...] = ({},),
          kind: str = "gauge") -> MetricFamily:
    return MetricFamily(name=name, type="counter" if kind == "counter" else "gauge", help=help_text,
                        source=f"{_NODE_EXPORTER}{collector}", job="node-exporter", labels=labels, value=value)


_NODE_LABELS: Final = tuple({"node": node} for node in NODES)
_POD_LABELS: Final = tuple({"namespace": ns, "pod": pod, "uid": f"00000000-0000-4000-8000-{i:012d}"}
                           for i, (ns, pod) in enumerate(_PODS))
_UIDS: Final = {(labels["namespace"], labels["pod"]): labels["uid"] for labels in _POD_LABELS}
_CONTAINER_LABELS: Final = tuple({"namespace": ns, "pod": pod, "container": container, "uid": _UIDS[(ns, pod)]}
                                 for ns, pod, container, _ in CONTAINERS)

KUBE_STATE_METRICS: Final = (
    _ksm("kube_node_status_condition", "cluster/node-metrics.md", "The condition of a cluster node.",
         tuple({**node, "condition": condition, "status": "true" if condition == "Ready" else "false"}
               for node in _NODE_LABELS for condition in ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")),
         1.0),
    _ksm("kube_node_spec_unschedulable", "cluster/node-metrics.md", "Whether a node can schedule new pods.",
         _NODE_LABELS, 0.0),
    _ksm("kube_pod_status_phase", "workload/pod-metrics.md", "The pods current phase.",
         tuple({**pod, "phase": "Running"} for pod in _POD_LABELS), 1.0),
    _ksm("kube_pod_status_ready", "workload/pod-metrics.md", "Whether the pod is ready to serve requests.",
         tuple({**pod, "condition": "true"} for pod in _POD_LABELS), 1.0),
    _ksm("kube_pod_container_status_restarts_total", "workload/pod-metrics.md",
         "The number of container restarts per container.", _CONTAINER_LABELS, 0.0, kind="counter"),
    _ksm("kube_pod_container_status_waiting_reason", "workload/pod-metrics.md",
         "The reason a container is waiting; a series exists only while it waits (none in a healthy cluster).",
         (), 1.0),
    _ksm("kube_statefulset_replicas", "workload/statefulset-metrics.md", "Number of desired pods.",
         _STATEFULSETS, 3.0),
    _ksm("kube_statefulset_status_replicas_ready", "workload/statefulset-metrics.md", "Number of ready pods.",
         _STATEFULSETS, 3.0),
    _ksm("kube_statefulset_status_replicas_updated", "workload/statefulset-metrics.md",
         "Number of pods at the StatefulSet's update revision.", _STATEFULSETS, 3.0),
    _ksm("kube_deployment_spec_replicas", "workload/deployment-metrics.md", "Number of desired pods.",
         _DEPLOYMENTS, 2.0),
    _ksm("kube_deployment_status_replicas_available", "workload/deployment-metrics.md",
         "The number of available replicas per deployment.", _DEPLOYMENTS, 2.0),
    _ksm("kube_deployment_status_replicas_updated", "workload/deployment-metrics.md",
         "The number of updated replicas per deployment.", _DEPLOYMENTS, 2.0),
    _ksm("kube_daemonset_status_desired_number_scheduled", "workload/daemonset-metrics.md",
         "Nodes that should run the daemon pod.", _DAEMONSETS, float(len(NODES))),
    _ksm("kube_daemonset_status_number_ready", "workload/daemonset-metrics.md",
         "Nodes that run the daemon pod ready.", _DAEMONSETS, float(len(NODES))),
)

NODE_EXPORTER: Final = (
    _node("node_cpu_seconds_total", "cpu_common.go", "Seconds the CPUs spent in each mode.", 0.5, _CPUS,
          kind="counter"),
    _node("node_memory_MemAvailable_bytes", "meminfo_linux.go", "Memory information field MemAvailable_bytes.",
          9.5e9),
    _node("node_memory_MemTotal_bytes", "meminfo_linux.go", "Memory information field MemTotal_bytes.", 16.5e9),
    _node("node_filesystem_avail_bytes", "filesystem_common.go",
          "Filesystem space available to non-root users in bytes.", 5.5e10, _ROOT_FS),
    _node("node_filesystem_size_bytes", "filesystem_common.go", "Filesystem size in bytes.", 8.5e10, _ROOT_FS),
    _node("node_filesystem_readonly", "filesystem_common.go", "Filesystem read-only status.", 0.0, _ROOT_FS),
    _node("node_load5", "loadavg.go", "5m load average.", 1.2),
    _node("node_network_receive_bytes_total", "netdev_common.go", "Network device statistic receive_bytes.", 2.5e6,
          ({"device": "ens5"},), kind="counter"),
    _node("node_network_transmit_bytes_total", "netdev_common.go", "Network device statistic transmit_bytes.",
          2.0e6, ({"device": "ens5"},), kind="counter"),
)

KUBELET: Final = (
    *(MetricFamily(name=f"kubelet_volume_stats_{suffix}", type="gauge", help=help_text, source=_VOLUME_STATS,
                   job="kubelet", labels=_VOLUMES, value=value, per_target=False)
      for suffix, help_text, value in (
          ("capacity_bytes", "Capacity in bytes of the volume.", 1.073741824e11),
          ("available_bytes", "Number of available bytes in the volume.", 6.4e10),
          ("used_bytes", "Number of used bytes in the volume.", 4.3e10))),
    MetricFamily(name="container_cpu_usage_seconds_total", type="counter", source=_CADVISOR, job="kubelet",
                 help="Cumulative cpu time consumed in seconds (`cpu=\"total\"`: the kubelet reports no per-CPU).",
                 labels=tuple({**labels, "cpu": "total"} for labels in _CADVISOR_LABELS), value=0.4,
                 per_target=False),
    MetricFamily(name="container_memory_working_set_bytes", type="gauge", source=_CADVISOR, job="kubelet",
                 help="Current working set in bytes.", labels=_CADVISOR_LABELS, value=2.5e9, per_target=False),
    MetricFamily(name="container_cpu_cfs_periods_total", type="counter", source=_CADVISOR, job="kubelet",
                 help="Number of elapsed enforcement period intervals.", labels=_CADVISOR_LABELS, value=10.0,
                 per_target=False),
    MetricFamily(name="container_cpu_cfs_throttled_periods_total", type="counter", source=_CADVISOR, job="kubelet",
                 help="Number of throttled period intervals.", labels=_CADVISOR_LABELS, value=0.1,
                 per_target=False),
)

APISERVER: Final = (
    MetricFamily(name="apiserver_request_total", type="counter", source=_APISERVER, job="apiserver",
                 help="Counter of apiserver requests by verb, dry run, group, version, resource, scope, component "
                      "and HTTP code (healthy: 2xx only).",
                 labels=tuple({**labels, "code": "200"} for labels in _REQUESTS), value=40.0),
    MetricFamily(name="apiserver_request_duration_seconds", type="histogram", source=_APISERVER, job="apiserver",
                 help="Response latency distribution in seconds for each verb, dry run value, group, version, "
                      "resource, subresource, scope and component.",
                 labels=tuple(labels for labels in _REQUESTS if labels["verb"] != "WATCH"), value=40.0,
                 buckets=_APISERVER_BUCKETS),
)

FAMILIES: Final = (*KUBE_STATE_METRICS, *NODE_EXPORTER, *KUBELET, *APISERVER)
