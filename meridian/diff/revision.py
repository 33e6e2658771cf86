"""Synthesize a git revision, or the working tree, into a build folder.

A revision is exported with `git archive` into a temporary folder (the repository's refs, index and worktree list
are left untouched, and nothing remains if the run is interrupted), then `python -m meridian.cli synth` runs there
with the current interpreter and that folder first on `sys.path`, so the revision's own program and synth code run.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path


class RevisionError(RuntimeError):
    """A revision could not be exported or synthesized."""


def synth_tree(project_dir: Path, out: Path, stacks: list[str] | None = None) -> Path:
    """Run `meridian synth` for the project in `project_dir` (its own code) into `out`; returns `out`.

    With `stacks`, only those the project has a stack file for (a stack new in the head has no base)."""
    out.mkdir(parents=True, exist_ok=True)
    if stacks is not None:
        stacks = [stack for stack in stacks if (project_dir / "stacks" / f"Pulumi.{stack}.yaml").exists()]
        if not stacks:
            return out
    selection = [arg for stack in stacks for arg in ("--stack", stack)] if stacks else ["--all"]
    command = [sys.executable, "-m", "meridian.cli", "synth", *selection, "--out", str(out.resolve())]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(project_dir.resolve()),
                                                                     os.environ.get("PYTHONPATH")]))}
    done = subprocess.run(command, cwd=project_dir, env=env, capture_output=True, text=True, check=False)
    # exit 1 is a failed zone-loss verdict: the build is written all the same
    if done.returncode not in (0, 1) or not any(out.glob("*/plan.json")):
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise RevisionError(f"meridian synth failed in {project_dir} (exit {done.returncode}):\n{tail}")
    return out


def export_revision(repo: Path, revision: str, into: Path) -> Path:
    """The tree of `revision` written into `into` (which must exist)."""
    if revision.startswith("-"):
        raise RevisionError(f"not a revision: {revision!r}")
    done = subprocess.run(["git", "-C", str(repo), "archive", "--format=tar", f"{revision}^{{tree}}"],
                          capture_output=True, check=False)
    if done.returncode != 0:
        raise RevisionError(f"git archive {revision} failed: {done.stderr.decode(errors='replace').strip()}")
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as archive:
        archive.extractall(into, filter="data")
    return into


def synth_revision(repo: Path, revision: str, out: Path, stacks: list[str] | None = None) -> Path:
    """Synthesize `revision` of the repository into `out`."""
    with tempfile.TemporaryDirectory(prefix="meridian-rev-") as tmp:
        source = export_revision(repo, revision, Path(tmp))
        if not (source / "Pulumi.yaml").exists():
            raise RevisionError(f"{revision} has no Pulumi.yaml at the repository root")
        return synth_tree(source, out, stacks)
