"""`meridian vault bootstrap`: make a freshly deployed Vault match the platform's inventory, idempotently.

Order: read status (sys/seal-status, sys/leader) -> read current state -> print the plan -> stop if --dry-run ->
init if needed (secrets to a 0600 file only) -> wait for auto-unseal -> apply the rest -> revoke the initial root
token. A second run reads the same state, plans nothing and writes nothing.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from meridian.vault.client import Sealed, Status, UnexpectedResponse, VaultApi, VaultError
from meridian.vault.inputs import InputError, kubernetes_config, load_inventory, read_token
from meridian.vault.plan import Action, Change, CurrentState, DesiredState, Plan, desired_state, plan
from meridian.vault.secrets_out import InitOutput, InitOutputError

POLL_SECONDS = 2.0
"""How often the unseal wait polls sys/seal-status."""

vault_app = typer.Typer(help="Operate the platform's Vault.", no_args_is_help=True)


@vault_app.callback()
def vault() -> None:
    """Operate the platform's Vault (registered as `meridian vault`)."""


class _Run:
    """One bootstrap run against one Vault address."""

    def __init__(self, api: VaultApi, desired: DesiredState, console: Console, token: str) -> None:
        self.api, self.desired, self.console, self.token = api, desired, console, token
        self.created_root = False
        """True once init handed this run a root token (the run revokes it at the end)."""

    def describe(self, status: Status) -> None:
        state = "initialized" if status.initialized else "not initialized"
        seal = "sealed" if status.sealed else "unsealed"
        self.console.print(f"Vault {status.version or '?'} at {self.api.addr}: {state}, {seal}, "
                           f"seal type {status.seal_type or '?'}", highlight=False)
        if status.is_leader is True:
            self.console.print("  HA: this node is the active node (leader)")
        elif status.is_leader is False:
            self.console.print(f"  HA: this node is a standby; the leader is {status.leader_address or 'unknown'} "
                               "(requests are forwarded to it)", highlight=False)

    def wait_unsealed(self, timeout: float) -> Status:
        """Poll until auto-unseal has unsealed Vault; `Sealed` after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=self.console,
                      transient=True) as progress:
            progress.add_task(f"waiting up to {timeout:g}s for auto-unseal (awskms)", total=None)
            while True:
                status = self.api.status()
                if not status.sealed:
                    return status
                if time.monotonic() >= deadline:
                    raise Sealed(f"Vault at {self.api.addr} is still sealed after {timeout:g}s: auto-unseal did not "
                                 "happen. Check the server logs for KMS errors (kubectl -n vault logs vault-0: "
                                 "kms:Decrypt denied, key disabled, no route to the KMS endpoint), then rerun")
                time.sleep(POLL_SECONDS)

    def current(self, status: Status) -> CurrentState:
        if not status.initialized:
            return CurrentState.fresh(status.seal_type)
        if not self.token:
            raise InputError(f"Vault at {self.api.addr} is initialized, so reading it needs a token: set VAULT_TOKEN "
                             "or pass --token-file (see README: meridian vault bootstrap)")
        return self.api.read_state(self.desired, status.seal_type)

    def show(self, the_plan: Plan, status: Status) -> None:
        if not the_plan.changes:
            self.console.print("Plan: no changes: Vault matches the inventory.")
        else:
            note = " (Vault is not initialized: the steps after init assume a fresh Vault)" if not status.initialized \
                else ""
            table = Table(title=f"Plan: {len(the_plan.changes)} change(s){note}", title_justify="left")
            for column in ("#", "action", "target", "detail"):
                table.add_column(column, overflow="fold")
            for index, change in enumerate(the_plan.changes, start=1):
                table.add_row(str(index), change.action.value, escape(change.target), escape(change.detail))
            self.console.print(table)
        for conflict in the_plan.conflicts:
            self.console.print(f"[red]conflict:[/] {escape(conflict)}", highlight=False)

    def initialize(self, output_path: Path, timeout: float) -> Status:
        output = InitOutput(output_path)  # reserved before init: a bad path fails while no key exists yet
        try:
            result = self.api.initialize(self.desired)
        except BaseException:
            output.discard()
            raise
        output.write(result, addr=self.api.addr, pgp=bool(self.desired.recovery.pgp_keys),
                     threshold=self.desired.recovery.threshold)
        if not result.root_token or len(result.recovery_keys) != self.desired.recovery.shares:
            raise UnexpectedResponse(f"Vault was initialized but answered without a root token or without "
                                     f"{self.desired.recovery.shares} recovery keys; everything it returned is in "
                                     f"{output_path}. Check the server's seal config (awskms) before going on")
        self.api.use_token(result.root_token)
        self.token = result.root_token
        self.created_root = True
        encrypted = " (PGP-encrypted to their holders)" if self.desired.recovery.pgp_keys else ""
        self.console.print(f"initialized: {len(result.recovery_keys)} recovery keys{encrypted} and the root token "
                           f"written to {output_path} (mode 0600); they are not printed", highlight=False)
        status = self.wait_unsealed(timeout)
        self.describe(status)
        return status

    def apply(self, changes: tuple[Change, ...]) -> None:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=self.console,
                      transient=True) as progress:
            task = progress.add_task("applying", total=len(changes))
            for change in changes:
                progress.update(task, description=f"{change.action.value} {change.target}")
                self.api.apply(change, self.desired)
                progress.console.print(f"  done  {change.action.value:<25} {change.target}", highlight=False)
                progress.advance(task)


def _execute(run: _Run, *, dry_run: bool, init_output: Path | None, keep_root_token: bool,
             unseal_timeout: float) -> int:
    status = run.api.status()
    run.describe(status)
    if status.initialized and status.sealed:
        status = run.wait_unsealed(unseal_timeout)
        run.describe(status)
    the_plan = plan(run.desired, run.current(status))
    run.show(the_plan, status)
    if the_plan.conflicts:
        run.console.print("[red]Stopped:[/] resolve the conflicts above, then rerun; nothing was changed.")
        return 1
    if dry_run or the_plan.empty:
        run.console.print("Dry run: nothing was changed." if dry_run else "Nothing to do.")
        return 0
    changes = the_plan.changes
    if changes[0].action is Action.INIT and init_output is None:
        raise InputError("Vault is not initialized: pass --init-output FILE (a new file; the recovery keys and "
                         "root token are written there with mode 0600, never to the terminal)")
    try:
        if changes[0].action is Action.INIT and init_output is not None:
            after = plan(run.desired, run.current(run.initialize(init_output, unseal_timeout)))
            if after.conflicts:
                raise UnexpectedResponse(f"after init: {'; '.join(after.conflicts)}")
            changes = (changes[0], *after.changes)
            run.apply(changes[1:])
        else:
            run.apply(changes)
    except VaultError:
        if run.created_root:
            run.console.print(f"[yellow]The root token in {escape(str(init_output))} is still valid:[/] rerun with "
                              f"VAULT_TOKEN=\"$(jq -r .root_token {escape(str(init_output))})\" to finish, then "
                              "revoke it (vault token revoke -self).", highlight=False)
        raise
    run.console.print(f"Applied {len(changes)} change(s); a second run plans none.")
    if run.created_root and keep_root_token:
        run.console.print(f"[yellow]The root token in {escape(str(init_output))} stays valid (--keep-root-token):[/] "
                          "revoke it when done (vault token revoke -self).", highlight=False)
    elif run.created_root:
        run.api.revoke_own_token()
        run.console.print(f"Revoked the initial root token (its copy in {init_output} no longer works). Later runs "
                          "need VAULT_TOKEN: generate a root token with the recovery keys (vault operator "
                          "generate-root), run, then revoke it.", highlight=False)
    return 0


@vault_app.command()
def bootstrap(
    addr: Annotated[str, typer.Option(envvar="VAULT_ADDR", help="Vault API address, e.g. https://127.0.0.1:8200.")],
    stack: Annotated[str, typer.Option("--stack", "-s", help="Stack whose inventory to apply.")],
    build: Annotated[Path, typer.Option(help="Build folder of `meridian synth` (reads <build>/<stack>/vault.json).")]
    = Path("build"),
    kubernetes_host: Annotated[str | None, typer.Option(help="EKS API endpoint (else from --stack-outputs).")] = None,
    kubernetes_ca_file: Annotated[Path | None, typer.Option(help="EKS CA, PEM or base64 PEM.")] = None,
    stack_outputs: Annotated[Path | None, typer.Option(
        help="`pulumi stack output --json`: clusterEndpoint and clusterCertificateAuthority.")] = None,
    token_file: Annotated[Path | None, typer.Option(help="File holding the Vault token (else VAULT_TOKEN).")] = None,
    ca_cert: Annotated[Path | None, typer.Option(envvar="VAULT_CACERT",
                                                 help="CA that signed Vault's listener certificate.")] = None,
    init_output: Annotated[Path | None, typer.Option(
        help="New file for the recovery keys and root token (mode 0600); required when Vault is not initialized.")]
    = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan and stop.")] = False,
    keep_root_token: Annotated[bool, typer.Option("--keep-root-token",
                                                  help="Do not revoke the root token init created.")] = False,
    unseal_timeout: Annotated[float, typer.Option(help="Seconds to wait for auto-unseal.")] = 120.0,
) -> None:
    """Initialize and configure Vault from the inventory: audit, KV v2, Kubernetes auth, a policy and role per
    service. Prints the plan first; --dry-run stops there; a second run changes nothing."""
    console = Console(width=None if sys.stdout.isatty() else 110)
    errors = Console(stderr=True, width=None if sys.stderr.isatty() else 110)
    try:
        inventory = load_inventory(build, stack)
        kubernetes = kubernetes_config(host=kubernetes_host, ca_file=kubernetes_ca_file, outputs_file=stack_outputs)
        token, warnings = read_token(os.environ.get("VAULT_TOKEN", ""), token_file)
        for warning in warnings:
            errors.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
        api = VaultApi(addr, token=token, ca_cert=str(ca_cert) if ca_cert else None)
        run = _Run(api, desired_state(inventory, kubernetes), console, token)
        console.print(f"Inventory {build / stack / 'vault.json'}: {len(inventory.clients)} client(s), region "
                      f"{inventory.region}, cluster {inventory.cluster_name}", highlight=False)
        code = _execute(run, dry_run=dry_run, init_output=init_output, keep_root_token=keep_root_token,
                        unseal_timeout=unseal_timeout)
    except InputError as error:
        errors.print(f"[red]error:[/] {escape(str(error))}", highlight=False)
        raise typer.Exit(code=2) from None
    except (VaultError, InitOutputError) as error:
        errors.print(f"[red]error:[/] {escape(str(error))}", highlight=False)
        raise typer.Exit(code=1) from None
    raise typer.Exit(code=code)
