"""Naming conventions shared by the rule generators."""

from __future__ import annotations

import re


def alert_prefix(kind: str) -> str:
    """CamelCase prefix of a kind's alerts: `cert-manager` -> `CertManager`."""
    return "".join(part.capitalize() for part in re.split(r"[-_]", kind))
