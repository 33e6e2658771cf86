"""The project's one error family for bad input."""

from __future__ import annotations

import pulumi


class ConfigError(pulumi.RunError, ValueError):
    """Stack configuration is invalid: names the key path, the value and the fix.

    Raised before any resource is declared, so a failed run leaves nothing half-declared. As a RunError,
    `pulumi up` reports it as one line, without a Python traceback.
    """

    def __init__(self, key: str, value: object, problem: str, fix: str) -> None:
        self.key = key
        self.value = value
        self.problem = problem
        self.fix = fix
        super().__init__(f"{key}: {problem}, got {value!r}. Fix: {fix}")
