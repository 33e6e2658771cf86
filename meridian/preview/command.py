"""`meridian preview-summary`: the previews of every stack as one pull-request comment."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from meridian.preview.danger import dangers, exit_code
from meridian.preview.preview_json import read_preview
from meridian.preview.summary import LIMIT, Comment, render


def write_output(text: str, out: Path | None) -> None:
    """The comment to a file, or to stdout."""
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")


def preview_summary_command(
    previews: Annotated[list[Path], typer.Argument(help="`pulumi preview --json` output files, one per stack "
                                                       "(named preview-<stack>.json).")],
    allow_replace: Annotated[list[str] | None, typer.Option(
        "--allow-replace", help="URN, <stack>:<name> or name of a stateful resource that may be replaced or "
                                "deleted (repeatable).")] = None,
    artifacts_url: Annotated[str, typer.Option(help="Link to the workflow run's artifacts (full detail).")] = "",
    out: Annotated[Path | None, typer.Option(help="Write the comment here instead of stdout.")] = None,
    limit: Annotated[int, typer.Option(help="Maximum comment length in characters.")] = LIMIT,
) -> None:
    """Summarize `pulumi preview --json` of every stack in one markdown comment.

    Exit code 2 when a stateful resource would be replaced or deleted and `--allow-replace` does not name it,
    1 when a preview could not be read, 0 otherwise.
    """
    allow = list(allow_replace or [])
    reports = sorted((read_preview(path) for path in previews), key=lambda report: report.stack)
    write_output(render(Comment(reports, allow=allow, artifacts_url=artifacts_url), limit=limit), out)
    blocked = [d for d in dangers(reports, allow) if not d.allowed]
    for danger in blocked:
        print(f"danger: {danger.change.op} of stateful {danger.change.type} {danger.change.urn}", file=sys.stderr)
    for report in reports:
        for error in report.errors:
            print(f"error: stack {report.stack}: {error}", file=sys.stderr)
    code = exit_code(reports, allow)
    if code:
        raise typer.Exit(code=code)
