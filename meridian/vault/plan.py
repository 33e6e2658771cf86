"""The bootstrap plan, pure: desired state (inventory + cluster) vs current state (what Vault reports) -> changes.

Nothing here talks to Vault or holds a secret; `client.py` reads `CurrentState` and applies `Change`s. The plan only
adds and updates what the inventory names: it never deletes a mount, policy or role it does not know.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from components.vault_access import AuditDevice, Recovery, VaultInventory


class Action(StrEnum):
    """What one change does, in the order they are applied."""

    INIT = "init"
    ENABLE_AUDIT = "enable-audit"
    ENABLE_KV = "enable-kv-v2"
    ENABLE_KUBERNETES_AUTH = "enable-kubernetes-auth"
    WRITE_KUBERNETES_CONFIG = "write-kubernetes-config"
    UPDATE_KUBERNETES_CONFIG = "update-kubernetes-config"
    WRITE_POLICY = "write-policy"
    UPDATE_POLICY = "update-policy"
    WRITE_ROLE = "write-role"
    UPDATE_ROLE = "update-role"


@dataclass(frozen=True, kw_only=True)
class Role:
    """A Kubernetes auth role, reduced to the fields the bootstrap manages."""

    name: str
    service_accounts: frozenset[str]
    namespaces: frozenset[str]
    audience: str
    policies: frozenset[str]
    token_ttl_seconds: int


@dataclass(frozen=True, kw_only=True)
class KubernetesConfig:
    """`auth/<mount>/config`: the API server Vault calls for TokenReview, and the CA it trusts there."""

    host: str
    ca_pem: str


@dataclass(frozen=True, kw_only=True)
class DesiredState:
    """What the inventory and the region's cluster ask Vault to hold."""

    recovery: Recovery
    audit: AuditDevice
    kv_mount: str
    kubernetes_mount: str
    kubernetes: KubernetesConfig
    policies: Mapping[str, str]
    roles: tuple[Role, ...]


def desired_state(inventory: VaultInventory, kubernetes: KubernetesConfig) -> DesiredState:
    """The inventory's desired state for the cluster `kubernetes` describes; one role per client."""
    roles = tuple(Role(name=client.service, service_accounts=frozenset({client.service_account}),
                       namespaces=frozenset({client.namespace}), audience=client.audience,
                       policies=frozenset({client.service}), token_ttl_seconds=client.token_ttl_seconds)
                  for client in inventory.clients)
    return DesiredState(recovery=inventory.recovery, audit=inventory.audit, kv_mount=inventory.kv_mount,
                        kubernetes_mount=inventory.kubernetes_mount, kubernetes=kubernetes,
                        policies=inventory.policies(), roles=roles)


@dataclass(frozen=True, kw_only=True)
class Mount:
    """A mounted secrets engine or auth method: its type and, for kv, its version option."""

    type: str
    version: str = ""


@dataclass(frozen=True, kw_only=True)
class CurrentState:
    """What Vault reports. Mount and device paths carry no trailing slash."""

    initialized: bool
    seal_type: str = ""
    audit_devices: Mapping[str, AuditDevice] = field(default_factory=dict)
    secret_mounts: Mapping[str, Mount] = field(default_factory=dict)
    auth_mounts: Mapping[str, Mount] = field(default_factory=dict)
    kubernetes: KubernetesConfig | None = None
    policies: Mapping[str, str] = field(default_factory=dict)
    roles: Mapping[str, Role] = field(default_factory=dict)

    @classmethod
    def fresh(cls, seal_type: str) -> CurrentState:
        """An uninitialized Vault: after init it holds only Vault's built-in mounts and policies."""
        return cls(initialized=False, seal_type=seal_type)


@dataclass(frozen=True, kw_only=True)
class Change:
    """One step of the plan. `target` is the Vault path it writes; `detail` is safe to print."""

    action: Action
    target: str
    detail: str
    name: str = ""
    """The policy or role name, for the policy and role actions."""


@dataclass(frozen=True, kw_only=True)
class Plan:
    """The changes, in apply order, and the conflicts that stop the bootstrap (no change can fix them)."""

    changes: tuple[Change, ...]
    conflicts: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """True when Vault already matches (nothing to apply, nothing in the way)."""
        return not self.changes and not self.conflicts


def _role_differences(want: Role, have: Role) -> list[str]:
    fields = (("bound_service_account_names", sorted(want.service_accounts), sorted(have.service_accounts)),
              ("bound_service_account_namespaces", sorted(want.namespaces), sorted(have.namespaces)),
              ("audience", want.audience, have.audience),
              ("token_policies", sorted(want.policies), sorted(have.policies)),
              ("token_ttl", want.token_ttl_seconds, have.token_ttl_seconds))
    return [f"{name} {old!r} -> {new!r}" for name, new, old in fields if new != old]


def _init(desired: DesiredState, current: CurrentState) -> tuple[list[Change], list[str]]:
    if current.initialized:
        return [], []
    recovery = desired.recovery
    pgp = f", each encrypted to its holder's PGP key ({len(recovery.pgp_keys)})" if recovery.pgp_keys else ""
    change = Change(action=Action.INIT, target="sys/init",
                    detail=f"recovery shares {recovery.shares}, threshold {recovery.threshold}{pgp}")
    if current.seal_type == "shamir":
        return [change], ["Vault reports a Shamir seal, not awskms auto-unseal, so init would return unseal keys: "
                          "check the server config's `seal \"awskms\"` stanza (components/vault_values.py) and that "
                          "the pods run it (kubectl -n vault get pod vault-0 -o yaml)"]
    return [change], []


def _mounts(desired: DesiredState, current: CurrentState) -> tuple[list[Change], list[str]]:
    changes: list[Change] = []
    conflicts: list[str] = []
    audit = desired.audit
    device = current.audit_devices.get(audit.path)
    if device is None:
        changes.append(Change(action=Action.ENABLE_AUDIT, target=f"sys/audit/{audit.path}",
                              detail=f"{audit.type} audit device writing {audit.file_path}"))
    elif (device.type, device.file_path) != (audit.type, audit.file_path):
        conflicts.append(f"audit device {audit.path}/ is a {device.type} device writing {device.file_path!r}, not "
                         f"{audit.file_path!r}: Vault cannot change a device in place; `vault audit disable "
                         f"{audit.path}` then rerun (no audit log is written in between)")
    kv = current.secret_mounts.get(desired.kv_mount)
    if kv is None:
        changes.append(Change(action=Action.ENABLE_KV, target=f"sys/mounts/{desired.kv_mount}",
                              detail="KV version 2 secrets engine for platform secrets"))
    elif (kv.type, kv.version) != ("kv", "2"):
        fix = (f"upgrade it with `vault kv enable-versioning {desired.kv_mount}/`" if kv.type == "kv"
               else "move it elsewhere with `vault secrets move`")
        conflicts.append(f"secrets engine {desired.kv_mount}/ is {kv.type} version {kv.version or '1'}, not kv "
                         f"version 2: {fix}")
    auth = current.auth_mounts.get(desired.kubernetes_mount)
    if auth is None:
        changes.append(Change(action=Action.ENABLE_KUBERNETES_AUTH, target=f"sys/auth/{desired.kubernetes_mount}",
                              detail="Kubernetes auth method"))
    elif auth.type != "kubernetes":
        conflicts.append(f"auth method {desired.kubernetes_mount}/ is of type {auth.type}, not kubernetes: "
                         f"disable or move it (`vault auth move`) first")
    return changes, conflicts


def _kubernetes_config(desired: DesiredState, current: CurrentState) -> list[Change]:
    want, have = desired.kubernetes, current.kubernetes
    target = f"auth/{desired.kubernetes_mount}/config"
    if have is None:
        return [Change(action=Action.WRITE_KUBERNETES_CONFIG, target=target,
                       detail=f"kubernetes_host {want.host}, the cluster's CA certificate")]
    differences = []
    if have.host != want.host:
        differences.append(f"kubernetes_host {have.host!r} -> {want.host!r}")
    if have.ca_pem.strip() != want.ca_pem.strip():
        differences.append("kubernetes_ca_cert differs from the cluster's CA")
    if not differences:
        return []
    return [Change(action=Action.UPDATE_KUBERNETES_CONFIG, target=target, detail="; ".join(differences))]


def _policies_and_roles(desired: DesiredState, current: CurrentState) -> list[Change]:
    changes: list[Change] = []
    for name, text in sorted(desired.policies.items()):
        have = current.policies.get(name)
        rules = text.count('path "')
        if have is None:
            changes.append(Change(action=Action.WRITE_POLICY, target=f"sys/policies/acl/{name}", name=name,
                                  detail=f"{rules} path rule(s)"))
        elif have.strip() != text.strip():
            changes.append(Change(action=Action.UPDATE_POLICY, target=f"sys/policies/acl/{name}", name=name,
                                  detail=f"rules differ from the inventory ({rules} path rule(s) wanted)"))
    for role in sorted(desired.roles, key=lambda r: r.name):
        target = f"auth/{desired.kubernetes_mount}/role/{role.name}"
        existing = current.roles.get(role.name)
        if existing is None:
            accounts = ", ".join(f"{ns}/{sa}" for ns in sorted(role.namespaces) for sa in sorted(role.service_accounts))
            changes.append(Change(action=Action.WRITE_ROLE, target=target, name=role.name,
                                  detail=f"{accounts} -> policy {', '.join(sorted(role.policies))}, "
                                         f"ttl {role.token_ttl_seconds}s"))
        elif differences := _role_differences(role, existing):
            changes.append(Change(action=Action.UPDATE_ROLE, target=target, name=role.name,
                                  detail="; ".join(differences)))
    return changes


def plan(desired: DesiredState, current: CurrentState) -> Plan:
    """The changes that make `current` match `desired`, in apply order; empty when it already does."""
    init, init_conflicts = _init(desired, current)
    mounts, mount_conflicts = _mounts(desired, current)
    changes = [*init, *mounts, *_kubernetes_config(desired, current), *_policies_and_roles(desired, current)]
    return Plan(changes=tuple(changes), conflicts=tuple(init_conflicts + mount_conflicts))
