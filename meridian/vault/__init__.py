"""`meridian vault`: bootstrap a region's Vault from the platform inventory (hvac)."""

from meridian.vault.command import vault_app

__all__ = ["vault_app"]
