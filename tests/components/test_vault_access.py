"""Vault access inventory: KV paths, least-privilege policies, JSON round trip, config validation, and wiring."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest

from components.config import parse_stack_config
from components.config.vault import VaultConfig
from components.errors import ConfigError
from components.platform import RegionalPlatform, RegionalPlatformArgs
from components.vault import AUDIT_LOG, Vault, VaultArgs, access_inventory, raft_snapshot_client
from components.vault_access import (
    AuditDevice,
    PathRule,
    Recovery,
    VaultClient,
    VaultInventory,
    kv_path_problem,
)
from components.vault_snapshots import SERVICE_ACCOUNT, SNAPSHOT_SCRIPT, TOKEN_AUDIENCE, cronjob_spec
from components.vault_values import AUDIT_DIR, NAMESPACE, chart_values, raft_config
from meridian.synth.runner import run_program
from tests.conftest import make_certificates_ref, make_cluster_ref, raw_config

# A binary OpenPGP public-key packet starts with a header byte with bit 7 set (0x99: old format, tag 6).
PGP_KEYS = [base64.b64encode(bytes([0x99, 0x01, index]) + b"key").decode() for index in range(5)]
PAYMENTS = {"namespace": "payments", "service_account": "payments-api", "read": ["payments/*", "kafka/credentials"],
            "list_folders": True}


def _stack(vault: dict[str, Any]) -> Any:
    return parse_stack_config("us-east-1", raw_config(**{"meridian:vault": vault}))


def _error(vault: dict[str, Any]) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        _stack(vault)
    return caught.value


def _stanzas(policy: str) -> dict[str, list[str]]:
    """path -> capabilities, parsed from the HCL the generator writes."""
    found = re.findall(r'path "([^"]+)" \{\n  capabilities = \[([^\]]*)\]\n\}', policy)
    return {path: json.loads(f"[{capabilities}]") for path, capabilities in found}


@pytest.mark.parametrize("path", ["kafka/credentials", "payments/*", "a/b.c/d_e-f", "top"])
def test_kv_paths_that_name_secrets_or_folders_are_accepted(path: str) -> None:
    assert kv_path_problem(path) is None


@pytest.mark.parametrize(("path", "problem"), [
    ("/payments/db", "starts with `/`"), ("payments/../admin", "`..`"), ("pay*/db", "inside the path"),
    ("payments/*/db", "inside the path"), ("pay*", "inside the path"), ("*", "every secret"),
    ("payments//db", "invalid segment"), ("payments/+/db", "segment wildcard"), ('a"b', "invalid segment"),
    ("", "empty"),
])
def test_kv_paths_that_escape_or_widen_are_rejected(path: str, problem: str) -> None:
    found = kv_path_problem(path)
    assert found is not None and problem in found, f"{path!r}: {found}"


def test_a_client_policy_grants_kv_v2_reads_and_folder_listing_only() -> None:
    client = VaultClient(service="payments-api", namespace="payments", service_account="payments-api",
                         read_paths=("payments/*", "kafka/credentials"), list_folders=True)
    assert _stanzas(client.policy_hcl("platform")) == {
        "platform/data/payments/*": ["read"], "platform/data/kafka/credentials": ["read"],
        "platform/metadata/payments/*": ["list"]}  # no metadata rule for the single secret
    unlisted = VaultClient(service="payments-api", namespace="payments", service_account="payments-api",
                           read_paths=("payments/*",))
    assert _stanzas(unlisted.policy_hcl("platform")) == {"platform/data/payments/*": ["read"]}
    assert client.policy_hcl("platform").count("path ") == 3, "every stanza parsed"


def test_the_raft_snapshot_client_is_what_the_snapshot_job_logs_in_with() -> None:
    client = raft_snapshot_client()
    assert _stanzas(client.policy_hcl("platform")) == {"sys/storage/raft/snapshot": ["read"]}
    assert (client.namespace, client.service_account, client.audience) == (NAMESPACE, SERVICE_ACCOUNT, TOKEN_AUDIENCE)
    assert f"role={client.service} " in SNAPSHOT_SCRIPT, "the CronJob logs in with this role"
    pod = cronjob_spec(schedule="@hourly", bucket="b", region="us-east-1")["jobTemplate"]["spec"]["template"]["spec"]
    projected = pod["volumes"][2]["projected"]["sources"][0]["serviceAccountToken"]
    assert (pod["serviceAccountName"], projected["audience"]) == (client.service_account, client.audience)
    assert client.token_ttl_seconds <= projected["expirationSeconds"] + 600


def test_the_audit_log_is_on_the_charts_audit_volume() -> None:
    values = chart_values(replicas=3, zones=3, region="us-east-1", node_labels={}, taints=[], storage_class="gp3",
                          cpu_millicores=500, memory_gib=1.0, data_disk_gib=10, audit_disk_gib=10, role_arn="arn",
                          config_hcl=raft_config(replicas=3, region="us-east-1", kms_key_id="k"))
    assert values["server"]["auditStorage"]["mountPath"] == AUDIT_DIR
    assert AUDIT_LOG.startswith(f"{AUDIT_DIR}/") and AUDIT_LOG.endswith(".log")


def test_the_inventory_lists_the_snapshot_job_then_configured_clients_and_round_trips() -> None:
    config = VaultConfig(client_namespaces=("payments",), clients={"payments-api": PAYMENTS},
                         recovery_pgp_keys=tuple(PGP_KEYS))
    inventory = access_inventory(config, region="us-east-1", cluster_name="meridian-us-east-1")
    assert [client.service for client in inventory.clients] == ["raft-snapshot", "payments-api"]
    assert inventory.recovery == Recovery(shares=5, threshold=3, pgp_keys=tuple(PGP_KEYS))
    assert inventory.audit == AuditDevice(path="file", file_path=AUDIT_LOG)
    text = inventory.as_json()
    assert text == inventory.as_json() and json.loads(text)["policies"] == inventory.policies()
    assert VaultInventory.from_json(text) == inventory


@pytest.mark.parametrize("edit", [
    lambda d: d["policies"].update({"payments-api": 'path "platform/*" { capabilities = ["read"] }'}),
    lambda d: d["clients"][1]["read_paths"].append("../sys"),
    lambda d: d.update({"version": 99}),
    lambda d: d.pop("recovery"),
    lambda d: d["clients"][0]["extra_rules"][0].update({"capabilities": ["root"]}),
])
def test_an_edited_or_malformed_inventory_is_refused(edit: Any) -> None:
    inventory = access_inventory(VaultConfig(client_namespaces=("payments",), clients={"payments-api": PAYMENTS}),
                                 region="us-east-1", cluster_name="c")
    document = json.loads(inventory.as_json())
    edit(document)
    with pytest.raises(ValueError):
        VaultInventory.from_json(json.dumps(document))


def test_inventory_types_check_their_own_invariants() -> None:
    with pytest.raises(ValueError, match="between 1 and the shares"):
        Recovery(shares=3, threshold=4)
    with pytest.raises(ValueError, match="PGP keys"):
        Recovery(shares=3, threshold=2, pgp_keys=("a",))
    with pytest.raises(ValueError, match="granted nothing"):
        VaultClient(service="idle", namespace="x", service_account="x")
    with pytest.raises(ValueError, match="built-in"):
        VaultClient(service="root", namespace="x", service_account="x", read_paths=("a",))
    with pytest.raises(ValueError, match="capabilities"):
        PathRule(path="sys/x", capabilities=("write",))
    client = raft_snapshot_client()
    with pytest.raises(ValueError, match="twice"):
        VaultInventory(region="r", cluster_name="c", audit=AuditDevice(path="file", file_path="/a.log"),
                       recovery=Recovery(shares=1, threshold=1), clients=(client, client))
    assert "pgp_keys" not in repr(Recovery(shares=1, threshold=1, pgp_keys=(PGP_KEYS[0],)))


def test_recovery_and_clients_defaults() -> None:
    vault = _stack({}).vault
    assert (vault.recovery_shares, vault.recovery_threshold, vault.recovery_pgp_keys, vault.clients) == (5, 3, (), {})
    assert _stack({"recovery_shares": 1, "recovery_threshold": 1}).vault.recovery_threshold == 1
    assert _stack({"recovery_pgp_keys": PGP_KEYS}).vault.recovery_pgp_keys == tuple(PGP_KEYS)


@pytest.mark.parametrize(("vault", "key", "problem", "fix"), [
    ({"recovery_threshold": 6}, "vault.recovery_threshold", "more than recovery_shares (5)", "at most 5"),
    ({"recovery_shares": 3, "recovery_threshold": 1}, "vault.recovery_threshold", "single holder", "use 2 to 3"),
    ({"recovery_shares": 0}, "vault.recovery_shares", "greater than or equal to 1", "documented range"),
    ({"recovery_pgp_keys": PGP_KEYS[:2]}, "vault.recovery_pgp_keys", "2 keys for 5", "exactly 5"),
    ({"recovery_pgp_keys": ["not base64!"] * 5}, "vault.recovery_pgp_keys", "not base64", "gpg --export"),
    ({"recovery_pgp_keys": [base64.b64encode(b"-----BEGIN PGP").decode()] * 5}, "vault.recovery_pgp_keys",
     "armored", "gpg --export"),
    ({"recovery_pgp_keys": [PGP_KEYS[0]] * 5}, "vault.recovery_pgp_keys", "same key twice", "own holder"),
    ({"clients": {"Payments": PAYMENTS}}, "vault.clients", "not a lowercase DNS label", "payments-api"),
    ({"clients": {"raft-snapshot": PAYMENTS}}, "vault.clients", "taken", "another service name"),
    ({"clients": {"default": PAYMENTS}}, "vault.clients", "taken", "another service name"),
    ({"clients": {"p": {**PAYMENTS, "read": ["payments/../admin"]}}}, "vault.clients.p.read", "`..`",
     "relative to the KV mount"),
    ({"clients": {"p": {**PAYMENTS, "read": ["pay*/x"]}}}, "vault.clients.p.read", "inside the path", "payments/*"),
    ({"clients": {"p": {**PAYMENTS, "read": []}}}, "vault.clients.p.read", "is empty", "remove the client"),
    ({"clients": {"p": {**PAYMENTS, "read": ["a/b"], "list_folders": True}}}, "vault.clients.p.list_folders",
     "no read path is a folder", "folder/*"),
    ({"clients": {"p": {**PAYMENTS, "namespace": "vault"}}}, "vault.clients.p.namespace", "Vault's own",
     "own namespace"),
    ({"clients": {"p": {**PAYMENTS, "service_account": "Pay_Api"}}}, "vault.clients.p.service_account",
     "not a Kubernetes service account", "lowercase"),
    ({"client_namespaces": ["kafka"], "clients": {"p": PAYMENTS}}, "vault.clients.p.namespace",
     "not in vault.client_namespaces", "add 'payments' to meridian:vault.client_namespaces"),
])
def test_bad_vault_access_config_names_key_value_and_fix(vault: dict[str, Any], key: str, problem: str,
                                                          fix: str) -> None:
    error = _error(vault)
    assert error.key == f"[stack us-east-1] meridian:{key}", error
    assert problem in error.problem and fix in error.fix, error


def test_the_component_and_the_platform_expose_the_inventory() -> None:
    held: list[Any] = []
    config = VaultConfig(client_namespaces=("payments",), clients={"payments-api": PAYMENTS})

    def program() -> None:
        held.append(Vault("vault", VaultArgs(config=config, cluster=make_cluster_ref(),
                                             certificates=make_certificates_ref(), vpc_cidr="10.10.0.0/16",
                                             tags={}, protect_stateful=False)))

    run_program(program, stack="us-east-1", region="us-east-1")
    assert held[0].inventory == access_inventory(config, region="us-east-1", cluster_name="meridian-us-east-1")
    for vault, expected in (({"client_namespaces": ["payments"], "clients": {"payments-api": PAYMENTS}},
                             ["raft-snapshot", "payments-api"]), (None, None)):
        stack = parse_stack_config("us-east-1", raw_config(**({"meridian:vault": vault} if vault else {})))
        run_program(lambda s=stack: held.append(RegionalPlatform("meridian", RegionalPlatformArgs(config=s))),
                    stack="us-east-1", region="us-east-1")
        inventory = held[-1].vault_inventory
        assert (inventory and [client.service for client in inventory.clients]) == expected
