"""Secrets: encrypted in the database, or ``SECRET_*`` environment variables; masked in logs
and in the executions the API shows, encrypted where they land in inputs and outputs
(`tercel.secrets.sealing`)."""

from __future__ import annotations

from tercel.secrets.env import EnvSecrets
from tercel.secrets.masking import MASK, SecretMasker
from tercel.secrets.resolver import SecretResolver
from tercel.secrets.store import EncryptedSecrets

__all__ = ["MASK", "EncryptedSecrets", "EnvSecrets", "SecretMasker", "SecretResolver"]
