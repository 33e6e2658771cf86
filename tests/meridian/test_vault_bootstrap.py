"""`meridian vault bootstrap` end to end against a local HTTP double of the Vault endpoints it uses (vault_double.py).

No Vault server can be installed here: the double keeps state the way Vault's API documentation describes, so a
first run initializes and configures, and a second run must plan nothing and write nothing.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import socket
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

import meridian.vault.command as command
from components.config.vault import VaultConfig
from components.vault import access_inventory
from meridian.vault import vault_app
from tests.meridian.vault_double import NotVault, VaultDouble, VaultState

STACK = "us-east-1"
HOST = "https://0123456789ABCDEF.gr7.us-east-1.eks.amazonaws.com"
CA = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2FjZXJ0\n-----END CERTIFICATE-----\n"
PGP_KEYS = [base64.b64encode(bytes([0x99, 0x01, index]) + b"key").decode() for index in range(3)]
PAYMENTS = {"namespace": "payments", "service_account": "payments-api", "read": ["payments/*"], "list_folders": True}
OPERATOR = "hvs.operator-token"


@pytest.fixture(autouse=True)
def _fast_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(command, "POLL_SECONDS", 0.01)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")


def _config(**vault: Any) -> VaultConfig:
    return VaultConfig(client_namespaces=("payments",), clients={"payments-api": PAYMENTS}, **vault)


def _build(tmp_path: Path, config: VaultConfig) -> Path:
    inventory = access_inventory(config, region=STACK, cluster_name=f"meridian-{STACK}")
    (tmp_path / "build" / STACK).mkdir(parents=True)
    (tmp_path / "build" / STACK / "vault.json").write_text(inventory.as_json())
    (tmp_path / "ca.pem").write_text(CA)
    return tmp_path / "build"


@pytest.fixture
def build(tmp_path: Path) -> Path:
    return _build(tmp_path, _config())


def _run(addr: str, build: Path, *extra: str, token: str | None = None) -> Result:
    args = ["bootstrap", "--addr", addr, "--stack", STACK, "--build", str(build), "--kubernetes-host", HOST,
            "--kubernetes-ca-file", str(build.parent / "ca.pem"), *extra]
    env = {"VAULT_TOKEN": token, "VAULT_ADDR": None, "VAULT_CACERT": None, "REQUESTS_CA_BUNDLE": None}
    return CliRunner().invoke(vault_app, args, env=env)


def _text(result: Result) -> str:
    """stdout and stderr with the terminal's line wrapping undone."""
    return " ".join((result.stdout + result.stderr).split())


def _planned(result: Result) -> list[tuple[str, str]]:
    """(action, target) of each row of the printed plan table."""
    return re.findall(r"^│ +\d+ │ (\S+) +│ (\S+) +│", result.stdout, flags=re.MULTILINE)


def _bootstrapped(build: Path) -> Iterator[VaultDouble]:
    with VaultDouble() as vault:
        result = _run(vault.url, build, "--init-output", str(build.parent / "init.json"))
        assert result.exit_code == 0, _text(result)
        vault.state.tokens[OPERATOR] = None
        yield vault


def test_first_run_initializes_and_configures_then_a_second_run_writes_nothing(build: Path) -> None:
    init_file = build.parent / "init.json"
    with VaultDouble() as vault:
        first = _run(vault.url, build, "--init-output", str(init_file))
        assert first.exit_code == 0, _text(first)
        state = vault.state
        (init,) = [r for r in vault.requests if r.path == "sys/init"]
        assert (init.method, init.body["recovery_shares"], init.body["recovery_threshold"]) == ("PUT", 5, 3)
        assert not init.body.get("secret_shares") and "recovery_pgp_keys" not in init.body
        assert state.audit["file/"]["options"] == {"file_path": "/vault/audit/audit.log"}
        assert (state.mounts["platform/"]["type"], state.mounts["platform/"]["options"]) == ("kv", {"version": "2"})
        assert state.auth["kubernetes/"]["type"] == "kubernetes"
        assert state.kubernetes_config == {"kubernetes_host": HOST, "kubernetes_ca_cert": CA,
                                           "disable_local_ca_jwt": False}
        inventory = access_inventory(_config(), region=STACK, cluster_name=f"meridian-{STACK}")
        assert {name: state.policies[name] for name in inventory.policies()} == inventory.policies()
        assert state.roles["raft-snapshot"] == {
            "bound_service_account_names": ["vault-raft-snapshot"], "bound_service_account_namespaces": ["vault"],
            "audience": "vault", "token_policies": ["raft-snapshot"], "token_ttl": 600}
        assert state.roles["payments-api"]["bound_service_account_namespaces"] == ["payments"]
        saved = json.loads(init_file.read_text())
        assert stat.S_IMODE(os.stat(init_file).st_mode) == 0o600
        assert saved["root_token"] in state.issued and len(saved["recovery_keys"]) == 5
        assert saved["root_token"] not in state.tokens, "the initial root token is revoked"
        assert "Revoked the initial root token" in _text(first) and "active node (leader)" in _text(first)
        assert vault.unexpected == []

        state.tokens[OPERATOR] = None
        before = len(vault.requests)
        second = _run(vault.url, build, token=OPERATOR)
        assert second.exit_code == 0, _text(second)
        assert "Plan: no changes" in _text(second)
        assert [r for r in vault.requests[before:] if r.method in {"PUT", "POST", "DELETE"}] == []
        assert vault.unexpected == []


def test_dry_run_writes_nothing_on_a_fresh_or_a_drifted_vault(build: Path) -> None:
    with VaultDouble() as vault:
        result = _run(vault.url, build, "--dry-run")
        assert result.exit_code == 0, _text(result)
        assert len(_planned(result)) == 9 and _planned(result)[0] == ("init", "sys/init")
        assert "Dry run: nothing was changed" in _text(result)
        assert vault.writes() == [] and not vault.state.initialized
    for vault in _bootstrapped(build):
        vault.state.roles["raft-snapshot"]["token_ttl"] = 86400
        before = len(vault.requests)
        result = _run(vault.url, build, "--dry-run", token=OPERATOR)
        assert result.exit_code == 0 and "token_ttl 86400 -> 600" in _text(result), _text(result)
        assert _planned(result) == [("update-role", "auth/kubernetes/role/raft-snapshot")]
        assert vault.writes()[-1].path == "auth/token/revoke-self", "nothing written after the bootstrap"
        assert len(vault.requests) > before


def test_drift_is_repaired_with_only_the_drifted_write(build: Path) -> None:
    for vault in _bootstrapped(build):
        vault.state.policies["payments-api"] = 'path "platform/*" { capabilities = ["read"] }'
        before = len(vault.requests)
        result = _run(vault.url, build, token=OPERATOR)
        assert result.exit_code == 0, _text(result)
        writes = [(r.method, r.path) for r in vault.requests[before:] if r.method in {"PUT", "POST"}]
        assert writes == [("PUT", "sys/policies/acl/payments-api")]
        assert "platform/data/payments/*" in vault.state.policies["payments-api"]


def test_secrets_never_reach_the_terminal_or_the_logs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    build = _build(tmp_path, _config(recovery_shares=3, recovery_threshold=2, recovery_pgp_keys=tuple(PGP_KEYS)))
    with VaultDouble() as vault:
        result = _run(vault.url, build, "--init-output", str(tmp_path / "init.json"), "--keep-root-token")
        assert result.exit_code == 0, _text(result)
        (init,) = [r for r in vault.requests if r.path == "sys/init"]
        assert init.body["recovery_pgp_keys"] == PGP_KEYS
        assert "PGP-encrypted to their holders" in _text(result) and "stays valid" in _text(result)
        assert len(vault.state.issued) == 7 and vault.state.issued[0] in vault.state.tokens  # kept, not revoked
        saved = (tmp_path / "init.json").read_text()
        terminal = result.stdout + result.stderr
        for secret in vault.state.issued:
            assert secret in saved
            for text in (terminal, "".join(terminal.split()), caplog.text):
                assert secret not in text


def test_init_output_is_required_new_and_checked_before_init(build: Path) -> None:
    with VaultDouble() as vault:
        missing = _run(vault.url, build)
        assert missing.exit_code == 2 and "pass --init-output FILE" in _text(missing), _text(missing)
        existing = build.parent / "keys.json"
        existing.write_text("earlier keys")
        refused = _run(vault.url, build, "--init-output", str(existing))
        assert refused.exit_code == 1 and "refusing to overwrite" in _text(refused), _text(refused)
        assert existing.read_text() == "earlier keys"
        unwritable = _run(vault.url, build, "--init-output", str(build.parent / "no-such-dir" / "init.json"))
        assert unwritable.exit_code == 1 and "cannot create" in _text(unwritable), _text(unwritable)
        assert vault.writes() == [] and not vault.state.initialized


def test_a_failure_after_init_keeps_the_root_token_and_says_how_to_finish(build: Path) -> None:
    init_file = build.parent / "init.json"
    with VaultDouble(VaultState(fail={"POST sys/mounts/platform": 500})) as vault:
        failed = _run(vault.url, build, "--init-output", str(init_file))
        assert failed.exit_code == 1, _text(failed)
        root = json.loads(init_file.read_text())["root_token"]
        assert root in vault.state.tokens and f"jq -r .root_token {init_file}" in _text(failed)
        assert "internal error" in _text(failed) and root not in failed.stdout + failed.stderr
        vault.state.fail.clear()
        finished = _run(vault.url, build, token=root)
        assert finished.exit_code == 0 and "enable-kv-v2" in _text(finished), _text(finished)
        assert "platform/" in vault.state.mounts


class _UnsealKeysOnly(VaultState):
    """Answers init with unseal keys instead of recovery keys (a Vault whose seal is not what the plan saw)."""

    def initialize(self, shares: int, threshold: int) -> dict[str, Any]:
        answer = super().initialize(shares, threshold)
        answer["keys"], answer["keys_base64"] = answer.pop("recovery_keys"), answer.pop("recovery_keys_base64")
        return answer


def test_an_odd_init_answer_is_still_saved_whole_and_stops_the_run(build: Path) -> None:
    init_file = build.parent / "init.json"
    with VaultDouble(_UnsealKeysOnly()) as vault:
        result = _run(vault.url, build, "--init-output", str(init_file))
        assert result.exit_code == 1 and "without 5 recovery keys" in _text(result), _text(result)
        saved = json.loads(init_file.read_text())
        assert len(saved["unseal_keys"]) == 5 and saved["root_token"] in vault.state.tokens
        assert not any(secret in result.stdout + result.stderr for secret in vault.state.issued)
        assert [r.path for r in vault.writes()] == ["sys/init"]


def test_permission_denied_names_the_path_and_the_fix(build: Path) -> None:
    for vault in _bootstrapped(build):
        reads = {"GET sys/audit", "GET sys/mounts", "GET sys/auth", "LIST sys/policies/acl",
                 *(f"GET sys/policies/acl/{name}" for name in ("payments-api", "raft-snapshot")),
                 "GET auth/kubernetes/config", "LIST auth/kubernetes/role",
                 *(f"GET auth/kubernetes/role/{name}" for name in ("payments-api", "raft-snapshot"))}
        vault.state.tokens["reader"] = reads
        vault.state.policies.pop("raft-snapshot")
        denied = _run(vault.url, build, token="reader")
        assert denied.exit_code == 1, _text(denied)
        assert "permission denied on PUT sys/policies/acl/raft-snapshot (applying write-policy)" in _text(denied)
        assert "vault operator generate-root" in _text(denied)
        invalid = _run(vault.url, build, token="revoked-token")
        assert invalid.exit_code == 1 and "permission denied on GET sys/audit (reading sys/audit)" in _text(invalid)


def test_error_and_malformed_answers_are_named(build: Path) -> None:
    for vault in _bootstrapped(build):
        vault.state.fail = {"GET sys/mounts": 500}
        failed = _run(vault.url, build, token=OPERATOR)
        assert failed.exit_code == 1 and "unexpected answer to GET sys/mounts" in _text(failed), _text(failed)
        vault.state.fail = {"GET sys/auth": 503}
        sealed = _run(vault.url, build, token=OPERATOR)
        assert sealed.exit_code == 1 and "answered 503 on GET sys/auth" in _text(sealed), _text(sealed)
        assert "kubectl -n vault logs vault-0" in _text(sealed)
    with NotVault() as url:
        result = _run(url, build)
    assert result.exit_code == 1 and "unexpected answer while reading sys/seal-status" in _text(result), \
        _text(result)
    assert "not a proxy or UI" in _text(result)


def test_an_unreachable_vault_says_check_the_address_and_port_forward(build: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again when the block ends: nothing listens there
    result = _run(f"http://127.0.0.1:{port}", build)
    assert result.exit_code == 1
    assert "cannot reach Vault" in _text(result) and "kubectl -n vault port-forward" in _text(result)


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return str(cert), str(key)


def test_tls_failure_says_to_pass_the_ca_and_the_ca_fixes_it(build: Path, self_signed: tuple[str, str]) -> None:
    with VaultDouble(tls=self_signed) as vault:
        assert vault.url.startswith("https://")
        failed = _run(vault.url, build, "--dry-run")
        assert failed.exit_code == 1, _text(failed)
        assert "TLS with" in _text(failed) and "--ca-cert" in _text(failed) and "CERTIFICATE_VERIFY_FAILED" in \
            _text(failed)
        trusted = _run(vault.url, build, "--dry-run", "--ca-cert", self_signed[0])
        assert trusted.exit_code == 0 and _planned(trusted)[0] == ("init", "sys/init"), _text(trusted)


def test_a_vault_that_stays_sealed_fails_after_the_bounded_wait(build: Path) -> None:
    state = VaultState(initialized=True, sealed=True, unseal_after_polls=10**6, recovery=(5, 3))
    with VaultDouble(state) as vault:
        result = _run(vault.url, build, "--unseal-timeout", "0.05", token=OPERATOR)
        assert result.exit_code == 1
        assert "still sealed after 0.05s" in _text(result) and "KMS" in _text(result)
        assert vault.writes() == []
    with VaultDouble(VaultState(unseal_after_polls=10**6)) as vault:  # init works, auto-unseal never comes
        result = _run(vault.url, build, "--unseal-timeout", "0.05", "--init-output", str(build.parent / "i.json"))
        assert result.exit_code == 1 and "still sealed" in _text(result)
        assert "root token in" in _text(result) and "is still valid" in _text(result), _text(result)


def test_a_standby_node_reports_the_leader(build: Path) -> None:
    for vault in _bootstrapped(build):
        vault.state.is_self = False
        result = _run(vault.url, build, token=OPERATOR)
        assert result.exit_code == 0
        assert "standby; the leader is https://vault-1.vault-internal.vault.svc:8200" in _text(result)


def test_inputs_missing_or_wrong_are_named_with_their_fix(build: Path, tmp_path: Path) -> None:
    for vault in _bootstrapped(build):
        no_token = _run(vault.url, build)
        assert no_token.exit_code == 2 and "set VAULT_TOKEN or pass --token-file" in _text(no_token)
        token_file = tmp_path / "token"
        token_file.write_text(OPERATOR + "\n")
        token_file.chmod(0o644)
        from_file = _run(vault.url, build, "--token-file", str(token_file))
        assert from_file.exit_code == 0 and "readable by other users" in _text(from_file), _text(from_file)
        argv = _run(vault.url, build, "--token", OPERATOR)
        assert argv.exit_code == 2 and "No such option" in _text(argv), "tokens never travel in argv"
        missing = _run(vault.url, tmp_path / "elsewhere", token=OPERATOR)
        assert missing.exit_code == 2 and f"run `meridian synth --stack {STACK}`" in _text(missing)


def test_stack_outputs_give_the_cluster_endpoint_and_ca(build: Path, tmp_path: Path) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"clusterEndpoint": HOST, "clusterName": f"meridian-{STACK}",
                                   "clusterCertificateAuthority": base64.b64encode(CA.encode()).decode()}))
    with VaultDouble() as vault:
        args = ["bootstrap", "--addr", vault.url, "--stack", STACK, "--build", str(build), "--stack-outputs",
                str(outputs), "--init-output", str(tmp_path / "init.json")]
        result = CliRunner().invoke(vault_app, args, env={"VAULT_TOKEN": None, "VAULT_CACERT": None})
        assert result.exit_code == 0, _text(result)
        assert vault.state.kubernetes_config is not None
        assert vault.state.kubernetes_config["kubernetes_host"] == HOST
        assert vault.state.kubernetes_config["kubernetes_ca_cert"] == CA
        outputs.write_text(json.dumps({"clusterEndpoint": HOST, "clusterCertificateAuthority": "bm90IGEgY2VydA=="}))
        bad = CliRunner().invoke(vault_app, [*args[:-2], "--dry-run"], env={"VAULT_TOKEN": OPERATOR})
        assert bad.exit_code == 2 and "not a PEM certificate" in _text(bad)
