"""Failure-domain checks of every data service over a stack's synth output: one AZ lost, quorum and data kept."""

from __future__ import annotations

from collections.abc import Callable

from meridian.checks import cassandra, elasticsearch, kafka, vault
from meridian.checks.verdict import Verdict
from meridian.synth.plan import Plan

ZONE_LOSS_CHECKS: tuple[Callable[[Plan], list[Verdict]], ...] = (
    cassandra.zone_loss, kafka.zone_loss, vault.zone_loss, elasticsearch.zone_loss)


def zone_loss_verdicts(plan: Plan) -> list[Verdict]:
    """Every service's verdict on losing one availability zone (services absent from the plan give none)."""
    return [verdict for check in ZONE_LOSS_CHECKS for verdict in check(plan)]
