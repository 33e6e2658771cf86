"""Synthesize one stack: read its config files, run `__main__.py` under the mocks, write build/<stack>/."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from components.config import parse_stack_config
from components.contracts import MonitoringContract
from components.fleet import load_fleet, read_stack_config
from components.vault_access import VaultInventory
from meridian.checks.failure_domains import zone_loss_verdicts
from meridian.checks.verdict import Verdict
from meridian.synth.artifacts import write_artifacts
from meridian.synth.plan import Plan
from meridian.synth.render import summary_by_component, write_plan
from meridian.synth.runner import ENGINE_LOGGER, run_main
from policy import UNPROTECTED_STACK_LEVELS, Violation, evaluate, mandatory, report


@dataclass
class SynthResult:
    """What one stack's synth produced."""

    stack: str
    plan: Plan
    files: dict[str, int]
    components: dict[str, int]
    warnings: list[str] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    """Each data service's zone-loss verdict."""
    violations: list[Violation] = field(default_factory=list)
    """Advisory policy findings (a mandatory one stops the synth with PolicyViolationError)."""


class _WarningCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


class ProgramRun(NamedTuple):
    """What one run of the program for a stack gives the synth."""

    plan: Plan
    warnings: list[str]
    contracts: list[MonitoringContract]
    """The platform's MonitoringContracts, as the monitoring component received them."""
    alertmanager_config: dict[str, Any]
    """The Alertmanager configuration the monitoring component deployed (no secrets: keys are file paths). The
    declared Secret holding it is masked in the plan, as pulumi-kubernetes marks all Secret data secret."""
    vault_inventory: VaultInventory | None = None
    """What `meridian vault bootstrap` configures in the region's Vault; None when the stack runs no Vault."""
    violations: tuple[Violation, ...] = ()
    """The policy pack's findings over the recorded resources (the same rules `pulumi preview` runs)."""


class PolicyViolationError(Exception):
    """The synth of a stack broke a mandatory policy rule; the message is the readable report."""

    def __init__(self, stack: str, report_text: str) -> None:
        super().__init__(f"stack {stack}: {report_text}")
        self.stack = stack


def synth_plan(project_dir: Path, stack: str) -> tuple[Plan, list[str]]:
    """Run the program for `stack` and return its Plan and the warnings it logged."""
    run = synth_program(project_dir, stack)
    return run.plan, run.warnings


def synth_program(project_dir: Path, stack: str) -> ProgramRun:
    """Run the program for `stack` under the recording mocks."""
    raw, secret_keys = read_stack_config(project_dir, stack)
    config = parse_stack_config(stack, raw)
    region = config.region
    collector = _WarningCollector()
    logger = logging.getLogger(ENGINE_LOGGER)
    logger.addHandler(collector)
    try:
        program_globals: dict[str, Any] = {}
        fleet = {name: (peer.region, peer.network.az_count) for name, peer in load_fleet(project_dir).items()}
        resources = run_main(project_dir / "__main__.py", stack=stack, region=region, config=raw,
                             secret_keys=secret_keys, globals_out=program_globals, fleet=fleet)
    finally:
        logger.removeHandler(collector)
    platform = program_globals["platform"]
    # A stack that does not protect state (development) gets `stateful-protected` as advisory, as its
    # `pulumi preview` does with `--policy-pack-config` (see policy/registry.py).
    violations = evaluate(resources, None if config.protect_stateful else UNPROTECTED_STACK_LEVELS)
    return ProgramRun(Plan(stack, tuple(resources)), collector.messages, list(platform.contracts),
                      platform.monitoring.alertmanager_config, platform.vault_inventory, tuple(violations))


def synth_stack(project_dir: Path, stack: str, build_dir: Path) -> SynthResult:
    """Synthesize `stack` into `build_dir/<stack>/`."""
    plan, warnings, _, routing, vault, violations = synth_program(project_dir, stack)
    if mandatory(violations):
        raise PolicyViolationError(stack, report(violations))
    files = write_plan(plan, build_dir / stack)
    files.update(write_artifacts(plan, routing, build_dir / stack))
    if vault is not None:  # read by `meridian vault bootstrap --stack`
        (build_dir / stack / "vault.json").write_text(vault.as_json())
    findings = sorted(violations, key=lambda v: (v.rule, v.urn, v.message))  # resources register in any order
    (build_dir / stack / "policy.json").write_text(json.dumps(
        [asdict(violation) for violation in findings], indent=2, sort_keys=True) + "\n")
    verdicts = zone_loss_verdicts(plan)
    (build_dir / stack / "checks.json").write_text(json.dumps(
        {"zone_loss": [asdict(verdict) for verdict in verdicts]}, indent=2, sort_keys=True) + "\n")
    return SynthResult(stack, plan, files, summary_by_component(plan), warnings, verdicts, list(violations))
