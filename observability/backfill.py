"""Synthetic history shaped like the real exporters' output, as OpenMetrics text for
`promtool tsdb create-blocks-from openmetrics`: a region's contracts in, series from the metric catalog out.

Per contract, per scrape target (one per replica) and per catalog family of the target's job: one series per label
set, carrying the target labels the scrape adds (`region`, `cluster`, `job`, `instance`, `namespace`, `pod`) under
the family's own labels (family labels win, e.g. an honoured `namespace`), plus `up` per target. Families with
`per_target=False` come from the first target only, and a job whose families all are so is one exporter for the
whole service, with one target (Kafka Exporter, the Elasticsearch exporter).

Values are pure functions of time, so files for adjacent ranges join without counter resets: counters grow by
`value` per second, non-integer gauges hover within 2 % of `value` (integer gauges, e.g. statuses and counts, stay
exact), histograms observe `value` per second into cumulative buckets (80 % in the first bucket, each further bucket
holding a fifth of the rest), summaries report quantiles 0.5/0.9/0.99 at the family's 2nd/3rd/4th bucket bound.
promtool silently drops samples that go back in time within a series, so each series is written whole, in order.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, TextIO

from components.contracts import MonitoringContract, ScrapeTarget
from observability.catalog import MetricFamily, families

STEP_SECONDS: Final = 30
COUNTER_EPOCH: Final = 1_600_000_000
"""Counters count from this Unix time, so any range of the same series continues the same counter."""
JITTER: Final = 0.02
"""Relative amplitude of a gauge's wobble around its value."""
COUNTER_JITTER: Final = 0.05
"""Relative amplitude of a counter's rate wobble (below 1, so counters never decrease)."""
BUCKET_TAIL: Final = 0.2
"""Share of a histogram's observations above each bucket bound that also lie above the next one."""
SUMMARY_QUANTILES: Final = (("0.5", 1), ("0.9", 2), ("0.99", 3))
"""Quantile label and the index of the family's bucket bound it reports."""


@dataclass(frozen=True, slots=True)
class Series:
    """One stored series and the function of time its samples follow."""

    name: str
    labels: tuple[tuple[str, str], ...]
    kind: Literal["gauge", "counter"]
    value: float
    """A gauge's level or a counter's increase per second."""
    phase: float
    period: float
    """Seconds per wobble."""

    def value_at(self, t: float) -> float:
        """The sample at Unix time `t`."""
        angle = 2 * math.pi * t / self.period + self.phase
        if self.kind == "counter":
            wobble = COUNTER_JITTER * self.period / (2 * math.pi) * math.sin(angle)
            return self.value * (t - COUNTER_EPOCH + wobble)
        return self.value if self.constant else self.value * (1 + JITTER * math.sin(angle))

    @property
    def constant(self) -> bool:
        """Whether every sample is the same (an integer gauge, or a counter that never grows)."""
        return self.value == int(self.value) if self.kind == "gauge" else self.value == 0

    def prefix(self) -> str:
        """`name{labels} ` as it starts every sample line."""
        inner = ",".join(f'{key}="{_escape(value)}"' for key, value in self.labels)
        return f"{self.name}{{{inner}}} "


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _wobble(key: str) -> tuple[float, float]:
    """Deterministic (phase, period) of a series group."""
    digest = zlib.crc32(key.encode())
    return (digest % 6283) / 1000, 600.0 + (digest >> 13) % 3000


def le_label(bound: float) -> str:
    """A bucket bound as Go clients write it (`0.005`, `1`, `1e+06`)."""
    text = f"{bound:g}"
    return text if float(text) == bound else repr(bound)


def scrape_targets(contract: MonitoringContract) -> list[tuple[ScrapeTarget, dict[str, str]]]:
    """Each scrape target of the contract once per replica, with the labels the scrape adds; a job whose catalog
    families are all `per_target=False` is a single exporter for the whole service (e.g. Kafka Exporter, the
    Elasticsearch exporter) and has one target."""
    catalog = families(contract.exporter)
    found = []
    for index, target in enumerate(contract.scrape):
        port = 9000 + zlib.crc32(target.port.encode()) % 1000
        own = [family for family in catalog if family.job == target.job]
        single = bool(own) and not any(family.per_target for family in own)
        for replica in range(1 if single else max(contract.replicas, 1)):
            pod = f"{target.job}-{replica}"
            found.append((target, {"region": contract.region, "cluster": contract.cluster, "job": target.job,
                                   "instance": f"10.{index}.{replica // 250}.{replica % 250 + 2}:{port}",
                                   "namespace": target.namespace, "pod": pod}))
    return found


def expand(labels: Mapping[str, str], fanout: Mapping[str, int]) -> Iterator[dict[str, str]]:
    """The label set repeated `fanout[label]` times for each fanned-out label it has (cross product): numeric
    values count up (`0`, `1`, ...), others get a suffix (`orders`, `orders-1`, ...)."""
    axes = [(key, fanout[key]) for key in labels if fanout.get(key, 1) > 1]
    for combination in itertools.product(*(range(count) for _, count in axes)):
        variant = dict(labels)
        for (key, _), k in zip(axes, combination, strict=True):
            value = labels[key]
            variant[key] = str(int(value) + k) if value.isdigit() else (value if k == 0 else f"{value}-{k}")
        yield variant


def family_series(family: MetricFamily, labels: Mapping[str, str]) -> Iterator[Series]:
    """The series one family stores for one full label set (target labels included)."""
    generated = ("le", "quantile") if family.type in ("histogram", "summary") else ()
    base = {key: value for key, value in labels.items() if key not in generated}
    phase, period = _wobble(family.name + repr(sorted(base.items())))

    def make(name: str, kind: Literal["gauge", "counter"], value: float, **extra: str) -> Series:
        return Series(name=name, labels=tuple(sorted({**base, **extra}.items())), kind=kind, value=value,
                      phase=phase, period=period)

    if family.type in ("gauge", "counter"):
        yield make(family.name, family.type, family.value)
    elif family.type == "histogram":
        share, mean = 0.0, 0.0
        for index, bound in enumerate(family.buckets):
            step = (1 - BUCKET_TAIL) * BUCKET_TAIL ** index
            share, mean = share + step, mean + step * bound
            yield make(f"{family.name}_bucket", "counter", family.value * share, le=le_label(bound))
        yield make(f"{family.name}_bucket", "counter", family.value, le="+Inf")
        yield make(f"{family.name}_sum", "counter", family.value * mean / share)
        yield make(f"{family.name}_count", "counter", family.value)
    else:
        quantiles = dict(SUMMARY_QUANTILES)
        if "quantile" in labels:
            quantiles = {labels["quantile"]: quantiles.get(labels["quantile"], 1)}
        for quantile, index in quantiles.items():
            yield make(family.name, "gauge", family.buckets[min(index, len(family.buckets) - 1)], quantile=quantile)
        yield make(f"{family.name}_sum", "counter", family.value * family.buckets[1])
        yield make(f"{family.name}_count", "counter", family.value)


def contract_series(contract: MonitoringContract, fanout: Mapping[str, int] | None = None) -> Iterator[Series]:
    """Every series a contract's targets expose (`up` included), family label sets fanned out by `fanout`."""
    catalog = families(contract.exporter)
    first_of_job: set[str] = set()
    for target, target_labels in scrape_targets(contract):
        first = target.job not in first_of_job
        first_of_job.add(target.job)
        phase, period = _wobble(repr(sorted(target_labels.items())))
        yield Series(name="up", labels=tuple(sorted(target_labels.items())), kind="gauge", value=1.0,
                     phase=phase, period=period)
        for family in catalog:
            if family.job != target.job or not (family.per_target or first):
                continue
            for own in family.labels:
                for variant in expand(own, fanout or {}):
                    yield from family_series(family, {**target_labels, **variant})


def sample_times(end: float | None = None, span_seconds: float = 3600, step: int = STEP_SECONDS) -> list[int]:
    """Sample times (Unix seconds, multiples of `step`) over `span_seconds` ending at `end` (default now), rounded
    down to a multiple of `step`."""
    last = int(time.time() if end is None else end) // step * step
    return list(range(last - int(span_seconds) // step * step, last + 1, step))


def write_openmetrics(contracts: Iterable[MonitoringContract], out: TextIO, times: Sequence[int], *,
                      fanout: Mapping[str, int] | None = None) -> tuple[int, int]:
    """Stream every contract's series sampled at `times` to `out` as OpenMetrics; (series, samples) written.
    A series two contracts both expose is written once."""
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    for contract in contracts:
        for series in contract_series(contract, fanout):
            key = (series.name, series.labels)
            if key in seen:
                continue
            seen.add(key)
            prefix, value_at = series.prefix(), series.value_at
            if series.constant:
                head = f"{prefix}{series.value:.10g} "
                out.writelines([f"{head}{t}\n" for t in times])
            else:
                out.writelines([f"{prefix}{value_at(t):.10g} {t}\n" for t in times])
    out.write("# EOF\n")
    return len(seen), len(seen) * len(times)


def write_file(contracts: Iterable[MonitoringContract], path: Path, times: Sequence[int], *,
               fanout: Mapping[str, int] | None = None) -> tuple[int, int]:
    """`write_openmetrics` into a file."""
    with path.open("w", buffering=1 << 20) as out:
        return write_openmetrics(contracts, out, times, fanout=fanout)


def fleet_regions(count: int) -> list[str]:
    """Synthetic region names `r01`, `r02`, ... for a fleet of `count` regions."""
    return [f"r{index:02d}" for index in range(1, count + 1)]


def fleet_contracts(contracts: Sequence[MonitoringContract], regions: Sequence[str]) -> list[MonitoringContract]:
    """The same contracts in every region of `regions`, each region in its own cluster `meridian-<region>`."""
    return [dataclasses.replace(contract, region=region, cluster=f"meridian-{region}")
            for region in regions for contract in contracts]
