"""Compare two synth outputs (`build/<stack>/plan.json`) resource by resource, by URN.

A URN only in the base is a delete, unless a head resource lists it (or, for a name-only alias, the base name with
the same type) in its `aliases`: then it is the same resource renamed. Changed inputs are compared leaf by leaf;
a change under a replace-forcing path (`meridian.diff.replacements`) makes the change a replace. Values are shown
masked (`meridian.preview.properties.show`): inputs are already masked in plan.json, keys that look secret are too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from meridian.diff.replacements import force_new_paths, forces_replace
from meridian.preview.model import PropertyChange, ResourceChange, StackReport
from meridian.preview.properties import Path as PropertyPath
from meridian.preview.properties import format_path, leaves, show
from policy.stateful import is_stateful

Resource = dict[str, Any]
META_FIELDS = ("protect", "retainOnDelete")


def load_plan(stack_dir: Path) -> dict[str, Resource]:
    """URN -> resource of one stack's plan.json (empty when the stack is absent)."""
    plan_file = stack_dir / "plan.json"
    if not plan_file.exists():
        return {}
    return {resource["urn"]: resource for resource in json.loads(plan_file.read_text())["resources"]}


def stacks_in(*builds: Path) -> list[str]:
    """Every stack with a plan.json in any of the build folders."""
    return sorted({plan.parent.name for build in builds for plan in build.glob("*/plan.json")})


def _region(plan: dict[str, Resource]) -> str:
    return next((str(r["inputs"].get("region", "")) for r in plan.values() if r["type"] == "pulumi:providers:aws"), "")


def _change(stack: str, resource: Resource, op: str, properties: tuple[PropertyChange, ...] = ()) -> ResourceChange:
    return ResourceChange(
        stack=stack, urn=resource["urn"], type=resource["type"], name=resource["name"], op=op, properties=properties,
        replace_reasons=tuple(p.path for p in properties if p.replace),
        stateful=is_stateful(resource["type"], resource.get("inputs") or {}, protect=bool(resource.get("protect"))),
        protect=bool(resource.get("protect")), retain_on_delete=bool(resource.get("retainOnDelete")))


def property_changes(old: Resource, new: Resource, forcing: list[PropertyPath]) -> tuple[PropertyChange, ...]:
    """Leaf-level changes of the inputs (and of protect / retainOnDelete), masked."""
    kind = new["type"]
    before = dict(leaves(old.get("inputs") or {}))
    after = dict(leaves(new.get("inputs") or {}))
    changes = []
    for path in sorted(before.keys() | after.keys(), key=format_path):
        if path in before and path in after and before[path] == after[path]:
            continue
        change_kind = "add" if path not in before else "delete" if path not in after else "update"
        changes.append(PropertyChange(
            path=format_path(path), kind=change_kind, replace=forces_replace(path, forcing),
            old=show(before[path], path, kind) if path in before else None,
            new=show(after[path], path, kind) if path in after else None))
    for field in META_FIELDS:
        if bool(old.get(field)) != bool(new.get(field)):
            changes.append(PropertyChange(f"({field})", "update", False, str(bool(old.get(field))).lower(),
                                          str(bool(new.get(field))).lower()))
    return tuple(changes)


def _renamed_from(removed: Resource, added: dict[str, Resource]) -> Resource | None:
    for resource in added.values():
        aliases = resource.get("aliases") or []
        if removed["urn"] in aliases or (removed["name"] in aliases and removed["type"] == resource["type"]):
            return resource
    return None


def _providers(plan: dict[str, Resource]) -> dict[str, dict[str, Any]]:
    return {urn: r.get("inputs") or {} for urn, r in plan.items() if r["type"].startswith("pulumi:providers:")}


def diff_stack(stack: str, base: dict[str, Resource], head: dict[str, Resource]) -> StackReport:
    """What going from `base` to `head` would do to one stack."""
    report = StackReport(stack=stack, region=_region(head) or _region(base))
    providers = _providers(head)
    added = {urn: head[urn] for urn in head.keys() - base.keys()}
    pairs = [(base[urn], head[urn]) for urn in sorted(base.keys() & head.keys())]
    for urn in sorted(base.keys() - head.keys()):
        renamed = _renamed_from(base[urn], added)
        if renamed is None:
            report.changes.append(_change(stack, base[urn], "delete"))
        else:
            pairs.append((base[urn], added.pop(renamed["urn"])))
    report.changes += [_change(stack, resource, "create") for _, resource in sorted(added.items())]
    for old, new in pairs:
        provider = providers.get(str(new.get("provider", "")).rsplit("::", 1)[0])
        forcing = force_new_paths(new["type"], provider, new.get("replaceOnChanges") or ())
        properties = property_changes(old, new, forcing)
        if old["urn"] != new["urn"]:
            properties = (PropertyChange("(urn)", "update", False, old["name"], new["name"]), *properties)
        if not properties:
            report.unchanged += 1
            continue
        op = "replace" if any(p.replace for p in properties) else "update"
        report.changes.append(_change(stack, old, op, properties))
    return report


def diff_builds(base_build: Path, head_build: Path, stacks: list[str] | None = None) -> list[StackReport]:
    """One report per stack present in either build (a stack only in the base is deleted whole)."""
    names = stacks or stacks_in(base_build, head_build)
    return [diff_stack(name, load_plan(base_build / name), load_plan(head_build / name)) for name in names]
