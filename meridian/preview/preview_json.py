"""Read the JSON `pulumi preview --json` prints for one stack.

The format, as verified in pulumi/pulumi (v3.259.0):
- `pkg/display/json.go`: `PreviewDigest` {`config`, `steps`, `diagnostics`, `duration`, `changeSummary`} and
  `PreviewStep` {`op`, `urn`, `provider`, `oldState`, `newState`, `diffReasons`, `replaceReasons`,
  `detailedDiff`: path -> `PropertyDiff` {`kind`, `inputDiff`}}.
- `pkg/resource/plugin/provider.go` `DiffKind.String`: kinds add, add-replace, delete, delete-replace, update,
  update-replace.
- `pkg/resource/deploy/step.go`: ops same, create, update, delete, replace, create-replacement, delete-replaced,
  read, read-replacement, refresh, discard, discard-replaced, remove-pending-replace, import, import-replacement.
  A replace is several steps of one URN (create-replacement, replace, delete-replaced; `--json` hides the
  non-logical ones unless `--show-replacement-steps`, `pkg/backend/display/display.go` `shouldShow`): counted once.
- `oldState`/`newState` are `apitype.ResourceV3` (`sdk/go/common/apitype/core.go`: `type`, `inputs`, `outputs`,
  `protect`, `retainOnDelete`, ...); `pkg/backend/display/json.go` `stateForJSONOutput` writes every secret as the
  string `[secret]`. A serialized secret object is masked too, should one appear.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

from meridian.preview.model import PropertyChange, ResourceChange, StackReport
from meridian.preview.properties import lookup, parse_path, show
from policy.stateful import is_stateful

ROOT_STACK_TYPE: Final = "pulumi:pulumi:Stack"
REPLACEMENT_OPS: Final = frozenset({"replace", "create-replacement", "delete-replaced", "import-replacement"})
READ_OPS: Final = frozenset({"read-replacement", "discard-replaced"})


def urn_parts(urn: str) -> tuple[str, str, str]:
    """(stack, type, name) of `urn:pulumi:<stack>::<project>::<parent$...$type>::<name>`."""
    parts = urn.split("::")
    stack = parts[0].split(":")[-1] if parts else ""
    resource_type = parts[2].split("$")[-1] if len(parts) > 3 else ""
    return stack, resource_type, parts[-1]


def _logical_op(ops: list[str]) -> str:
    if REPLACEMENT_OPS & set(ops):
        return "replace"
    if READ_OPS & set(ops):
        return "read"
    return ops[0]


def _properties(steps: list[dict[str, Any]], resource_type: str) -> tuple[PropertyChange, ...]:
    """Changed paths of a resource's steps, with masked old and new values where they can be found."""
    detailed: dict[str, dict[str, Any]] = {}
    reasons: list[str] = []
    replace_reasons: set[str] = set()
    old_state: dict[str, Any] = {}
    new_state: dict[str, Any] = {}
    for step in steps:
        detailed.update(step.get("detailedDiff") or {})
        reasons += [r for r in step.get("diffReasons") or [] if r not in reasons]
        replace_reasons.update(step.get("replaceReasons") or [])
        old_state = step.get("oldState") or old_state
        new_state = step.get("newState") or new_state
    if not detailed:  # providers that give no detailed diff: the top-level keys
        detailed = {key: {"kind": "update-replace" if key in replace_reasons else "update", "inputDiff": True}
                    for key in [*reasons, *sorted(replace_reasons - set(reasons))]}
    changes = []
    for text, diff in sorted(detailed.items()):
        kind = str(diff.get("kind", "update"))
        path = parse_path(text)
        old_tree = old_state.get("inputs") if diff.get("inputDiff") else old_state.get("outputs")
        old_tree = old_tree if old_tree is not None else old_state.get("inputs")
        found_old, old = lookup(old_tree or {}, path)
        found_new, new = lookup(new_state.get("inputs") or {}, path)
        changes.append(PropertyChange(
            path=text, kind=kind.removesuffix("-replace"),
            replace=kind.endswith("-replace") or text in replace_reasons,
            old=show(old, path, resource_type) if found_old and not kind.startswith("add") else None,
            new=show(new, path, resource_type) if found_new and not kind.startswith("delete") else None))
    return tuple(changes)


def _resource_change(stack: str, urn: str, steps: list[dict[str, Any]]) -> ResourceChange:
    op = _logical_op([str(step.get("op", "")) for step in steps])
    old: dict[str, Any] = next((s["oldState"] for s in steps if s.get("oldState")), {})
    new: dict[str, Any] = next((s["newState"] for s in steps if s.get("newState")), {})
    _, urn_type, name = urn_parts(urn)
    resource_type = str(old.get("type") or new.get("type") or urn_type)
    state = old or new
    replace_reasons = tuple(sorted({str(r) for s in steps for r in s.get("replaceReasons") or []}))
    return ResourceChange(
        stack=stack, urn=urn, type=resource_type, name=name, op=op,
        properties=_properties(steps, resource_type) if op in ("update", "replace") else (),
        replace_reasons=replace_reasons,
        stateful=is_stateful(resource_type, state.get("inputs") or {}, protect=bool(state.get("protect"))),
        protect=bool(state.get("protect")), retain_on_delete=bool(state.get("retainOnDelete")))


def parse_preview(digest: dict[str, Any], stack_hint: str = "") -> StackReport:
    """One stack's report from its preview digest."""
    steps: list[dict[str, Any]] = [step for step in digest.get("steps") or [] if isinstance(step, dict)]
    stacks = {urn_parts(str(step.get("urn", "")))[0] for step in steps} - {""}
    stack = stacks.pop() if len(stacks) == 1 else stack_hint
    config = digest.get("config") or {}
    report = StackReport(stack=stack, region=str(config.get("aws:region", "")))
    by_urn: dict[str, list[dict[str, Any]]] = {}
    for step in steps:
        by_urn.setdefault(str(step.get("urn", "")), []).append(step)
    same, root_same = 0, 0
    for urn, group in by_urn.items():
        if urn_parts(urn)[1] == ROOT_STACK_TYPE or not urn:
            root_same += any(step.get("op") == "same" for step in group)
            continue
        change = _resource_change(stack, urn, group)
        if change.op == "same":
            same += 1
        else:
            report.changes.append(change)
    summary = digest.get("changeSummary") or {}
    # changeSummary counts every same, shown or not (`--show-sames` is off by default), the root stack too.
    report.unchanged = max(same, int(summary.get("same", 0)) - root_same)
    report.errors += [str(d.get("message", "")).strip()[:300] for d in digest.get("diagnostics") or []
                      if isinstance(d, dict) and d.get("severity") == "error"]
    return report


def stack_from_filename(path: Path) -> str:
    """`preview-us-east-1.json` -> `us-east-1`."""
    return path.stem.removeprefix("preview-")


def read_preview(path: Path) -> StackReport:
    """Parse one preview file; an unreadable file gives a report holding the error (never an exception)."""
    hint = stack_from_filename(path)
    try:
        digest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        return StackReport(stack=hint, errors=[f"cannot read {path.name}: {error}"])
    if not isinstance(digest, dict):
        return StackReport(stack=hint, errors=[f"{path.name} is not a pulumi preview --json document"])
    return parse_preview(digest, hint)
