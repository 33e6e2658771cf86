"""The whole stack's config: parsing raw Pulumi config into StackConfig, and checks across keys and stacks."""

from __future__ import annotations

import difflib
import ipaddress
import json
from collections.abc import Mapping
from typing import Any, Final, Literal, get_args

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_core import ErrorDetails

from components.config.base import FIX_SEPARATOR, NAMESPACE, Frozen, ServiceContext, fail
from components.config.cassandra import CassandraConfig
from components.config.cluster import ClusterConfig
from components.config.kafka import KafkaConfig
from components.config.logging import LoggingConfig
from components.config.monitoring import ConfigSecret, MonitoringConfig, check_receiver_secrets, is_secret_value
from components.config.network import NetworkConfig
from components.config.vault import VaultConfig
from components.contracts import KUBERNETES_SERVICE_CIDR
from components.errors import ConfigError
from components.instance_types import memory_gib
from components.regions import SUPPORTED_REGIONS, ZONES_BY_REGION


class StackConfig(Frozen):
    """The whole validated configuration of one stack (one region)."""

    stack: str
    region: str
    """`aws:region`: the region this stack owns."""
    environment: Literal["production", "development"]
    owner: str = Field(min_length=1, max_length=64)
    cost_centre: str = Field(min_length=1, max_length=64)
    protect_stateful: bool = True
    """Protect KMS keys, the cluster and other stateful resources from deletion (`pulumi destroy` refuses)."""
    network: NetworkConfig
    cluster: ClusterConfig
    order: int | None = Field(default=None, ge=1, le=99)
    """Position in the fleet's rollout and peering order: a stack peers only with stacks of a lower order, so a new
    region's first `pulumi up` connects it to the existing ones without touching their stacks. Unset: the stack
    neither peers nor is peered (development)."""
    peers: tuple[str, ...] = ()
    """Stacks (regions) this stack connects to: every earlier stack (lower `order`) of the same environment."""
    stack_reference_org: str = Field(default="organization", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
    """Pulumi organization holding the peers' stacks; each peer is read as `<org>/<project>/<peer>` (Pulumi's
    self-managed backends call every organization `organization`)."""
    cassandra: CassandraConfig | None = None
    kafka: KafkaConfig | None = None
    vault: VaultConfig | None = None
    logging: LoggingConfig | None = None
    """Data services; a section left out is not deployed in this stack."""
    monitoring: MonitoringConfig = MonitoringConfig()
    """Monitoring is always deployed; the section only overrides its defaults."""
    secrets: dict[str, SecretStr] = Field(default_factory=dict)
    """Secret values the monitoring routing names (receiver keys), by key name without `meridian:`. Filled by the
    parser from top-level secret config keys, never from a section."""

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if value not in SUPPORTED_REGIONS:
            close = difflib.get_close_matches(value, SUPPORTED_REGIONS, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise fail("is not a supported AWS region", f"use one of {', '.join(SUPPORTED_REGIONS)}{hint}")
        return value

    @property
    def cluster_name(self) -> str:
        """The EKS cluster's name."""
        return self.cluster.name or f"meridian-{self.stack}"

    @property
    def zones(self) -> tuple[str, ...]:
        """The zones this stack uses, in a stable order."""
        return ZONES_BY_REGION[self.region][: self.network.az_count]


# Top-level config keys and the StackConfig field each feeds.
_KEY_TO_FIELD: Final = {
    "aws:region": "region",
    f"{NAMESPACE}:environment": "environment",
    f"{NAMESPACE}:owner": "owner",
    f"{NAMESPACE}:cost_centre": "cost_centre",
    f"{NAMESPACE}:protect_stateful": "protect_stateful",
    f"{NAMESPACE}:network": "network",
    f"{NAMESPACE}:cluster": "cluster",
    f"{NAMESPACE}:order": "order",
    f"{NAMESPACE}:peers": "peers",
    f"{NAMESPACE}:stack_reference_org": "stack_reference_org",
    f"{NAMESPACE}:cassandra": "cassandra",
    f"{NAMESPACE}:kafka": "kafka",
    f"{NAMESPACE}:vault": "vault",
    f"{NAMESPACE}:logging": "logging",
    f"{NAMESPACE}:monitoring": "monitoring",
}
_FIELD_TO_KEY: Final = {field: key for key, field in _KEY_TO_FIELD.items()}
_BOOLEAN_KEYS: Final = {f"{NAMESPACE}:protect_stateful"}


def _decode(key: str, value: Any) -> Any:
    """Pulumi hands structured and boolean config to programs as JSON text; decode it back."""
    if not isinstance(value, str):
        return value
    if key in _BOOLEAN_KEYS and value in ("true", "false"):
        return value == "true"
    if value[:1] in "{[":
        try:
            return json.loads(value)
        except json.JSONDecodeError as error:
            raise ConfigError(key, value, f"is not valid JSON ({error.msg})",
                              "set it with `pulumi config set --path` or fix the YAML") from None
    return value


def _key_path(loc: tuple[int | str, ...]) -> str:
    head, *rest = loc
    path = _FIELD_TO_KEY.get(str(head), str(head))
    for part in rest:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def fix_for(error: ErrorDetails, model_fields: list[str]) -> tuple[str, str]:
    """The problem and the fix a validation error reports (typos get the nearest known key)."""
    kind, ctx = error["type"], error.get("ctx", {})
    if kind == "value_error":
        message = str(ctx.get("error", error["msg"]))
        problem, _, fix = message.partition(FIX_SEPARATOR)
        return problem, fix or "see the config reference in README.md"
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(str(error["loc"][-1]), model_fields, n=1)
        hint = f"did you mean `{close[0]}`? " if close else ""
        return "is not a known key", f"{hint}remove it; known keys here: {', '.join(sorted(model_fields))}"
    if kind == "missing":
        return "is required", "set it (see the config reference in README.md)"
    if kind == "literal_error":
        return "is not an allowed value", f"use one of {ctx.get('expected')}"
    bounds = {"greater_than_equal": "ge", "less_than_equal": "le", "greater_than": "gt", "less_than": "lt"}
    if kind in bounds:
        return error["msg"].lower(), "pick a value inside the documented range"
    return error["msg"].lower(), "give the type the config reference in README.md names"


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    """The config model inside a field's annotation (`NodeGroupConfig` in `dict[str, NodeGroupConfig]`)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in get_args(annotation):
        found = _nested_model(argument)
        if found is not None:
            return found
    return None


def _fields_at(loc: tuple[int | str, ...]) -> list[str]:
    """Field names of the model holding `loc`'s last part, for typo suggestions."""
    model: type[BaseModel] = StackConfig
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        nested = _nested_model(field.annotation) if field else None
        if nested is not None:
            model = nested
    return list(model.model_fields)


def _to_config_error(stack: str, error: ValidationError) -> ConfigError:
    details = sorted(error.errors(), key=lambda item: [str(part) for part in item["loc"]])
    first = details[0]
    loc = first["loc"] or ("<root>",)
    problem, fix = fix_for(first, _fields_at(loc))
    more = f" (and {len(details) - 1} more problem(s))" if len(details) > 1 else ""
    return ConfigError(f"[stack {stack}] {_key_path(loc)}", first.get("input"), problem + more, fix)


def parse_stack_config(stack: str, raw: Mapping[str, Any]) -> StackConfig:
    """Validate one stack's raw config (full keys such as `meridian:network`) into a StackConfig."""
    values: dict[str, Any] = {"stack": stack}
    for key, value in raw.items():
        if key in _KEY_TO_FIELD:
            values[_KEY_TO_FIELD[key]] = _decode(key, value)
    _check_known_keys(stack, raw, _secret_keys_named(values.get("monitoring")))
    try:
        config = StackConfig.model_validate(values)
    except ValidationError as error:
        raise _to_config_error(stack, error) from None
    config = config.model_copy(update={"secrets": check_receiver_secrets(stack, config.monitoring, raw)})
    _check_across_fields(config)
    return config


def _secret_keys_named(monitoring: Any) -> tuple[str, ...] | None:
    """The secret keys the monitoring section's routing names; None when the section is invalid (its own error
    comes from the validation that follows)."""
    try:
        return MonitoringConfig.model_validate(monitoring or {}).secret_keys()
    except ValidationError:
        return None


def _check_known_keys(stack: str, raw: Mapping[str, Any], secret_keys: tuple[str, ...] | None) -> None:
    """Every `meridian:` key feeds a section, or is a secret the monitoring routing names (any secret key, while
    the routing is unknown)."""
    for key, value in raw.items():
        if not key.startswith(f"{NAMESPACE}:") and key != "aws:region":
            continue  # other providers' and packages' keys are theirs to check
        named = is_secret_value(value) if secret_keys is None else key in secret_keys
        if key not in _KEY_TO_FIELD and not named:
            close = difflib.get_close_matches(key, list(_KEY_TO_FIELD), n=1)
            hint = f"did you mean `{close[0]}`? " if close else ""
            raise ConfigError(f"[stack {stack}] {key}", value, "is not a known key",
                              f"{hint}remove it; known keys: {', '.join(sorted(_KEY_TO_FIELD))} (plus the secret "
                              "keys meridian:monitoring.routing names)")


def _check_across_fields(config: StackConfig) -> None:
    """Checks that relate several keys of one stack."""
    prefix = f"[stack {config.stack}] meridian:"
    zones = len(ZONES_BY_REGION[config.region])
    if config.network.az_count > zones:
        raise ConfigError(f"{prefix}network.az_count", config.network.az_count,
                          f"exceeds the {zones} zones {config.region} offers", f"use at most {zones}")
    for name, group in config.cluster.node_groups.items():
        sizes = (group.min_size, group.desired_size, group.max_size)
        if not sizes[0] <= sizes[1] <= sizes[2]:
            raise ConfigError(f"{prefix}cluster.node_groups.{name}", {"min_size": sizes[0], "desired_size": sizes[1],
                              "max_size": sizes[2]}, "needs min_size <= desired_size <= max_size",
                              "order the three sizes so min <= desired <= max")
    service_range = ipaddress.IPv4Network(KUBERNETES_SERVICE_CIDR)
    if config.network.network.overlaps(service_range):
        raise ConfigError(f"{prefix}network.cidr", config.network.cidr,
                          f"overlaps the clusters' Kubernetes service range {service_range}",
                          "pick a VPC block outside 172.20.0.0/16, for example in 10.0.0.0/8")
    context = service_context(config)
    for service in (config.cassandra, config.kafka, config.vault, config.logging, config.monitoring):
        if service is not None:
            service.check(context)


def service_context(config: StackConfig) -> ServiceContext:
    """What services' config checks need to know of the cluster: zones, and the data nodes' size."""
    data = next((group for group in config.cluster.node_groups.values() if group.per_az), None)
    memories = [memory_gib(instance_type) for instance_type in data.instance_types] if data else []
    known = [memory for memory in memories if memory is not None]
    return ServiceContext(stack=config.stack, zones=config.network.az_count,
                          data_node_memory_gib=min(known) if known else None,
                          data_nodes_per_zone=data.max_size if data else 0)


def _free_block(configs: Mapping[str, StackConfig], prefix: int) -> str:
    """The first 10.x.0.0/`prefix` block that overlaps no stack's VPC."""
    taken = [config.network.network for config in configs.values()]
    for candidate in ipaddress.ip_network("10.0.0.0/8").subnets(new_prefix=prefix):
        if not any(candidate.overlaps(network) for network in taken):
            return str(candidate)
    return "a block outside 10.0.0.0/8"


def validate_fleet(configs: Mapping[str, StackConfig], current: str | None = None) -> None:
    """Checks across every stack file: VPC CIDRs never overlap, and every peer names an existing stack.

    An overlap is reported against `current` (the stack being deployed) when it is one of the pair.
    """
    names = sorted(configs, key=lambda name: (name != current, name))
    for index, first in enumerate(names):
        for second in names[index + 1:]:
            blamed, other = (first, second) if first == current else (second, first)
            mine, theirs = configs[blamed].network.network, configs[other].network.network
            if mine.overlaps(theirs):
                raise ConfigError(f"[stack {blamed}] meridian:network.cidr", str(mine),
                                  f"overlaps stack {other}'s VPC {theirs}",
                                  f"give every stack a disjoint block, for example "
                                  f"{_free_block(configs, mine.prefixlen)}")
    for name in names:
        for peer in configs[name].peers:
            if peer not in configs:
                raise ConfigError(f"[stack {name}] meridian:peers", peer, "names no stack in stacks/",
                                  f"use one of {', '.join(n for n in names if n != name)}")
            if peer == name:
                raise ConfigError(f"[stack {name}] meridian:peers", peer, "names the stack itself",
                                  "remove it: a stack does not peer with itself")
    _check_peering_order(configs)


def _check_peering_order(configs: Mapping[str, StackConfig]) -> None:
    """Orders are unique; a stack peers only with earlier stacks, and with every earlier stack of its environment
    (Cassandra's cluster and Kafka's mirroring span the whole environment, so the mesh must be full)."""
    by_order: dict[int, str] = {}
    for name in sorted(configs):
        order = configs[name].order
        if order is not None and order in by_order:
            raise ConfigError(f"[stack {name}] meridian:order", order, f"is also stack {by_order[order]}'s order",
                              f"give each stack its own position, for example {max(by_order) + 1}")
        if order is not None:
            by_order[order] = name
    for name, config in sorted(configs.items()):
        key = f"[stack {name}] meridian:peers"
        if config.peers and config.order is None:
            raise ConfigError(f"[stack {name}] meridian:order", None, "is unset, but the stack lists peers",
                              "set meridian:order above every peer's order")
        for peer in config.peers:
            peer_order = configs[peer].order
            if peer_order is None or config.order is None or peer_order >= config.order:
                raise ConfigError(key, peer, f"does not come earlier (its order {peer_order}, this stack's "
                                  f"{config.order}): the later stack of a pair declares the peering",
                                  f"remove {peer} here and list {name} in {peer}'s peers instead, or reorder")
            if configs[peer].environment != config.environment:
                raise ConfigError(key, peer, f"is a {configs[peer].environment} stack, this one {config.environment}",
                                  "peer only stacks of the same environment")
        if config.order is None:
            continue
        missing = sorted(other for other, theirs in configs.items()
                         if theirs.order is not None and theirs.order < config.order
                         and theirs.environment == config.environment and other not in config.peers)
        if missing:
            raise ConfigError(key, list(config.peers), f"leaves out earlier {config.environment} stack(s) "
                              f"{', '.join(missing)}: Cassandra and Kafka need a full mesh",
                              f"add {', '.join(missing)}")


def current_raw_config() -> dict[str, Any]:
    """All config the Pulumi engine handed this program run (full keys, string values); secret values are
    `ConfigSecret`s, so the parser can tell a receiver key set with `--secret` from one in plain text."""
    from pulumi.runtime.config import CONFIG, get_config_env, is_config_secret

    merged = {**get_config_env(), **CONFIG.get()}
    return {key: ConfigSecret(value) if isinstance(value, str) and is_config_secret(key) else value
            for key, value in merged.items()}
