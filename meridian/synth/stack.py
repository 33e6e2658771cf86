"""Synthesize one stack: read its config files, run `__main__.py` under the mocks, write build/<stack>/."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from components.config import parse_stack_config
from components.contracts import MonitoringContract
from components.fleet import read_stack_config
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


def synth_plan(project_dir: Path, stack: str) -> tuple[Plan, list[str]]:
    """Run the program for `stack` and return its Plan and the warnings it logged."""
    plan, warnings, _ = synth_program(project_dir, stack)
    return plan, warnings


def synth_program(project_dir: Path, stack: str) -> tuple[Plan, list[str], list[MonitoringContract]]:
    """Run the program for `stack`: its Plan, the warnings it logged, and its platform's MonitoringContracts."""
    raw, secret_keys = read_stack_config(project_dir, stack)
    region = parse_stack_config(stack, raw).region
    collector = _WarningCollector()
    logger = logging.getLogger(ENGINE_LOGGER)
    logger.addHandler(collector)
    try:
        program_globals: dict[str, Any] = {}
        resources = run_main(project_dir / "__main__.py", stack=stack, region=region, config=raw,
                             secret_keys=secret_keys, globals_out=program_globals)
    finally:
        logger.removeHandler(collector)
    contracts: list[MonitoringContract] = list(program_globals["platform"].contracts)
    return Plan(stack, tuple(resources)), collector.messages, contracts


def synth_stack(project_dir: Path, stack: str, build_dir: Path) -> SynthResult:
    """Synthesize `stack` into `build_dir/<stack>/`."""
    plan, warnings = synth_plan(project_dir, stack)
    files = write_plan(plan, build_dir / stack)
    files.update(write_artifacts(plan, build_dir / stack))
    verdicts = zone_loss_verdicts(plan)
    (build_dir / stack / "checks.json").write_text(json.dumps(
        {"zone_loss": [asdict(verdict) for verdict in verdicts]}, indent=2, sort_keys=True) + "\n")
    return SynthResult(stack, plan, files, summary_by_component(plan), warnings, verdicts)
