"""Helm releases from the versions table: values as typed dicts, never string-templated YAML."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.versions import chart


def helm_release(resource_name: str, *, chart_name: str, namespace: pulumi.Input[str], values: Mapping[str, Any],
                 provider: k8s.Provider, parent: pulumi.Resource, version: str | None = None,
                 release_name: str | None = None, protect: bool = False,
                 depends_on: Sequence[pulumi.Resource] = (), timeout_seconds: int = 900) -> k8s.helm.v3.Release:
    """A pinned chart's release in `namespace` (created beforehand, with its labels and policies).

    `atomic` rolls a failed upgrade back; `protect` keeps releases whose uninstall would take data with them.
    """
    pinned = chart(chart_name)
    return k8s.helm.v3.Release(
        resource_name,
        name=release_name or chart_name,
        chart=pinned.name,
        version=version or pinned.version,
        repository_opts={"repo": pinned.repository},
        namespace=namespace,
        create_namespace=False,
        values=dict(values),
        atomic=True,
        cleanup_on_fail=True,
        timeout=timeout_seconds,
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, protect=protect, depends_on=list(depends_on)),
    )
