"""`meridian diff`: what a change does to every stack, from two synth outputs, without cloud credentials."""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from meridian.diff.generated_diff import diff_generated
from meridian.diff.revision import RevisionError, synth_revision, synth_tree
from meridian.diff.synth_diff import diff_builds
from meridian.preview.command import write_output
from meridian.preview.danger import EXIT_ERROR, dangers, exit_code
from meridian.preview.model import StackReport
from meridian.preview.summary import LIMIT, Comment, render

TITLE = "Offline diff"


def compare(base_build: Path, head_build: Path, stacks: list[str] | None = None) -> list[StackReport]:
    """Resource and generated-monitoring changes of every stack between two build folders."""
    reports = diff_builds(base_build, head_build, stacks)
    for report in reports:
        report.generated = diff_generated(base_build / report.stack, head_build / report.stack)
    return reports


def as_json(reports: list[StackReport], allow: list[str]) -> dict[str, Any]:
    """The machine-readable form (`--json`)."""
    return {
        "stacks": [{"stack": r.stack, "region": r.region, "unchanged": r.unchanged,
                    "changes": [asdict(c) for c in r.changes], "generated": [asdict(g) for g in r.generated]}
                   for r in reports],
        "dangers": [{"region": d.region, "urn": d.change.urn, "type": d.change.type, "op": d.change.op,
                     "why": d.change.why(), "allowed": d.allowed} for d in dangers(reports, allow)],
        "exit_code": exit_code(reports, allow),
    }


def _fail(message: str) -> typer.Exit:
    print(f"error: {message}", file=sys.stderr)
    return typer.Exit(code=EXIT_ERROR)


def diff_command(
    base_dir: Annotated[Path | None, typer.Argument(help="Base build folder (holding <stack>/plan.json).")] = None,
    head_dir: Annotated[Path | None, typer.Argument(help="Head build folder.")] = None,
    base: Annotated[str | None, typer.Option("--base", help="Git revision to synthesize as the base, e.g. "
                                                            "origin/main.")] = None,
    head_build: Annotated[Path | None, typer.Option(help="Head build folder with --base (default: synthesize "
                                                         "the working tree).")] = None,
    stack: Annotated[list[str] | None, typer.Option("--stack", "-s", help="Only these stacks (repeatable).")] = None,
    allow_replace: Annotated[list[str] | None, typer.Option(
        "--allow-replace", help="URN, <stack>:<name> or name of a stateful resource that may be replaced or "
                                "deleted (repeatable).")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of markdown.")] = False,
    json_out: Annotated[Path | None, typer.Option(help="Also write the full JSON here (never truncated).")] = None,
    artifacts_url: Annotated[str, typer.Option(help="Link to the workflow run's artifacts.")] = "",
    out: Annotated[Path | None, typer.Option(help="Write the output here instead of stdout.")] = None,
    limit: Annotated[int, typer.Option(help="Maximum markdown length in characters.")] = LIMIT,
    project_dir: Annotated[Path, typer.Option(help="Repository holding Pulumi.yaml (for --base).")] = Path("."),
) -> None:
    """Compare the synth outputs of two revisions: resources added, changed and removed per stack, and the
    generated alerts and dashboards. Exit 2 when a stateful resource would be replaced or deleted and
    `--allow-replace` does not name it, 1 on errors, 0 otherwise."""
    allow = list(allow_replace or [])
    with tempfile.TemporaryDirectory(prefix="meridian-diff-") as tmp:
        try:
            if base is not None:
                if base_dir is not None:
                    raise _fail("give either --base or BASE_DIR HEAD_DIR, not both")
                base_build = synth_revision(project_dir, base, Path(tmp) / "base", stack)
                head = head_build or synth_tree(project_dir, Path(tmp) / "head", stack)
                intro = f"`{base}` against this change, both rendered offline by `meridian synth`."
            elif base_dir is not None and head_dir is not None:
                base_build, head, intro = base_dir, head_dir, f"`{base_dir}` against `{head_dir}`."
            else:
                raise _fail("give BASE_DIR HEAD_DIR, or --base <git revision>")
        except RevisionError as error:
            raise _fail(str(error)) from None
        for folder in (base_build, head):
            if not folder.is_dir():
                raise _fail(f"{folder} is not a folder")
        reports = compare(base_build, head, stack)
    intro += (" The offline diff sees what the program declares; replacements are inferred from the providers'"
              " replace-forcing properties, and drift in the cloud is not visible.")
    full = json.dumps(as_json(reports, allow), indent=2, sort_keys=True) + "\n"
    if json_out is not None:
        write_output(full, json_out)
    if json_output:
        write_output(full, out)
    else:
        write_output(render(Comment(reports, title=TITLE, allow=allow, artifacts_url=artifacts_url, intro=intro),
                            limit=limit), out)
    code = exit_code(reports, allow)
    if code:
        raise typer.Exit(code=code)
