"""Where `vault operator init`'s secrets go: one new file, mode 0600, created before init and never overwritten.

The file is reserved (created empty with O_CREAT|O_EXCL, 0600) *before* sys/init is called, so a path that exists or
cannot be written stops the bootstrap while the recovery keys do not exist yet, instead of losing them after.
With `recovery_pgp_keys`, Vault returns each share already encrypted to its holder; the file then holds those.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Final

from meridian.vault.client import InitResult

MODE: Final = 0o600


class InitOutputError(Exception):
    """The init output file cannot be used; the message says why and what to do."""


class InitOutput:
    """A reserved, empty, 0600 file that receives the init result exactly once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._fd: int | None = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, MODE)
        except FileExistsError:
            raise InitOutputError(f"{path} already exists: refusing to overwrite it (it may hold another Vault's "
                                  "recovery keys); pass a new --init-output path") from None
        except OSError as error:
            raise InitOutputError(f"cannot create {path} ({error.strerror}): pass an --init-output path in a "
                                  "writable folder, ideally on an encrypted disk") from None
        os.fchmod(self._fd, MODE)  # whatever the umask, never more than owner read/write

    def write(self, result: InitResult, *, addr: str, pgp: bool, threshold: int) -> None:
        """Write the recovery keys and root token as JSON, fsync and close."""
        if self._fd is None:
            raise InitOutputError(f"{self.path} was already written")
        document = {
            "vault_addr": addr,
            "initialized_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "recovery_threshold": threshold,
            "recovery_keys_pgp_encrypted": pgp,
            "recovery_keys": list(result.recovery_keys),
            "recovery_keys_base64": list(result.recovery_keys_base64),
            "root_token": result.root_token,
            **({"unseal_keys": list(result.unseal_keys)} if result.unseal_keys else {}),
            "note": "Hand each recovery key to its holder and delete this file. The root token is revoked at the end "
                    "of a successful bootstrap unless --keep-root-token was given.",
        }
        data = (json.dumps(document, indent=2) + "\n").encode()
        fd, self._fd = self._fd, None
        try:
            while data:
                data = data[os.write(fd, data):]
            os.fsync(fd)
        except OSError as error:
            raise InitOutputError(f"Vault is initialized but writing {self.path} failed ({error.strerror}): the "
                                  "recovery keys are lost. Vault holds no data yet: delete the vault pods' data "
                                  "volumes, reinstall, and bootstrap again") from None
        finally:
            os.close(fd)

    def discard(self) -> None:
        """Remove the reserved file when init did not happen (nothing was written to it)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
            self.path.unlink(missing_ok=True)
