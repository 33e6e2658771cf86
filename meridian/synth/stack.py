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
from meridian.checks.failure_domains import zone_loss_verdicts
from meridian.checks.verdict import Verdict
from meridian.synth.artifacts import write_artifacts
from meridian.synth.plan import Plan
from meridian.synth.render import summary_by_component, write_plan
from meridian.synth.runner import ENGINE_LOGGER, run_main


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


def synth_plan(project_dir: Path, stack: str) -> tuple[Plan, list[str]]:
    """Run the program for `stack` and return its Plan and the warnings it logged."""
    run = synth_program(project_dir, stack)
    return run.plan, run.warnings


def synth_program(project_dir: Path, stack: str) -> ProgramRun:
    """Run the program for `stack` under the recording mocks."""
    raw, secret_keys = read_stack_config(project_dir, stack)
    region = parse_stack_config(stack, raw).region
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
    return ProgramRun(Plan(stack, tuple(resources)), collector.messages, list(platform.contracts),
                      platform.monitoring.alertmanager_config)


def synth_stack(project_dir: Path, stack: str, build_dir: Path) -> SynthResult:
    """Synthesize `stack` into `build_dir/<stack>/`."""
    plan, warnings, _, routing = synth_program(project_dir, stack)
    files = write_plan(plan, build_dir / stack)
    files.update(write_artifacts(plan, routing, build_dir / stack))
    verdicts = zone_loss_verdicts(plan)
    (build_dir / stack / "checks.json").write_text(json.dumps(
        {"zone_loss": [asdict(verdict) for verdict in verdicts]}, indent=2, sort_keys=True) + "\n")
    return SynthResult(stack, plan, files, summary_by_component(plan), warnings, verdicts)
