"""The metric catalog: every metric family a dashboard or rule may use, per exporter flavour, with its source.

A contract's `exporter` names a flavour; `FAMILIES[exporter]` lists what that exporter really emits (cited beside
each entry from the exporter's docs or source). Generators may only query these names or recording rules.
Each flavour lives in its own module (`observability/catalog/<module>.py`, exporting `EXPORTER` and `FAMILIES`)
and is registered in `MODULES` below.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Final, Literal

MODULES: Final = ("cert_manager", "kubernetes", "monitoring", "kafka", "vault", "cassandra", "elasticsearch",
                  "kafka_mirrormaker2", "external_dns")
"""Catalog modules, one per exporter flavour (the `kubernetes` flavour covers kubelet, cAdvisor, node-exporter,
kube-state-metrics; `monitoring` the Prometheus stack's own components)."""


@dataclass(frozen=True, kw_only=True)
class MetricFamily:
    """One metric family as Prometheus stores it after the scrape."""

    name: str
    """Name as queried: counters end in `_total`; histograms and summaries by their base name."""
    type: Literal["counter", "gauge", "histogram", "summary"]
    help: str
    source: str
    """Where the name is documented or defined: a docs URL, or `owner/repo@tag:path`."""
    job: str
    """`ScrapeTarget.job` of the targets that emit it."""
    labels: tuple[Mapping[str, str], ...] = field(default_factory=lambda: ({},))
    """Representative label sets of the exporter's own labels (one series per set and target) for backfills."""
    value: float = 1.0
    """Typical value: a gauge's level, a counter's increase per second, a histogram's or summary's observations
    per second."""
    buckets: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
    """Histogram bucket bounds (`le`), when `type` is histogram."""
    per_target: bool = True
    """False for families one target reports for the whole cluster (e.g. kube-state-metrics, an elected leader)."""

    def series_names(self) -> tuple[str, ...]:
        """Names of the series the family stores."""
        if self.type == "histogram":
            return (f"{self.name}_bucket", f"{self.name}_sum", f"{self.name}_count")
        if self.type == "summary":
            return (self.name, f"{self.name}_sum", f"{self.name}_count")
        return (self.name,)


@cache
def families(exporter: str) -> tuple[MetricFamily, ...]:
    """The families of one exporter flavour; a clear error for an unknown flavour."""
    for module_name in MODULES:
        module = importlib.import_module(f"observability.catalog.{module_name}")
        if exporter == module.EXPORTER:
            found: tuple[MetricFamily, ...] = module.FAMILIES
            return found
    raise LookupError(f"no catalog module declares exporter {exporter!r}; add observability/catalog/<module>.py "
                      f"with EXPORTER = {exporter!r} and list it in MODULES")


@cache
def all_series_names() -> frozenset[str]:
    """Every series name any catalogued exporter stores."""
    names: set[str] = set()
    for module_name in MODULES:
        module = importlib.import_module(f"observability.catalog.{module_name}")
        for family in module.FAMILIES:
            names.update(family.series_names())
    return frozenset(names)


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGES = re.compile(r"\[[^\]]*\]")
_LABEL_LISTS = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_VARIABLES = re.compile(r"\$\{?\w+\}?")
_IDENTIFIER = re.compile(r"(?<![\w:.])([a-zA-Z_:][\w:]*)(?!\w)(\s*\()?")
_KEYWORDS: Final = frozenset({"and", "or", "unless", "bool", "offset", "inf", "nan", "by", "without", "on",
                              "ignoring", "group_left", "group_right", "atan2"})


def metric_names(expr: str) -> set[str]:
    """Metric (or recording-rule) names a PromQL expression selects; functions, keywords and labels left out."""
    text = _VARIABLES.sub("1", _STRING.sub('""', expr))
    text = _LABEL_LISTS.sub(" ", _RANGES.sub("", _MATCHERS.sub("", text)))
    names = set()
    for match in _IDENTIFIER.finditer(text):
        name, call = match.group(1), match.group(2)
        if call or name.lower() in _KEYWORDS or re.fullmatch(r"\d\w*", name):
            continue
        names.add(name)
    return names
