"""A local HTTP double of exactly the Vault endpoints `meridian vault bootstrap` uses (no Vault server can run here).

Request and response bodies follow Vault's API documentation, hashicorp/vault website/content/api-docs/:
- system/seal-status.mdx: GET /v1/sys/seal-status (awskms seal: `type` awskms, `recovery_seal` true)
- system/leader.mdx: GET /v1/sys/leader
- system/init.mdx: PUT|POST /v1/sys/init; the recovery fields of the answer as hashicorp/vault http/sys_init.go
  `InitResponse` encodes them (keys, keys_base64, recovery_keys, recovery_keys_base64, root_token)
- system/audit.mdx: GET /v1/sys/audit (top-level map, as the docs' sample), POST /v1/sys/audit/:path
- system/mounts.mdx: GET /v1/sys/mounts (`data` map), POST /v1/sys/mounts/:path
- system/auth.mdx: GET /v1/sys/auth (`data` map), POST /v1/sys/auth/:path
- system/policies.mdx: LIST /v1/sys/policies/acl, GET and POST|PUT /v1/sys/policies/acl/:name
- auth/kubernetes.mdx: GET and POST /v1/auth/kubernetes/config, LIST /v1/auth/kubernetes/role, GET and POST
  /v1/auth/kubernetes/role/:name (the read answer's fields as vault-plugin-auth-kubernetes path_role.go
  `pathRoleRead` returns them: token_* fields, audience, alias_name_source)
- auth/token.mdx: POST /v1/auth/token/revoke-self

Like Vault: PUT and POST are the same write; writes to an existing mount or audit path answer 400; a missing or
revoked token answers 403; a sealed Vault answers 503 except on the unauthenticated sys/ endpoints. Any other
request answers 404 and is kept in `unexpected`. Every request is kept in `requests` (method, path, body).
"""

from __future__ import annotations

import base64
import json
import secrets
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

UNAUTHENTICATED = {"sys/seal-status", "sys/leader", "sys/init"}
WRITES = {"PUT", "POST", "DELETE"}
DEFAULT_MOUNTS = {"cubbyhole/": ("cubbyhole", "per-token private secret storage"),
                  "identity/": ("identity", "identity store"),
                  "sys/": ("system", "system endpoints used for control, policy and debugging")}


@dataclass
class Recorded:
    method: str
    path: str
    body: Any


@dataclass
class VaultState:
    """What the double's Vault holds."""

    initialized: bool = False
    sealed: bool = True
    unseal_after_polls: int = 1
    """sys/seal-status polls after init before auto-unseal has 'happened'."""
    is_self: bool = True
    recovery: tuple[int, int] = (0, 0)
    tokens: dict[str, set[str] | None] = field(default_factory=dict)
    """Live tokens -> allowed "METHOD path" entries (None: everything, the root token)."""
    audit: dict[str, dict[str, Any]] = field(default_factory=dict)
    mounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    auth: dict[str, dict[str, Any]] = field(default_factory=dict)
    policies: dict[str, str] = field(default_factory=dict)
    kubernetes_config: dict[str, Any] | None = None
    roles: dict[str, dict[str, Any]] = field(default_factory=dict)
    issued: list[str] = field(default_factory=list)
    """Every secret the double handed out (root token, recovery keys in hex and base64)."""
    fail: dict[str, int] = field(default_factory=dict)
    """"METHOD path" -> error status (500: a failing backend; 503: sealed meanwhile) to answer instead."""

    def mount_entry(self, kind: str, description: str, options: dict[str, str] | None) -> dict[str, Any]:
        return {"accessor": f"{kind}_{secrets.token_hex(4)}", "config": {"default_lease_ttl": 0,
                "force_no_cache": False, "max_lease_ttl": 0}, "description": description,
                "external_entropy_access": False, "local": False, "options": options, "plugin_version": "",
                "running_plugin_version": "v2.0.4+builtin.vault", "running_sha256": "", "seal_wrap": False,
                "type": kind, "uuid": secrets.token_hex(16)}

    def initialize(self, shares: int, threshold: int) -> dict[str, Any]:
        self.initialized, self.recovery = True, (shares, threshold)
        raw = [secrets.token_bytes(33) for _ in range(shares)]
        root = "hvs." + secrets.token_urlsafe(18)
        self.tokens[root] = None
        self.mounts = {path: self.mount_entry(kind, text, None) for path, (kind, text) in DEFAULT_MOUNTS.items()}
        self.auth = {"token/": self.mount_entry("token", "token based credentials", None)}
        self.policies = {"default": "# default policy", "root": ""}
        answer = {"keys": [], "keys_base64": [], "recovery_keys": [key.hex() for key in raw],
                  "recovery_keys_base64": [base64.b64encode(key).decode() for key in raw], "root_token": root}
        self.issued += [root, *answer["recovery_keys"], *answer["recovery_keys_base64"]]
        return answer

    def configure(self, **values: Any) -> VaultState:
        """Preset state, as an operator may have left it."""
        for key, value in values.items():
            setattr(self, key, value)
        return self


class VaultDouble:
    """The server: `url`, `state`, `requests`, `unexpected`; start with `with VaultDouble() as vault:`."""

    def __init__(self, state: VaultState | None = None, tls: tuple[str, str] | None = None) -> None:
        self.state = state or VaultState()
        self.requests: list[Recorded] = []
        self.unexpected: list[Recorded] = []
        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        scheme = "http"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    def __enter__(self) -> VaultDouble:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def writes(self) -> list[Recorded]:
        return [request for request in self.requests if request.method in WRITES]

    def handle(self, method: str, path: str, query: str, token: str, body: Any) -> tuple[int, Any]:
        with self.lock:
            self.requests.append(Recorded(method, path, body))
            if method == "GET" and "list=true" in query:
                method = "LIST"
            if method == "PUT":
                method = "POST"
            state = self.state
            if path not in UNAUTHENTICATED:
                if state.sealed:
                    return 503, {"errors": ["Vault is sealed"]}
                allowed = state.tokens.get(token, set()) if token else set()
                if allowed is not None and f"{method} {path}" not in allowed:
                    return 403, {"errors": ["permission denied"]}
            if f"{method} {path}" in state.fail:
                status = state.fail[f"{method} {path}"]
                return status, {"errors": ["Vault is sealed" if status == 503 else "internal error"]}
            if (method, path) == ("POST", "auth/token/revoke-self"):
                state.tokens.pop(token, None)
                return 204, None
            answer = _route(state, method, path, body)
            if answer is None:
                self.unexpected.append(Recorded(method, path, body))
                return 404, {"errors": []}
            return answer


def _role_answer(role: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"bound_service_account_names": role["bound_service_account_names"],
                     "bound_service_account_namespaces": role["bound_service_account_namespaces"],
                     "bound_service_account_namespace_selector": "", "audience": role.get("audience", ""),
                     "alias_name_source": "serviceaccount_uid", "token_policies": role.get("token_policies", []),
                     "token_ttl": role.get("token_ttl", 0), "token_max_ttl": 0, "token_period": 0,
                     "token_explicit_max_ttl": 0, "token_no_default_policy": False, "token_num_uses": 0,
                     "token_bound_cidrs": [], "token_type": "default"}}


def _route(state: VaultState, method: str, path: str, body: Any) -> tuple[int, Any] | None:
    if (method, path) == ("GET", "sys/seal-status"):
        shares, threshold = state.recovery
        answer = {"type": "awskms", "initialized": state.initialized, "sealed": state.sealed, "t": threshold,
                  "n": shares, "progress": 0, "nonce": "", "version": "2.0.4", "build_date": "2025-01-01T00:00:00Z",
                  "migration": False, "recovery_seal": True, "storage_type": "raft"}
        if state.initialized and state.sealed:
            state.unseal_after_polls -= 1
            state.sealed = state.unseal_after_polls >= 0
        if not state.sealed:
            answer |= {"cluster_name": "vault-cluster-1a2b3c4d", "cluster_id": "f94053ad-d80e-4270-2006-2efd67d0910a"}
        return 200, answer
    if (method, path) == ("GET", "sys/leader"):
        if state.sealed:
            return 503, {"errors": ["Vault is sealed"]}
        leader = "https://vault-0.vault-internal.vault.svc:8200" if state.is_self else \
            "https://vault-1.vault-internal.vault.svc:8200"
        return 200, {"ha_enabled": True, "is_self": state.is_self, "leader_address": leader,
                     "leader_cluster_address": leader.replace("8200", "8201"), "performance_standby": False,
                     "performance_standby_last_remote_wal": 0}
    if (method, path) == ("POST", "sys/init"):
        if state.initialized:
            return 400, {"errors": ["Vault is already initialized"]}
        shares, threshold = int(body.get("recovery_shares") or 0), int(body.get("recovery_threshold") or 0)
        pgp = body.get("recovery_pgp_keys") or []
        if not 1 <= threshold <= shares or (pgp and len(pgp) != shares):
            return 400, {"errors": ["invalid recovery configuration"]}
        return 200, state.initialize(shares, threshold)
    if (method, path) == ("GET", "sys/audit"):
        return 200, {name.rstrip("/"): device for name, device in state.audit.items()}
    if (method, path) == ("GET", "sys/mounts"):
        return 200, {"request_id": "48d2c601-97a0-3904-f549-4fcbc740d718", "lease_id": "", "lease_duration": 0,
                     "renewable": False, "data": state.mounts, "warnings": None}
    if (method, path) == ("GET", "sys/auth"):
        return 200, {"request_id": "9bc0fab8-d65c-3961-afe6-d05f50c5fd22", "lease_id": "", "lease_duration": 0,
                     "renewable": False, "data": state.auth, "warnings": None}
    if method == "POST" and path.startswith(("sys/audit/", "sys/mounts/", "sys/auth/")):
        area, _, name = path[len("sys/"):].partition("/")
        table = {"audit": state.audit, "mounts": state.mounts, "auth": state.auth}[area]
        if f"{name}/" in table or not body.get("type"):
            return 400, {"errors": [f"path is already in use at {name}/"]}
        entry = state.mount_entry(body["type"], body.get("description", ""), body.get("options"))
        table[f"{name}/"] = {"type": body["type"], "description": body.get("description", ""),
                             "options": body.get("options")} if area == "audit" else entry
        return 204, None
    if (method, path) == ("LIST", "sys/policies/acl"):
        return 200, {"keys": sorted(state.policies)}
    if path.startswith("sys/policies/acl/"):
        name = path.rsplit("/", 1)[1].lower()
        if method == "GET":
            return (200, {"name": name, "policy": state.policies[name]}) if name in state.policies else \
                (404, {"errors": []})
        if method == "POST":
            state.policies[name] = body["policy"]
            return 204, None
    if path.startswith("auth/kubernetes/") and "kubernetes/" in state.auth:
        return _kubernetes(state, method, path.removeprefix("auth/kubernetes/"), body)
    return None


def _kubernetes(state: VaultState, method: str, path: str, body: Any) -> tuple[int, Any] | None:
    if path == "config" and method == "GET":
        if state.kubernetes_config is None:
            return 404, {"errors": []}
        return 200, {"data": {key: state.kubernetes_config.get(key, default) for key, default in (
            ("kubernetes_host", ""), ("kubernetes_ca_cert", ""), ("pem_keys", []), ("issuer", ""),
            ("disable_iss_validation", True), ("disable_local_ca_jwt", False))}}
    if path == "config" and method == "POST":
        if not body.get("kubernetes_host"):
            return 400, {"errors": ["no host provided"]}
        state.kubernetes_config = dict(body)
        return 204, None
    if path == "role" and method == "LIST":
        return (200, {"data": {"keys": sorted(state.roles)}}) if state.roles else (404, {"errors": []})
    if path.startswith("role/"):
        name = path.removeprefix("role/").lower()
        if method == "GET":
            return (200, _role_answer(state.roles[name])) if name in state.roles else (404, {"errors": []})
        if method == "POST":
            if not body.get("bound_service_account_names") or not body.get("bound_service_account_namespaces"):
                return 400, {"errors": ['"bound_service_account_names" can not be empty']}
            state.roles[name] = dict(body)
            return 204, None
    return None


def _handler(double: VaultDouble) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            path, _, query = self.path.partition("?")
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else {}
            status, answer = double.handle(self.command, path.removeprefix("/v1/"), query,
                                           self.headers.get("X-Vault-Token", ""), body)
            if status != 204:
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            else:
                self.send_response(204)
                self.end_headers()

        do_GET = do_PUT = do_POST = do_LIST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test output stays readable."""

    return Handler


class NotVault:
    """Answers every GET with an HTML page, as a UI or a misrouted proxy would: `with NotVault() as url`."""

    def __init__(self) -> None:
        page = b"<html>Vault UI</html>"

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    def __enter__(self) -> str:
        threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
