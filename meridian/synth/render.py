"""Turn a recorded Plan into the synth's files: plan.json, Kubernetes manifests and Helm release values."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from components.peers import PROVIDER_NAME
from meridian.synth.mocks import SECRET_MASK, RecordedResource
from meridian.synth.plan import Plan

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
_UNSAFE = re.compile(r"[^a-z0-9.-]+")


def is_manifest(resource: RecordedResource) -> bool:
    return (resource.custom and resource.type.startswith("kubernetes:")
            and resource.type != HELM_RELEASE and "apiVersion" in resource.inputs)


def manifest(resource: RecordedResource) -> dict[str, Any]:
    """The Kubernetes object a `kubernetes:*` resource declares (its inputs are the object).

    A Secret whose whole payload is secret keeps the shape of one: a map whose only entry is the mask.
    """
    obj = {key: value for key, value in resource.inputs.items() if not key.startswith("__")}
    for payload in ("data", "stringData"):
        if obj.get(payload) == SECRET_MASK:
            obj[payload] = {"masked-by-synth": SECRET_MASK}
    return obj


def peer_cluster(resource: RecordedResource) -> str | None:
    """The peer stack whose cluster a resource is declared into (components/peers.py), or None for the stack's own
    cluster."""
    found = PROVIDER_NAME.search(resource.provider or "")
    return found.group(1) if found else None


def manifest_filename(obj: dict[str, Any]) -> str:
    """`<kind>-<namespace or cluster>-<name>.yaml`, lowercase and path-safe."""
    metadata = obj.get("metadata") or {}
    parts = [str(obj.get("kind", "object")), str(metadata.get("namespace") or "cluster"), str(metadata.get("name"))]
    return _UNSAFE.sub("-", "-".join(parts).lower()) + ".yaml"


def helm_release(resource: RecordedResource) -> dict[str, Any]:
    """Chart, repository, version, namespace and values of a Helm release."""
    inputs = resource.inputs
    return {"name": inputs.get("name", resource.name), "chart": inputs.get("chart"),
            "repository": (inputs.get("repositoryOpts") or {}).get("repo"), "version": inputs.get("version"),
            "namespace": inputs.get("namespace"), "values": inputs.get("values", {})}


def _dump_yaml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=True, default_flow_style=False)


def write_plan(plan: Plan, out_dir: Path) -> dict[str, int]:
    """Write everything for one stack under `out_dir` (replacing what was there); returns file counts."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    (out_dir / "k8s").mkdir(parents=True)
    (out_dir / "helm").mkdir()
    (out_dir / "plan.json").write_text(json.dumps(plan.as_json(), indent=2, sort_keys=True) + "\n")
    counts: Counter[str] = Counter()
    for resource in plan:
        if is_manifest(resource):
            obj = manifest(resource)
            peer = peer_cluster(resource)  # objects declared into a peer's cluster: k8s/peer-<stack>/
            folder = out_dir / "k8s" / f"peer-{peer}" if peer else out_dir / "k8s"
            folder.mkdir(exist_ok=True)
            (folder / manifest_filename(obj)).write_text(_dump_yaml(obj))
            counts["k8s"] += 1
        elif resource.type == HELM_RELEASE:
            release = helm_release(resource)
            (out_dir / "helm" / f"{release['name']}.yaml").write_text(_dump_yaml(release))
            counts["helm"] += 1
    return dict(counts)


def summary_by_component(plan: Plan) -> dict[str, int]:
    """Custom resources per top-level component (the platform's direct children)."""
    roots = {r.urn: r for r in plan if r.type == "meridian:platform:RegionalPlatform"}
    counts: dict[str, int] = {}
    for root in roots.values():
        for child in plan.children_of(root.urn):
            if child.custom:  # the peers' StackReferences and Kubernetes providers (components/peers.py)
                counts["(peer stacks: references, providers)"] = counts.get(
                    "(peer stacks: references, providers)", 0) + 1
                continue
            counts[f"{child.type.split(':')[-1]} {child.name}"] = sum(
                1 for r in plan.descendants_of(child.urn) if r.custom)
    outside = sum(1 for r in plan if r.custom and not any(r.urn == d.urn for root in roots.values()
                                                           for d in plan.descendants_of(root.urn)))
    counts["(stack level: providers)"] = outside
    return counts
