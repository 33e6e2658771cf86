"""Fixtures for the generators: the real contracts of a stack, as the program collects them."""

from __future__ import annotations

from functools import cache

import pytest

from components.contracts import MonitoringContract
from meridian.synth.stack import synth_program
from observability.config import ObservabilityConfig
from tests.conftest import ROOT


@cache
def stack_contracts(stack: str) -> tuple[MonitoringContract, ...]:
    """The MonitoringContracts the program collects for `stack` (run once per stack and process)."""
    return tuple(synth_program(ROOT, stack).contracts)


@pytest.fixture
def contracts() -> list[MonitoringContract]:
    """Contracts of the us-east-1 stack."""
    return list(stack_contracts("us-east-1"))


@pytest.fixture
def obs() -> ObservabilityConfig:
    """The default observability config."""
    return ObservabilityConfig()
