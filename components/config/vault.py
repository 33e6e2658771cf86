"""`meridian:vault`: Vault: HA raft, AWS KMS auto-unseal, raft snapshots to S3."""

from __future__ import annotations

import base64
import binascii
import math
import re
from typing import Final

from pydantic import Field, ValidationInfo, field_validator

from components.config.base import (
    Frozen,
    NamespaceNames,
    ServiceContext,
    ServiceMonitoringConfig,
    check_monitoring_names,
    fail,
)
from components.errors import ConfigError
from components.vault_access import RESERVED_NAMES, is_dns_label, kv_path_problem
from components.versions import check_chart_version

RAFT_SIZES: Final = (3, 5)
"""Odd voter counts worth running: 3 survives one lost voter, 5 survives two; more only slows every write."""
THRESHOLD_NAMES: Final = ("request_latency_p99_seconds", "raft_peers_min", "autopilot_failure_tolerance_min",
                         "lease_count_max", "leadership_changes_per_hour_max")
"""Alert thresholds Vault's monitoring understands (see components/vault.py `default_thresholds`)."""
SLO_NAMES: Final = ("request_availability",)
"""SLOs the Vault alert template records SLIs for (alerts/templates/vault.yaml.j2)."""
RAFT_SNAPSHOT_SERVICE: Final = "raft-snapshot"
"""The Vault component's own client (components/vault_snapshots.py): its name is taken."""
_SERVICE_ACCOUNT: Final = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_CRON_MACROS: Final = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
_MONTHS: Final = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS: Final = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
# (name, lowest, highest, names mapped to lowest.. in order); the five fields of a standard cron line, as
# Kubernetes CronJob parses it (robfig/cron ParseStandard; `?` allowed in day-of-month and day-of-week).
# robfig/cron v3 bounds day-of-week to 0-6 (spec.go `dow = bounds{0, 6, ...}`): `7` for Sunday is rejected.
_CRON_FIELDS: Final = (("minute", 0, 59, ()), ("hour", 0, 23, ()), ("day of month", 1, 31, ()),
                       ("month", 1, 12, _MONTHS), ("day of week", 0, 6, _DAYS))


def _cron_value(text: str, low: int, names: tuple[str, ...]) -> int | None:
    if text.isdigit():
        return int(text)
    upper = text.upper()
    return low + names.index(upper) if upper in names else None


def cron_problem(expression: str) -> str | None:
    """Why `expression` is not a schedule Kubernetes CronJob accepts, or None when it is."""
    text = expression.strip()
    if text.startswith(("TZ=", "CRON_TZ=")):
        return "sets a time zone inside the schedule, which Kubernetes rejects"
    if text.startswith("@"):
        return None if text in _CRON_MACROS else f"{text.split()[0]!r} is not a cron macro"
    parts = text.split()
    if len(parts) != len(_CRON_FIELDS):
        return f"has {len(parts)} fields, not the 5 of minute hour day-of-month month day-of-week"
    for part, (name, low, high, names) in zip(parts, _CRON_FIELDS, strict=True):
        for item in part.split(","):
            if item == "?" and name.startswith("day of"):
                continue
            span, _, step = item.partition("/")
            if step and (not step.isdigit() or int(step) == 0):
                return f"has a bad step {item!r} in the {name} field"
            if span == "*":
                continue
            first, _, last = span.partition("-")
            start, end = _cron_value(first, low, names), _cron_value(last or first, low, names)
            if start is None or end is None or not low <= start <= end <= high:
                return f"has {item!r} in the {name} field (allowed {low}-{high})"
    return None


def pgp_key_problem(key: str) -> str | None:
    """Why `key` is not a base64-encoded binary OpenPGP public key (what `vault operator init` takes), or None."""
    try:
        raw = base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        return "is not base64"
    # Every binary OpenPGP packet header has bit 7 set (RFC 9580 section 4.2); armored text starts with '-'.
    if not raw or not raw[0] & 0x80:
        return "is not a binary OpenPGP key (an ASCII-armored key, base64-encoded again?)"
    return None


class VaultClientConfig(Frozen):
    """A platform service that reads secrets from Vault's KV v2 mount, logging in with its service account."""

    namespace: str
    """Namespace of the service's pods; must be listed in `client_namespaces` (the network policy admits them)."""
    service_account: str
    """Kubernetes service account the pods run as; the Vault role binds exactly this one."""
    read: tuple[str, ...]
    """KV paths under the `platform` mount: `folder/secret` or `folder/*`. Grants `read` on `platform/data/<path>`."""
    list_folders: bool = False
    """Also grant `list` on `platform/metadata/<folder>/*` for each `folder/*` path. Default false."""

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, value: str) -> str:
        if not is_dns_label(value):
            raise fail("is not a Kubernetes namespace name", "use a lowercase DNS label such as `payments`")
        if value == "vault":
            raise fail("is Vault's own namespace, which admits only Vault and its snapshot job",
                       "run the service in its own namespace and list it in meridian:vault.client_namespaces")
        return value

    @field_validator("service_account")
    @classmethod
    def _service_account(cls, value: str) -> str:
        if len(value) > 253 or not _SERVICE_ACCOUNT.fullmatch(value):
            raise fail("is not a Kubernetes service account name", "use lowercase letters, digits, `-` and `.`")
        return value

    @field_validator("read")
    @classmethod
    def _read(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise fail("is empty: a service that reads nothing needs no Vault access",
                       "list the KV paths the service reads, or remove the client")
        for path in value:
            problem = kv_path_problem(path)
            if problem is not None:
                raise fail(f"path {path!r} {problem}",
                           "name secrets relative to the KV mount, e.g. `kafka/credentials` or `payments/*`")
        if len(set(value)) != len(value):
            raise fail("lists a path twice", "list each path once")
        return value

    @field_validator("list_folders")
    @classmethod
    def _list_folders(cls, value: bool, info: ValidationInfo) -> bool:
        if value and not any(path.endswith("/*") for path in info.data.get("read", ("/*",))):
            raise fail("is true but no read path is a folder", "add a `folder/*` path or set list_folders: false")
        return value


class VaultConfig(Frozen):
    """Vault: HA raft, AWS KMS auto-unseal, raft snapshots to S3."""

    chart_version: str | None = None
    """vault chart version; unset: the pin in components/versions.py (only reviewed versions)."""
    replicas: int = 3
    """Raft voters (Vault pods), spread over the zones: 3 (survives one lost zone) or 5. Default 3."""
    client_namespaces: NamespaceNames = ()
    """Namespaces whose pods may call Vault's API (8200); the vault namespace always may. Default none."""
    cpu_millicores: int = Field(default=500, ge=100, le=16000)
    """CPU request of each Vault pod, in millicores. Default 500."""
    memory_gib: float = Field(default=1.0, gt=0.0, le=64.0)
    """Memory request and limit of each Vault pod, in GiB. Default 1."""
    data_disk_gib: int = Field(default=10, ge=1, le=1000)
    """Raft data volume per pod (gp3-retain), in GiB. Default 10."""
    audit_disk_gib: int = Field(default=10, ge=1, le=1000)
    """Audit log volume per pod (gp3-retain), in GiB. Default 10."""
    snapshot_schedule: str = "0 * * * *"
    """Cron schedule (UTC) of the raft snapshot CronJob. Default hourly, on the hour."""
    snapshot_retention_days: int = 30
    """Days a superseded raft snapshot (an older S3 object version) is kept, 1-365. Default 30."""
    recovery_shares: int = Field(default=5, ge=1, le=255)
    """Recovery key shares `meridian vault bootstrap` asks `vault operator init` for (awskms auto-unseal). Default 5."""
    recovery_threshold: int = Field(default=3, ge=1)
    """Shares needed to rebuild the recovery key (generate-root, rekey): at most the shares, at least 2 unless
    there is one share. Default 3."""
    recovery_pgp_keys: tuple[str, ...] = ()
    """Base64 binary OpenPGP public keys (`gpg --export <id> | base64 -w0`), one per share, in order: Vault encrypts
    each share to its holder. Default none: the shares are written in clear text to the init output file (0600)."""
    clients: dict[str, VaultClientConfig] = Field(default_factory=dict)
    """Platform services that read Vault secrets, by service name (a lowercase DNS label): each gets a policy and a
    Kubernetes auth role of that name. Default none."""
    monitoring: ServiceMonitoringConfig = ServiceMonitoringConfig()

    @field_validator("recovery_threshold")
    @classmethod
    def _recovery_threshold(cls, value: int, info: ValidationInfo) -> int:
        shares = info.data.get("recovery_shares")
        if shares is None:
            return value  # the shares' own error is reported
        if value > shares:
            raise fail(f"is more than recovery_shares ({shares})", f"use at most {shares}")
        if value < 2 and shares > 1:
            raise fail(f"is 1 with {shares} shares: any single holder could rebuild the recovery key (and Vault's "
                       "Shamir split needs a threshold of at least 2)", f"use 2 to {shares}, e.g. a majority")
        return value

    @field_validator("recovery_pgp_keys")
    @classmethod
    def _recovery_pgp_keys(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        for index, key in enumerate(value):
            problem = pgp_key_problem(key)
            if problem is not None:
                raise fail(f"key {index} {problem}", "export each holder's public key with "
                           "`gpg --export <key-id> | base64 -w0`")
        if len(set(value)) != len(value):
            raise fail("lists the same key twice, so one holder would get two shares",
                       "give every share its own holder's key")
        shares = info.data.get("recovery_shares")
        if value and shares is not None and len(value) != shares:
            raise fail(f"has {len(value)} keys for {shares} recovery shares",
                       f"give exactly {shares} keys (one per share, in order) or none")
        return value

    @field_validator("clients")
    @classmethod
    def _clients(cls, value: dict[str, VaultClientConfig]) -> dict[str, VaultClientConfig]:
        for name in value:
            if not is_dns_label(name):
                raise fail(f"names a service {name!r} that is not a lowercase DNS label",
                           "use names such as `payments-api` (they become Vault policy and role names)")
            if name in RESERVED_NAMES or name == RAFT_SNAPSHOT_SERVICE:
                raise fail(f"names a service {name!r}, which is taken by Vault or the platform",
                           "pick another service name")
        return value

    @field_validator("replicas")
    @classmethod
    def _replicas(cls, value: int) -> int:
        if value > max(RAFT_SIZES):
            raise fail(f"is more than {max(RAFT_SIZES)} raft voters: every write waits for a majority, so more "
                       "voters slow Vault down without surviving more than one lost zone of three",
                       "use 3 (or 5)")
        if value not in RAFT_SIZES:
            raise fail("is not an odd raft cluster of 3 or 5: an even size tolerates no more failures than the "
                       "odd size below it, and 1 tolerates none", "use 3 (or 5)")
        return value

    @field_validator("client_namespaces")
    @classmethod
    def _client_namespaces(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if "vault" in value:
            raise fail("lists the vault namespace itself", "remove it: Vault's own namespace is always allowed")
        return value

    @field_validator("snapshot_schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        problem = cron_problem(value)
        if problem is not None:
            raise fail(f"is not a valid cron schedule: it {problem}",
                       "use five fields, e.g. '0 * * * *' (hourly) or '15 */6 * * *', or a macro such as @daily")
        return value

    @field_validator("snapshot_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if not 1 <= value <= 365:
            raise fail("is outside 1-365 days", "keep superseded snapshots between 1 and 365 days, e.g. 30")
        return value

    @field_validator("monitoring")
    @classmethod
    def _thresholds(cls, value: ServiceMonitoringConfig) -> ServiceMonitoringConfig:
        return check_monitoring_names(value, service="Vault", thresholds=THRESHOLD_NAMES, slos=SLO_NAMES)

    def check(self, context: ServiceContext) -> None:
        """Checks against the rest of the stack, before any resource is declared."""
        check_chart_version(context.key("vault.chart_version"), "vault", self.chart_version)
        for name, client in sorted(self.clients.items()):
            # Not admitted automatically: client_namespaces opens the network path to Vault, and that should be
            # one explicit, reviewed list rather than a side effect of granting a secret.
            if client.namespace not in self.client_namespaces:
                raise ConfigError(context.key(f"vault.clients.{name}.namespace"), client.namespace,
                                  "is not in vault.client_namespaces, so the network policy keeps its pods "
                                  "away from Vault", f"add {client.namespace!r} to meridian:vault.client_namespaces")
        if context.zones < 3:
            raise ConfigError(context.key("vault.replicas"), self.replicas,
                              f"cannot keep raft quorum through a zone loss in {context.zones} zone(s): one zone "
                              "then holds a majority of the voters", "set meridian:network.az_count to 3")
        per_zone = math.ceil(self.replicas / context.zones)
        if context.data_nodes_per_zone == 0:
            raise ConfigError(context.key("vault.replicas"), self.replicas,
                              "needs the per-zone data node group Vault runs on, and the cluster has none",
                              "add a node group with per_az: true to meridian:cluster.node_groups")
        if context.data_nodes_per_zone < per_zone:
            raise ConfigError(context.key("vault.replicas"), self.replicas,
                              f"needs {per_zone} data node(s) per zone (one Vault pod per node), but the per-zone "
                              f"data node group allows {context.data_nodes_per_zone}",
                              f"raise the data node group's max_size to {per_zone} or lower vault.replicas")
        memory = context.data_node_memory_gib
        if memory is not None and self.memory_gib >= memory:
            raise ConfigError(context.key("vault.memory_gib"), self.memory_gib,
                              f"does not fit the data nodes' {memory:g} GiB of memory",
                              f"use less than {memory:g} GiB (Vault needs 1-2 GiB for most workloads)")
