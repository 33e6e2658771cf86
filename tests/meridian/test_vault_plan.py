"""The pure bootstrap plan: fresh Vault -> full plan, matching Vault -> empty, drift -> only the drifted change."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from components.config.vault import VaultConfig
from components.vault import access_inventory
from components.vault_access import AuditDevice
from meridian.vault.plan import (
    Action,
    CurrentState,
    DesiredState,
    KubernetesConfig,
    Mount,
    Plan,
    desired_state,
    plan,
)

CA = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2FjZXJ0\n-----END CERTIFICATE-----\n"
HOST = "https://0123456789ABCDEF.gr7.us-east-1.eks.amazonaws.com"
PGP_KEYS = tuple(base64.b64encode(bytes([0x99, 0x01, index]) + b"key").decode() for index in range(5))


def _desired(**vault: Any) -> DesiredState:
    config = VaultConfig(client_namespaces=("payments",), clients={"payments-api": {
        "namespace": "payments", "service_account": "payments-api", "read": ["payments/*"]}}, **vault)
    inventory = access_inventory(config, region="us-east-1", cluster_name="meridian-us-east-1")
    return desired_state(inventory, KubernetesConfig(host=HOST, ca_pem=CA))


def _matching(desired: DesiredState) -> CurrentState:
    """What a Vault bootstrapped from `desired` reports (plus built-ins the plan must leave alone)."""
    return CurrentState(
        initialized=True, seal_type="awskms",
        audit_devices={desired.audit.path: desired.audit},
        secret_mounts={"cubbyhole": Mount(type="cubbyhole"), "sys": Mount(type="system"),
                       desired.kv_mount: Mount(type="kv", version="2")},
        auth_mounts={"token": Mount(type="token"), desired.kubernetes_mount: Mount(type="kubernetes")},
        kubernetes=KubernetesConfig(host=HOST, ca_pem=CA.strip()),  # Vault may hand the PEM back trimmed
        policies={"default": "# built-in", **desired.policies},
        roles={role.name: role for role in desired.roles})


def _actions(result: Plan) -> list[tuple[str, str]]:
    return [(change.action.value, change.target) for change in result.changes]


def test_a_fresh_vault_gets_init_and_everything_in_apply_order() -> None:
    desired = _desired()
    result = plan(desired, CurrentState.fresh("awskms"))
    assert _actions(result) == [
        ("init", "sys/init"), ("enable-audit", "sys/audit/file"), ("enable-kv-v2", "sys/mounts/platform"),
        ("enable-kubernetes-auth", "sys/auth/kubernetes"), ("write-kubernetes-config", "auth/kubernetes/config"),
        ("write-policy", "sys/policies/acl/payments-api"), ("write-policy", "sys/policies/acl/raft-snapshot"),
        ("write-role", "auth/kubernetes/role/payments-api"), ("write-role", "auth/kubernetes/role/raft-snapshot")]
    assert result.conflicts == () and not result.empty
    assert result.changes[0].detail == "recovery shares 5, threshold 3"


def test_a_matching_vault_plans_nothing() -> None:
    desired = _desired()
    result = plan(desired, _matching(desired))
    assert result.changes == () and result.conflicts == () and result.empty


def _drop_policy(state: CurrentState) -> CurrentState:
    return dataclasses.replace(state, policies={k: v for k, v in state.policies.items() if k != "payments-api"})


def _widen_policy(state: CurrentState) -> CurrentState:
    return dataclasses.replace(state, policies={**state.policies, "raft-snapshot": 'path "sys/*" {}'})


def _role(state: CurrentState, name: str, **fields: Any) -> CurrentState:
    return dataclasses.replace(state, roles={**state.roles, name: dataclasses.replace(state.roles[name], **fields)})


DRIFTS: list[tuple[str, Callable[[CurrentState], CurrentState], tuple[str, str], str]] = [
    ("audit device gone", lambda s: dataclasses.replace(s, audit_devices={}),
     ("enable-audit", "sys/audit/file"), "/vault/audit/audit.log"),
    ("kv mount gone", lambda s: dataclasses.replace(s, secret_mounts={}), ("enable-kv-v2", "sys/mounts/platform"),
     "KV version 2"),
    ("kubernetes config unset", lambda s: dataclasses.replace(s, kubernetes=None),
     ("write-kubernetes-config", "auth/kubernetes/config"), HOST),
    ("kubernetes host moved",
     lambda s: dataclasses.replace(s, kubernetes=KubernetesConfig(host="https://old", ca_pem=CA)),
     ("update-kubernetes-config", "auth/kubernetes/config"), "'https://old' -> "),
    ("kubernetes CA rotated", lambda s: dataclasses.replace(s, kubernetes=KubernetesConfig(host=HOST, ca_pem="x")),
     ("update-kubernetes-config", "auth/kubernetes/config"), "kubernetes_ca_cert differs"),
    ("policy deleted", _drop_policy, ("write-policy", "sys/policies/acl/payments-api"), "1 path rule(s)"),
    ("policy widened by hand", _widen_policy, ("update-policy", "sys/policies/acl/raft-snapshot"), "rules differ"),
    ("role deleted", lambda s: dataclasses.replace(s, roles={k: v for k, v in s.roles.items() if k != "raft-snapshot"}),
     ("write-role", "auth/kubernetes/role/raft-snapshot"), "vault/vault-raft-snapshot -> policy raft-snapshot"),
    ("role ttl changed", lambda s: _role(s, "raft-snapshot", token_ttl_seconds=86400),
     ("update-role", "auth/kubernetes/role/raft-snapshot"), "token_ttl 86400 -> 600"),
    ("role audience dropped", lambda s: _role(s, "payments-api", audience=""),
     ("update-role", "auth/kubernetes/role/payments-api"), "audience '' -> 'vault'"),
    ("role bound to every namespace", lambda s: _role(s, "payments-api", namespaces=frozenset({"*"})),
     ("update-role", "auth/kubernetes/role/payments-api"), "bound_service_account_namespaces ['*'] -> ['payments']"),
]


@pytest.mark.parametrize(("case", "drift", "expected", "detail"), DRIFTS, ids=[case[0] for case in DRIFTS])
def test_drift_plans_only_the_drifted_change(case: str, drift: Callable[[CurrentState], CurrentState],
                                             expected: tuple[str, str], detail: str) -> None:
    desired = _desired()
    result = plan(desired, drift(_matching(desired)))
    assert _actions(result) == [expected], case
    assert detail in result.changes[0].detail, result.changes[0].detail
    assert result.conflicts == ()


@pytest.mark.parametrize(("current", "conflict"), [
    ({"audit_devices": {"file": AuditDevice(path="file", file_path="/tmp/other.log")}}, "vault audit disable file"),
    ({"secret_mounts": {"platform": Mount(type="kv", version="1")}}, "vault kv enable-versioning platform/"),
    ({"secret_mounts": {"platform": Mount(type="transit")}}, "vault secrets move"),
    ({"auth_mounts": {"kubernetes": Mount(type="approle")}}, "not kubernetes"),
])
def test_what_no_write_can_fix_is_a_conflict_with_its_fix(current: dict[str, Any], conflict: str) -> None:
    desired = _desired()
    result = plan(desired, dataclasses.replace(_matching(desired), **current))
    assert len(result.conflicts) == 1 and conflict in result.conflicts[0], result.conflicts
    assert not result.empty


def test_a_shamir_sealed_vault_is_not_initialized_with_recovery_shares() -> None:
    result = plan(_desired(), CurrentState.fresh("shamir"))
    assert result.changes[0].action is Action.INIT
    assert len(result.conflicts) == 1 and "awskms" in result.conflicts[0]


def test_unmanaged_policies_roles_and_mounts_are_left_alone() -> None:
    desired = _desired()
    matching = _matching(desired)
    extra = dataclasses.replace(matching, policies={**matching.policies, "team-x": 'path "x" {}'},
                                secret_mounts={**matching.secret_mounts, "legacy": Mount(type="kv", version="1")})
    assert plan(desired, extra).empty


def test_the_plan_text_never_holds_a_secret_or_key_material() -> None:
    desired = _desired(recovery_pgp_keys=PGP_KEYS)
    result = plan(desired, CurrentState.fresh("awskms"))
    text = "\n".join(f"{c.action} {c.target} {c.name} {c.detail}" for c in result.changes) + repr(result)
    assert "encrypted to its holder's PGP key (5)" in result.changes[0].detail
    for secret in (*PGP_KEYS, CA.splitlines()[1]):
        assert secret not in text
    assert not any(key in repr(desired.recovery) for key in PGP_KEYS)
