"""AES-256-GCM sealing of stored secrets: the database only ever sees ciphertext.

The sealed form is ``nonce (12 bytes) || ciphertext+tag``; the tenant, namespace and name
are bound as associated data, so a row copied under another name fails to open.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tercel.errors import SecretError

_NONCE = 12


class SecretBox:
    """Seals and opens secret values with one 32-byte key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise SecretError("the secret encryption key must be 32 bytes")
        self._aead = AESGCM(key)

    @staticmethod
    def _context(tenant: str, namespace: str, name: str) -> bytes:
        return f"{tenant}\x00{namespace}\x00{name}".encode()

    def seal(self, tenant: str, namespace: str, name: str, value: str) -> bytes:
        """Encrypt `value` for this (tenant, namespace, name)."""
        nonce = os.urandom(_NONCE)
        context = self._context(tenant, namespace, name)
        return nonce + self._aead.encrypt(nonce, value.encode("utf-8"), context)

    def open(self, tenant: str, namespace: str, name: str, sealed: bytes) -> str:
        """Decrypt; SecretError when the key is wrong or the row was tampered with."""
        try:
            plain = self._aead.decrypt(
                sealed[:_NONCE], sealed[_NONCE:], self._context(tenant, namespace, name)
            )
        except (InvalidTag, ValueError):
            raise SecretError(
                f"secret `{name}` of namespace `{namespace}` cannot be decrypted: "
                "was the encryption key changed?"
            ) from None
        return plain.decode("utf-8")
