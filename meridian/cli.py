"""The `meridian` command line: synth, runbooks, verify, vault, diff, preview-summary, rollout-waves."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from components.errors import ConfigError
from components.fleet import load_fleet, stack_names
from meridian.checks.verdict import Verdict
from meridian.diff.command import diff_command
from meridian.preview.command import preview_summary_command
from meridian.rollout import github_outputs, rollout_waves
from meridian.runbooks import fleet_contracts, render_runbooks, write_runbooks
from meridian.synth.fleet_checks import region_loss, write_region_loss
from meridian.synth.plan import Plan
from meridian.synth.stack import PolicyViolationError, SynthResult, synth_stack
from meridian.vault import vault_app
from meridian.verify.command import verify_command

app = typer.Typer(help="Meridian: render, check and operate the multi-region platform.", no_args_is_help=True)


def _find_project_dir() -> Path:
    """The nearest folder at or above the working directory holding Pulumi.yaml (else this checkout)."""
    for folder in (Path.cwd(), *Path.cwd().parents):
        if (folder / "Pulumi.yaml").exists():
            return folder
    return Path(__file__).resolve().parents[1]


PROJECT_DIR = _find_project_dir()


@contextlib.contextmanager
def exit_on_config_error() -> Iterator[None]:
    """Turn a ConfigError into its one-line message on stderr and exit code 2 (every command reads config)."""
    try:
        yield
    except ConfigError as error:
        print(f"config error: {error}", file=sys.stderr)
        raise typer.Exit(code=2) from None


@app.callback()
def main() -> None:
    """Meridian's command-line tool."""


def _print_result(console: Console, result: SynthResult, out: Path) -> None:
    console.print(f"[bold]stack {result.stack}[/]: {len(result.plan)} resources -> {out / result.stack}")
    table = Table()
    table.add_column("component")
    table.add_column("resources", justify="right")
    for component, count in sorted(result.components.items()):
        table.add_row(component, str(count))
    console.print(table)
    counts = {"k8s": 0, "helm": 0, **result.files}
    console.print(f"  wrote plan.json, {counts['k8s']} Kubernetes manifests, {counts['helm']} Helm releases")
    if result.verdicts:
        passed = [v.service for v in result.verdicts if v.passed]
        console.print(f"  one zone lost: [green]quorum and data kept[/] by {', '.join(passed) or 'none'} "
                      f"(reasons in {out / result.stack / 'checks.json'})", highlight=False)
    for verdict in result.verdicts:
        if not verdict.passed:
            console.print(f"  [red]one zone lost:[/] {verdict.line()}", highlight=False)
    if result.violations:
        rules = sorted({violation.rule for violation in result.violations})
        console.print(f"  policy: {len(result.violations)} advisory finding(s) ({', '.join(rules)}; "
                      f"details in {out / result.stack / 'policy.json'})", highlight=False)
    for warning in result.warnings:
        console.print(f"  [yellow]warning:[/] {warning}")


@app.command()
def synth(
    stack: Annotated[list[str] | None, typer.Option("--stack", "-s", help="Stack to render (repeatable).")] = None,
    all_stacks: Annotated[bool, typer.Option("--all", help="Render every stack in stacks/.")] = False,
    out: Annotated[Path, typer.Option(help="Build folder; each stack goes to <out>/<stack>/.")] = Path("build"),
    project_dir: Annotated[Path, typer.Option(help="Folder holding Pulumi.yaml.")] = PROJECT_DIR,
) -> None:
    """Run the Pulumi program offline under recording mocks and write what each stack declares."""
    console = Console(width=None if sys.stdout.isatty() else 100)
    try:
        with exit_on_config_error():
            stacks = stack_names(project_dir) if all_stacks or not stack else list(stack)
            load_fleet(project_dir)  # every stack file, validated together, before anything is rendered
            results = [synth_stack(project_dir, name, out) for name in stacks]
    except PolicyViolationError as error:
        print(f"policy violation: {error}", file=sys.stderr)
        raise typer.Exit(code=1) from None
    for result in results:
        _print_result(console, result, out)
    failed = [verdict for result in results for verdict in result.verdicts if not verdict.passed]
    if set(stacks) == set(stack_names(project_dir)):  # region loss needs every stack's output
        failed += _print_region_loss(console, project_dir, {result.stack: result.plan for result in results}, out)
    if failed:
        console.print(f"[red]{len(failed)} check(s) failed: data or quorum would be lost (see above)[/]")
        raise typer.Exit(code=1)


def _print_region_loss(console: Console, project_dir: Path, plans: dict[str, Plan], out: Path) -> list[Verdict]:
    """Print the fleet's region-loss verdict (and write it to region-loss.json); the failed verdicts."""
    verdicts = region_loss(project_dir, plans)
    path = write_region_loss(verdicts, out)
    failed: list[Verdict] = []
    for environment, found in verdicts.items():
        bad = [verdict for verdict in found if not verdict.passed]
        failed += bad
        status = "[red]data lost[/] for" if bad else "[green]every global keyspace and topic kept[/] in"
        console.print(f"{environment}: one region lost: {status} {len(bad) or len(found)} of {len(found)} "
                      f"(reasons in {path})", highlight=False)
        for verdict in found:
            console.print(f"  {verdict.line()}", highlight=False)
    return failed


@app.command()
def runbooks(
    out: Annotated[Path, typer.Option(help="Folder for the pages (where runbook_url points).")] = Path("docs/runbooks"),
    project_dir: Annotated[Path, typer.Option(help="Folder holding Pulumi.yaml.")] = PROJECT_DIR,
) -> None:
    """Write a runbook page for every alert any stack generates (and delete pages of alerts that are gone)."""
    with exit_on_config_error():
        pages = render_runbooks(fleet_contracts(project_dir))
    written, removed = write_runbooks(pages, out)
    Console().print(f"wrote {written} runbook pages to {out}, removed {removed} stale")


@app.command(name="rollout-waves")
def rollout_waves_command(
    project_dir: Annotated[Path, typer.Option(help="Folder holding Pulumi.yaml.")] = PROJECT_DIR,
) -> None:
    """Print the deploy workflow's waves as `$GITHUB_OUTPUT` lines: development, canary, then the other regions."""
    with exit_on_config_error():
        fleet = load_fleet(project_dir)
    sys.stdout.write(github_outputs(rollout_waves(fleet), fleet))


UNPROTECTED_POLICY_CONFIG = Path("policy/unprotected-stack.json")
"""CrossGuard `--policy-pack-config` for a stack with `meridian:protect_stateful: false` (same levels as the synth's
`policy.UNPROTECTED_STACK_LEVELS`; a test holds the two equal)."""


@app.command(name="policy-args")
def policy_args_command(
    stack: Annotated[str, typer.Option("--stack", "-s", help="Stack about to be previewed or deployed.")],
    project_dir: Annotated[Path, typer.Option(help="Folder holding Pulumi.yaml.")] = PROJECT_DIR,
) -> None:
    """Print the extra `pulumi preview/up` policy arguments the stack needs (none unless it protects no state)."""
    with exit_on_config_error():
        fleet = load_fleet(project_dir)
    if stack not in fleet:
        print(f"no stack {stack!r} in {project_dir / 'stacks'}", file=sys.stderr)
        raise typer.Exit(code=2)
    config = fleet[stack]
    if not config.protect_stateful:
        print(f"--policy-pack-config {UNPROTECTED_POLICY_CONFIG}")


app.command(name="verify")(verify_command)
app.add_typer(vault_app, name="vault")
app.command(name="preview-summary")(preview_summary_command)
app.command(name="diff")(diff_command)


if __name__ == "__main__":
    app()
