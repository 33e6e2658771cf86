"""`meridian verify`: the live monitoring of a region held against what its stack's synth output declares.

Exit codes: 0 every check passed; 1 a check failed; 2 bad input (no synth output, bad option);
3 the endpoint cannot be used (unreachable, timeout, TLS, auth, permission, unexpected response).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Final
from urllib.parse import urlsplit

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from meridian.verify.checks import run_checks
from meridian.verify.expected import BuildError, Expected, load_expected
from meridian.verify.probe import TOKEN_ENV, EndpointError, Prometheus, display_url
from meridian.verify.report import Report, error_json, render, to_json

EXIT_FAILED: Final = 1
EXIT_BAD_INPUT: Final = 2
EXIT_ENDPOINT: Final = 3


def _fail(stack: str, url: str, kind: str, message: str, fix: str, code: int, as_json: bool) -> typer.Exit:
    print(f"error: {message}\n  fix: {fix}", file=sys.stderr)
    if as_json:
        print(error_json(stack, display_url(url), kind, message, fix))
    return typer.Exit(code=code)


@contextmanager
def _progress(steps: int) -> Iterator[Callable[[str], None]]:
    """A progress bar on stderr while checks run (only on a terminal)."""
    console = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task("verify", total=steps)

        def advance(step: str) -> None:
            progress.update(task, advance=1, description=f"checking {step[:40]}")

        yield advance


def _steps(expected: Expected) -> int:
    return 3 + len(expected.panels)


def verify_command(
    prometheus: Annotated[str, typer.Option(
        "--prometheus", help="Base URL of the region's Prometheus API, e.g. http://127.0.0.1:9090. A bearer token, "
                             f"if it needs one, comes from the environment variable {TOKEN_ENV}.")],
    stack: Annotated[str, typer.Option("--stack", "-s", help="Stack whose synth output says what to expect.")],
    build: Annotated[Path, typer.Option(help="Synth output folder (holding <stack>/).")] = Path("build"),
    json_output: Annotated[bool, typer.Option("--json", help="Print a machine-readable report to stdout.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List every check, not only failures.")] = False,
    timeout: Annotated[float, typer.Option(min=0.1, help="Seconds a request may take to connect, and to send each "
                                                         "part of its answer.")] = 10.0,
    retries: Annotated[int, typer.Option(min=0, max=10, help="Retries of a request after a connection error, "
                                                             "timeout or HTTP 429/502/503/504, with backoff.")] = 2,
    ca_file: Annotated[Path | None, typer.Option(exists=True, dir_okay=False, help="CA certificate (PEM) that "
                                                 "signed an https:// endpoint's certificate.")] = None,
    fail_on_critical: Annotated[bool, typer.Option(help="Also fail while a critical alert fires.")] = False,
) -> None:
    """Check a region's live Prometheus against the stack's synth output: scrape jobs up, rule groups loaded and
    healthy, dashboard panels returning data, alerts firing by severity."""
    if urlsplit(prometheus).scheme not in ("http", "https") or not urlsplit(prometheus).netloc:
        raise _fail(stack, prometheus, "input", f"--prometheus must be an http:// or https:// URL, got "
                    f"{display_url(prometheus)!r}", "give the base URL, e.g. http://127.0.0.1:9090",
                    EXIT_BAD_INPUT, json_output)
    try:
        expected = load_expected(build, stack)
    except BuildError as error:
        message, _, fix = str(error).partition(". Fix: ")
        raise _fail(stack, prometheus, "input", message, fix or "run `meridian synth` first", EXIT_BAD_INPUT,
                    json_output) from None
    server = Prometheus(prometheus, timeout=timeout, retries=retries, ca_file=ca_file)
    try:
        server.preflight()
        with _progress(_steps(expected)) as advance:
            results = run_checks(server, expected, fail_on_critical=fail_on_critical, advance=advance)
    except EndpointError as error:
        raise _fail(stack, prometheus, error.kind, error.message, error.fix, EXIT_ENDPOINT, json_output) from None
    finally:
        server.session.close()
    report = Report(stack=stack, prometheus=server.shown, region=expected.region, cluster=expected.cluster,
                    results=tuple(results))
    if json_output:
        print(to_json(report))
    else:
        render(report, Console(width=None if sys.stdout.isatty() else 120), verbose=verbose)
    if not report.passed:
        raise typer.Exit(code=EXIT_FAILED)
