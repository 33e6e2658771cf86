"""What `meridian vault bootstrap` reads before it talks to Vault: the inventory, the cluster, the token."""

from __future__ import annotations

import base64
import binascii
import json
import stat
from pathlib import Path
from typing import Any

from components.vault_access import VaultInventory
from meridian.vault.plan import KubernetesConfig

PEM_BEGIN = "-----BEGIN CERTIFICATE-----"
PEM_END = "-----END CERTIFICATE-----"


class InputError(Exception):
    """A missing or malformed input; the message says which and how to provide it."""


def load_inventory(build: Path, stack: str) -> VaultInventory:
    """`<build>/<stack>/vault.json`, as the synth writes it from `RegionalPlatform.vault_inventory`."""
    path = build / stack / "vault.json"
    if not path.is_file():
        raise InputError(f"{path} not found: run `meridian synth --stack {stack}` first (and check that the stack "
                         "has a meridian:vault section)")
    try:
        return VaultInventory.from_json(path.read_text())
    except ValueError as error:
        raise InputError(f"{path} is not a usable Vault inventory ({error}): rerun `meridian synth --stack "
                         f"{stack}`") from None


def _pem(text: str, source: str) -> str:
    """`text` as PEM: PEM itself, or base64 of PEM (EKS certificateAuthority.data)."""
    candidate = text.strip()
    if not candidate.startswith(PEM_BEGIN):
        try:
            candidate = base64.b64decode(candidate, validate=True).decode().strip()
        except (binascii.Error, ValueError):
            candidate = ""
    if not (candidate.startswith(PEM_BEGIN) and candidate.endswith(PEM_END)):
        raise InputError(f"{source} is not a PEM certificate (or base64 of one): give the EKS cluster's CA, e.g. "
                         "`aws eks describe-cluster --name <cluster> --query cluster.certificateAuthority.data`")
    return candidate + "\n"


def kubernetes_config(*, host: str | None, ca_file: Path | None, outputs_file: Path | None) -> KubernetesConfig:
    """The cluster Vault's Kubernetes auth talks to: options first, else the stack outputs' clusterEndpoint and
    clusterCertificateAuthority (`pulumi stack output --json`)."""
    outputs: dict[str, Any] = {}
    if outputs_file is not None:
        try:
            outputs = json.loads(outputs_file.read_text())
        except (OSError, json.JSONDecodeError) as error:
            raise InputError(f"cannot read stack outputs {outputs_file} ({error}): write them with "
                             "`pulumi stack output --json --stack <stack> > outputs.json`") from None
    host = host or outputs.get("clusterEndpoint")
    if not host:
        raise InputError("no Kubernetes API host: pass --kubernetes-host or --stack-outputs with clusterEndpoint")
    if not str(host).startswith("https://"):
        raise InputError(f"Kubernetes API host {host!r} is not an https:// URL: use the EKS cluster endpoint")
    if ca_file is not None:
        try:
            ca = _pem(ca_file.read_text(), str(ca_file))
        except OSError as error:
            raise InputError(f"cannot read --kubernetes-ca-file {ca_file} ({error.strerror})") from None
    elif outputs.get("clusterCertificateAuthority"):
        ca = _pem(str(outputs["clusterCertificateAuthority"]), "clusterCertificateAuthority in the stack outputs")
    else:
        raise InputError("no Kubernetes CA certificate: pass --kubernetes-ca-file or --stack-outputs with "
                         "clusterCertificateAuthority")
    return KubernetesConfig(host=str(host), ca_pem=ca)


def read_token(env_token: str, token_file: Path | None) -> tuple[str, list[str]]:
    """The Vault token (VAULT_TOKEN, else --token-file; never argv) and warnings about how it is stored."""
    if env_token and token_file is not None:
        raise InputError("both VAULT_TOKEN and --token-file are set: use one")
    if token_file is None:
        return env_token.strip(), []
    try:
        token = token_file.read_text().strip()
        mode = stat.S_IMODE(token_file.stat().st_mode)
    except OSError as error:
        raise InputError(f"cannot read --token-file {token_file} ({error.strerror})") from None
    if not token:
        raise InputError(f"--token-file {token_file} is empty")
    warnings = [f"{token_file} is readable by other users (mode {mode:o}): chmod 600 it"] if mode & 0o077 else []
    return token, warnings
