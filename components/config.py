"""Typed stack configuration (pydantic v2, frozen, extra="forbid"), parsed once in `__main__.py`.

Keys live in the `meridian:` namespace (plus `aws:region`). A stack file holds, for example::

    aws:region: us-east-1
    meridian:environment: production
    meridian:network: {cidr: 10.10.0.0/16, az_count: 3}
    meridian:cluster: {kubernetes_version: "1.35", node_groups: {...}}

Every failure becomes one `ConfigError` naming the key path, the value and the fix.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from collections.abc import Mapping
from typing import Any, Final, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails

from components.errors import ConfigError
from components.regions import SUPPORTED_REGIONS, ZONES_BY_REGION

NAMESPACE: Final = "meridian"
SUPPORTED_KUBERNETES_VERSIONS: Final = ("1.34", "1.35", "1.36")
# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy API reference).
LOG_RETENTION_DAYS: Final = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192,
                             2557, 2922, 3288, 3653)
VPC_PREFIX_RANGE: Final = (16, 20)
PRIVATE_RANGES: Final = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                                                 "100.64.0.0/10"))
DEFAULT_INTERFACE_ENDPOINTS: Final = ("ec2", "ecr.api", "ecr.dkr", "elasticloadbalancing", "kms", "logs", "sts")

_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
_GRAVITON = re.compile(r"^(a1|[a-z]+\d+[a-z]*g[a-z]*)\.")
"""arm64 instance families: a1 and every family with a `g` after its generation (m7g, c7gn, r8gd)."""
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
_CLUSTER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
_FIX_SEPARATOR = " || fix: "


def _fail(problem: str, fix: str) -> ValueError:
    """A validator error carrying its fix; `_to_config_error` splits the two apart again."""
    return ValueError(f"{problem}{_FIX_SEPARATOR}{fix}")


def _check_retention(days: int) -> int:
    if days not in LOG_RETENTION_DAYS:
        nearest = min(LOG_RETENTION_DAYS, key=lambda allowed: abs(allowed - days))
        raise _fail("is not a CloudWatch Logs retention period", f"use one of {list(LOG_RETENTION_DAYS)}, "
                    f"for example {nearest}")
    return days


class Frozen(BaseModel):
    """Base for config sections: immutable, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class NetworkConfig(Frozen):
    """`meridian:network`: the regional VPC."""

    cidr: str
    """VPC CIDR, a private /16../20 network address; never overlaps another stack's."""
    az_count: int = Field(default=3, ge=2, le=6)
    """Availability zones used (2..6); subnets, NAT gateways and data node groups exist once per zone."""
    nat_gateways: Literal["per_az", "single"] = "per_az"
    """`per_az` (production: an AZ outage leaves the others' egress intact) or `single` (dev: one NAT)."""
    flow_log_retention_days: int = 365
    """Days VPC flow logs are kept in CloudWatch Logs."""
    interface_endpoints: tuple[str, ...] = DEFAULT_INTERFACE_ENDPOINTS
    """AWS service names (`ecr.api`, `sts`, ...) that get an interface endpoint in the private subnets."""

    @field_validator("cidr")
    @classmethod
    def _valid_cidr(cls, value: str) -> str:
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise _fail("is not an IPv4 CIDR", "write it as a.b.c.d/prefix, for example 10.10.0.0/16") from None
        if not isinstance(network, ipaddress.IPv4Network):
            raise _fail("must be an IPv4 CIDR", "use a private IPv4 block such as 10.10.0.0/16")
        if str(network) != value:
            raise _fail("has host bits set", f"use the network address {network}")
        low, high = VPC_PREFIX_RANGE
        if network.prefixlen < low:
            raise _fail(f"is larger than the /{low} AWS allows for a VPC", f"use a /{low}../{high} block")
        if network.prefixlen > high:
            raise _fail(f"is too small: three subnet tiers in up to 6 zones need at least a /{high}",
                        f"use a /{low}../{high} block")
        if not any(network.subnet_of(private) for private in PRIVATE_RANGES):
            raise _fail("is not in a private range", "use a block inside 10.0.0.0/8, 172.16.0.0/12, "
                        "192.168.0.0/16 or 100.64.0.0/10")
        return value

    @field_validator("flow_log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        return _check_retention(value)

    @field_validator("interface_endpoints")
    @classmethod
    def _endpoints(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        missing = sorted(set(DEFAULT_INTERFACE_ENDPOINTS) - set(value))
        if missing:
            raise _fail(f"lacks endpoints private nodes need ({', '.join(missing)})",
                        "keep every default endpoint and add to the list")
        if len(set(value)) != len(value):
            raise _fail("lists an endpoint twice", "list each service once")
        for service in value:
            if not re.fullmatch(r"[a-z0-9]+([.-][a-z0-9]+)*", service):
                raise _fail(f"names an invalid service {service!r}", "use AWS service names such as ecr.api")
        return value

    @property
    def network(self) -> ipaddress.IPv4Network:
        """The VPC CIDR as a network object."""
        return ipaddress.IPv4Network(self.cidr)


class Taint(Frozen):
    """A Kubernetes taint on a managed node group, in EKS API spelling."""

    key: str = Field(pattern=r"^[a-z0-9.-/]+$", max_length=63)
    value: str = Field(default="true", max_length=63)
    effect: Literal["NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"] = "NO_SCHEDULE"


class NodeGroupConfig(Frozen):
    """One workload class of managed nodes (`meridian:cluster.node_groups.<name>`)."""

    instance_types: tuple[str, ...] = Field(min_length=1, max_length=10)
    """EC2 instance types, first preferred."""
    min_size: int = Field(ge=0, le=450)
    desired_size: int = Field(ge=0, le=450)
    max_size: int = Field(ge=1, le=450)
    """Per node group; with `per_az` each zone's group gets these sizes."""
    disk_gib: int = Field(default=50, ge=20, le=16384)
    """Encrypted gp3 root volume size in GiB."""
    capacity_type: Literal["ON_DEMAND", "SPOT"] = "ON_DEMAND"
    per_az: bool = False
    """One node group per zone (stateful workloads: EBS volumes are zonal); otherwise one spanning all zones."""
    labels: dict[str, str] = Field(default_factory=dict)
    taints: tuple[Taint, ...] = ()

    @field_validator("instance_types")
    @classmethod
    def _instance_types(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for instance_type in value:
            if not _INSTANCE_TYPE.fullmatch(instance_type):
                raise _fail(f"{instance_type!r} is not an EC2 instance type", "use names like m7i.xlarge")
        if len({bool(_GRAVITON.match(instance_type)) for instance_type in value}) > 1:
            raise _fail("mixes arm64 (Graviton) and x86_64 instance types",
                        "split them into two node groups, one per architecture")
        return value

    @property
    def architecture(self) -> Literal["arm64", "x86_64"]:
        """CPU architecture shared by all the group's instance types."""
        return "arm64" if _GRAVITON.match(self.instance_types[0]) else "x86_64"


class ClusterConfig(Frozen):
    """`meridian:cluster`: the regional EKS cluster."""

    name: str | None = None
    """Cluster name; defaults to `meridian-<stack>`. Changing it replaces the cluster."""
    kubernetes_version: str
    """EKS Kubernetes minor version, one of SUPPORTED_KUBERNETES_VERSIONS."""
    public_access_cidrs: tuple[str, ...] = ()
    """Empty: the API endpoint is private only. Otherwise the public endpoint is on, open to these CIDRs only."""
    admin_role_arns: tuple[str, ...] = ()
    """IAM roles given cluster-admin through EKS access entries."""
    log_retention_days: int = 90
    """Days control-plane logs are kept."""
    node_groups: dict[str, NodeGroupConfig]
    """Workload classes; `system` is required."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is not None and not _CLUSTER_NAME.fullmatch(value):
            raise _fail("is not a valid EKS cluster name", "use 1-100 letters, digits, - or _, starting alphanumeric")
        return value

    @field_validator("kubernetes_version")
    @classmethod
    def _version(cls, value: str) -> str:
        if value not in SUPPORTED_KUBERNETES_VERSIONS:
            raise _fail("is not a supported Kubernetes version",
                        f"use one of {', '.join(SUPPORTED_KUBERNETES_VERSIONS)} (quote it in YAML)")
        return value

    @field_validator("public_access_cidrs")
    @classmethod
    def _public_cidrs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for cidr in value:
            try:
                network = ipaddress.ip_network(cidr, strict=True)
            except ValueError:
                raise _fail(f"{cidr!r} is not a CIDR network address", "write it as a.b.c.d/prefix") from None
            if network.prefixlen == 0:
                raise _fail("opens the API endpoint to the whole internet",
                            "list your office or VPN ranges, or leave it empty for a private endpoint")
        return value

    @field_validator("admin_role_arns")
    @classmethod
    def _admin_roles(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for arn in value:
            if not _ROLE_ARN.fullmatch(arn):
                raise _fail(f"{arn!r} is not an IAM role ARN", "use arn:aws:iam::<account>:role/<name>")
        return value

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        return _check_retention(value)

    @field_validator("node_groups")
    @classmethod
    def _groups(cls, value: dict[str, NodeGroupConfig]) -> dict[str, NodeGroupConfig]:
        for group in value:
            if not _NAME.fullmatch(group):
                raise _fail(f"group name {group!r} is invalid", "use lowercase letters, digits and -")
        if "system" not in value:
            raise _fail("has no `system` node group", "add node_groups.system for cluster add-ons and operators")
        return value


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
    peers: tuple[str, ...] = ()
    """Stacks (regions) this stack connects to; each must exist in stacks/."""

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if value not in SUPPORTED_REGIONS:
            close = difflib.get_close_matches(value, SUPPORTED_REGIONS, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise _fail("is not a supported AWS region", f"use one of {', '.join(SUPPORTED_REGIONS)}{hint}")
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
    f"{NAMESPACE}:peers": "peers",
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


def _fix_for(error: ErrorDetails, model_fields: list[str]) -> tuple[str, str]:
    kind, ctx = error["type"], error.get("ctx", {})
    if kind == "value_error":
        message = str(ctx.get("error", error["msg"]))
        problem, _, fix = message.partition(_FIX_SEPARATOR)
        return problem, fix or "see the config reference in README.md"
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(str(error["loc"][-1]), model_fields, n=1)
        hint = f"did you mean `{close[0]}`? " if close else ""
        return "is not a known key", f"{hint}remove it; known keys here: {', '.join(sorted(model_fields))}"
    if kind == "missing":
        return "is required", "set it in the stack file (see the config reference in README.md)"
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
    problem, fix = _fix_for(first, _fields_at(loc))
    more = f" (and {len(details) - 1} more problem(s))" if len(details) > 1 else ""
    return ConfigError(f"[stack {stack}] {_key_path(loc)}", first.get("input"), problem + more, fix)


def parse_stack_config(stack: str, raw: Mapping[str, Any]) -> StackConfig:
    """Validate one stack's raw config (full keys such as `meridian:network`) into a StackConfig."""
    values: dict[str, Any] = {"stack": stack}
    for key, value in raw.items():
        if not key.startswith(f"{NAMESPACE}:") and key != "aws:region":
            continue  # other providers' and packages' keys are theirs to check
        if key not in _KEY_TO_FIELD:
            close = difflib.get_close_matches(key, list(_KEY_TO_FIELD), n=1)
            hint = f"did you mean `{close[0]}`? " if close else ""
            raise ConfigError(f"[stack {stack}] {key}", value, "is not a known key",
                              f"{hint}remove it; known keys: {', '.join(sorted(_KEY_TO_FIELD))}")
        values[_KEY_TO_FIELD[key]] = _decode(key, value)
    try:
        config = StackConfig.model_validate(values)
    except ValidationError as error:
        raise _to_config_error(stack, error) from None
    _check_across_fields(config)
    return config


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


def current_raw_config() -> dict[str, Any]:
    """All config the Pulumi engine handed this program run (full keys, string values)."""
    from pulumi.runtime.config import CONFIG, get_config_env

    return {**get_config_env(), **CONFIG.get()}
