"""Kubernetes workload rules over the pod spec of Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs
and Pods: resource limits, non-root, no privilege (the Pod Security Standards' "restricted" profile,
https://kubernetes.io/docs/concepts/security/pod-security-standards/), pinned images.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from policy.model import PolicyResource, Rule, get, is_false, is_true, is_unknown, items

TEMPLATE_KINDS: Final = frozenset({
    "kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:DaemonSet",
    "kubernetes:apps/v1:ReplicaSet", "kubernetes:batch/v1:Job",
})
CRONJOB: Final = "kubernetes:batch/v1:CronJob"
POD: Final = "kubernetes:core/v1:Pod"
WORKLOADS: Final = TEMPLATE_KINDS | {CRONJOB, POD}

PRIVILEGED_ALLOWED: Final[dict[str, str]] = {}
"""Workloads (by Pulumi resource name) allowed privileged containers, privilege escalation or host namespaces,
each with the reason. Empty: nothing the platform declares needs it (the CSI and CNI node agents are EKS add-ons).
An entry with an empty reason does not count."""


def pod_spec(resource: PolicyResource) -> Mapping[str, Any]:
    """The pod spec the workload runs ({} when there is none)."""
    spec = resource.inputs.get("spec")
    if resource.type == CRONJOB:
        spec = get(spec, "jobTemplate.spec.template.spec")
    elif resource.type in TEMPLATE_KINDS:
        spec = get(spec, "template.spec")
    return spec if isinstance(spec, Mapping) else {}


def containers(spec: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Init containers and containers of a pod spec."""
    return [container for container in items(spec.get("initContainers")) + items(spec.get("containers"))
            if isinstance(container, Mapping)]


def allowed(resource: PolicyResource) -> bool:
    """Whether the workload is on the privileged allow-list with a reason."""
    return bool(PRIVILEGED_ALLOWED.get(resource.name, "").strip())


def resource_limits(resource: PolicyResource) -> list[str]:
    """Every container limits its CPU and memory."""
    found = []
    for container in containers(pod_spec(resource)):
        limits = get(container, "resources.limits")
        missing = [kind for kind in ("cpu", "memory") if get(limits, kind) in (None, "")]
        if missing and not is_unknown(limits):
            found.append(f"container {container.get('name')!r} has no {' or '.join(missing)} limit: set "
                         f"resources.limits.{missing[0]}")
    return found


def run_as_non_root(resource: PolicyResource) -> list[str]:
    """Every container runs as non-root, set on the pod or on the container (the container's setting wins)."""
    spec = pod_spec(resource)
    pod_level = get(spec, "securityContext.runAsNonRoot")
    found = []
    for container in containers(spec):
        own = get(container, "securityContext.runAsNonRoot")
        effective = pod_level if own is None else own
        if not (is_true(effective) or is_unknown(effective)):
            found.append(f"container {container.get('name')!r} may run as root: set securityContext.runAsNonRoot "
                         "true on the pod or the container")
    return found


def no_privileged(resource: PolicyResource) -> list[str]:
    """No privileged container unless allow-listed."""
    if allowed(resource):
        return []
    return [f"container {container.get('name')!r} is privileged: drop securityContext.privileged, or allow-list "
            "the workload with a reason in policy.rules_kubernetes.PRIVILEGED_ALLOWED"
            for container in containers(pod_spec(resource))
            if is_true(get(container, "securityContext.privileged"))]


def no_privilege_escalation(resource: PolicyResource) -> list[str]:
    """Every container sets allowPrivilegeEscalation false (it defaults to true) unless allow-listed."""
    if allowed(resource):
        return []
    found = []
    for container in containers(pod_spec(resource)):
        value = get(container, "securityContext.allowPrivilegeEscalation")
        if not (is_false(value) or is_unknown(value)):
            found.append(f"container {container.get('name')!r} allowPrivilegeEscalation is {value!r}: set "
                         "securityContext.allowPrivilegeEscalation false")
    return found


def no_host_namespaces(resource: PolicyResource) -> list[str]:
    """No pod shares the node's network, PID or IPC namespace unless allow-listed."""
    if allowed(resource):
        return []
    spec = pod_spec(resource)
    return [f"{key} is true: remove it, or allow-list the workload with a reason in PRIVILEGED_ALLOWED"
            for key in ("hostNetwork", "hostPID", "hostIPC") if is_true(spec.get(key))]


def image_pinned(resource: PolicyResource) -> list[str]:
    """Every image names a tag other than `latest`, or a digest."""
    found = []
    for container in containers(pod_spec(resource)):
        image = container.get("image")
        if not isinstance(image, str) or is_unknown(image) or "@sha256:" in image:
            continue
        tag = image.rsplit("/", 1)[-1].partition(":")[2]
        if tag in ("", "latest"):
            found.append(f"container {container.get('name')!r} image {image!r} is not pinned: use an exact tag "
                         "or a digest")
    return found


RULES: Final = (
    Rule("k8s-resource-limits", "Workload containers set CPU and memory limits.", "mandatory", WORKLOADS,
         resource_limits),
    Rule("k8s-run-as-non-root", "Workload containers run as non-root.", "mandatory", WORKLOADS, run_as_non_root),
    Rule("k8s-no-privileged", "Workload containers are not privileged unless allow-listed with a reason.",
         "mandatory", WORKLOADS, no_privileged),
    Rule("k8s-no-privilege-escalation", "Workload containers forbid privilege escalation unless allow-listed.",
         "mandatory", WORKLOADS, no_privilege_escalation),
    Rule("k8s-no-host-namespaces", "Pods do not share the node's network, PID or IPC namespaces.", "mandatory",
         WORKLOADS, no_host_namespaces),
    Rule("k8s-image-pinned", "Workload images are pinned to a tag or digest.", "advisory", WORKLOADS,
         image_pinned),
)
