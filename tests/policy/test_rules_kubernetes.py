"""Kubernetes workload rules over every workload kind's pod spec."""

from __future__ import annotations

from typing import Any

import pytest

from policy import PolicyResource, evaluate, rules_kubernetes
from tests.policy.helpers import Case, case, check, res

SAFE = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}


def container(name: str = "app", image: str = "example/app:1.2.3", limits: dict[str, str] | None = None,
              **security: Any) -> dict[str, Any]:
    return {"name": name, "image": image,
            "resources": {"limits": {"cpu": "1", "memory": "1Gi"} if limits is None else limits},
            "securityContext": {**SAFE, **security}}


def pod(*containers: dict[str, Any], init: tuple[dict[str, Any], ...] = (), non_root: bool | None = True,
        **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": list(containers), **extra}
    if init:
        spec["initContainers"] = list(init)
    if non_root is not None:
        spec["securityContext"] = {"runAsNonRoot": non_root, "runAsUser": 10001}
    return spec


def workload(kind: str, spec: dict[str, Any], name: str = "w") -> PolicyResource:
    """The resource for `kind` (e.g. `apps/v1:Deployment`) running `spec`."""
    if kind.endswith("CronJob"):
        body = {"schedule": "@daily", "jobTemplate": {"spec": {"template": {"spec": spec}}}}
    elif kind.endswith(":Pod"):
        body = spec
    else:
        body = {"template": {"metadata": {"labels": {"app": "w"}}, "spec": spec}}
    return res(f"kubernetes:{kind}", name, {"metadata": {"name": name, "namespace": "ns"}, "spec": body})


KINDS = ["apps/v1:Deployment", "apps/v1:StatefulSet", "apps/v1:DaemonSet", "apps/v1:ReplicaSet", "batch/v1:Job",
         "batch/v1:CronJob", "core/v1:Pod"]
GOOD = pod(container(), init=(container("init"),))

CASES: list[Case] = [
    *[case(rule, f"good-{kind}", workload(kind, GOOD))
      for rule in ("k8s-resource-limits", "k8s-run-as-non-root", "k8s-no-privileged", "k8s-no-privilege-escalation",
                   "k8s-no-host-namespaces", "k8s-image-pinned") for kind in KINDS],
    *[case("k8s-resource-limits", f"init-without-memory-{kind}",
           workload(kind, pod(container(), init=(container("init", limits={"cpu": "1"}),))),
           violators=("w",), says="'init' has no memory limit") for kind in KINDS],
    case("k8s-resource-limits", "no-limits", workload("apps/v1:Deployment", pod(container(limits={}))),
         violators=("w",), says="no cpu or memory limit"),
    case("k8s-run-as-non-root", "container-level", workload("apps/v1:Deployment", pod(
        container(runAsNonRoot=True), non_root=None))),
    *[case("k8s-run-as-non-root", f"unset-{kind}", workload(kind, pod(container(), non_root=None)),
           violators=("w",), says="runAsNonRoot") for kind in KINDS],
    case("k8s-run-as-non-root", "container-overrides-pod", workload("batch/v1:CronJob", pod(
        container(), container("root", runAsNonRoot=False))), violators=("w",), says="'root'"),
    *[case("k8s-no-privileged", f"privileged-{kind}", workload(kind, pod(container(privileged=True))),
           violators=("w",), says="PRIVILEGED_ALLOWED") for kind in KINDS],
    case("k8s-no-privilege-escalation", "unset-means-allowed", workload("apps/v1:StatefulSet", pod(
        {"name": "app", "image": "a:1", "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}})),
         violators=("w",), says="allowPrivilegeEscalation is None"),
    case("k8s-no-privilege-escalation", "true-in-init", workload("batch/v1:Job", pod(
        container(), init=(container("init", allowPrivilegeEscalation=True),))), violators=("w",)),
    case("k8s-no-host-namespaces", "host-network", workload("apps/v1:DaemonSet", pod(container(), hostNetwork=True)),
         violators=("w",), says="hostNetwork"),
    case("k8s-no-host-namespaces", "host-pid", workload("core/v1:Pod", pod(container(), hostPID=True)),
         violators=("w",), says="hostPID"),
    case("k8s-image-pinned", "digest", workload("apps/v1:Deployment", pod(container(
        image="example/app@sha256:" + "a" * 64)))),
    case("k8s-image-pinned", "registry-port-and-tag", workload("apps/v1:Deployment", pod(container(
        image="registry.local:5000/app:2.0.1")))),
    case("k8s-image-pinned", "latest", workload("apps/v1:Deployment", pod(container(image="example/app:latest"))),
         violators=("w",), says="not pinned"),
    case("k8s-image-pinned", "no-tag-behind-registry-port", workload("apps/v1:Deployment", pod(container(
        image="registry.local:5000/app"))), violators=("w",)),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: f"{c.rule}-{c.id}")
def test_rule(c: Case) -> None:
    check(c)


PRIVILEGED = workload("apps/v1:DaemonSet", pod(container(privileged=True, allowPrivilegeEscalation=True),
                                              hostNetwork=True), name="node-agent")
EXEMPTED = ("k8s-no-privileged", "k8s-no-privilege-escalation", "k8s-no-host-namespaces")


def test_allow_listed_workload_with_a_reason_may_be_privileged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(rules_kubernetes.PRIVILEGED_ALLOWED, "node-agent", "mounts the host's block devices")
    assert [v for v in evaluate([PRIVILEGED]) if v.rule in EXEMPTED] == []


def test_allow_list_entry_without_a_reason_does_not_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(rules_kubernetes.PRIVILEGED_ALLOWED, "node-agent", "  ")
    assert sorted({v.rule for v in evaluate([PRIVILEGED]) if v.rule in EXEMPTED}) == sorted(EXEMPTED)


def test_every_allow_list_entry_has_a_reason() -> None:
    assert all(reason.strip() for reason in rules_kubernetes.PRIVILEGED_ALLOWED.values())
