"""The one versions table: every Helm chart Meridian installs, pinned to an exact version.

A stack may pin another version of a chart only if it is listed in `known_versions` (reviewed releases);
`check_chart_version` turns anything else into a ConfigError before a resource is declared.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from components.errors import ConfigError


@dataclass(frozen=True)
class Chart:
    """A Helm chart: name, repository, the pinned version, and other reviewed versions a stack may pin."""

    name: str
    repository: str
    version: str
    known_versions: tuple[str, ...] = ()

    def allows(self, version: str) -> bool:
        """True when `version` is the pin or a reviewed alternative."""
        return version == self.version or version in self.known_versions


# Sources: ../shared/schemas/helm/SOURCES.md (chart, tag and commit of each pinned chart).
CHARTS: Final[dict[str, Chart]] = {chart.name: chart for chart in (
    Chart("cert-manager", "https://charts.jetstack.io", "v1.21.1"),
    Chart("k8ssandra-operator", "https://helm.k8ssandra.io/stable", "1.32.5"),
    Chart("strimzi-kafka-operator", "https://strimzi.io/charts/", "1.2.0"),
    Chart("vault", "https://helm.releases.hashicorp.com", "0.34.1"),
    Chart("eck-operator", "https://helm.elastic.co", "3.5.0"),
    Chart("kube-prometheus-stack", "https://prometheus-community.github.io/helm-charts", "88.5.3"),
    # prometheus-community/helm-charts tag prometheus-elasticsearch-exporter-7.4.0 (c5fa97e0f469), appVersion v1.11.0.
    # kubernetes-sigs/external-dns tag external-dns-helm-chart-1.21.1 (charts/external-dns), appVersion v0.21.0.
    Chart("external-dns", "https://kubernetes-sigs.github.io/external-dns/", "1.21.1"),
    Chart("prometheus-elasticsearch-exporter", "https://prometheus-community.github.io/helm-charts", "7.4.0"),
)}


def chart(name: str) -> Chart:
    """The pinned chart called `name`."""
    return CHARTS[name]


def check_chart_version(key: str, chart_name: str, version: str | None) -> str:
    """The version to install: the pin, or a reviewed version a stack asked for; anything else is an error."""
    pinned = CHARTS[chart_name]
    if version is None:
        return pinned.version
    if not pinned.allows(version):
        allowed = ", ".join((pinned.version, *pinned.known_versions))
        raise ConfigError(key, version, f"is not a reviewed version of the {chart_name} chart",
                          f"use one of {allowed}, or review the new release and add it to components/versions.py")
    return version
