"""Run a Pulumi program offline under the recording mocks and return what it declared."""

from __future__ import annotations

import logging
import runpy
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from meridian.synth.mocks import RecordedResource, RecordingMonitor, RegionMocks

PROJECT = "meridian"
ENGINE_LOGGER = "meridian.synth.engine"
"""Logger that receives the program's pulumi.log messages during a synth."""


def run_program(program: Callable[[], None], *, stack: str, region: str,
                config: Mapping[str, str] | None = None,
                secret_keys: list[str] | None = None,
                monitor: RecordingMonitor | None = None,
                fleet: Mapping[str, tuple[str, int]] | None = None) -> list[RecordedResource]:
    """Run `program` as stack `stack` with `config` (full keys, string values) and record its resources.

    `fleet` (every stack's region and zone count) answers the program's StackReferences to its peers.

    Exceptions the program raises (a ConfigError, say) propagate after the runtime has settled; pass your
    own `monitor` to see what was registered before one.
    """
    settings.ROOT.set(None)
    settings.SETTINGS.rpc_manager.clear()
    settings.SETTINGS.outputs.clear()
    set_all_config(dict(config or {}), list(secret_keys or []))
    monitor = monitor or RecordingMonitor(RegionMocks(region, fleet))
    pulumi.runtime.set_mocks(monitor.mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor,
                             logger=logging.getLogger(ENGINE_LOGGER))
    _sync_await(run_pulumi_func(program))
    return monitor.recorded


def run_main(main_path: Path, *, stack: str, region: str, config: Mapping[str, str],
             secret_keys: list[str] | None = None, monitor: RecordingMonitor | None = None,
             globals_out: dict[str, Any] | None = None,
             fleet: Mapping[str, tuple[str, int]] | None = None) -> list[RecordedResource]:
    """Run the project's `__main__.py` as `pulumi up` would, under the recording mocks.

    `globals_out` receives the program's module globals (its `platform`, for the contracts it collected).
    """

    def program() -> None:
        namespace: dict[str, Any] = runpy.run_path(str(main_path), run_name="__main__")
        if globals_out is not None:
            globals_out.update(namespace)

    return run_program(program, stack=stack, region=region, config=config, secret_keys=secret_keys,
                       monitor=monitor, fleet=fleet)
