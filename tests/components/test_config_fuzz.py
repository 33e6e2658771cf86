"""Hypothesis: 500+ generated bad configs all end in ConfigError, before any resource is registered."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.config import LOG_RETENTION_DAYS, SUPPORTED_KUBERNETES_VERSIONS
from components.errors import ConfigError
from components.regions import SUPPORTED_REGIONS
from meridian.synth.mocks import RecordingMonitor, RegionMocks
from meridian.synth.runner import run_main
from tests.conftest import NODE_GROUPS, ROOT, raw_config

EXAMPLES = 500
STACK = "us-east-1"
NETWORK_KEYS = {"cidr", "az_count", "nat_gateways", "flow_log_retention_days", "interface_endpoints"}
CLUSTER_KEYS = {"name", "kubernetes_version", "public_access_cidrs", "admin_role_arns", "log_retention_days",
                "node_groups"}
GROUP_KEYS = {"instance_types", "min_size", "desired_size", "max_size", "disk_gib", "capacity_type", "per_az",
              "labels", "taints"}
TOP_KEYS = {"environment", "owner", "cost_centre", "protect_stateful", "network", "cluster", "peers"}
key_names = st.from_regex(r"[a-z][a-z_]{1,15}", fullmatch=True)


def _valid_cidr(text: str) -> bool:
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError:
        return False
    return (isinstance(network, ipaddress.IPv4Network) and 16 <= network.prefixlen <= 20
            and network.is_private)


def _network(**changes: Any) -> dict[str, Any]:
    return {"cidr": "10.10.0.0/16", "az_count": 3, **changes}


def _cluster(**changes: Any) -> dict[str, Any]:
    return {"kubernetes_version": "1.35", "node_groups": NODE_GROUPS, **changes}


def _with_group(**changes: Any) -> dict[str, Any]:
    return _cluster(node_groups={**NODE_GROUPS, "data": {**NODE_GROUPS["data"], **changes}})


bad_cidrs = st.one_of(
    st.text(max_size=20).filter(lambda text: not _valid_cidr(text)),
    st.builds(lambda a, b, prefix: f"10.{a}.{b}.0/{prefix}", st.integers(0, 255), st.integers(0, 255),
              st.integers(0, 40).filter(lambda p: not 16 <= p <= 20)),
    st.builds(lambda a, b: f"10.{a}.{b}.7/16", st.integers(0, 255), st.integers(0, 255)),
    st.builds(lambda a: f"{a}.0.0.0/16", st.integers(11, 99).filter(lambda a: a not in (10, 100))),
    st.builds(lambda third: f"10.20.{third * 16}.0/20", st.integers(0, 15)),  # inside us-west-2's VPC
    st.sampled_from(["10.30.0.0/16", "10.100.0.0/20", "10.16.0.0/12"]),  # another stack's VPC, or a superset
)
not_an_int = st.one_of(st.text(max_size=5).filter(lambda t: not t.strip().lstrip("+-").isdigit()),
                       st.floats(allow_nan=False).filter(lambda f: f != int(f) if f == f and abs(f) < 1e9 else True),
                       st.lists(st.integers(), max_size=2), st.none())

mutations = st.one_of(
    bad_cidrs.map(lambda cidr: {"meridian:network": _network(cidr=cidr)}),
    st.integers(-5, 40).filter(lambda n: not 2 <= n <= 6).map(lambda n: {"meridian:network": _network(az_count=n)}),
    not_an_int.map(lambda value: {"meridian:network": _network(az_count=value)}),
    st.text(max_size=16).filter(lambda r: r not in SUPPORTED_REGIONS).map(lambda r: {"aws:region": r}),
    st.text(max_size=8).filter(lambda v: v not in SUPPORTED_KUBERNETES_VERSIONS)
    .map(lambda v: {"meridian:cluster": _cluster(kubernetes_version=v)}),
    st.tuples(st.integers(0, 50), st.integers(0, 50), st.integers(1, 50))
    .filter(lambda sizes: not sizes[0] <= sizes[1] <= sizes[2])
    .map(lambda s: {"meridian:cluster": _with_group(min_size=s[0], desired_size=s[1], max_size=s[2])}),
    key_names.filter(lambda k: k not in TOP_KEYS).map(lambda k: {f"meridian:{k}": "1"}),
    key_names.filter(lambda k: k not in NETWORK_KEYS).map(lambda k: {"meridian:network": _network(**{k: 1})}),
    key_names.filter(lambda k: k not in CLUSTER_KEYS).map(lambda k: {"meridian:cluster": _cluster(**{k: 1})}),
    key_names.filter(lambda k: k not in GROUP_KEYS).map(lambda k: {"meridian:cluster": _with_group(**{k: 1})}),
    st.lists(st.from_regex(r"[a-z]{2}-[a-z]{3,9}-[0-9]", fullmatch=True).filter(lambda s: s not in
             {"us-east-1", "us-west-2", "eu-west-1", "dev"}), min_size=1, max_size=3)
    .map(lambda peers: {"meridian:peers": peers}),
    st.integers(-10, 5000).filter(lambda d: d not in LOG_RETENTION_DAYS)
    .map(lambda d: {"meridian:cluster": _cluster(log_retention_days=d)}),
    st.text(max_size=12).filter(lambda e: e not in ("production", "development"))
    .map(lambda e: {"meridian:environment": e}),
    st.sampled_from([["m7g.large", "m7i.large"], ["c7gn.xlarge", "c6i.xlarge"], ["a1.large", "t3.large"]])
    .map(lambda types: {"meridian:cluster": _with_group(instance_types=types)}),  # mixed architectures
    st.sampled_from(["m7i", "M7I.LARGE", "", "r7i..xl", "big box"])
    .map(lambda t: {"meridian:cluster": _with_group(instance_types=[t])}),
    st.text(max_size=10).filter(lambda e: e not in ("NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"))
    .map(lambda e: {"meridian:cluster": _with_group(taints=[{"key": "meridian.io/data", "effect": e}])}),
    st.sampled_from(["[1, 2]", '"a string"', "42", "{not json"]).map(lambda v: {"meridian:network": v}),
    # Data services: quorum and sizing rules, heaps that do not fit, unreviewed chart versions.
    st.integers(4, 9).map(lambda rf: {"meridian:cassandra": {"replication_factor": rf}}),
    st.integers(20, 31).map(lambda heap: {"meridian:cassandra": {"heap_gib": heap}}),
    st.integers(1, 2).map(lambda brokers: {"meridian:kafka": {"brokers": brokers}}),
    st.integers(3, 9).map(lambda isr: {"meridian:kafka": {"min_insync_replicas": isr}}),
    st.sampled_from([1, 2, 4, 6, 7]).map(lambda n: {"meridian:vault": {"replicas": n}}),
    st.sampled_from([1, 2, 4]).map(lambda n: {"meridian:logging": {"master_nodes": n}}),
    st.sampled_from(["cassandra", "kafka", "vault", "logging"]).flatmap(
        lambda svc: st.from_regex(r"9\.[0-9]\.[0-9]", fullmatch=True).map(
            lambda version: {f"meridian:{svc}": {"chart_version": version}})),
)


def _apply(mutation: dict[str, Any]) -> dict[str, str]:
    raw = raw_config()
    for key, value in mutation.items():
        raw[key] = value if isinstance(value, str) else json.dumps(value)
    return raw


def test_generated_bad_configs_all_end_in_config_error_with_nothing_registered() -> None:
    seen: list[str] = []

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
    @given(mutations)
    def one_bad_config(mutation: dict[str, Any]) -> None:
        raw = _apply(mutation)
        monitor = RecordingMonitor(RegionMocks("us-east-1"))
        try:
            run_main(ROOT / "__main__.py", stack=STACK, region="us-east-1", config=raw, monitor=monitor)
        except ConfigError as error:
            assert error.key and error.fix, f"{mutation} gave an error without key or fix: {error}"
            assert monitor.recorded == [], f"{mutation}: {[r.urn for r in monitor.recorded]} registered first"
        else:
            raise AssertionError(f"{mutation} was accepted and registered {len(monitor.recorded)} resources")
        seen.append(json.dumps(mutation, sort_keys=True))

    one_bad_config()
    assert len(seen) >= EXAMPLES, f"only {len(seen)} generated configs were tried"
