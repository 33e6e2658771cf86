"""The hvac side of the bootstrap: read Vault's current state, apply plan changes, and name every failure's fix.

Endpoints used (request and response bodies per hashicorp/vault website/content/api-docs/): sys/seal-status,
sys/leader, sys/init (PUT), sys/audit, sys/mounts, sys/auth (GET, POST <path>), sys/policies/acl (LIST, GET, PUT),
auth/kubernetes/config (GET, POST), auth/kubernetes/role (LIST, GET, POST), auth/token/revoke-self (POST).
Nothing here logs or prints a token or key.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import hvac
import hvac.exceptions
import requests

from components.vault_access import AuditDevice
from meridian.vault.plan import Action, Change, CurrentState, DesiredState, KubernetesConfig, Mount, Role

TIMEOUT_SECONDS = 15
PORT_FORWARD = "kubectl -n vault port-forward svc/vault-active 8200:8200 (before init: pod/vault-0)"
CA_HINT = ("kubectl -n vault get secret vault-tls -o jsonpath='{.data.ca\\.crt}' | base64 -d > vault-ca.crt "
           "and pass --ca-cert vault-ca.crt")
TOKEN_HINT = ("use a token allowed to manage sys/audit (sudo), sys/mounts, sys/auth (sudo), sys/policies/acl and "
              "auth/kubernetes: a root token generated with `vault operator generate-root` and the recovery keys, "
              "revoked afterwards (README: meridian vault bootstrap)")


class VaultError(Exception):
    """A failure talking to Vault; the message says what happened and what to do."""


class Unreachable(VaultError):
    """No HTTP answer at all."""


class TlsFailure(VaultError):
    """The TLS handshake or certificate verification failed."""


class PermissionDenied(VaultError):
    """403: the token lacks a capability (or is invalid)."""


class Sealed(VaultError):
    """503: Vault is sealed (or in standby without an active node)."""


class UnexpectedResponse(VaultError):
    """Vault answered, but not as its API documentation says."""


@dataclass(frozen=True, kw_only=True)
class Status:
    """sys/seal-status, plus sys/leader once unsealed."""

    initialized: bool
    sealed: bool
    seal_type: str
    version: str
    is_leader: bool | None = None
    leader_address: str = ""


@dataclass(frozen=True, kw_only=True)
class InitResult:
    """sys/init's answer. The secrets are kept out of repr so no traceback or log line shows them."""

    recovery_keys: tuple[str, ...] = field(repr=False)
    recovery_keys_base64: tuple[str, ...] = field(repr=False)
    root_token: str = field(repr=False)
    unseal_keys: tuple[str, ...] = field(default=(), repr=False)
    """`keys`: empty with auto-unseal; kept anyway so nothing Vault returned is lost."""


def _strip(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {key.rstrip("/"): value for key, value in mapping.items()}


def _data(response: Any) -> dict[str, Any]:
    """The payload of a JSON answer: `data` when Vault wraps it, else the top level (both forms are documented)."""
    if not isinstance(response, dict):
        raise TypeError(f"expected a JSON object, got {type(response).__name__}")
    data = response.get("data")
    return data if isinstance(data, dict) else response


class VaultApi:
    """hvac, wrapped: typed reads and writes, and every failure turned into a `VaultError` naming its fix."""

    def __init__(self, addr: str, *, token: str = "", ca_cert: str | None = None) -> None:
        self.addr = addr
        # token="" (not None) so hvac never falls back to VAULT_TOKEN or ~/.vault-token behind our back.
        self._client = hvac.Client(url=addr, token=token, verify=ca_cert or True, timeout=TIMEOUT_SECONDS)

    def use_token(self, token: str) -> None:
        """Authenticate the following calls with `token` (the root token right after init)."""
        self._client.token = token

    @contextmanager
    def _call(self, what: str) -> Iterator[None]:
        try:
            yield
        except requests.exceptions.SSLError as error:
            raise TlsFailure(f"TLS with {self.addr} failed while {what} ({_reason(error)}): to trust Vault's "
                             f"listener certificate, {CA_HINT}") from None
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as error:
            raise Unreachable(f"cannot reach Vault at {self.addr} while {what} ({_reason(error)}): check --addr "
                              f"(or VAULT_ADDR) and that a port-forward runs: {PORT_FORWARD}") from None
        except hvac.exceptions.Forbidden as error:
            raise PermissionDenied(f"permission denied on {_request(error)} ({what}): the token is invalid or "
                                   f"lacks this capability; {TOKEN_HINT}") from None
        except hvac.exceptions.VaultDown as error:
            raise Sealed(f"Vault at {self.addr} answered 503 on {_request(error)} ({what}): it is sealed or "
                         f"has no active node; with awskms auto-unseal check the pods' logs for KMS errors "
                         f"(kubectl -n vault logs vault-0) and rerun") from None
        except hvac.exceptions.VaultError as error:
            raise UnexpectedResponse(f"unexpected answer to {_request(error)} ({what}): {error.args[0]}; check "
                                     "that --addr is Vault's API address and see the server log") from None
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise UnexpectedResponse(f"unexpected answer while {what} ({type(error).__name__}: {error}): check "
                                     f"that --addr is Vault's API (not a proxy or UI) and Vault's version") from None

    def status(self) -> Status:
        """Initialized, sealed, seal type and, when unsealed, whether this node is the HA leader."""
        with self._call("reading sys/seal-status"):
            seal = self._client.sys.read_seal_status()
            status = Status(initialized=bool(seal["initialized"]), sealed=bool(seal["sealed"]),
                            seal_type=str(seal.get("type", "")), version=str(seal.get("version", "")))
        if not status.initialized or status.sealed:
            return status
        with self._call("reading sys/leader"):
            leader = self._client.sys.read_leader_status()
            return Status(initialized=True, sealed=False, seal_type=status.seal_type, version=status.version,
                          is_leader=bool(leader["is_self"]), leader_address=str(leader.get("leader_address", "")))

    def initialize(self, desired: DesiredState) -> InitResult:
        """PUT sys/init with the recovery shares, threshold and PGP keys (auto-unseal: no unseal shares)."""
        recovery = desired.recovery
        with self._call("initializing Vault (PUT sys/init)"):
            answer = self._client.sys.initialize(
                recovery_shares=recovery.shares, recovery_threshold=recovery.threshold,
                recovery_pgp_keys=list(recovery.pgp_keys) or None)
            # Lenient on purpose: Vault is initialized now, so whatever it returned must reach the file.
            return InitResult(recovery_keys=tuple(answer.get("recovery_keys") or ()),
                              recovery_keys_base64=tuple(answer.get("recovery_keys_base64") or ()),
                              root_token=str(answer.get("root_token") or ""),
                              unseal_keys=tuple(answer.get("keys") or ()))

    def read_state(self, desired: DesiredState, seal_type: str) -> CurrentState:
        """Everything the plan compares: audit devices, mounts, auth methods, and the inventory's policies and roles."""
        sys = self._client.sys
        with self._call("reading sys/audit"):
            audit = {path: AuditDevice(path=path, type=str(device["type"]),
                                       file_path=str((device.get("options") or {}).get("file_path", "")))
                     for path, device in _strip(_data(sys.list_enabled_audit_devices())).items()
                     if isinstance(device, dict)}
        with self._call("reading sys/mounts"):
            mounts = {path: Mount(type=str(mount["type"]), version=str((mount.get("options") or {}).get("version", "")))
                      for path, mount in _strip(_data(sys.list_mounted_secrets_engines())).items()
                      if isinstance(mount, dict)}
        with self._call("reading sys/auth"):
            auths = {path: Mount(type=str(method["type"]))
                     for path, method in _strip(_data(sys.list_auth_methods())).items() if isinstance(method, dict)}
        with self._call("reading sys/policies/acl"):
            names = set(_data(sys.list_acl_policies())["keys"])
            policies = {name: str(_data(sys.read_acl_policy(name))["policy"])
                        for name in sorted(set(desired.policies) & names)}
        kubernetes: KubernetesConfig | None = None
        roles: dict[str, Role] = {}
        if auths.get(desired.kubernetes_mount, Mount(type="")).type == "kubernetes":
            kubernetes, roles = self._read_kubernetes(desired)
        return CurrentState(initialized=True, seal_type=seal_type, audit_devices=audit, secret_mounts=mounts,
                            auth_mounts=auths, kubernetes=kubernetes, policies=policies, roles=roles)

    def _read_kubernetes(self, desired: DesiredState) -> tuple[KubernetesConfig | None, dict[str, Role]]:
        mount = desired.kubernetes_mount
        with self._call(f"reading auth/{mount}/config"):
            try:
                config = self._client.auth.kubernetes.read_config(mount_point=mount)
                kubernetes = KubernetesConfig(host=str(config["kubernetes_host"]),
                                              ca_pem=str(config.get("kubernetes_ca_cert") or ""))
            except hvac.exceptions.InvalidPath:  # 404: the method is enabled but not configured yet
                kubernetes = None
        with self._call(f"listing auth/{mount}/role"):
            try:
                existing = set(_data(self._client.auth.kubernetes.list_roles(mount_point=mount))["keys"])
            except hvac.exceptions.InvalidPath:  # 404: no role yet
                existing = set()
        roles: dict[str, Role] = {}
        for role in desired.roles:
            if role.name in existing:
                with self._call(f"reading auth/{mount}/role/{role.name}"):
                    data = self._client.auth.kubernetes.read_role(role.name, mount_point=mount)
                    roles[role.name] = Role(
                        name=role.name, service_accounts=frozenset(data["bound_service_account_names"]),
                        namespaces=frozenset(data["bound_service_account_namespaces"]),
                        audience=str(data.get("audience") or ""), policies=frozenset(data.get("token_policies") or ()),
                        token_ttl_seconds=int(data.get("token_ttl") or 0))
        return kubernetes, roles

    def apply(self, change: Change, desired: DesiredState) -> None:
        """Make one change (not init: see `initialize`)."""
        sys = self._client.sys
        with self._call(f"applying {change.action}"):
            match change.action:
                case Action.ENABLE_AUDIT:
                    sys.enable_audit_device(desired.audit.type, path=desired.audit.path,
                                            description="Meridian platform audit log",
                                            options={"file_path": desired.audit.file_path})
                case Action.ENABLE_KV:
                    sys.enable_secrets_engine("kv", path=desired.kv_mount, options={"version": "2"},
                                              description="Meridian platform secrets")
                case Action.ENABLE_KUBERNETES_AUTH:
                    sys.enable_auth_method("kubernetes", path=desired.kubernetes_mount,
                                           description="Meridian platform service accounts")
                case Action.WRITE_KUBERNETES_CONFIG | Action.UPDATE_KUBERNETES_CONFIG:
                    # The local service-account JWT of the Vault pods reviews tokens (authDelegator in the chart).
                    self._client.auth.kubernetes.configure(desired.kubernetes.host,
                                                           kubernetes_ca_cert=desired.kubernetes.ca_pem,
                                                           mount_point=desired.kubernetes_mount)
                case Action.WRITE_POLICY | Action.UPDATE_POLICY:
                    sys.create_or_update_acl_policy(change.name, desired.policies[change.name])
                case Action.WRITE_ROLE | Action.UPDATE_ROLE:
                    role = next(r for r in desired.roles if r.name == change.name)
                    # token_* fields, not hvac create_role's deprecated `policies`/`ttl` (vault-plugin-auth-kubernetes
                    # path_role.go upgrades those).
                    self._client.write_data(f"auth/{desired.kubernetes_mount}/role/{role.name}", data={
                        "bound_service_account_names": sorted(role.service_accounts),
                        "bound_service_account_namespaces": sorted(role.namespaces),
                        "audience": role.audience, "token_policies": sorted(role.policies),
                        "token_ttl": role.token_ttl_seconds})
                case _:
                    raise ValueError(f"cannot apply {change.action}")

    def revoke_own_token(self) -> None:
        """POST auth/token/revoke-self: revoke the token this client uses (the root token from init)."""
        with self._call("revoking the initial root token (auth/token/revoke-self)"):
            self._client.auth.token.revoke_self()


def _request(error: hvac.exceptions.VaultError) -> str:
    """`METHOD path` of the failed request, path relative to /v1/."""
    return f"{str(error.method or '?').upper()} {(error.url or '').split('/v1/', 1)[-1]}"


def _reason(error: Exception) -> str:
    text = str(error)
    for marker in ("CERTIFICATE_VERIFY_FAILED", "WRONG_VERSION_NUMBER", "Connection refused", "Name or service not "
                   "known", "timed out", "hostname mismatch"):
        if marker in text:
            return marker
    return type(error).__name__
